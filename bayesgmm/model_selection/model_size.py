"""Models too large for their data: fewer than 5 rows per free parameter, or more parameters than rows.

A Gaussian mixture with more free parameters than rows can always fit the rows
better, and the BIC's ``p log n`` penalty does not always stop it: a sweep of
mclust's 14 models on 569 rows of 30 features chose 1583 parameters without a
word.  mclust users expect at least about 5 rows per free parameter; below that
the likelihood, and every criterion built on it, says more about the optimiser
than about the data.  :func:`select` marks such cells in its Dataset and warns
once, listing them; it does not drop them (they may still be what you want).

Rows are the rows of positive weight: sample weights scale what a row counts for,
but do not add information.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._lazy import xr
from ..exceptions import OverparameterizedWarning

MIN_ROWS_PER_PARAMETER = 5.0

DOCS = {
    "rows_per_parameter": "rows (of positive weight) per free parameter; NaN for failed fits",
    "overparameterized": (
        f"fewer than {MIN_ROWS_PER_PARAMETER:g} rows per free parameter: criteria unreliable"
    ),
}


def size_variables(
    n_parameters: np.ndarray, n_rows: int, dims: tuple[str, ...]
) -> dict[str, xr.Variable]:
    """``rows_per_parameter`` and ``overparameterized`` for a sweep's ``n_parameters``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rows_per_parameter = n_rows / np.asarray(n_parameters, dtype=np.float64)
    overparameterized = np.isfinite(rows_per_parameter) & (
        rows_per_parameter < MIN_ROWS_PER_PARAMETER
    )
    return {
        "rows_per_parameter": xr.Variable(
            dims, rows_per_parameter, attrs={"long_name": DOCS["rows_per_parameter"]}
        ),
        "overparameterized": xr.Variable(
            dims, overparameterized, attrs={"long_name": DOCS["overparameterized"]}
        ),
    }


def warn_overparameterized(sweep: xr.Dataset, n_rows: int, stacklevel: int = 2) -> None:
    """One :class:`OverparameterizedWarning` listing the marked cells of ``sweep``, if any."""
    marked = sweep["overparameterized"].values
    if not marked.any():
        return
    ratio = sweep["rows_per_parameter"].values
    groups = []
    for e, engine in enumerate(sweep.engine.values):
        for c, covariance in enumerate(sweep.covariance_type.values):
            ks = [int(k) for k, flag in zip(sweep.n_components.values, marked[e, c]) if flag]
            if ks:
                groups.append(f"{engine} {covariance} K={describe_ks(ks)}")
    worse = int((marked & (ratio < 1)).sum())
    chosen: dict[str, list[str]] = {}  # the criteria's winners among the marked cells
    for name, e, c, k in zip(
        sweep.criterion.values,
        sweep.best_engine.values,
        sweep.best_covariance_type.values,
        sweep.best_n_components.values,
    ):
        if e and _is_marked(sweep, str(e), str(c), int(k)):
            chosen.setdefault(f"{e} {c} K={int(k)}", []).append(str(name).upper())
    among = "; ".join(f"{label}, the best by {_and(names)}" for label, names in chosen.items())
    warnings.warn(
        f"{int(marked.sum())} of {int(np.isfinite(ratio).sum())} fitted models have fewer than "
        f"{MIN_ROWS_PER_PARAMETER:g} rows per free parameter ({n_rows} rows)"
        + (f", {worse} of them more parameters than rows" if worse else "")
        + f": {'; '.join(groups)}. Their likelihood and criteria are unreliable"
        + (f" (among them {among})" if among else "")
        + "; see the sweep's 'overparameterized' variable, and prefer fewer components or a "
        "more constrained covariance type.",
        OverparameterizedWarning,
        stacklevel=stacklevel + 1,
    )


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _is_marked(sweep: xr.Dataset, engine: str, covariance: str, k: int) -> bool:
    cell = sweep["overparameterized"].sel(engine=engine, covariance_type=covariance, n_components=k)
    return bool(cell.item())


def describe_ks(ks: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1-3,5"``."""
    runs: list[list[int]] = []
    for k in ks:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)
