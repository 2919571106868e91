"""Safeguards against degenerate data and numerical traps.

What bayesgmm does, and why, is written up in ``docs/robustness.md``.  In short:

* **Empty components are re-seeded by splitting.**  When a component's
  expected count falls below :data:`EMPTY_COMPONENT_ROWS` rows, the statistics
  of the component with the most spread (count times its largest variance) are
  split in two along that component's principal axis, and one half replaces the
  empty component's statistics.  Working on :class:`~bayesgmm.stats.SuffStats`,
  before the engine's own update, makes this engine-agnostic and needs no extra
  pass over the data.  The split keeps the pooled moments (count, mean, scatter)
  exactly, so a tied covariance is unchanged.  An engine that wants empty
  components left alone (variational Bayes prunes them on purpose) sets
  ``Engine.reseeds_empty_components = False``.
* **Data whose squares overflow or underflow float64 are refused**, and a
  ``reg_covar`` that is not small against a feature's variance is warned about:
  ``reg_covar`` is an absolute variance in the data's squared units, as in
  scikit-learn.
* **Rows too far from every component for float64** still get finite
  responsibilities that sum to 1 (the nearest component in Mahalanobis distance
  takes them) and a log-density of ``-inf``, never NaN.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from ..exceptions import ComponentReseed, DataScaleWarning, EmptyComponentWarning
from ..stats import GaussianTerms, SuffStats, accumulate, log_rho

# A component holding less than this many rows' worth of responsibility (in
# units of the mean row weight) is empty: it no longer estimates anything, its
# M-step is dominated by the 10 * eps guard, and it would sit unused.
EMPTY_COMPONENT_ROWS = 1e-6

# A half-normal's mean is sqrt(2/pi) sigma and its variance (1 - 2/pi) sigma^2:
# splitting a Gaussian into its two halves along an axis moves each half's mean
# by sqrt(2/pi) sigma and keeps the pooled variance exactly.
_SPLIT_FRACTION = 2.0 / np.pi

# Features must spread over [1e-100, 1e100]: squared deviations summed over
# millions of rows then stay far from float64's overflow (1.8e308) and underflow.
MIN_FEATURE_SPREAD = 1e-100
MAX_FEATURE_SPREAD = 1e100

# Warn when reg_covar adds more than this fraction to a feature's total variance
# (and so more still to each component's variance along that feature).
REG_COVAR_WARN_FRACTION = 0.01


class EmptyComponents:
    """Detects and re-seeds empty components for one run of the loop.

    Parameters
    ----------
    n_components : int
    min_count : float
        A component with a smaller expected count is empty.
    enabled : bool
        False leaves empty components alone (the engine's choice).
    """

    def __init__(self, n_components: int, min_count: float, enabled: bool = True):
        self.n_components = n_components
        self.min_count = float(min_count)
        self.enabled = enabled
        # at most n_components splits per run: components that keep emptying after
        # that are telling us the data hold fewer clusters than components
        self.budget = n_components
        self.events: list[ComponentReseed] = []
        self._given_up: dict[int, str] = {}  # component -> why it could not be re-seeded

    @classmethod
    def for_engine(cls, engine: Any, n_rows: int, total_weight: float) -> EmptyComponents:
        mean_row_weight = total_weight / max(n_rows, 1)
        # With pruning asked for (spec.prune), an emptied component is what pruning
        # removes: re-seeding it would keep a component the user wants gone.
        pruning = getattr(engine.spec, "prune", None) is not None
        return cls(
            engine.n_components,
            EMPTY_COMPONENT_ROWS * mean_row_weight,
            getattr(engine, "reseeds_empty_components", True) and not pruning,
        )

    def reseed(self, stats: SuffStats, iteration: int) -> tuple[SuffStats, bool]:
        """Statistics with every empty component re-seeded; True if any was."""
        if not self.enabled:
            return stats, False
        changed = False
        for k in np.flatnonzero(stats.nk < self.min_count):
            k = int(k)
            if k in self._given_up:
                continue
            parent = _component_to_split(stats, self.min_count) if self.budget > 0 else None
            if parent is None:
                self._given_up[k] = (
                    "no component has any spread left to split"
                    if self.budget > 0
                    else f"this run already re-seeded {self.n_components} times"
                )
                self.events.append(ComponentReseed(iteration, k, None))
                continue
            stats = split_component(stats, parent, k)
            self.budget -= 1
            self.events.append(ComponentReseed(iteration, k, parent))
            changed = True
        return stats, changed

    def warn(self, stacklevel: int = 2) -> None:
        """One :class:`EmptyComponentWarning` describing every event of this run, if any."""
        if not self.events:
            return
        lines = []
        for event in self.events:
            when = "at initialisation" if event.iteration == 0 else f"at iteration {event.iteration}"
            if event.split is None:
                lines.append(
                    f"component {event.component} lost all its points {when} and could not be "
                    f"re-seeded ({self._given_up[event.component]}); it keeps a weight of about 0"
                )
            else:
                lines.append(
                    f"component {event.component} lost all its points {when} and was re-seeded "
                    f"by splitting component {event.split} along its principal axis"
                )
        advice = (
            " The data may hold fewer distinct clusters than n_components: consider fewer "
            "components, or a different init_params or random_state."
        )
        warnings.warn(
            EmptyComponentWarning(_sentence("; ".join(lines)) + advice, self.events),
            stacklevel=stacklevel + 1,
        )


def _component_moments(stats: SuffStats) -> tuple[np.ndarray, np.ndarray]:
    """Each component's own mean and maximum-likelihood covariance (kernel form)."""
    counts = np.where(stats.nk > 0, stats.nk, 1.0)
    means, scatter = stats.weighted_means(counts)
    return means, scatter / counts.reshape((-1,) + (1,) * (scatter.ndim - 1))


def _principal_axis(covariance: np.ndarray) -> tuple[float, np.ndarray]:
    """Largest variance and its unit direction (``diag`` kernel: the largest diagonal)."""
    if covariance.ndim == 1:
        axis = int(np.argmax(covariance))
        direction = np.zeros_like(covariance)
        direction[axis] = 1.0
        return float(covariance[axis]), direction
    values, vectors = np.linalg.eigh(covariance)
    return float(values[-1]), vectors[:, -1]


def _component_to_split(stats: SuffStats, min_count: float) -> int | None:
    """The non-empty component with the most spread (count x largest variance), if any has some."""
    means, covariances = _component_moments(stats)
    best, best_score = None, 0.0
    for j in np.flatnonzero(stats.nk >= min_count):
        variance, _ = _principal_axis(covariances[j])
        # a spread at round-off level of the mean's magnitude is no spread: its halves
        # would coincide and share the points forever
        resolution = 64 * np.finfo(np.float64).eps * np.abs(means[j]).max()
        if not variance > resolution**2:
            continue
        score = stats.nk[j] * variance
        if score > best_score:
            best, best_score = int(j), score
    return best


def split_component(stats: SuffStats, parent: int, empty: int) -> SuffStats:
    """Statistics with ``parent`` split in two halves along its principal axis.

    One half stays in ``parent``'s slot, the other replaces ``empty``'s
    statistics.  The halves have half the count each, means ``m +- sqrt(2
    lambda / pi) v`` and covariance ``C - (2 / pi) lambda v v^T``, so their
    pooled count, mean and scatter equal the parent's exactly.
    """
    means, covariances = _component_moments(stats)
    variance, direction = _principal_axis(covariances[parent])
    offset = np.sqrt(_SPLIT_FRACTION * variance) * direction
    if stats.is_diagonal:
        child_covariance = covariances[parent] - _SPLIT_FRACTION * variance * direction**2
    else:
        child_covariance = covariances[parent] - _SPLIT_FRACTION * variance * np.outer(direction, direction)
    half = stats.nk[parent] / 2.0
    center = stats.center[parent]
    nk, sx, sxx, centers = stats.nk.copy(), stats.sx.copy(), stats.sxx.copy(), stats.center.copy()
    for slot, mean in ((parent, means[parent] + offset), (empty, means[parent] - offset)):
        deviation = mean - center
        nk[slot] = half
        sx[slot] = half * deviation
        if stats.is_diagonal:
            sxx[slot] = half * (child_covariance + deviation**2)
        else:
            sxx[slot] = half * (child_covariance + np.outer(deviation, deviation))
        centers[slot] = center
    return dataclasses.replace(stats, nk=nk, sx=sx, sxx=sxx, center=centers)


# --------------------------------------------------------------------------- data checks
def check_fit_data(
    X: np.ndarray, sample_weight: np.ndarray | None, n_components: int, reg_covar: float
) -> None:
    """Refuse data a fit cannot handle in float64; warn when ``reg_covar`` dominates a feature.

    Raises
    ------
    ValueError
        fewer rows with positive weight than components; a feature whose
        spread would overflow or underflow float64 once squared.

    Warns
    -----
    DataScaleWarning
        ``reg_covar`` adds more than 1% to some non-constant feature's variance.
    """
    if sample_weight is not None:
        positive = int(np.count_nonzero(sample_weight))
        if positive < n_components:
            raise ValueError(
                f"sample_weight is positive for only {positive} rows but n_components="
                f"{n_components}; each component needs at least one row that carries weight: "
                "use fewer components or give more rows a positive weight"
            )
    # float64 so that a float32 range cannot overflow when subtracted
    spread = X.max(axis=0).astype(np.float64) - X.min(axis=0).astype(np.float64)
    too_wide = np.flatnonzero(spread > MAX_FEATURE_SPREAD)
    if too_wide.size:
        j = too_wide[0]
        raise ValueError(
            f"feature {j} of X spans {spread[j]:.3g}: squared deviations that large overflow "
            f"float64. Rescale X (e.g. standardise each feature) so that every feature spans "
            f"less than {MAX_FEATURE_SPREAD:.0e}"
        )
    varying = spread > 0
    too_narrow = np.flatnonzero(varying & (spread < MIN_FEATURE_SPREAD))
    if too_narrow.size:
        j = too_narrow[0]
        raise ValueError(
            f"feature {j} of X spans only {spread[j]:.3g}: squared deviations that small "
            f"underflow float64. Rescale X (e.g. standardise each feature) so that every "
            f"non-constant feature spans more than {MIN_FEATURE_SPREAD:.0e}"
        )
    if reg_covar > 0 and varying.any():
        variances = feature_variances(X, sample_weight)
        dominated = np.flatnonzero(varying & (reg_covar > REG_COVAR_WARN_FRACTION * variances))
        if dominated.size:
            j = dominated[np.argmin(variances[dominated])]
            warnings.warn(
                DataScaleWarning(
                    f"reg_covar={reg_covar:g} is {reg_covar / variances[j]:.3g} times the variance "
                    f"of feature {j} ({variances[j]:.3g}). reg_covar is an absolute variance in "
                    "the data's squared units (as in scikit-learn), so it will inflate the "
                    "covariances and blur the components. Standardise X, or set reg_covar to "
                    f"about 1e-6 times the smallest feature variance (here {1e-6 * variances[j]:.3g})"
                ),
                stacklevel=3,
            )


def feature_variances(X: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Weighted per-feature variances (divided by the total weight), in one kernel pass."""
    D = X.shape[1]
    if sample_weight is None:
        mean = X.mean(axis=0, dtype=np.float64)
    else:
        mean = (sample_weight @ X) / sample_weight.sum()
    # a one-component diag E-step about the mean: moments about it, no copy of X
    terms = GaussianTerms(mean[None], np.ones((1, D)), np.zeros(1), "diag")
    stats = accumulate(X, terms, sample_weight)
    return stats.shifted_scatter(stats.sx / stats.nk[:, None])[0] / stats.nk[0]


def check_warm_start(spec: Any, previous: Any) -> None:
    """A warm start continues ``previous``: it must be the same kind of model."""
    # a pruned fit has fewer components than asked for and continues with the survivors
    pruned_from_this = previous.pruning is not None and previous.n_components < spec.n_components
    compared = ("covariance_type", "engine") if pruned_from_this else (
        "n_components", "covariance_type", "engine")
    changed = [
        f"{name}={getattr(spec, name)!r} (previous fit: {getattr(previous.spec, name)!r})"
        for name in compared
        if getattr(spec, name) != getattr(previous.spec, name)
    ]
    if changed:
        raise ValueError(
            "warm_start=True continues the previous fit, but this fit asks for "
            + ", ".join(changed)
            + ". Set warm_start=False to start afresh, or restore those parameters"
        )


# ------------------------------------------------------------------ far-away rows
def log_responsibilities(X: np.ndarray, terms: GaussianTerms) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-density (N,) and log-responsibilities (N, K), never NaN for finite X.

    Rows so far from every component that their squared Mahalanobis distances
    overflow float64 (or whose deviations overflow) have a log-density of
    ``-inf`` (the true value is below -1e308) and are given to the component
    nearest in Mahalanobis distance, computed on rescaled deviations.
    """
    rho = log_rho(X, terms)
    # with finite X and parameters a NaN can only come from an overflowed deviation
    # (inf - inf, inf * 0): that component's density underflows to 0
    rho[np.isnan(rho)] = -np.inf
    bad = ~np.isfinite(rho).any(axis=1)
    rho[bad] = 0.0  # replaced below
    # normalise about the row maximum rather than subtracting logsumexp: far from the
    # components |log rho| is huge and "rho - (top + log(sum))" would round log(sum) away,
    # leaving responsibilities that sum to K instead of 1
    top = rho.max(axis=1, keepdims=True)
    shifted = rho - top
    log_total = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_resp = shifted - log_total
    norm = (top + log_total)[:, 0]
    if bad.any():
        log_resp[bad] = _far_rows_log_responsibilities(X[bad], terms)
        norm[bad] = -np.inf
    return norm, log_resp


def _far_rows_log_responsibilities(rows: np.ndarray, terms: GaussianTerms) -> np.ndarray:
    rows = rows.astype(np.float64)
    # scale deviations into range: (x - m) / s is computed as x / s - m / s, which cannot overflow
    scale = np.maximum(np.abs(rows).max(axis=1), np.abs(terms.means).max())[:, None]
    K = terms.means.shape[0]
    distance = np.empty((rows.shape[0], K))
    for k in range(K):
        deviation = rows / scale - terms.means[k] / scale
        whitened = terms.kernel.whiten(deviation, terms.factor[k])
        distance[:, k] = np.einsum("nd,nd->n", whitened, whitened)
    # the true log rho are log_offset - 0.5 s^2 distance, all below -1e308: the
    # smallest distance wins outright, exact ties share
    nearest = distance == distance.min(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.log(nearest / nearest.sum(axis=1, keepdims=True))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
