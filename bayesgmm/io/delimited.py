"""Delimited text (CSV, TSV) read by pandas, with the separator, decimal mark and header found.

Given its defaults, ``pandas.read_csv`` reads a semicolon-separated file as one
column of text and a header-less file's first row as column names.  Here the
separator, the decimal mark and whether the first line is a header are found
from the file unless given, each is handed to ``pandas.read_csv``, and every
choice other than pandas' default (``,``, ``.``, a header) becomes a note for
the user:

* **separator**: ``csv.Sniffer`` on the first lines (64 KiB), among ``, ; tab |``.
  When ``,`` and ``;`` both split every line into the same number of fields and
  the ``;`` fields hold numbers with decimal commas (``22,5``), ``;``: a
  spreadsheet export where the comma is the decimal mark.  No consistent
  separator (one column): ``,``.
* **header**: the first line holds column names unless every field in it is a
  number; then it is data and the columns are named ``V1``, ``V2``, ... as by
  R's ``read.csv(header = FALSE)``.
* **decimal mark**: ``.``, unless the separator is not ``,``, more than half
  the values of a column pandas read as text are numbers with a decimal comma,
  and no numeric column holds a fraction (a decimal point); then the file is
  read again with ``decimal=","``.
* **encoding**: UTF-8 (a byte-order mark is skipped); a file that is not
  UTF-8 is read as Windows-1252 (Latin-1 when that fails too).
* **compression**: a name ending in ``.gz``, ``.bz2`` or ``.xz`` (``data.csv.gz``)
  is decompressed as it is read, by the standard library for the sample and by
  pandas for the table.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import lzma
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from .errors import DataFileError

SEPARATORS = ",;\t|"
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", " ": "space"}
SAMPLE_CHARS = 1 << 16
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# what opens a compressed text file, by the suffix after .csv/.tsv (pandas infers the same)
COMPRESSIONS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
# a number with either decimal mark: what a header field is not
NUMBER = re.compile(r"\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*")
COMMA_DECIMAL = re.compile(r"\s*[+-]?\d*,\d+([eE][+-]?\d+)?\s*")


def separator_name(sep: str) -> str:
    return SEPARATOR_NAMES.get(sep, repr(sep))


def _sample_lines(path: Path) -> tuple[list[str], str]:
    """The first non-empty lines of the file (at most 64 KiB) and the encoding that reads them."""
    opener = COMPRESSIONS.get(path.suffix.lower(), open)
    for encoding in ENCODINGS:
        try:
            with opener(path, "rt", encoding=encoding, newline="") as file:
                text = file.read(SAMPLE_CHARS)
        except UnicodeDecodeError:
            continue
        except (OSError, EOFError, lzma.LZMAError) as exc:  # not the compression its name says
            raise DataFileError(
                f"{path}: cannot decompress it as {path.suffix[1:]} ({exc}); is the file "
                "complete, and does its name end in its compression?"
            ) from None
        lines = text.splitlines()
        if len(text) == SAMPLE_CHARS:
            lines = lines[:-1]  # the last line may be cut
        return [line for line in lines if line.strip()], encoding
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _split(lines: Sequence[str], sep: str) -> list[list[str]]:
    return [list(next(csv.reader([line], delimiter=sep), [])) for line in lines]


def sniff_separator(lines: Sequence[str]) -> str:
    """The separator of these lines: one of ``, ; tab |`` (see the module's notes)."""
    if not lines:
        return ","
    try:
        sep = csv.Sniffer().sniff("\n".join(lines), delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","  # one column, or no separator used alike on every line
    if sep == ",":
        fields = _split(lines, ";")
        alike = len({len(f) for f in fields}) == 1 and len(fields[0]) > 1
        if alike and any(COMMA_DECIMAL.fullmatch(v) for row in fields for v in row):
            return ";"
    return sep


def _has_decimal_commas(frame) -> bool:
    """Whether a text column holds numbers with decimal commas and no column decimal points."""
    import pandas as pd

    numeric = [frame[c] for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    if any((column.dropna() % 1 != 0).any() for column in numeric):
        return False
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        values = column.dropna().astype(str)
        if len(values) and values.str.fullmatch(COMMA_DECIMAL.pattern).sum() > len(values) / 2:
            return True
    return False


def _read(path: Path, encoding: str, **options):
    """``pandas.read_csv`` with our options; lines longer than the header are an error."""
    import pandas as pd

    for fallback in ENCODINGS[ENCODINGS.index(encoding) :]:
        try:
            with warnings.catch_warnings():
                # pandas warns and drops the extra fields of a line longer than the header
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(
                    path, encoding=fallback, index_col=False, low_memory=False, **options
                )
            return frame, fallback
        except UnicodeDecodeError:
            continue  # a byte beyond the sample that the encoding does not know
        except pd.errors.ParserWarning:
            raise DataFileError(
                f"{path}: some lines have more fields than the first line, read as "
                f"{separator_name(options['sep'])}-separated; give the separator (--sep) and "
                "decimal mark (--decimal) if these are not right"
            ) from None
        except pd.errors.ParserError as exc:
            reason = str(exc).strip().splitlines()[0].removeprefix("Error tokenizing data. ")
            raise DataFileError(
                f"{path}: cannot read it as {separator_name(options['sep'])}-separated text "
                f"({reason}); give the separator (--sep) if that is not it"
            ) from None
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def read_delimited(
    path: Path,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    header: bool | None = None,
    na_values: Sequence[str] = (),
):
    """Read a CSV/TSV file with pandas: the frame, its decimal mark and notes on how it was read.

    ``sep``, ``decimal`` and ``header`` are found from the file when None (see
    the module's notes); ``na_values`` are read as missing, besides pandas'
    own (empty, ``NA``, ``NaN``, ``null``, ``N/A``, ...).
    """
    lines, encoding = _sample_lines(path)
    sniffed = sep is None
    if sep is None:
        sep = sniff_separator(lines)
    first = _split(lines[:1], sep)[0] if lines else []
    notes = []
    if header is None:
        header = not (first and all(NUMBER.fullmatch(v) for v in first))
        if not header:
            shown = ", ".join(first[:4]) + (", ..." if len(first) > 4 else "")
            notes.append(
                f"the first line holds only numbers ({shown}), so it is read as "
                f"data, not as column names; the columns are named V1..V{len(first)} "
                "(--header reads it as names)"
            )
    options = {
        "sep": sep,
        "header": 0 if header else None,
        "names": None if header else [f"V{i + 1}" for i in range(len(first))],
        "na_values": list(na_values) or None,
    }
    frame, used = _read(path, encoding, decimal=decimal or ".", **options)
    found_commas = decimal is None and sep != "," and _has_decimal_commas(frame)
    if found_commas:
        frame, used = _read(path, used, decimal=",", **options)
    if sniffed and (sep != "," or found_commas):
        notes.insert(
            0,
            f"read as {separator_name(sep)}-separated"
            + (" with decimal commas" if found_commas else "")
            + " (--sep and --decimal say otherwise)",
        )
    elif found_commas:
        notes.insert(0, "read with decimal commas (--decimal . says otherwise)")
    if used != "utf-8-sig":
        notes.insert(0, f"not UTF-8 text; read as {used}")
    stripped = [str(c).strip() for c in frame.columns]  # "a, b" names its column "b"
    if len(set(stripped)) == len(stripped):
        frame.columns = stripped
    return frame, "," if found_commas else decimal or ".", notes
