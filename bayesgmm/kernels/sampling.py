"""Sampled allocations: the Gibbs sampler's pass over the data.

One pass computes, for every row, the log densities ``log rho[n, k]`` with the E-step
kernels' own tile functions (:mod:`.estep`), draws the row's component from its
responsibilities with the uniform ``uniforms[n]`` (inverse-CDF over the K
components), and folds the row into the *hard-allocation* statistics of the
component it drew (times its sample weight ``w[n]``):

* ``nk[k]  = sum_{n: z_n = k} w[n]``
* ``sx[k]  = sum_{n: z_n = k} w[n] (x_n - m_k)``
* ``sxx[k] = sum_{n: z_n = k} w[n] (x_n - m_k)(x_n - m_k)^T`` (``diag``: its diagonal)
* ``loglik = sum_n w[n] logsumexp_k log rho[n, k]``, the marginal log-likelihood at the
  parameters the allocation was drawn from

so the statistics are the same additive :class:`~bayesgmm.stats.SuffStats` the
E-step returns, with 0/1 responsibilities.  The uniforms come in as an array
drawn by the caller's NumPy generator: the draws do not depend on how the
threads share the rows.

Two optional outputs serve the relabelling of the draws (ECR, Papastamoulis &
Iliopoulos 2010):

* ``allocation`` (N,) int64 receives every row's component (pass a (0,) array to skip);
* ``pivot`` (N,) int64, a reference allocation (pass (0,) to skip): ``agreement[k, j]``
  sums the weights of the rows drawn into k whose pivot label is j.

float64 only (float32 data are passed in float64 row chunks by the caller).
"""

import numpy as np
from numba import njit, prange

from .blocks import block_bounds
from .estep import (
    TILE,
    block_accumulators,
    load_tile,
    load_weights,
    mirror_upper,
    sum_blocks,
    tile_log_density_diag,
    tile_log_density_full,
    tile_log_sum_exp,
)


@njit(cache=True, nogil=True, error_model="numpy")
def _draw_tile(lp, prob, uniforms, t0, m, wt, chosen, lse, scratch, bits):
    """Each row's component ``chosen[t]`` by inverse CDF; its log-sum-exp into ``lse``.

    Normalised by the statistics kernels' own :func:`.estep.tile_log_sum_exp`, every
    loop along the tile's rows so that it vectorises.  ``prob`` (K, TILE) receives
    the unnormalised probabilities, ``scratch`` is (4, TILE).  Returns
    ``sum_t wt[t] lse[t]``.
    """
    K = lp.shape[0]
    loglik = tile_log_sum_exp(lp, prob, m, wt, lse, scratch, bits)
    tot, target, cumulative = scratch[1], scratch[2], scratch[3]
    for t in range(m):
        target[t] = uniforms[t0 + t] * tot[t]
        cumulative[t] = 0.0
        chosen[t] = 0
    # chosen = the first k whose cumulative probability exceeds the target (the last
    # component takes what round-off leaves): count the k < K - 1 that do not
    for k in range(K - 1):
        row = prob[k]
        for t in range(m):
            cumulative[t] += row[t]
            chosen[t] += 1 if cumulative[t] <= target[t] else 0
    return loglik


@njit(cache=True, nogil=True)
def _record(chosen, t0, m, wt, allocation, pivot, agreement):
    if allocation.shape[0] > 0:
        for t in range(m):
            allocation[t0 + t] = chosen[t]
    if pivot.shape[0] > 0:
        for t in range(m):
            agreement[chosen[t], pivot[t0 + t]] += wt[t]


