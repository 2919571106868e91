"""What one Dask task runs on its block of rows: statistics packed into one vector.

Every pass of :class:`~bayesgmm.data.distributed.DaskData` maps one of these
functions over the row chunks and sums the vectors in a tree reduction: the
statistics are additive, so the driver only ever holds ``K x D x D`` numbers
per chunk.  Each runs its kernel on one Numba thread (the workers are the
parallelism).
"""

from __future__ import annotations

import numpy as np
from scipy.cluster import vq

from ..stats import GaussianTerms, SuffStats, accumulate
from .dask_workers import _single_numba_thread

SPLIT_EVERY = 8
"""Fan-in of the tree reductions of the statistics vectors."""


def _pack(stats: SuffStats) -> np.ndarray:
    return np.concatenate(
        [stats.nk, stats.sx.ravel(), stats.sxx.ravel(), [stats.loglik, stats.total_weight]]
    )[None, :]


def _packed_length(K: int, D: int, diagonal: bool) -> int:
    return K + K * D + (K * D if diagonal else K * D * D) + 2


def _unpack(vector: np.ndarray, center: np.ndarray, diagonal: bool) -> SuffStats:
    K, D = center.shape
    sxx_shape = (K, D) if diagonal else (K, D, D)
    nk = vector[:K]
    sx = vector[K : K + K * D].reshape(K, D)
    sxx = vector[K + K * D : -2].reshape(sxx_shape)
    return SuffStats(nk, sx, sxx, float(vector[-2]), center, float(vector[-1]))


def _chunk_statistics(
    block: np.ndarray, weights: np.ndarray | None = None, *, terms: GaussianTerms
):
    block = np.ascontiguousarray(block)
    return _pack(_single_numba_thread(accumulate, block, terms, weights))


def _chunk_assignment_statistics(
    block: np.ndarray, weights: np.ndarray | None = None, *, centers: np.ndarray, diagonal: bool
):
    """Statistics of the hard assignment of each row to its nearest centre, about the centres."""
    block = np.asarray(block, dtype=np.float64)
    labels = vq.vq(block, centers, check_finite=False)[0]
    return _pack(_assignment_statistics(block, weights, labels, centers, diagonal))


def _assignment_statistics(block, weights, labels, centers, diagonal) -> SuffStats:
    K, D = centers.shape
    w = np.ones(block.shape[0]) if weights is None else weights
    nk = np.bincount(labels, weights=w, minlength=K).astype(np.float64)
    sx = np.zeros((K, D))
    sxx = np.zeros((K, D) if diagonal else (K, D, D))
    for k in range(K):
        rows = labels == k
        diff = block[rows] - centers[k]
        weighted = diff * w[rows, None]
        sx[k] = weighted.sum(axis=0)
        sxx[k] = (weighted * diff).sum(axis=0) if diagonal else weighted.T @ diff
    return SuffStats(nk, sx, sxx, 0.0, centers, float(w.sum()))


def _chunk_random_statistics(
    block: np.ndarray,
    rows: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    seed: int,
    center: np.ndarray,
    n_components: int,
    diagonal: bool,
):
    """Statistics of uniform random responsibilities (scikit-learn's ``random``), about ``center``.

    The chunk's generator is seeded by the fit's seed and the chunk's first row.
    """
    block = np.asarray(block, dtype=np.float64)
    rng = np.random.default_rng([seed, int(rows[0])])
    resp = rng.uniform(size=(block.shape[0], n_components))
    resp /= resp.sum(axis=1, keepdims=True)
    return _pack(_soft_statistics(block, resp, weights, center, diagonal))


def _chunk_given_statistics(
    block: np.ndarray,
    given: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    center: np.ndarray,
    n_components: int,
    diagonal: bool,
):
    """Statistics of user-given labels (a 1-D block) or responsibilities, about ``center``."""
    block = np.asarray(block, dtype=np.float64)
    K = n_components
    if given.ndim == 1:
        resp = np.zeros((block.shape[0], K))
        resp[np.arange(block.shape[0]), given] = 1.0
    else:
        resp = np.array(given, dtype=np.float64)
    return _pack(_soft_statistics(block, resp, weights, center, diagonal))


def _soft_statistics(block, resp, weights, center, diagonal) -> SuffStats:
    """Statistics of responsibilities ``resp`` (N, K) of ``block``'s rows, about ``center``."""
    K = resp.shape[1]
    if weights is not None:
        resp = resp * weights[:, None]
    diff = block - center
    sxx = np.stack(
        [
            (resp[:, k, None] * diff * diff).sum(axis=0)
            if diagonal
            else (resp[:, k, None] * diff).T @ diff
            for k in range(K)
        ]
    )
    total = float(block.shape[0]) if weights is None else float(weights.sum())
    return SuffStats(
        resp.sum(axis=0), resp.T @ diff, sxx, 0.0, np.repeat(center[None], K, 0), total
    )


def _chunk_nonfinite_rows(block: np.ndarray, rows: np.ndarray):
    bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
    first = rows[bad[0]] if bad.size else -1
    return np.array([[bad.size, first]], dtype=np.int64)


def _sample_candidates(block, weights, seed, offset, size):
    """This chunk's ``size`` rows of largest key log(u)/w: a weighted reservoir sample."""
    u = np.random.default_rng(seed).random(block.shape[0])
    with np.errstate(divide="ignore"):
        keys = np.log(u) if weights is None else np.log(u) / weights
    keep = np.flatnonzero(np.isfinite(keys))  # weight 0 gives -inf: never drawn
    if keep.size > size:
        keep = keep[np.argpartition(keys[keep], keep.size - size)[-size:]]
    return keys[keep], keep + offset, np.asarray(block[keep], dtype=np.float64)


def _merge_candidates(*parts, size):
    keys, rows, values = (np.concatenate(column) for column in zip(*parts))
    if keys.size > size:
        best = np.argpartition(keys, keys.size - size)[-size:]
        keys, rows, values = keys[best], rows[best], values[best]
    return keys, rows, values


# ---------------------------------------------------------------- the source
