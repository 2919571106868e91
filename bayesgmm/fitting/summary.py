"""The text of :meth:`FitResult.summary`: a fit in lines of at most :data:`LINE_WIDTH` characters.

Each covariance is printed in its family's own form: a spherical covariance as
its one variance, a diagonal one as a row of variances under the means, a full
one as a matrix; a covariance every component shares (``tied``, mclust's
``EEE``, ``EEI``, ``EII``) once, after the components.  Tables wider than a line
are split into blocks of columns, as R and pandas print wide tables; sentences
wrap; feature names longer than :data:`NAME_WIDTH` are shortened in the middle (column
headers to the width of the numbers below them, at least :data:`HEADER_WIDTH`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..diagnostics.draws import posterior_draws
from ..diagnostics.mixing import draws_mixing
from ..engines import ITERATE_SAMPLING, engine_class

if TYPE_CHECKING:
    from .result import FitResult

LINE_WIDTH = 100
NAME_WIDTH = 20
HEADER_WIDTH = 12
_INDENT = "  "


def summary_text(result: FitResult) -> str:
    """A readable multi-line description of ``result`` (see the module docstring)."""
    p = result.parameters
    K, D = result.n_components, result.n_features
    family = result.spec.family
    names = (
        [str(n) for n in result.feature_names]
        if result.feature_names is not None
        else [f"x{i}" for i in range(D)]
    )
    short = [shorten(name) for name in names]
    lines = _wrapped(
        [
            f"Gaussian mixture: {K} components, covariance_type="
            f"{result.spec.covariance_type!r}, engine={result.spec.engine!r}",
            f"  samples {result.n_samples}, features {D} ({', '.join(names)})",
            f"  log-likelihood {result.log_likelihood:.4f}   BIC {result.bic():.4f}   "
            f"AIC {result.aic():.4f}   parameters {result.n_parameters}",
            _progress_line(result),
            _training_scores_line(result),
        ]
    )
    if result.pruning is not None:
        lines.append(
            f"  pruned from {result.pruning.initial_n_components} to {K} "
            f"components in {result.pruning.n_steps} step(s)"
        )
    scaling = result.standardization
    if scaling is not None:
        lines += _wrapped(
            [
                "  fitted on standardised features z = (x - centre) / scale; means, covariances "
                "in z units"
            ]
        )
        lines += grid(short, [("centre", scaling.center), ("scale", scaling.scale)])
    covariances = [family.dense_covariance(p.covariances, k, D) for k in range(K)]
    shared = K > 1 and all(np.array_equal(c, covariances[0]) for c in covariances[1:])
    spherical = family.covariance_dims == ("component",)
    diagonal = family.kernel.is_diagonal
    for k in range(K):
        head = f"component {k}: weight {p.weights[k]:.4f}"
        if spherical and not shared:
            head += f", variance {covariances[k][0, 0]:.5g} (every feature)"
        lines.append(head)
        rows: list[tuple[str, Sequence[float] | np.ndarray | None]] = [("mean", p.means[k])]
        if scaling is not None:
            rows.append(("mean (x units)", scaling.inverse_transform(p.means[k])))
        if not shared and not spherical:
            rows += _covariance_rows(covariances[k], short, diagonal)
        lines += grid(short, rows)
    if shared:
        if spherical:
            lines.append(f"variance shared by every component: {covariances[0][0, 0]:.5g}")
        else:
            lines.append("covariance shared by every component:")
            lines += grid(short, _covariance_rows(covariances[0], short, diagonal, heading=False))
    if p.noise is not None:
        lines.append(
            f"noise component (label -1): weight {p.noise.weight:.4f}, uniform over a volume "
            f"of {np.exp(p.noise.log_volume):.5g}"
        )
    return "\n".join(lines)


def _progress_line(result: FitResult) -> str:
    spec = result.spec
    if engine_class(spec.engine).iteration != ITERATE_SAMPLING:
        return (
            f"  iterations {result.n_iter}, converged {result.converged}, objective per sample "
            f"{result.lower_bound:.6f}"
        )
    sample = posterior_draws(result)
    check = draws_mixing(spec.engine, sample)
    assert check is not None  # a sampling engine's draws are chains
    return (
        f"  {sample.n_chains} chains x {sample.n_draws // sample.n_chains} draws (warmup "
        f"{spec.n_warmup}, thin {spec.thin}), relabelled; parameters below are posterior means. "
        f"Weights and means: largest R-hat {check.max_rhat:.4f}, smallest bulk ESS "
        f"{check.min_ess_bulk:.0f}: {'mixed' if check.mixed else 'DID NOT MIX'}"
    )


def _covariance_rows(covariance: np.ndarray, names: list[str], diagonal: bool, heading=True):
    if diagonal:
        return [("variance", np.diag(covariance))]
    rows = [(f"  {name}" if heading else name, row) for name, row in zip(names, covariance)]
    return [("covariance", None), *rows] if heading else rows


def _training_scores_line(result: FitResult) -> str:
    quantiles = result.score_quantiles
    if quantiles is None:
        return "  training log-density quantiles: not stored (no anomaly thresholds)"
    # in the data's units, as `bayesgmm score` reports log-densities and thresholds
    scaling = result.standardization
    shift = 0.0 if scaling is None else scaling.log_jacobian
    shown = ", ".join(
        f"{label} {quantiles.threshold(percentile) + shift:.5g}"
        for label, percentile in (("lowest", 0), ("1%", 1), ("5%", 5), ("median", 50))
    )
    units = "" if scaling is None else " (x units)"
    return f"  training log-density{units}: {shown}"


def _wrapped(sentences: list[str]) -> list[str]:
    lines = []
    for sentence in sentences:
        indent = sentence[: len(sentence) - len(sentence.lstrip())]
        lines += textwrap.wrap(
            sentence.strip(),
            LINE_WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_on_hyphens=False,
        )
    return lines


def shorten(name: str, width: int = NAME_WIDTH) -> str:
    """``name`` if it fits in ``width`` characters, else its start and end around ``..``."""
    if len(name) <= width:
        return name
    tail = (width - 2) // 2
    return f"{name[: width - 2 - tail]}..{name[-tail:]}"


def grid(
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[float] | np.ndarray | None]],
    indent: str = _INDENT,
    width: int = LINE_WIDTH,
) -> list[str]:
    """``rows`` (a label and a value per column, or None for a label alone) under ``columns``,
    numbers as ``.5g``, split into blocks of columns so that no line exceeds ``width``.

    Column names wider than the numbers (and than :data:`HEADER_WIDTH`) are shortened.
    """
    cells = [None if values is None else [f"{v:.5g}" for v in values] for _, values in rows]
    numbers = max([len(c) for row in cells if row for c in row], default=0)
    columns = [shorten(c, max(numbers, HEADER_WIDTH)) for c in columns]
    cell = max([numbers] + [len(c) for c in columns])
    label = max(len(name) for name, _ in rows)
    per_line = max(1, (width - len(indent) - label) // (cell + 2))
    lines = []
    for start in range(0, len(columns), per_line):
        block = slice(start, start + per_line)
        lines.append(
            (indent + " " * label + "".join(f"  {c:>{cell}}" for c in columns[block])).rstrip()
        )
        for (name, _), row in zip(rows, cells):
            values = "" if row is None else "".join(f"  {c:>{cell}}" for c in row[block])
            lines.append(f"{indent}{name:<{label}}{values}".rstrip())
    return lines
