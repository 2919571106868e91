"""Data sources: where the statistics pass of the fitting loop reads its rows from.

The loop in :mod:`bayesgmm.fitting` never touches the data itself.  It asks a
:class:`DataSource` for the few things a fit needs:

* :meth:`~DataSource.accumulate` -- one E-step pass folded into additive
  :class:`~bayesgmm.stats.SuffStats`;
* :meth:`~DataSource.moments` -- the data's mean and covariance (for engines
  whose prior defaults depend on the data), computed at most once per source
  (a sweep of many fits on one source pays one pass);
* :meth:`~DataSource.initial_statistics` -- the statistics of a first guess of
  the responsibilities (:meth:`~DataSource.given_statistics`: of the user's);
* :meth:`~DataSource.batches` -- the data split into shuffled mini-batches,
  each a source again, for mini-batch EM.

:class:`InMemoryData` serves a NumPy array; :class:`bayesgmm.data.distributed.DaskData`
serves a Dask array chunk by chunk on a cluster.  Both honour sample weights:
a row's weight multiplies everything it contributes.

:meth:`~DataSource.weighted_rows`, :meth:`~DataSource.feature_spread` and
:meth:`~DataSource.feature_variances` are what :func:`bayesgmm.data.checks.check_data`
asks of a source, the same checks for every kind of source.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np

from ..stats import GaussianTerms, SuffStats, accumulate
from .allocation import allocate
from .hierarchical import HC_SUBSET, HierarchicalTree, hierarchical_tree
from .init import (
    hierarchical_statistics,
    initial_labels_or_responsibilities,
    statistics_from_assignment,
)
from .moments import DataMoments, data_moments, feature_variances
from .noise import log_hypervolume, nearest_neighbour_noise
from .scores import RowScores, log_densities


class DataSource(ABC):
    """The protocol of a data source (see the module docstring).

    Attributes
    ----------
    n_samples : int
        Number of rows.
    n_features : int
        Number of columns.
    total_weight : float
        Number of rows, or the sum of their sample weights.
    """

    n_samples: int
    n_features: int
    total_weight: float
    # whether :meth:`allocate` (the Gibbs sampler's pass) is implemented
    can_allocate: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_features)``, as an array's."""
        return self.n_samples, self.n_features

    @property
    def dtype(self) -> np.dtype:
        """The rows' float dtype (float32 or float64): the estimator returns its parameters in it."""
        rows = getattr(self, "X", None)
        return np.dtype(getattr(rows, "dtype", np.float64))

    @abstractmethod
    def accumulate(self, terms: GaussianTerms) -> SuffStats:
        """One pass over every row: the E-step at ``terms`` folded into statistics."""

    def moments(self) -> DataMoments:
        """Weighted mean and covariance of the rows, computed on the first call only."""
        cached = getattr(self, "_moments", None)
        if cached is None:
            cached = self._moments = self._compute_moments()
        return cached

    @abstractmethod
    def _compute_moments(self) -> DataMoments:
        """One pass for :meth:`moments` (see :mod:`bayesgmm.data.moments`)."""

    def weighted_rows(self) -> int | None:
        """Number of rows of positive weight; None when unweighted or unknown."""
        return None

    def feature_spread(self) -> np.ndarray | None:
        """Each feature's ``max - min`` in float64; None if the source cannot tell."""
        return None

    def feature_variances(self) -> np.ndarray | None:
        """Each feature's weighted variance (over the total weight); None if unknown."""
        return None

    def row_scores(self, terms: GaussianTerms) -> RowScores | None:
        """Each row's log-density at ``terms`` and its weight (:mod:`bayesgmm.data.scores`);
        None if the source cannot tell, and the fit then carries no anomaly thresholds."""
        return None

    @abstractmethod
    def initial_statistics(
        self, n_components: int, method: str, diagonal: bool, rng: np.random.Generator
    ) -> SuffStats:
        """Statistics of the first responsibilities chosen by ``method`` (see :mod:`bayesgmm.data.init`)."""

    def given_statistics(
        self, responsibilities: np.ndarray, n_components: int, diagonal: bool
    ) -> SuffStats:
        """Statistics of a user-given start: labels (N,) or responsibilities (N, K), validated
        by :func:`bayesgmm.data.responsibilities.check_responsibilities`."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot start from responsibilities_init; fit in-memory or "
            "Dask data, or use init_params"
        )

    @abstractmethod
    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[DataSource]:
        """One pass over the rows in mini-batches, in an order drawn from ``rng``."""

    # ------------------------------------------------- the noise component (data/noise.py)
    def noise_log_volume(self) -> float:
        """The log of mclust's ``hypvol`` of the rows of positive weight."""
        raise NotImplementedError(
            f"noise=True is not available for {type(self).__name__} yet: its volume and start "
            "need the rows in memory; fit an in-memory array, or give noise_volume and "
            "noise_init with in-memory data"
        )

    def noise_guess(self) -> np.ndarray:
        """A boolean mask of the rows that start in the noise component (nearest neighbours)."""
        raise NotImplementedError(
            f"noise=True is not available for {type(self).__name__} yet; fit an in-memory array"
        )

    def rows_without(self, mask: np.ndarray) -> DataSource:
        """The source of the rows not flagged in ``mask`` (the Gaussians' start)."""
        raise NotImplementedError(
            f"noise=True is not available for {type(self).__name__} yet; fit an in-memory array"
        )

    def allocate(
        self,
        terms: GaussianTerms,
        rng: np.random.Generator,
        pivot: np.ndarray | None = None,
        allocation: np.ndarray | None = None,
    ) -> tuple[SuffStats, np.ndarray]:
        """One Gibbs pass: every row's component drawn at ``terms`` (one uniform per row from
        ``rng``), folded into hard-allocation statistics; see :func:`bayesgmm.data.allocation.allocate`."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot run the Gibbs sampler's pass yet; fit in-memory data "
            "(a NumPy array) with engine='gibbs'"
        )


class InMemoryData(DataSource):
    """Rows held in memory as one validated array.

    The hierarchical tree of ``init_params="hc"`` is always remembered: one
    tree serves every number of components (a tree on a random subset, for
    more than 2000 weighted rows, is keyed by the generator's state, as the
    starts are).  Holds O(n) numbers per tree.

    Parameters
    ----------
    X : (n_samples, n_features) C-contiguous float32 or float64 array, finite
    sample_weight : (n_samples,) float64 array of non-negative weights, or None
    reuse_starts : bool, default False
        Remember the hard-label starts (k-means and the other labelling
        methods) this source has computed, keyed by the number of components,
        the method and the random generator's state before the draw; a later
        request with the same key gets the same statistics, and the generator
        is moved on to the state the draw left, without running k-means again.
        The fits are therefore exactly those without reuse.  :func:`bayesgmm.select`
        sets it: every covariance type and engine of one K starts from the same
        partition.  Holds O(K D^2) numbers per start.
    """

    can_allocate = True

    def __init__(
        self, X: np.ndarray, sample_weight: np.ndarray | None = None, *, reuse_starts: bool = False
    ):
        self.X = X
        self.sample_weight = sample_weight
        self.n_samples, self.n_features = X.shape
        self.total_weight = (
            float(X.shape[0]) if sample_weight is None else float(sample_weight.sum())
        )
        self._starts: dict | None = {} if reuse_starts else None
        self._trees: dict = {}

    def accumulate(self, terms: GaussianTerms) -> SuffStats:
        return accumulate(self.X, terms, self.sample_weight)

    @property
    def given_rows(self) -> np.ndarray:
        """The rows as given, for what scores them anew (criteria): ``X`` itself here;
        with missing values, their NaN (:class:`~bayesgmm.data.incomplete.IncompleteData`)."""
        return self.X

    def allocate(self, terms, rng, pivot=None, allocation=None):
        uniforms = rng.random(self.n_samples)
        return allocate(
            self.X, terms, uniforms, self.sample_weight, pivot=pivot, allocation=allocation
        )

    def _compute_moments(self) -> DataMoments:
        return data_moments(self.X, self.sample_weight)

    def row_scores(self, terms: GaussianTerms) -> RowScores:
        return RowScores(log_densities(self.X, terms), self.sample_weight, False)

    def weighted_rows(self) -> int | None:
        return None if self.sample_weight is None else int(np.count_nonzero(self.sample_weight))

    def feature_spread(self) -> np.ndarray:
        # float64 so that a float32 range cannot overflow when subtracted
        return self.X.max(axis=0).astype(np.float64) - self.X.min(axis=0).astype(np.float64)

    def feature_variances(self) -> np.ndarray:
        return feature_variances(self.X, self.sample_weight)

    def initial_statistics(self, n_components, method, diagonal, rng):
        key = None
        if self._starts is not None:
            key = (n_components, method, _generator_key(rng))
            if key in self._starts:
                stats, state_after = self._starts[key]
                rng.bit_generator.state = state_after
                return _in_form(stats, diagonal)
        X, weights = self.X, self.sample_weight
        if weights is not None and not weights.all():
            # Rows of weight zero take no part: the start, and so the fit, is the
            # one the data without them would give.
            kept = np.flatnonzero(weights)
            X, weights = X[kept], weights[kept]
        if X.shape[0] < n_components:
            raise ValueError(
                f"only {X.shape[0]} rows have a positive sample_weight but n_components="
                f"{n_components}; a mixture needs at least one weighted row per component"
            )
        if method == "hc":
            tree = self._tree(X, rng)
            stats = hierarchical_statistics(tree, X, n_components, weights, self.total_weight)
        else:
            labels, resp = initial_labels_or_responsibilities(X, n_components, method, rng)
            if key is None or labels is None:  # soft responsibilities (N x K) are not kept
                return statistics_from_assignment(X, n_components, diagonal, labels, resp, weights)
            # kept in the full form: a diagonal start is its diagonal, as
            # statistics_from_assignment computes it from hard labels
            stats = statistics_from_assignment(X, n_components, False, labels, None, weights)
        if key is not None:
            self._starts[key] = (stats, rng.bit_generator.state)
        return _in_form(stats, diagonal)

    def _positive_rows(self) -> np.ndarray:
        if self.sample_weight is None or self.sample_weight.all():
            return self.X
        return self.X[np.flatnonzero(self.sample_weight)]

    def noise_log_volume(self) -> float:
        if getattr(self, "_noise_log_volume", None) is None:
            self._noise_log_volume = log_hypervolume(self._positive_rows())
        return self._noise_log_volume

    def noise_guess(self) -> np.ndarray:
        if getattr(self, "_noise_guess", None) is None:
            mask = np.zeros(self.n_samples, dtype=bool)
            positive = (
                np.arange(self.n_samples)
                if self.sample_weight is None
                else np.flatnonzero(self.sample_weight)
            )
            mask[positive] = nearest_neighbour_noise(self.X[positive])
            self._noise_guess = mask
        return self._noise_guess

    def rows_without(self, mask: np.ndarray) -> InMemoryData:
        # kept for the last mask: a sweep's cells and restarts share one start's rows
        # (and so its hierarchical tree)
        key = np.packbits(mask).tobytes()
        cached = getattr(self, "_rows_without", None)
        if cached is None or cached[0] != key:
            kept = np.flatnonzero(~mask)
            weights = None if self.sample_weight is None else self.sample_weight[kept]
            subset = InMemoryData(
                np.ascontiguousarray(self.X[kept]), weights, reuse_starts=self._starts is not None
            )
            cached = self._rows_without = (key, subset)
        return cached[1]

    def given_statistics(self, responsibilities, n_components, diagonal):
        labels, resp = (
            (responsibilities, None) if responsibilities.ndim == 1 else (None, responsibilities)
        )
        return statistics_from_assignment(
            self.X, n_components, diagonal, labels, resp, self.sample_weight
        )

    def _tree(self, X: np.ndarray, rng: np.random.Generator) -> HierarchicalTree:
        """The hierarchical tree of the weighted rows ``X``, built once per subset draw."""
        if X.shape[0] <= HC_SUBSET:  # all rows: no draw, one tree
            if None not in self._trees:
                self._trees[None] = hierarchical_tree(X)
            return self._trees[None]
        key = _generator_key(rng)
        if key in self._trees:
            tree, state_after = self._trees[key]
            rng.bit_generator.state = state_after
            return tree
        tree = hierarchical_tree(X, rng)
        self._trees[key] = (tree, rng.bit_generator.state)
        return tree

    def batches(self, batch_size, rng):
        order = rng.permutation(self.n_samples)
        for start in range(0, self.n_samples, batch_size):
            rows = np.sort(order[start : start + batch_size])  # sorted: memory order reads faster
            weights = None if self.sample_weight is None else self.sample_weight[rows]
            if weights is not None and not weights.any():
                continue  # nothing to learn from a batch that carries no weight
            yield InMemoryData(self.X[rows], weights)


def _generator_key(rng: np.random.Generator):
    """A hashable copy of ``rng``'s state: equal keys draw equal numbers."""

    def frozen(value):
        if isinstance(value, dict):
            return tuple((name, frozen(item)) for name, item in value.items())
        if isinstance(value, np.ndarray):
            return (value.dtype.str, value.shape, value.tobytes())
        return value

    return frozen(rng.bit_generator.state)


def _in_form(stats: SuffStats, diagonal: bool) -> SuffStats:
    """A copy of full-form ``stats`` (callers may re-seed it), reduced to its diagonal if asked."""
    sxx = np.diagonal(stats.sxx, axis1=1, axis2=2) if diagonal else stats.sxx
    return SuffStats(
        stats.nk.copy(),
        stats.sx.copy(),
        np.array(sxx, order="C"),  # a copy, contiguous
        stats.loglik,
        stats.center.copy(),
        stats.total_weight,
    )


def as_data_source(X, sample_weight: np.ndarray | None = None) -> DataSource:
    """``X`` itself if it is a :class:`DataSource`, else validated in-memory data with its weights."""
    if isinstance(X, DataSource):
        if sample_weight is not None:
            raise TypeError("give sample weights to the DataSource itself, not alongside it")
        return X
    return InMemoryData(X, sample_weight)
