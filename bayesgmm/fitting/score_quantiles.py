"""The training rows' log-density quantiles: the anomaly thresholds a fit carries with it.

A threshold for anomalies must come from the rows the model describes, not from
the batch being scored: the 5th percentile of a batch flags 5% of any batch,
however far from the model all of its rows are.  So a fit ends by scoring its
own training rows (:mod:`bayesgmm.data.scores`) and keeps their log-density at
the percentiles :data:`PERCENTILES` (0: the lowest, 100: the highest), sample-weighted
when the fit was.  They are saved with the fit, read back bit for bit, and give
:meth:`ScoreQuantiles.threshold` for any percentile.

Definition
----------
The P-th percentile is the lowest training log-density at or below which at
least P% of the training weight lies: ``numpy.percentile(scores, P,
weights=sample_weight, method="inverted_cdf")``, R's type 1.  So flagging the
rows at or below it flags ``ceil(P / 100 * N)`` of N unweighted training rows
(without ties), each threshold is a training row's own log-density, and a row of
weight 2 counts exactly as the row twice (scikit-learn's
``check_sample_weight_equivalence``); multiplying every weight by one constant
changes nothing, and rows of weight 0 take no part.

A percentile between two stored ones is interpolated linearly between them
(:meth:`ScoreQuantiles.describe` says so).

In a result Dataset: the variable ``training_score_quantiles`` on the dim
``score_percentile`` (its coordinate: the percentiles), with the attributes
``n_rows`` (rows scored), ``weighted`` and ``sampled`` (0 or 1).  A file
without it (written before bayesgmm stored it, or a ``partial_fit`` result,
which never sees all its rows at once) has no training thresholds.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import xr
from ..data.scores import RowScores
from ..exceptions import SavedFitError

PERCENTILES = np.array([0, 0.1, 0.2, 0.5, 1, 2, 3, 4, 5, 10, 15, 20, 25, 50, 75, 100], dtype=float)
"""The percentiles stored: dense in the low tail, where anomaly thresholds lie."""

VARIABLE = "training_score_quantiles"
DIM = "score_percentile"


@dataclass(frozen=True, eq=False)
class ScoreQuantiles:
    """Log-density of the training rows at fixed percentiles.

    Attributes
    ----------
    percentiles : (m,) float, increasing, in [0, 100]
    values : (m,) float, non-decreasing: the log-density at each percentile
        (-inf for rows too far from every component for float64)
    n_rows : int
        Rows the quantiles were computed from (of positive weight).
    weighted : bool
        Whether the rows carried sample weights.
    sampled : bool
        Whether the rows were a weighted sample of the training rows (a Dask
        fit of more than 1e7 rows) rather than all of them.
    """

    percentiles: np.ndarray
    values: np.ndarray
    n_rows: int
    weighted: bool = False
    sampled: bool = False

    def __post_init__(self) -> None:
        p, v = self.percentiles, self.values
        problem = None
        if p.ndim != 1 or p.shape != v.shape or p.size == 0:
            problem = f"shapes {p.shape} and {v.shape}; expected two equal, non-empty vectors"
        elif not (np.all(np.isfinite(p)) and p[0] >= 0 and p[-1] <= 100 and np.all(np.diff(p) > 0)):
            problem = "the percentiles must increase strictly within [0, 100]"
        elif np.any(np.isnan(v)) or np.any(v == np.inf) or not np.all(v[1:] >= v[:-1]):
            problem = "the values must be non-decreasing, neither NaN nor +inf"
        elif self.n_rows < 1:
            problem = f"n_rows is {self.n_rows}"
        if problem:
            raise SavedFitError(f"the training score quantiles are damaged: {problem}")

    @classmethod
    def of(cls, scores: RowScores) -> ScoreQuantiles | None:
        """The quantiles of scored rows; None if no row has positive weight."""
        values, weights = np.asarray(scores.log_density, dtype=np.float64), scores.weights
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float64)
            kept = weights > 0
            values, weights = values[kept], weights[kept]
        if values.size == 0:
            return None
        return cls(
            PERCENTILES.copy(),
            weighted_percentiles(values, weights, PERCENTILES),
            int(values.size),
            weights is not None,
            bool(scores.sampled),
        )

    def threshold(self, percentile: float) -> float:
        """The training rows' log-density at ``percentile`` (in [0, 100]).

        A stored percentile gives its stored value; one between two stored ones
        is interpolated linearly between them.
        """
        percentile = check_percentile(percentile)
        return float(_interpolate(np.array([percentile]), self.percentiles, self.values)[0])

    def describe(self, percentile: float) -> str:
        """Where :meth:`threshold` comes from, in words (for messages and the command line)."""
        percentile = check_percentile(percentile)
        rows = f"{self.n_rows} training rows"
        if self.sampled:
            rows = f"a weighted sample of {self.n_rows} training rows"
        elif self.weighted:
            rows = f"the {self.n_rows} training rows, sample-weighted"
        else:
            rows = f"the {rows}"
        if percentile == 0:
            what = "the lowest log-density of"
        else:
            what = f"the {ordinal(percentile)} percentile of the log-density of"
        text = f"{what} {rows}"
        stored = self.percentiles
        if not np.any(stored == percentile) and stored[0] < percentile < stored[-1]:
            upper = int(np.searchsorted(stored, percentile))
            text += (
                f", interpolated between the stored {stored[upper - 1]:g}% and "
                f"{stored[upper]:g}% values"
            )
        return text

    def to_variables(self) -> dict[str, xr.Variable]:
        """The quantiles as Dataset variables (the coordinate and the values)."""
        attrs = {
            "long_name": "log-density of the training rows at each percentile "
            "(0: the lowest; sample-weighted if the fit was)",
            "n_rows": int(self.n_rows),
            "weighted": int(self.weighted),
            "sampled": int(self.sampled),
        }
        return {
            DIM: xr.Variable((DIM,), self.percentiles, attrs={"units": "percent"}),
            VARIABLE: xr.Variable((DIM,), self.values, attrs=attrs),
        }

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> ScoreQuantiles | None:
        """Read the quantiles back; None if the Dataset has none.  A damaged record raises
        :class:`~bayesgmm.exceptions.SavedFitError` (a ``ValueError``)."""
        if VARIABLE not in ds.variables:
            return None
        variable = ds[VARIABLE]
        values = np.asarray(variable.values)
        percentiles = np.asarray(ds[DIM].values) if DIM in ds.variables else np.empty(0)
        if (
            variable.dims != (DIM,)
            or values.dtype.kind != "f"
            or percentiles.dtype.kind not in "fiu"
        ):
            raise SavedFitError(
                f"the training score quantiles are damaged: variable {VARIABLE!r} must hold "
                f"floats on dim {DIM!r} with its percentile coordinate"
            )
        flags = {
            name: _integer_attr(variable.attrs, name) for name in ("n_rows", "weighted", "sampled")
        }
        if flags["weighted"] not in (0, 1) or flags["sampled"] not in (0, 1):
            raise SavedFitError(
                "the training score quantiles are damaged: bad 'weighted'/'sampled'"
            )
        return cls(
            percentiles.astype(np.float64),
            values.astype(np.float64),
            flags["n_rows"],
            bool(flags["weighted"]),
            bool(flags["sampled"]),
        )


def weighted_percentiles(
    values: np.ndarray, weights: np.ndarray | None, percentiles: np.ndarray
) -> np.ndarray:
    """The ``percentiles`` of ``values`` weighted by ``weights``, as the module docstring says."""
    return np.percentile(values, percentiles, weights=weights, method="inverted_cdf")


def _interpolate(at: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``numpy.interp``, but between -inf and a number it gives -inf (not NaN)."""
    upper = np.clip(np.searchsorted(x, at, side="right"), 1, x.size - 1) if x.size > 1 else None
    if upper is None:
        return np.full(at.shape, y[0])
    lower = upper - 1
    span = x[upper] - x[lower]
    t = np.clip((at - x[lower]) / span, 0.0, 1.0)
    low, high = y[lower], y[upper]
    with np.errstate(invalid="ignore"):
        result = np.where(t == 0, low, np.where(t == 1, high, low + t * (high - low)))
    return np.where(np.isneginf(low) & (t < 1), -np.inf, result)


def check_percentile(percentile: Any) -> float:
    """``percentile`` as a float in [0, 100], or a ``ValueError`` saying what is wrong."""
    value = float(percentile) if isinstance(percentile, numbers.Real) else float("nan")
    if isinstance(percentile, bool) or not 0 <= value <= 100:
        raise ValueError(f"percentile must be a number in [0, 100] (e.g. 5), got {percentile!r}")
    return value


def ordinal(percentile: float) -> str:
    """``5`` -> ``"5th"``, ``1`` -> ``"1st"``, ``0.5`` -> ``"0.5th"``, ``22`` -> ``"22nd"``."""
    text = f"{percentile:g}"
    if not float(percentile).is_integer() or 10 <= int(percentile) % 100 <= 20:
        return text + "th"
    return text + {1: "st", 2: "nd", 3: "rd"}.get(int(percentile) % 10, "th")


def _integer_attr(attrs: dict, name: str) -> int:
    value = attrs.get(name)
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not float(value).is_integer()
    ):
        raise SavedFitError(
            f"the training score quantiles are damaged: attribute {name!r} is {value!r}, "
            "expected an integer"
        )
    return int(value)
