"""Initialisation: starting statistics from a first guess of the responsibilities.

Each method produces hard labels or soft responsibilities; they are folded
into :class:`~bayesgmm.stats.SuffStats` and the engine's own M-step turns them
into a starting state, exactly as scikit-learn initialises (``_initialize``).

* ``kmeans``: one run of k-means as scikit-learn's ``GaussianMixture`` starts
  (``KMeans(n_init=1)``): greedy k-means++ seeding (``2 + log K`` candidates a
  seed, the one that lowers the potential most kept), then Lloyd's rounds until
  no label changes or the centroids' total squared shift is at most ``1e-4``
  times the mean feature variance, at most 300 rounds, in Numba kernels
  (:mod:`bayesgmm.kernels.kmeans`).  Until issue 15 this was SciPy's
  ``kmeans2`` (plain k-means++, 20 rounds), which merged well-separated
  clusters for many seeds.  The random draws are a NumPy ``Generator``'s, so
  the labels are not scikit-learn's for the same seed.
* ``k-means++``: the same greedy k-means++ seeds, each row assigned to its
  nearest seed.
* ``random_from_data``: ``n_components`` distinct rows as seeds, each row
  assigned to its nearest seed.
* ``random``: uniform random responsibilities, normalised per row (as scikit-learn).
* ``hc``: R mclust's start, model-based agglomerative hierarchical clustering
  cut into ``n_components`` clusters (:mod:`bayesgmm.data.hierarchical`): one
  merge tree per data set serves every K.  Deterministic; with more than 2000
  rows the tree is built on a random subset of 2000 rows, as mclust does, and
  the start is the statistics of that subset's partition
  (:func:`hierarchical_statistics`).

scikit-learn's ``k-means++`` and ``random_from_data`` give each component only
its seed row (a covariance of ``reg_covar`` alone); assigning every row to its
nearest seed starts from usable covariances instead.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

import numpy as np

from ..kernels import read_only
from ..kernels.cache import announce_first_compile
from ..kernels.kmeans import candidate_potentials, labelled_moments, lloyd, min_squared_distance
from ..stats import SuffStats
from .hierarchical import HierarchicalTree, hierarchical_tree

# scikit-learn's KMeans defaults: max_iter=300, tol=1e-4 (relative to the mean variance)
KMEANS_ITERATIONS = 300
KMEANS_TOL = 1e-4
_BLOCK_ROWS = 65536


def initial_labels_or_responsibilities(
    X: np.ndarray, n_components: int, method: str, rng: np.random.Generator
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Hard labels (N,) or soft responsibilities (N, K) for ``method``.

    ``"hc"`` clusters all rows of ``X`` (memory O(N^2): callers pass at most
    :data:`~bayesgmm.data.hierarchical.HC_SUBSET` rows, as the data sources do).
    """
    announce_first_compile()  # the k-means kernels are often a fit's first
    N = X.shape[0]
    if method == "hc":
        return hierarchical_tree(X).labels(n_components), None
    if method == "random":
        resp = rng.uniform(size=(N, n_components))
        return None, resp / resp.sum(axis=1, keepdims=True)
    if method == "random_from_data":
        seeds = X[rng.choice(N, size=n_components, replace=False)]
        return nearest_centroid_labels(X, seeds.astype(np.float64), 0), None
    seeds = kmeans_plus_plus_seeds(X, n_components, rng)
    if method == "k-means++":
        return nearest_centroid_labels(X, seeds, 0), None
    return nearest_centroid_labels(X, seeds, KMEANS_ITERATIONS, kmeans_tolerance(X)), None


def kmeans_tolerance(X: np.ndarray, tol: float = KMEANS_TOL) -> float:
    """``tol`` times the mean of the feature variances: scikit-learn's ``_tolerance``.

    Lloyd's rounds stop once the centroids' total squared shift is at most this.
    """
    return float(tol * np.var(X, axis=0, dtype=np.float64).mean())


def kmeans_plus_plus_seeds(
    X: np.ndarray, n_components: int, rng: np.random.Generator, n_local_trials: int | None = None
) -> np.ndarray:
    """Greedy k-means++ seeds (K, D) float64, as scikit-learn's ``_kmeans_plusplus`` picks them.

    The first seed is a uniformly drawn row.  For each next one,
    ``n_local_trials`` (default ``2 + int(log K)``) candidate rows are drawn
    with probability proportional to their squared distance from the nearest
    seed so far, and the candidate that leaves the smallest potential (the
    sum of those distances with it added) is kept; the first such on a tie.
    With fewer distinct rows than seeds the distances all become zero and
    each remaining seed is the data's first row.
    """
    N, D = X.shape
    X = read_only(X)  # as every kernel sees its data: one compiled variant
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_components))
    seeds = np.empty((n_components, D))
    seeds[0] = X[rng.integers(N)]
    nearest = np.full(N, np.inf)
    min_squared_distance(X, seeds[0], nearest)
    potentials = np.empty(n_local_trials)
    for i in range(1, n_components):
        cumulative = np.cumsum(nearest)
        draws = rng.uniform(size=n_local_trials) * cumulative[-1]
        # min: a draw at the rounded total must not pass the last row
        rows = np.minimum(np.searchsorted(cumulative, draws), N - 1)
        candidates = X[rows].astype(np.float64)
        candidate_potentials(X, candidates, nearest, potentials)
        seeds[i] = candidates[int(np.argmin(potentials))]
        min_squared_distance(X, seeds[i], nearest)
    return seeds


