"""A sweep in R mclust's layout: the BIC table with mclust's sign and the best three models.

mclust prints ``summary(mclustBIC(X))`` as a table with one row per number of
components and one column per model, BIC = 2 loglik - npar log n (larger is
better), followed by the "Top 3 models based on the BIC criterion".  bayesgmm's
``bic`` follows scikit-learn (-2 loglik + npar log n, smaller is better): the
same number with the other sign.  These functions turn a :func:`~.select.select`
sweep into mclust's view, so a statistician can put the two side by side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import xr

LINE_WIDTH = 100


def mclust_bic(sweep: xr.Dataset, engine: str | None = None) -> xr.DataArray:
    """mclust's BIC table of one engine's fits: dims ``(n_components, covariance_type)``.

    Values are ``-bic`` (2 loglik - npar log n, larger is better); failed fits are
    NaN, as mclust's NA.  ``engine`` defaults to the sweep's only (or first) engine.
    """
    engine = str(sweep.engine.values[0]) if engine is None else engine
    table = -sweep.bic.sel(engine=engine).transpose("n_components", "covariance_type")
    table.attrs = {
        "long_name": "BIC, mclust's sign: 2 log-likelihood - n_parameters log n (larger is better)"
    }
    return table.rename("mclust_bic")


def top_models(sweep: xr.Dataset, n: int = 3, engine: str | None = None) -> list[dict[str, Any]]:
    """The ``n`` best (covariance_type, n_components) by BIC, best first, as mclust lists them.

    Each entry holds ``covariance_type``, ``n_components`` and ``mclust_bic``.
    """
    table = mclust_bic(sweep, engine)
    values = table.values
    order = np.argsort(-np.where(np.isnan(values), -np.inf, values), axis=None, kind="stable")
    entries = []
    for flat in order[:n]:
        k, c = np.unravel_index(flat, values.shape)
        if np.isnan(values[k, c]):
            break
        entries.append(
            {
                "covariance_type": str(table.covariance_type.values[c]),
                "n_components": int(table.n_components.values[k]),
                "mclust_bic": float(values[k, c]),
            }
        )
    return entries


def format_mclust_bic(sweep: xr.Dataset, engine: str | None = None, top: int = 3) -> str:
    """The text of mclust's ``summary(mclustBIC(...))``: the BIC table, then the best ``top``."""
    table = mclust_bic(sweep, engine)
    names = [str(c) for c in table.covariance_type.values]
    width = max(10, *(len(name) + 1 for name in names))
    lines = ["Bayesian Information Criterion (BIC), mclust's sign (larger is better):"]
    # as R prints a wide table: blocks of columns, no line over LINE_WIDTH characters
    per_line = max(1, (LINE_WIDTH - 3) // width)
    for start in range(0, len(names), per_line):
        block = slice(start, start + per_line)
        lines.append("   " + "".join(f"{name:>{width}}" for name in names[block]))
        for k, row in zip(table.n_components.values, table.values):
            cells = "".join(
                f"{'NA':>{width}}" if np.isnan(v) else f"{v:>{width}.3f}" for v in row[block]
            )
            lines.append(f"{int(k):>3}{cells}")
    best = top_models(sweep, top, engine)
    if best:
        lines.append("")
        lines.append(f"Top {len(best)} models based on the BIC criterion:")
        labels = [f"{b['covariance_type']},{b['n_components']}" for b in best]
        column = max(12, *(len(label) + 2 for label in labels))
        lines.append("".join(f"{label:>{column}}" for label in labels))
        lines.append("".join(f"{b['mclust_bic']:>{column}.4f}" for b in best))
    return "\n".join(lines)