@njit(cache=True, nogil=True, error_model="numpy")
def _allocate_block_full(
    X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation, start, stop,
    nk, sx, sxx, agreement,
):  # fmt: skip
    """Rows ``start .. stop`` of :func:`allocate_stats_full` into one block's statistics;
    returns their log-likelihood.  (The parallel loop only calls this: its body stays small,
    which keeps Numba's parallel compilation short.)"""
    D = X.shape[1]
    K = means.shape[0]
    xt = np.empty((D, TILE))
    d = np.empty((D, TILE))
    lp = np.empty((K, TILE))
    y = np.empty(TILE)
    y2 = np.empty(TILE)
    y3 = np.empty(TILE)
    y4 = np.empty(TILE)
    q = np.empty(TILE)
    wt = np.empty(TILE)
    lse = np.empty(TILE)
    chosen = np.empty(TILE, dtype=np.int64)
    prob = np.empty((K, TILE))
    scratch = np.empty((4, TILE))
    bits = np.empty(TILE, dtype=np.int64)
    row = np.empty(D)
    loglik = 0.0
    for t0 in range(start, stop, TILE):
        m = min(TILE, stop - t0)
        load_tile(X, t0, m, xt)
        load_weights(sample_weight, t0, m, wt)
        tile_log_density_full(xt, d, means, prec_chol, log_offset, lp, y, y2, y3, y4, q, m)
        loglik += _draw_tile(lp, prob, uniforms, t0, m, wt, chosen, lse, scratch, bits)
        _record(chosen, t0, m, wt, allocation, pivot, agreement)
        for t in range(m):
            w = wt[t]
            if w == 0.0:
                continue
            k = chosen[t]
            nk[k] += w
            for i in range(D):
                row[i] = xt[i, t] - means[k, i]
                sx[k, i] += w * row[i]
            for i in range(D):
                wi = w * row[i]
                for j in range(i, D):
                    sxx[k, i, j] += wi * row[j]
    return loglik


@njit(cache=True, nogil=True, error_model="numpy")
def _allocate_block_diag(
    X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation, start, stop,
    nk, sx, sxx, agreement,
):  # fmt: skip
    """Rows ``start .. stop`` of :func:`allocate_stats_diag` (see :func:`_allocate_block_full`)."""
    D = X.shape[1]
    K = means.shape[0]
    xt = np.empty((D, TILE))
    lp = np.empty((K, TILE))
    q = np.empty(TILE)
    wt = np.empty(TILE)
    lse = np.empty(TILE)
    chosen = np.empty(TILE, dtype=np.int64)
    prob = np.empty((K, TILE))
    scratch = np.empty((4, TILE))
    bits = np.empty(TILE, dtype=np.int64)
    loglik = 0.0
    for t0 in range(start, stop, TILE):
        m = min(TILE, stop - t0)
        load_tile(X, t0, m, xt)
        load_weights(sample_weight, t0, m, wt)
        tile_log_density_diag(xt, means, prec_sqrt, log_offset, lp, q, m)
        loglik += _draw_tile(lp, prob, uniforms, t0, m, wt, chosen, lse, scratch, bits)
        _record(chosen, t0, m, wt, allocation, pivot, agreement)
        for t in range(m):
            w = wt[t]
            if w == 0.0:
                continue
            k = chosen[t]
            nk[k] += w
            for i in range(D):
                v = xt[i, t] - means[k, i]
                sx[k, i] += w * v
                sxx[k, i] += w * v * v
    return loglik


@njit(cache=True, nogil=True)
def _sum_blocks(nk, sx, sxx, agreement, loglik):
    """The blocks' statistics summed in block order (:func:`.estep.sum_blocks`, whose
    second per-block sum is not needed here), and their agreement matrices."""
    total_nk, total_sx, total_sxx, total_loglik, _ = sum_blocks(nk, sx, sxx, loglik, loglik)
    total_agreement = np.zeros(agreement.shape[1:])
    for block in range(agreement.shape[0]):
        total_agreement += agreement[block]
    return total_nk, total_sx, total_sxx, total_loglik, total_agreement


@njit(parallel=True, cache=True, nogil=True)
def _blocks_full(
    X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation,
    nk, sx, sxx, agreement, loglik,
):  # fmt: skip
    # nothing but the parallel loop: every array operation in a parallel function becomes
    # a parfor of its own, and those made the first compile three times longer (measured)
    n_blocks, N = nk.shape[0], X.shape[0]
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        loglik[block] = _allocate_block_full(
            X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation,
            start, stop, nk[block], sx[block], sxx[block], agreement[block],
        )  # fmt: skip


