"""The options of every command that reads data (fit, predict, score), and reading with them.

How a file is read and which columns are used is :mod:`bayesgmm.io.tables`'s
business; here are the options that steer it and the notes it returns, which
go to stderr (standard output carries the results).
"""

from __future__ import annotations

import argparse
import sys

from ..io.tables import Rows, read_rows

SEPARATORS = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|"}


def _separator(text: str) -> str:
    sep = SEPARATORS.get(text.lower(), text)
    if len(sep) != 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a separator is one character, e.g. ';' or tab")
    return sep


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def add_reading_options(parser: argparse.ArgumentParser, columns_help: str) -> None:
    """The options that say how to read the data file, in their own group of ``--help``."""
    group = parser.add_argument_group(
        "reading the data",
        "CSV files are read with the separator, decimal mark and header found from the file; "
        "every column and row not used is listed on stderr, with the reason",
    )
    group.add_argument("--columns", type=_names, metavar="A,B", help=columns_help)
    group.add_argument(
        "--id-column",
        metavar="NAME",
        help="the column that keys the rows, never a feature (default: the first column "
        "named id or *_id whose values are all different; else the row number)",
    )
    group.add_argument(
        "--sep",
        type=_separator,
        metavar="C",
        help="a CSV file's separator: , ; tab or | (default: found from the file)",
    )
    group.add_argument(
        "--decimal",
        choices=(".", ","),
        help="decimal mark (default: '.', or ',' when the separator is not ',' and the "
        "numbers have decimal commas)",
    )
    group.add_argument(
        "--na-values",
        type=_names,
        default=[],
        metavar="A,B",
        help="values that mean missing, besides pandas' empty, NA, NaN, null, N/A, ... (e.g. '?')",
    )
    group.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        help="the first line of a CSV file holds the column names, or (--no-header) data: "
        "columns V1, V2, ... (default: names unless every field is a number)",
    )
    group.add_argument(
        "--dropna",
        action="store_true",
        help="leave out rows with missing values (their row numbers are listed)",
    )


def read_data(args: argparse.Namespace, columns: list[str] | None) -> Rows:
    """The rows of ``args.data`` read with the command's options; the notes go to stderr."""
    rows = read_rows(
        args.data,
        columns,
        dropna=args.dropna,
        keep_missing=getattr(args, "missing", "error") == "marginalize",
        sep=args.sep,
        decimal=args.decimal,
        na_values=args.na_values,
        header=args.header,
        id_column=args.id_column,
        label_column=getattr(args, "label", None),
    )
    for note in rows.notes:
        print(f"{args.data}: {note}", file=sys.stderr)
    return rows
