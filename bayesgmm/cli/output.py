"""What the command prints besides results: warnings as one line each, and the marks of
models too large for their data in the ranked table."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator

import numpy as np

from ..model_selection.model_size import MIN_ROWS_PER_PARAMETER


@contextlib.contextmanager
def one_line_warnings(command: str) -> Iterator[None]:
    """Print each warning as ``bayesgmm COMMAND: warning: Category: message`` on one line.

    Python's own format adds the file, line number and the ``warnings.warn(...)``
    source line, which mean nothing to someone running a command.  The previous
    warning machinery is restored on exit.
    """

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        print(f"bayesgmm {command}: warning: {category.__name__}: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def size_marks(rows_per_parameter) -> list[str]:
    """``"!!"`` for more free parameters than rows, ``"!"`` for fewer than 5 rows per parameter."""
    ratio = np.asarray(rows_per_parameter, dtype=np.float64)
    return ["!!" if r < 1 else "!" if r < MIN_ROWS_PER_PARAMETER else "" for r in ratio.tolist()]


def size_legend(marks: list[str], n_rows: int) -> list[str]:
    """The lines explaining the marks shown, if any."""
    if not any(marks):
        return []
    return [
        f"!  fewer than {MIN_ROWS_PER_PARAMETER:g} rows per free parameter ({n_rows} rows); "
        "!! more free parameters than rows:",
        "   criteria unreliable; prefer fewer components or a more constrained covariance type",
    ]