@njit(parallel=True, cache=True, nogil=True)
def _blocks_diag(
    X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation,
    nk, sx, sxx, agreement, loglik,
):  # fmt: skip
    n_blocks, N = nk.shape[0], X.shape[0]
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        loglik[block] = _allocate_block_diag(
            X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation,
            start, stop, nk[block], sx[block], sxx[block], agreement[block],
        )  # fmt: skip


@njit(cache=True, nogil=True)
def _allocation_accumulators(n_rows, K, D):
    """Zeroed per-block ``nk``, ``sx``, ``agreement`` (B, K, K) and ``loglik``."""
    nk, sx, loglik, _ = block_accumulators(n_rows, K, D)
    return nk, sx, np.zeros((nk.shape[0], K, K)), loglik


@njit(cache=True, nogil=True)
def allocate_stats_full(
    X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation
):
    """Sampled allocation and its statistics for the ``full`` kernel form, the row blocks
    run on the calling thread (:func:`allocate_stats_full_parallel` shares the same blocks
    among Numba's threads: the same draws and sums).

    Parameters
    ----------
    X : (N, D) float64, C-contiguous
    sample_weight : (N,) float64, or (0,) for unit weights
    uniforms : (N,) float64 in [0, 1), one per row
    means, prec_chol, log_offset : as :func:`.estep.estep_stats_full`
    pivot : (N,) int64 reference labels, or (0,)
    allocation : (N,) int64 output, or (0,)

    Returns
    -------
    nk (K,), sx (K, D), sxx (K, D, D), loglik (float), agreement (K, K)
    """
    N, D = X.shape
    K = means.shape[0]
    nk, sx, agreement, loglik = _allocation_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D, D))
    for block in range(nk.shape[0]):  # the parallel entry's blocks, in block order
        start, stop = block_bounds(block, nk.shape[0], N)
        loglik[block] = _allocate_block_full(
            X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation,
            start, stop, nk[block], sx[block], sxx[block], agreement[block],
        )  # fmt: skip
    totals = _sum_blocks(nk, sx, sxx, agreement, loglik)
    mirror_upper(totals[2])
    return totals


@njit(cache=True, nogil=True)
def allocate_stats_full_parallel(
    X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation
):
    """:func:`allocate_stats_full` with the row blocks shared among Numba's threads."""
    N, D = X.shape
    K = means.shape[0]
    nk, sx, agreement, loglik = _allocation_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D, D))
    _blocks_full(
        X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation,
        nk, sx, sxx, agreement, loglik,
    )  # fmt: skip
    totals = _sum_blocks(nk, sx, sxx, agreement, loglik)
    mirror_upper(totals[2])
    return totals


@njit(cache=True, nogil=True)
def allocate_stats_diag(
    X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation
):
    """Sampled allocation and its statistics for the ``diag`` kernel form (``sxx`` diagonal),
    on the calling thread.

    Arguments as :func:`allocate_stats_full`, with ``prec_sqrt`` (K, D).
    """
    N, D = X.shape
    K = means.shape[0]
    nk, sx, agreement, loglik = _allocation_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D))
    for block in range(nk.shape[0]):  # the parallel entry's blocks, in block order
        start, stop = block_bounds(block, nk.shape[0], N)
        loglik[block] = _allocate_block_diag(
            X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation,
            start, stop, nk[block], sx[block], sxx[block], agreement[block],
        )  # fmt: skip
    return _sum_blocks(nk, sx, sxx, agreement, loglik)


@njit(cache=True, nogil=True)
def allocate_stats_diag_parallel(
    X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation
):
    """:func:`allocate_stats_diag` with the row blocks shared among Numba's threads."""
    N, D = X.shape
    K = means.shape[0]
    nk, sx, agreement, loglik = _allocation_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D))
    _blocks_diag(
        X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation,
        nk, sx, sxx, agreement, loglik,
    )  # fmt: skip
    return _sum_blocks(nk, sx, sxx, agreement, loglik)
