"""Fits in files: netCDF (h5netcdf) written atomically, read back with every variable checked.

:func:`save` writes a fitted estimator, a :class:`~bayesgmm.FitResult` or any Dataset;
:func:`load_result` reads a :class:`~bayesgmm.FitResult` back (its
:meth:`~bayesgmm.FitResult.from_dataset` checks every variable and attribute it uses) and
:func:`load` a fitted :class:`~bayesgmm.GaussianMixture`.  Nothing is pickled and nothing in
a file is executed.
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from .._lazy import xr
from ..estimator import GaussianMixture
from ..fitting.result import FitResult


def save(result: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a fitted estimator, a :class:`FitResult` or its Dataset to netCDF.

    The file is written to a temporary name in the same folder and renamed
    into place, so an interrupted save leaves any previous file intact.
    An existing file is replaced only with ``overwrite=True``.
    """
    if hasattr(result, "result_"):
        result = result.result_
    dataset = result.to_dataset() if isinstance(result, FitResult) else result
    if not isinstance(dataset, xr.Dataset):
        raise TypeError(f"cannot save a {type(result).__name__}; give a fitted GaussianMixture")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    # created as open(..., 0o666) would be, so the umask applies (mkstemp's 0600 would survive
    # the rename and leave the saved file readable by its owner only)
    temporary = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        dataset.to_netcdf(temporary, engine="h5netcdf", invalid_netcdf=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load_result(path: str | os.PathLike) -> FitResult:
    """Read a :class:`FitResult` saved by :func:`save`."""
    try:
        with xr.open_dataset(path, engine="h5netcdf", decode_cf=False) as ds:
            ds = ds.load()
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable netCDF file: {exc}") from None
    return FitResult.from_dataset(ds)


def load(path: str | os.PathLike):
    """Read a saved fit and return a fitted :class:`~bayesgmm.GaussianMixture`.

    A fit made on standardised features (``bayesgmm fit --standardize``) warns
    that its parameters are in standardised units: put new rows on that scale
    with ``model.result_.standardization.transform(X)`` before predicting.
    """
    result = load_result(path)
    if result.standardization is not None:
        warnings.warn(
            f"{path} was fitted on standardised features, so the model expects "
            "z = (x - centre) / scale: predict on model.result_.standardization.transform(X), "
            "not on X in its own units",
            UserWarning,
            stacklevel=2,
        )
    return GaussianMixture.from_result(result)
