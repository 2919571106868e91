"""Reading tables of rows from files: CSV (and TSV), Parquet, netCDF and Zarr.

:func:`read_rows` gives the feature columns, each row's number in the file,
the row key (an id column) and notes on everything not used;
:func:`read_table` gives only the features, as a pandas DataFrame ready for
``GaussianMixture.fit``.  Delimited text is read by pandas with the separator,
decimal mark and header found from the file (:mod:`~bayesgmm.io.delimited`);
which columns are features is decided by :mod:`~bayesgmm.io.columns`.  No
column and no row is left out without a note; a file that cannot be used
raises :class:`DataFileError` (a ValueError) whose message names the file and
says what to do; the ``bayesgmm`` command prints it and exits with code 2.

Rows are numbered from 1, the first row of data; a header line is not counted
(in a CSV file with a header, row N is on line N + 1).  The numbers are the
same for every format and are kept when ``dropna`` leaves rows out.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .columns import as_numbers, choose_columns
from .delimited import COMPRESSIONS, read_delimited
from .errors import DataFileError

__all__ = ["DATA_SUFFIXES", "DataFileError", "Rows", "read_rows", "read_table"]

TEXT_SUFFIXES = (".csv", ".tsv")
DATA_SUFFIXES = (*TEXT_SUFFIXES, ".parquet", ".nc", ".zarr")
# text files may be compressed: data.csv.gz, data.tsv.xz (io/delimited.py)
COMPRESSED_TEXT_SUFFIXES = tuple(
    text + compression for text in TEXT_SUFFIXES for compression in COMPRESSIONS
)


def file_type(path: Path) -> str:
    """The file's type as its name says: ``.csv``, ``.parquet``, ... (``.csv`` for ``x.csv.gz``).

    Raises DataFileError for a name that ends in none of the types read here.
    """
    suffix = path.suffix.lower()
    if suffix in COMPRESSIONS and "".join(path.suffixes[-2:]).lower() in COMPRESSED_TEXT_SUFFIXES:
        return path.suffixes[-2].lower()
    if suffix not in DATA_SUFFIXES:
        raise DataFileError(
            f"{path}: unknown file type {suffix!r}; use .csv, .tsv (also compressed: "
            ".csv.gz, .csv.bz2, .csv.xz), .parquet, .nc or .zarr"
        )
    return suffix


def _missing_library(path: Path, library: str, extra: str) -> DataFileError:
    return DataFileError(
        f"{path}: reading {path.suffix} files needs {library}, which is not installed; "
        f"pip install 'bayesgmm[{extra}]'"
    )


def _frame_of_dataset(ds, path: Path):
    """A table from a netCDF/Zarr Dataset (1-D variables on one dim, or one 2-D matrix) and notes."""
    import pandas as pd

    if ds.attrs.get("format") == "bayesgmm.FitResult":
        raise DataFileError(f"{path}: this is a saved bayesgmm fit, not data; give the rows to use")
    numeric = {name: var for name, var in ds.data_vars.items() if var.dtype.kind in "fiu"}
    if not numeric:
        raise DataFileError(f"{path}: no numeric variables to use")
    dims = {var.dims for var in numeric.values()}

    def others(used) -> list[str]:
        unused = [str(name) for name in ds.data_vars if name not in used]
        return [f"left out variable(s) not along the rows: {', '.join(unused)}"] if unused else []

    if all(len(d) == 1 for d in dims) and len(dims) == 1:
        # text variables along the rows too, so that they are reported like text columns
        (row_dims,) = dims
        on_rows = {name: var for name, var in ds.data_vars.items() if var.dims == row_dims}
        frame = pd.DataFrame({str(name): var.values for name, var in on_rows.items()})
        return frame, others(on_rows)
    matrices = {name: var for name, var in numeric.items() if var.ndim == 2}
    if len(matrices) == 1:
        ((name, var),) = matrices.items()
        _rows, columns = var.dims
        labels = (
            var[columns].values
            if columns in var.coords
            else [f"{name}{i}" for i in range(var.shape[1])]
        )
        frame = pd.DataFrame(np.asarray(var.values), columns=[str(label) for label in labels])
        return frame, others(matrices)
    raise DataFileError(
        f"{path}: cannot tell the rows and columns apart (variables {sorted(numeric)} with dims "
        f"{sorted(dims)}); store 1-D variables along one row dimension, or one 2-D variable "
        "(rows, features)"
    )


@dataclass(frozen=True)
class Rows:
    """Rows read from a data file: the features, where each row came from, and notes.

    Attributes
    ----------
    features : pandas.DataFrame
        The feature columns, numeric, indexed ``0 .. n-1``.
    row_numbers : numpy.ndarray
        Each row's number in the file: 1 is the first row of data (a header
        line is not counted), the same for every format. Rows left out by
        ``dropna`` leave gaps: every row keeps its number.
    key : pandas.Series or None
        The id column's value of each row, named after the column, or None
        when the file has no id column.
    notes : tuple of str
        How the file was read when it was not pandas' default, every column
        and row not used and why.
    labels : pandas.Series or None
        The class label of each row, when a ``label_column`` was read.
    """

    features: object
    row_numbers: np.ndarray
    key: object | None
    notes: tuple[str, ...]
    labels: object | None = None

    def key_column(self):
        """The id column's values, or the row numbers as a Series named ``row``."""
        import pandas as pd

        if self.key is not None:
            return self.key
        return pd.Series(self.row_numbers, name="row")


