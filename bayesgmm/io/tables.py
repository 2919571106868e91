"""Reading tables of rows from files: CSV, Parquet, netCDF and Zarr.

:func:`read_table` gives a pandas DataFrame of numeric columns, ready for
``GaussianMixture.fit``.  A file that cannot be used raises
:class:`DataFileError` (a ValueError) whose message names the file and says
what to do; the ``bayesgmm`` command prints it and exits with code 2.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DATA_SUFFIXES = (".csv", ".parquet", ".nc", ".zarr")


class DataFileError(ValueError):
    """A data file that cannot be read or used: missing, unknown type, no usable rows."""


def _missing_library(path: Path, library: str, extra: str) -> DataFileError:
    return DataFileError(
        f"{path}: reading {path.suffix} files needs {library}, which is not installed; "
        f"pip install 'bayesgmm[{extra}]'"
    )


def _frame_of_dataset(ds, path: Path):
    """A table from a netCDF/Zarr Dataset: 1-D variables on one dim, or one 2-D matrix."""
    import pandas as pd

    if ds.attrs.get("format") == "bayesgmm.FitResult":
        raise DataFileError(f"{path}: this is a saved bayesgmm fit, not data; give the rows to use")
    numeric = {name: var for name, var in ds.data_vars.items() if var.dtype.kind in "fiu"}
    if not numeric:
        raise DataFileError(f"{path}: no numeric variables to use")
    dims = {var.dims for var in numeric.values()}
    if all(len(d) == 1 for d in dims) and len(dims) == 1:
        return pd.DataFrame({name: var.values for name, var in numeric.items()})
    matrices = {name: var for name, var in numeric.items() if var.ndim == 2}
    if len(matrices) == 1:
        ((name, var),) = matrices.items()
        _rows, columns = var.dims
        labels = (
            var[columns].values
            if columns in var.coords
            else [f"{name}{i}" for i in range(var.shape[1])]
        )
        return pd.DataFrame(np.asarray(var.values), columns=[str(label) for label in labels])
    raise DataFileError(
        f"{path}: cannot tell the rows and columns apart (variables {sorted(numeric)} with dims "
        f"{sorted(dims)}); store 1-D variables along one row dimension, or one 2-D variable "
        "(rows, features)"
    )


def read_table(path: str | Path, columns: Sequence[str] | None = None, *, dropna: bool = False):
    """Read CSV, Parquet, netCDF or Zarr into a pandas DataFrame of the chosen columns.

    Without ``columns``, every numeric column is used.  Rows with missing
    values are an error unless ``dropna`` (then they are dropped, and the
    count is reported on stderr).

    Raises
    ------
    DataFileError
        a missing or unreadable file, an unknown suffix, a missing optional
        reader (pyarrow, zarr), no usable numeric columns or rows; the message
        names the file and what to do.
    """
    import pandas as pd
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise DataFileError(
            f"{path}: unknown file type {suffix!r}; use .csv, .parquet, .nc or .zarr"
        )
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".zarr":
            with warnings.catch_warnings():
                # a store without consolidated metadata is read all the same; xarray only says so
                warnings.filterwarnings(
                    "ignore", "Failed to open Zarr store with consolidated", RuntimeWarning
                )
                opened = xr.open_zarr(path, chunks=None)
            with opened as ds:
                frame = _frame_of_dataset(ds.load(), path)
        else:
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                frame = _frame_of_dataset(ds.load(), path)
    except DataFileError:
        raise
    except ImportError as exc:
        if suffix == ".parquet":
            raise _missing_library(path, "pyarrow", "parquet") from None
        if suffix == ".zarr":
            raise _missing_library(path, "zarr", "dask") from None
        raise DataFileError(f"{path}: cannot read it ({exc})") from None
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
        raise DataFileError(
            f"{path}: cannot read it as {suffix[1:]} ({type(exc).__name__}: {exc})"
        ) from None
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataFileError(
                f"{path}: no column(s) {missing}; it has {list(map(str, frame.columns))}"
            )
        frame = frame[list(columns)]
        text = [str(c) for c in frame.columns if frame[c].dtype.kind not in "fiu"]
        if text:
            raise DataFileError(
                f"{path}: column(s) {text} are not numeric; choose others with --columns"
            )
    else:
        frame = frame.select_dtypes("number")
        if frame.shape[1] == 0:
            raise DataFileError(f"{path}: no numeric columns to use")
    frame.columns = [str(c) for c in frame.columns]
    incomplete = frame.isna().any(axis=1).to_numpy()
    if incomplete.any():
        if not dropna:
            raise DataFileError(
                f"{path}: {int(incomplete.sum())} row(s) have missing values (first: row "
                f"{int(np.flatnonzero(incomplete)[0])}); pass --dropna to leave them out, or impute them"
            )
        frame = frame.loc[~incomplete].reset_index(drop=True)
        print(f"left out {int(incomplete.sum())} row(s) with missing values", file=sys.stderr)
    if len(frame) == 0:
        raise DataFileError(f"{path}: no rows to use")
    return frame
