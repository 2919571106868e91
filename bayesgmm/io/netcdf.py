"""Fits in files: netCDF (h5netcdf) written atomically, read back with every variable checked.

:func:`save` writes a fitted estimator, a :class:`~bayesgmm.FitResult` or any Dataset;
:func:`load_result` reads a :class:`~bayesgmm.FitResult` back (its
:meth:`~bayesgmm.FitResult.from_dataset` checks every variable and attribute it uses, and
the checksums they were saved with) and :func:`load` a fitted
:class:`~bayesgmm.GaussianMixture`.  Nothing is pickled and nothing in a file is executed;
a file that is unreadable, incomplete, impossible or altered raises one
:class:`~bayesgmm.exceptions.SavedFitError` naming the file, variable or attribute.
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from .._lazy import xr
from ..classification import GaussianMixtureClassifier
from ..classification.saving import FORMAT as CLASSIFIER_FORMAT
from ..estimator import GaussianMixture
from ..exceptions import SavedFitError
from ..fitting.result import FitResult

# a variable takes at most this many times the file's size in memory: netCDF files may be
# compressed, but a dimension whose size was damaged claims far more
MAX_EXPANSION = 1000


def save(result: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a fitted estimator, a :class:`FitResult` or its Dataset to netCDF.

    The file is written to a temporary name in the same folder and renamed
    into place, so an interrupted save leaves any previous file intact.
    An existing file is replaced only with ``overwrite=True``.
    """
    dataset: Any
    if isinstance(result, GaussianMixtureClassifier):
        dataset = result.to_datatree()  # one group per class model (classification/saving.py)
    else:
        if hasattr(result, "result_"):
            result = result.result_
        dataset = result.to_dataset() if isinstance(result, FitResult) else result
    if not isinstance(dataset, (xr.Dataset, xr.DataTree)):
        raise TypeError(f"cannot save a {type(result).__name__}; give a fitted GaussianMixture")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    # created as open(..., 0o666) would be, so the umask applies (mkstemp's 0600 would survive
    # the rename and leave the saved file readable by its owner only)
    temporary = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        if isinstance(dataset, xr.DataTree):
            dataset.to_netcdf(temporary, engine="h5netcdf")
        else:
            dataset.to_netcdf(temporary, engine="h5netcdf", invalid_netcdf=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load_result(path: str | os.PathLike) -> FitResult:
    """Read a :class:`FitResult` saved by :func:`save`.

    Raises
    ------
    FileNotFoundError
        if there is no file at ``path``.
    SavedFitError
        (a ``ValueError``) if the file is not a readable netCDF file, or not a complete
        bayesgmm result, or holds values no fit produces, or was changed after it was
        saved; the message names what is wrong.
    """
    return FitResult.from_dataset(_read_dataset(Path(path)))


def _read_dataset(path: Path) -> xr.Dataset:
    """The file's Dataset in memory, or a :class:`SavedFitError` saying why it is unreadable.

    Whatever a damaged file makes h5py, h5netcdf or xarray raise (OSError, KeyError,
    RuntimeError, ...) becomes one error naming the file.  h5py opens it first: a file
    whose root attributes cannot be read then fails there, closed, rather than half-way
    through h5netcdf's constructor, which leaves the file open in HDF5 (a later open of
    the same path would see the stale file) and prints an ignored exception when
    collected.  A variable whose header claims more values than the file can hold (a
    damaged dimension) is refused before anything is read into memory.
    """
    import h5py

    try:
        size = path.stat().st_size
        with h5py.File(path, "r") as file:
            dict(file.attrs)
        with xr.open_dataset(path, engine="h5netcdf", decode_cf=False) as ds:
            for name, variable in ds.variables.items():
                if variable.size * variable.dtype.itemsize > MAX_EXPANSION * size + 2**20:
                    raise SavedFitError(
                        f"variable {name!r} claims {variable.size} values, more than a file "
                        f"of {size} bytes holds"
                    )
            return ds.load()
    except (FileNotFoundError, SavedFitError):
        raise
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        raise SavedFitError(f"{path} is not a readable netCDF file: {reason}") from None


def load(path: str | os.PathLike):
    """Read a saved fit and return a fitted :class:`~bayesgmm.GaussianMixture`
    (or a :class:`~bayesgmm.GaussianMixtureClassifier`, if the file holds one).

    A fit made on standardised features (``bayesgmm fit --standardize``) warns
    that its parameters are in standardised units: put new rows on that scale
    with ``model.result_.standardization.transform(X)`` before predicting.
    """
    if is_classifier_file(path):
        return load_classifier(path)
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


def is_classifier_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds a saved :class:`~bayesgmm.GaussianMixtureClassifier`."""
    import h5py

    try:
        with h5py.File(path, "r") as file:
            found = file.attrs.get("format")
    except (OSError, KeyError):
        return False
    if isinstance(found, bytes):
        found = found.decode()
    return bool(found == CLASSIFIER_FORMAT)


def load_classifier(path: str | os.PathLike) -> GaussianMixtureClassifier:
    """Read a :class:`~bayesgmm.GaussianMixtureClassifier` saved by :func:`save`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with xr.open_datatree(path, engine="h5netcdf") as tree:
            loaded = tree.load()
    except Exception as exc:
        raise SavedFitError(f"{path} is not a readable netCDF file: {exc}") from None
    return GaussianMixtureClassifier.from_datatree(loaded)