def _read_frame(path: Path, suffix: str, text_options: dict):
    """The whole table as pandas reads it, its decimal mark and notes on how it was read."""
    import pandas as pd
    import xarray as xr

    if suffix in TEXT_SUFFIXES:
        return read_delimited(path, **text_options)
    if suffix == ".parquet":
        return pd.read_parquet(path), ".", []
    if suffix == ".zarr":
        with warnings.catch_warnings():
            # a store without consolidated metadata is read all the same; xarray only says so
            warnings.filterwarnings(
                "ignore", "Failed to open Zarr store with consolidated", RuntimeWarning
            )
            opened = xr.open_zarr(path, chunks=None)
        with opened as ds:
            frame, notes = _frame_of_dataset(ds.load(), path)
        return frame, ".", notes
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        frame, notes = _frame_of_dataset(ds.load(), path)
    return frame, ".", notes


def _rows_list(numbers: np.ndarray) -> str:
    shown = ", ".join(map(str, numbers[:6])) + (", ..." if len(numbers) > 6 else "")
    return f"row{'s' if len(numbers) > 1 else ''} {shown}"


def read_rows(
    path: str | Path,
    columns: Sequence[str] | None = None,
    *,
    dropna: bool = False,
    keep_missing: bool = False,
    sep: str | None = None,
    decimal: str | None = None,
    na_values: Sequence[str] = (),
    header: bool | None = None,
    id_column: str | None = None,
    label_column: str | None = None,
) -> Rows:
    """Read CSV, TSV, Parquet, netCDF or Zarr: the features, row numbers, row key and notes.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv`` (either also compressed: ``.csv.gz``, ``.csv.bz2``,
        ``.csv.xz``), ``.parquet``, ``.nc`` or ``.zarr``.
    columns : sequence of str, optional
        The features.  Default: every numeric column but id and label columns
        (see :mod:`bayesgmm.io.columns` for the rule).
    dropna : bool
        Leave out rows with a missing feature (noted with their numbers);
        without it they are an error.
    keep_missing : bool
        Keep rows with missing features, their missing values NaN (for
        ``missing="marginalize"``); the rows are counted in a note.
    sep, decimal : str, optional
        A text file's separator and decimal mark; found from the file when
        not given (see :mod:`bayesgmm.io.delimited`).
    na_values : sequence of str
        Values read as missing, besides pandas' own (empty, ``NA``, ``NaN``,
        ``null``, ``N/A``, ...), e.g. ``["?"]``.
    header : bool, optional
        Whether a text file's first line holds the column names; when not
        given, it does unless every field in it is a number.
    id_column : str, optional
        The column that keys the rows; never a feature.
    label_column : str, optional
        The column of class labels (any type); never a feature, returned as ``labels``.

    Raises
    ------
    DataFileError
        a missing or unreadable file, an unknown suffix, a missing optional
        reader (pyarrow, zarr), a column with tokens among numbers, no usable
        numeric columns or rows; the message names the file and what to do.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: no such file")
    suffix = file_type(path)
    text_options = {"sep": sep, "decimal": decimal, "header": header, "na_values": na_values}
    try:
        frame, decimal, notes = _read_frame(path, suffix, text_options)
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
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.reset_index(drop=True)
    if na_values and suffix not in TEXT_SUFFIXES:
        text = frame.select_dtypes(exclude=["number", "bool"]).columns
        frame[text] = frame[text].mask(frame[text].isin(list(na_values)))
    if len(frame) == 0:
        raise DataFileError(f"{path}: no rows to use")
    numbers = np.arange(1, len(frame) + 1)
    labels = None
    if label_column is not None:
        if label_column not in frame.columns:
            raise DataFileError(
                f"{path}: no column {label_column!r} to take the labels from; it has "
                f"{list(frame.columns)}"
            )
        if columns and label_column in columns:
            raise DataFileError(
                f"{path}: {label_column!r} is the label column; leave it out of --columns"
            )
        labels = frame[label_column]
        frame = frame.drop(columns=label_column)
    chosen = choose_columns(
        frame, path, numbers, columns=columns, id_column=id_column, decimal=decimal
    )
    notes = [*notes, *chosen.notes]
    features = frame[chosen.features]
    for name in features.columns:
        if not pd.api.types.is_numeric_dtype(features[name]):
            features = features.assign(**{name: as_numbers(features[name], decimal)})
    missing_label = np.zeros(len(frame), dtype=bool) if labels is None else labels.isna().to_numpy()
    incomplete = features.isna().any(axis=1).to_numpy()
    if incomplete.any() and keep_missing:
        notes.append(
            f"{int(incomplete.sum())} row{'' if incomplete.sum() == 1 else 's'} with missing "
            "values kept: the model marginalises them"
        )
        incomplete = np.zeros_like(incomplete)
    incomplete = incomplete | missing_label  # a row without its label cannot train a classifier
    if incomplete.any():
        first = int(np.flatnonzero(incomplete)[0])
        where = (
            label_column
            if missing_label[first]
            else features.columns[features.iloc[first].isna().to_numpy()][0]
        )
        if not dropna:
            raise DataFileError(
                f"{path}: {int(incomplete.sum())} row(s) have missing values (first: row "
                f"{numbers[first]}, column {where!r}); pass --dropna to leave them out, "
                "--missing marginalize (fit) to model them, or impute them"
            )
        notes.append(
            f"left out {int(incomplete.sum())} row{'' if incomplete.sum() == 1 else 's'} with missing values "
            f"({_rows_list(numbers[incomplete])})"
        )
    keep = ~incomplete
    if not keep.any():
        raise DataFileError(f"{path}: no rows to use")
    key = None if chosen.key is None else frame[chosen.key][keep].reset_index(drop=True)
    if labels is not None:
        labels = labels[keep].reset_index(drop=True)
    return Rows(features[keep].reset_index(drop=True), numbers[keep], key, tuple(notes), labels)


def read_table(path: str | Path, columns: Sequence[str] | None = None, *, dropna: bool = False):
    """Read CSV, TSV, Parquet, netCDF or Zarr into a pandas DataFrame of the feature columns.

    :func:`read_rows` with its defaults, printing its notes (how the file was
    read, the columns and rows not used and why) on stderr.  Without
    ``columns``, every numeric column but id and label columns is used.  Rows
    with missing values are an error unless ``dropna`` (then they are dropped).

    Raises
    ------
    DataFileError
        a missing or unreadable file, an unknown suffix, a missing optional
        reader (pyarrow, zarr), no usable numeric columns or rows; the message
        names the file and what to do.
    """
    rows = read_rows(path, columns, dropna=dropna)
    for note in rows.notes:
        print(f"{path}: {note}", file=sys.stderr)
    return rows.features
