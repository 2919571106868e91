"""Which columns of a table are the features, which one keys the rows, and why the rest are not used.

Without a list of columns, the features are the numeric columns except

* **id and label columns**: integer-valued columns named ``id``, ``*_id`` (also
  ``*.id``, ``*-id``, ``* id``, ``patientId``, any case), ``index``, ``Unnamed: N``
  (pandas' name for a column without a header, such as a written index),
  ``target``, ``class``, ``label`` or ``labels``; and integer columns whose N
  values are N consecutive integers (``0..N-1``, ``1..N``, ``1001..1000+N``, in
  any order) in a file of at least 10 rows, i.e. a row number.  All distinct integers alone is not enough:
  the galaxies velocities, the classic one-dimensional mixture data, are 82
  distinct integers.
* **empty columns**, which hold no value at all.

They are left out, not fitted with a warning: an id fitted as a feature adds a
uniform dimension and a label puts the answer into the clusters, which changes
every model, while a warning scrolls by; a column left out shows in the list of
features the command prints, with a note naming it and ``--columns`` to fit it
anyway.  It is what an R or pandas user does by hand (``Mclust(df[, -1])``,
``df.drop(columns="id")``).

Columns pandas read as text are left out, except a column more than half of
whose values are numbers: its other values are tokens (``?``, ``n/d``, ``-``)
that would silently drop a feature, so the file is refused with a message
naming each token, how many rows hold it and the first of them, and saying how
to read them as missing (``--na-values``).

With a list of columns, exactly those are the features, whatever their names
(a column of text or with tokens is an error).  The row key is the id column
if one is named, else the first column named ``id``, ``*_id`` (``*.id``, ``*-id``,
``* id``, ``patientId``) whose values are all different and present, else none
(the row numbers).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataFileError

KEY_NAME = re.compile(r"(?i:id)|.*[_.\- ](?i:id)|.*[a-z]Id")  # id, sample_id, patientId, ...
ID_NAME = re.compile(rf"{KEY_NAME.pattern}|(?i:index|unnamed: \d+)")
LABEL_NAMES = frozenset({"target", "class", "label", "labels"})
# a few rows of a small integer feature can be consecutive by chance (2, 3, 1)
MIN_ROWS_ROW_NUMBER = 10
TO_INCLUDE = "to fit one, list it with the features in --columns"


@dataclass(frozen=True)
class Columns:
    """The feature columns, the key column (or None) and notes on the columns not used."""

    features: list[str]
    key: str | None
    notes: list[str]


def as_numbers(values, decimal: str = "."):
    """The values as numbers (NaN where a value is not one), read with this decimal mark."""
    import pandas as pd

    text = values.astype(str).str.strip()
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _is_numeric(column) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _integer_valued(column) -> bool:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_integer_dtype(column):
        return True
    values = column.dropna()
    return pd.api.types.is_float_dtype(column) and len(values) > 0 and bool((values % 1 == 0).all())


def id_like(name: str, column) -> str | None:
    """Why a numeric column is an id or a label, not a feature; None if it is a feature."""
    import pandas as pd

    if ID_NAME.fullmatch(name) and _integer_valued(column):
        return "integers named like an id"
    if name.lower() in LABEL_NAMES and _integer_valued(column):
        return "integers named like labels"
    n = len(column)
    if pd.api.types.is_integer_dtype(column) and n >= MIN_ROWS_ROW_NUMBER and column.notna().all():
        low, high = int(column.min()), int(column.max())
        if high - low == n - 1 and column.nunique() == n:
            return f"the integers {low}..{high}, each once: a row number"
    return None


def _example(values) -> str:
    text = str(values.iloc[0])
    return repr(text if len(text) <= 20 else text[:17] + "...")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _spread(values, n: int = 2000):
    """At most ``n`` of the values, evenly spaced: a cheap first look at a long column."""
    if len(values) <= n:
        return values
    return values.iloc[np.linspace(0, len(values) - 1, n).astype(int)]


def _tokens(column, rows: np.ndarray, decimal: str) -> list[tuple[str, int, int]] | None:
    """(token, rows holding it, first such row) if most values of a text column are numbers."""
    present = column.notna().to_numpy()
    # parsing text that is not numbers is slow (0.7 s for 300,000 values): a column whose
    # evenly spaced sample is mostly text is text
    if as_numbers(_spread(column[present]), decimal).notna().mean() <= 0.25:
        return None
    is_number = np.zeros(len(column), dtype=bool)
    is_number[present] = as_numbers(column[present], decimal).notna().to_numpy()
    if is_number.sum() <= present.sum() / 2:
        return None
    text = column.astype(str).str.strip().to_numpy()
    odd = present & ~is_number
    found = []
    for token in dict.fromkeys(text[odd]):
        holds = odd & (text == token)
        found.append((str(token), int(holds.sum()), int(rows[np.flatnonzero(holds)[0]])))
    return found


def _text_note(name: str, column, decimal: str) -> str:
    values = column.dropna()
    note = f"{name} (e.g. {_example(values)}"
    commas = decimal == "." and as_numbers(_spread(values), ",").notna().all()
    if commas and as_numbers(values, ",").notna().all():
        note += "; decimal commas? pass --decimal ,"
    return note + ")"


def _token_error(path: Path, found: dict[str, list[tuple[str, int, int]]]) -> DataFileError:
    parts = []
    for name, tokens in found.items():
        held = " and ".join(
            f"{token!r} in {_count(n, 'row')} (first: row {first})"
            for token, n, first in tokens[:3]
        )
        more = f" and {len(tokens) - 3} other values" if len(tokens) > 3 else ""
        parts.append(f"column {name!r} holds {held}{more} among its numbers")
    every = list(dict.fromkeys(t for tokens in found.values() for t, _, _ in tokens))
    if any(first == 1 for tokens in found.values() for _, _, first in tokens):
        parts[-1] += " (is row 1 a header line? then do not pass --no-header)"
    return DataFileError(
        f"{path}: "
        + "; ".join(parts)
        + "; if "
        + ("that marks" if len(every) == 1 else "these mark")
        + f" missing values, pass --na-values {shlex.quote(','.join(every))} (and --dropna to "
        "leave those rows out), or choose the columns with --columns"
    )


def _key(frame, id_column: str | None, features: Sequence[str]) -> str | None:
    if id_column is not None:
        return id_column
    for name in frame.columns:
        column = frame[name]
        if (
            name not in features
            and KEY_NAME.fullmatch(name)
            and column.notna().all()
            and column.nunique() == len(column)
        ):
            return name
    return None


def _repeats(frame, id_column: str | None) -> list[str]:
    if id_column is None:
        return []
    repeated = frame[id_column].duplicated(keep=False).to_numpy()
    if not repeated.any():
        return []
    first = frame[id_column].iloc[np.flatnonzero(repeated)[0]]
    return [
        f"the id column {id_column!r} repeats values ({int(repeated.sum())} rows, e.g. "
        f"{str(first)!r}): its values do not single out a row"
    ]


def choose_columns(
    frame,
    path: Path,
    rows: np.ndarray,
    *,
    columns: Sequence[str] | None = None,
    id_column: str | None = None,
    decimal: str = ".",
) -> Columns:
    """The features, the row key and notes on every column not used (see the module's rules).

    ``rows`` holds the row number of each row of ``frame`` (for messages).

    Raises
    ------
    DataFileError
        a named column that is missing or not numeric, numbers mixed with
        tokens in a feature column, no numeric column to use.
    """
    names = [str(c) for c in frame.columns]
    named = list(columns or []) + ([id_column] if id_column else [])
    missing = [c for c in named if c not in names]
    if missing:
        raise DataFileError(f"{path}: no column(s) {missing}; it has {names}")
    if columns and id_column in columns:
        raise DataFileError(
            f"{path}: {id_column!r} is the id column (--id-column); leave it out of --columns"
        )
    tokens: dict[str, list[tuple[str, int, int]]] = {}
    if columns:
        text = []
        for name in columns:
            if _is_numeric(frame[name]):
                continue
            found = _tokens(frame[name], rows, decimal)
            if found:
                tokens[name] = found
            elif found is None:
                text.append(name)  # else numbers stored as text: read as numbers
        if tokens:
            raise _token_error(path, tokens)
        if text:
            raise DataFileError(
                f"{path}: column(s) {text} are not numeric; choose others with --columns"
            )
        return Columns(list(columns), _key(frame, id_column, columns), _repeats(frame, id_column))

    features: list[str] = []
    left_out: dict[str, list[str]] = {"text": [], "id": [], "empty": [], "other": []}
    for name in names:
        if name == id_column:
            continue
        column = frame[name]
        if column.isna().all():
            left_out["empty"].append(name)
        elif _is_numeric(column):
            reason = id_like(name, column)
            if reason is None:
                features.append(name)
            else:
                left_out["id"].append(f"{name} ({reason})")
        elif column.dtype.kind in "OSUT" or str(column.dtype) in ("str", "string"):
            found = _tokens(column, rows, decimal)
            if found:
                tokens[name] = found
            elif found is None:
                left_out["text"].append(_text_note(name, column, decimal))
            else:
                features.append(name)  # numbers stored as text (Parquet, netCDF strings)
        else:
            left_out["other"].append(f"{name} ({column.dtype})")
    if tokens:
        raise _token_error(path, tokens)
    notes = _repeats(frame, id_column)
    for kind, noun, why, advice in (
        ("text", "text column", "", ""),
        ("id", "id or label column", "", f"; {TO_INCLUDE}"),
        ("empty", "empty column", " (no values)", ""),
        ("other", "non-numeric column", "", ""),
    ):
        if left_out[kind]:
            listed = ", ".join(left_out[kind])
            notes.append(f"left out {_count(len(left_out[kind]), noun)}{why}: {listed}{advice}")
    if not features:
        raise DataFileError(
            f"{path}: no numeric columns to use" + (f" ({'; '.join(notes)})" if notes else "")
        )
    return Columns(features, _key(frame, id_column, features), notes)