def nearest_centroid_labels(
    X: np.ndarray, centroids: np.ndarray, rounds: int, tol: float = 0.0
) -> np.ndarray:
    """Labels (N,) after at most ``rounds`` of Lloyd's algorithm from ``centroids`` (not modified).

    The rounds stop early once no label changes or the centroids' total
    squared shift is at most ``tol``; ``rounds=0`` labels each row with its
    nearest centroid.
    """
    labels = np.empty(X.shape[0], dtype=np.int64)
    lloyd(read_only(X), centroids.copy(), labels, rounds, tol)
    return labels


def _blocks(resp: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    for start in range(0, resp.shape[0], _BLOCK_ROWS):
        rows = slice(start, min(start + _BLOCK_ROWS, resp.shape[0]))
        yield rows, resp[rows]


def statistics_from_assignment(
    X: np.ndarray,
    n_components: int,
    diagonal: bool,
    labels: np.ndarray | None = None,
    resp: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
) -> SuffStats:
    """Sufficient statistics of given responsibilities, in two passes over row blocks.

    The first pass finds each component's mean, the second accumulates the
    scatter about it, so offset data keep their precision.  The log-likelihood
    is NaN: no Gaussian terms were involved.
    """
    announce_first_compile()
    N = X.shape[0]
    K = n_components
    moments = _hard_moments if labels is not None else _soft_moments
    nk, center, sx, sxx = moments(X, K, diagonal, resp if labels is None else labels, sample_weight)
    total = float(N) if sample_weight is None else float(sample_weight.sum())
    return SuffStats(nk, sx, sxx, float("nan"), center, total)


def hierarchical_statistics(
    tree: HierarchicalTree,
    X: np.ndarray,
    n_components: int,
    sample_weight: np.ndarray | None,
    total_weight: float,
) -> SuffStats:
    """Full-form statistics of ``tree``'s partition into ``n_components`` clusters.

    ``X`` and ``sample_weight`` are the rows the tree was drawn from.  A tree
    built on a subset (``tree.rows``) gives the subset's statistics scaled to
    ``total_weight``: the engine's M-step on them and the loop's first E-step
    on every row are mclust's M-step on the subset and E-step on all data.
    """
    labels = tree.labels(n_components)
    if tree.rows is None:
        return statistics_from_assignment(X, n_components, False, labels, None, sample_weight)
    weights = None if sample_weight is None else sample_weight[tree.rows]
    stats = statistics_from_assignment(X[tree.rows], n_components, False, labels, None, weights)
    return stats.scaled(total_weight / stats.total_weight)


def _hard_moments(X, K, diagonal, labels, sample_weight):
    weights = _UNIT_WEIGHTS if sample_weight is None else sample_weight
    nk, first, sx, sxx = labelled_moments(read_only(X), read_only(labels), weights, K)
    if diagonal:
        sxx = np.ascontiguousarray(np.diagonal(sxx, axis1=1, axis2=2))
    return nk, _means_or_overall(X, nk, first), sx, sxx


_UNIT_WEIGHTS = np.empty(0, dtype=np.float64)


def _means_or_overall(X, nk, first):
    """Each component's mean; the overall mean for a component without weight."""
    safe = np.where(nk > 0, nk, 1.0)
    return np.where(nk[:, None] > 0, first / safe[:, None], X.mean(axis=0, dtype=np.float64))


def _soft_moments(X, K, diagonal, resp, sample_weight):
    D = X.shape[1]
    nk = np.zeros(K)
    first = np.zeros((K, D))
    for rows, r in _blocks(resp):
        if sample_weight is not None:
            r = r * sample_weight[rows, None]
        nk += r.sum(axis=0)
        first += r.T @ X[rows]
    center = _means_or_overall(X, nk, first)
    sx = np.zeros((K, D))
    sxx = np.zeros((K, D) if diagonal else (K, D, D))
    for rows, r in _blocks(resp):
        if sample_weight is not None:
            r = r * sample_weight[rows, None]
        for k in range(K):
            rk = r[:, k]
            if not rk.any():
                continue
            diff = X[rows] - center[k]
            weighted = diff * rk[:, None]
            sx[k] += weighted.sum(axis=0)
            sxx[k] += (weighted * diff).sum(axis=0) if diagonal else weighted.T @ diff
    return nk, center, sx, sxx


def as_generator(random_state) -> np.random.Generator:
    """A NumPy Generator from None, an int seed, a Generator or a legacy RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, (bool, np.bool_, float, str, bytes)):
        # numpy would accept some of these (True as 1) or fail with an obscure message
        raise TypeError(_RANDOM_STATE_HELP.format(random_state))
    try:
        return np.random.default_rng(random_state)
    except (TypeError, ValueError):
        error = ValueError if isinstance(random_state, numbers.Integral) else TypeError
        raise error(_RANDOM_STATE_HELP.format(random_state)) from None


def recordable_seed(random_state) -> int:
    """One integer seed from None, an int, a Generator or a RandomState, so that it can be
    recorded and a computation rebuilt from it (sweeps, posterior draws)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, (bool, np.bool_)
    ):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer, got {random_state}")
        return int(random_state)
    if random_state is None:
        return int(np.random.default_rng().integers(2**31))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31))
    raise TypeError(
        f"random_state must be None, a non-negative integer, a numpy Generator or RandomState, "
        f"got {random_state!r}"
    )


_RANDOM_STATE_HELP = (
    "random_state={!r} is not a valid seed; give None, a non-negative integer, a "
    "numpy.random.Generator or a numpy.random.RandomState"
)
