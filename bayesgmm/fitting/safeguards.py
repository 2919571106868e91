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

The checks of the data themselves (scales that overflow float64, a dominating
``reg_covar``) are made once for every entry point by the data layer
(:mod:`bayesgmm.data.checks`); rows too far from every component for float64
are handled by :func:`bayesgmm.densities.log_responsibilities`.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from ..exceptions import ComponentReseed, EmptyComponentWarning
from ..stats import SuffStats

# A component holding less than this many rows' worth of responsibility (in
# units of the mean row weight) is empty: it no longer estimates anything, its
# M-step is dominated by the 10 * eps guard, and it would sit unused.
EMPTY_COMPONENT_ROWS = 1e-6

# A half-normal's mean is sqrt(2/pi) sigma and its variance (1 - 2/pi) sigma^2:
# splitting a Gaussian into its two halves along an axis moves each half's mean
# by sqrt(2/pi) sigma and keeps the pooled variance exactly.
_SPLIT_FRACTION = 2.0 / np.pi


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
        if not self.enabled or stats.nk.min() >= self.min_count:  # the usual case, at once
            return stats, False
        changed = False
        for component in np.flatnonzero(stats.nk < self.min_count):
            k = int(component)
            if k in self._given_up:
                continue
            parent = _component_to_split(stats, self.min_count) if self.budget > 0 else None
            if parent is None:
                self._given_up[int(k)] = (
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
            when = (
                "at initialisation" if event.iteration == 0 else f"at iteration {event.iteration}"
            )
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
        child_covariance = covariances[parent] - _SPLIT_FRACTION * variance * np.outer(
            direction, direction
        )
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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
