"""Sampled allocations: the Gibbs sampler's pass over the data.

One pass computes, for every row, the log densities ``log rho[n, k]`` exactly as
the E-step kernels of :mod:`.estep` do, draws the row's component from its
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

from .blocks import block_bounds, n_row_blocks
from .estep import TILE, load_tile, load_weights, quad_columns4


@njit(cache=True, nogil=True)
def _tile_log_density_full(xt, d, means, prec_chol, log_offset, lp, y, y2, y3, y4, q, m):
    """``lp[k, t] = log_offset[k] - 0.5 ||(x_t - m_k) U_k||^2`` for a tile (as estep_stats_full)."""
    K, D = means.shape
    for k in range(K):
        for i in range(D):
            mu = means[k, i]
            for t in range(m):
                d[i, t] = xt[i, t] - mu
        for t in range(m):
            q[t] = 0.0
        j = 0
        while j + 3 < D:
            quad_columns4(d, prec_chol, k, j, y, y2, y3, y4, q, m)
            j += 4
        while j < D:
            u0 = prec_chol[k, 0, j]
            for t in range(m):
                y[t] = d[0, t] * u0
            for i in range(1, j + 1):
                u0 = prec_chol[k, i, j]
                di = d[i]
                for t in range(m):
                    y[t] += di[t] * u0
            for t in range(m):
                q[t] += y[t] * y[t]
            j += 1
        c = log_offset[k]
        for t in range(m):
            lp[k, t] = c - 0.5 * q[t]


@njit(cache=True, nogil=True)
def _tile_log_density_diag(xt, means, prec_sqrt, log_offset, lp, q, m):
    """``lp[k, t]`` for the diagonal form (as estep_stats_diag)."""
    K, D = means.shape
    for k in range(K):
        for t in range(m):
            q[t] = 0.0
        for i in range(D):
            mu, s = means[k, i], prec_sqrt[k, i]
            x = xt[i]
            for t in range(m):
                v = (x[t] - mu) * s
                q[t] += v * v
        c = log_offset[k]
        for t in range(m):
            lp[k, t] = c - 0.5 * q[t]


@njit(cache=True, nogil=True, error_model="numpy")
def _draw_tile(lp, uniforms, t0, m, wt, chosen, lse):
    """Each row's component ``chosen[t]`` by inverse CDF; its log-sum-exp into ``lse``.

    Returns ``sum_t wt[t] lse[t]``.
    """
    K = lp.shape[0]
    loglik = 0.0
    for t in range(m):
        top = lp[0, t]
        for k in range(1, K):
            top = max(top, lp[k, t])
        total = 0.0
        for k in range(K):
            value = np.exp(lp[k, t] - top)
            lp[k, t] = value  # the unnormalised probability, reused for the draw
            total += value
        lse[t] = top + np.log(total)
        loglik += wt[t] * lse[t]
        target = uniforms[t0 + t] * total
        k = 0
        cumulative = lp[0, t]
        # the last component takes what round-off leaves above the cumulative sum
        while cumulative <= target and k < K - 1:
            k += 1
            cumulative += lp[k, t]
        chosen[t] = k
    return loglik


@njit(cache=True, nogil=True)
def _record(chosen, t0, m, wt, allocation, pivot, agreement, block):
    if allocation.shape[0] > 0:
        for t in range(m):
            allocation[t0 + t] = chosen[t]
    if pivot.shape[0] > 0:
        for t in range(m):
            agreement[block, chosen[t], pivot[t0 + t]] += wt[t]


@njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def allocate_stats_full(
    X, sample_weight, uniforms, means, prec_chol, log_offset, pivot, allocation
):
    """Sampled allocation and its statistics for the ``full`` kernel form.

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
    n_blocks = n_row_blocks(N)
    nk = np.zeros((n_blocks, K))
    sx = np.zeros((n_blocks, K, D))
    sxx = np.zeros((n_blocks, K, D, D))
    agreement = np.zeros((n_blocks, K, K))
    loglik = np.zeros(n_blocks)
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
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
        row = np.empty(D)
        for t0 in range(start, stop, TILE):
            m = min(TILE, stop - t0)
            load_tile(X, t0, m, xt)
            load_weights(sample_weight, t0, m, wt)
            _tile_log_density_full(xt, d, means, prec_chol, log_offset, lp, y, y2, y3, y4, q, m)
            loglik[block] += _draw_tile(lp, uniforms, t0, m, wt, chosen, lse)
            _record(chosen, t0, m, wt, allocation, pivot, agreement, block)
            for t in range(m):
                w = wt[t]
                if w == 0.0:
                    continue
                k = chosen[t]
                nk[block, k] += w
                for i in range(D):
                    row[i] = xt[i, t] - means[k, i]
                    sx[block, k, i] += w * row[i]
                for i in range(D):
                    wi = w * row[i]
                    for j in range(i, D):
                        sxx[block, k, i, j] += wi * row[j]
    total_nk = np.zeros(K)
    total_sx = np.zeros((K, D))
    total_sxx = np.zeros((K, D, D))
    total_agreement = np.zeros((K, K))
    total_loglik = 0.0
    for block in range(n_blocks):  # fixed order: reproducible sums
        total_nk += nk[block]
        total_sx += sx[block]
        total_sxx += sxx[block]
        total_agreement += agreement[block]
        total_loglik += loglik[block]
    for k in range(K):
        for i in range(D):
            for j in range(i + 1, D):
                total_sxx[k, j, i] = total_sxx[k, i, j]
    return total_nk, total_sx, total_sxx, total_loglik, total_agreement


@njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def allocate_stats_diag(
    X, sample_weight, uniforms, means, prec_sqrt, log_offset, pivot, allocation
):
    """Sampled allocation and its statistics for the ``diag`` kernel form (``sxx`` diagonal).

    Arguments as :func:`allocate_stats_full`, with ``prec_sqrt`` (K, D).
    """
    N, D = X.shape
    K = means.shape[0]
    n_blocks = n_row_blocks(N)
    nk = np.zeros((n_blocks, K))
    sx = np.zeros((n_blocks, K, D))
    sxx = np.zeros((n_blocks, K, D))
    agreement = np.zeros((n_blocks, K, K))
    loglik = np.zeros(n_blocks)
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        xt = np.empty((D, TILE))
        lp = np.empty((K, TILE))
        q = np.empty(TILE)
        wt = np.empty(TILE)
        lse = np.empty(TILE)
        chosen = np.empty(TILE, dtype=np.int64)
        for t0 in range(start, stop, TILE):
            m = min(TILE, stop - t0)
            load_tile(X, t0, m, xt)
            load_weights(sample_weight, t0, m, wt)
            _tile_log_density_diag(xt, means, prec_sqrt, log_offset, lp, q, m)
            loglik[block] += _draw_tile(lp, uniforms, t0, m, wt, chosen, lse)
            _record(chosen, t0, m, wt, allocation, pivot, agreement, block)
            for t in range(m):
                w = wt[t]
                if w == 0.0:
                    continue
                k = chosen[t]
                nk[block, k] += w
                for i in range(D):
                    v = xt[i, t] - means[k, i]
                    sx[block, k, i] += w * v
                    sxx[block, k, i] += w * v * v
    total_nk = np.zeros(K)
    total_sx = np.zeros((K, D))
    total_sxx = np.zeros((K, D))
    total_agreement = np.zeros((K, K))
    total_loglik = 0.0
    for block in range(n_blocks):
        total_nk += nk[block]
        total_sx += sx[block]
        total_sxx += sxx[block]
        total_agreement += agreement[block]
        total_loglik += loglik[block]
    return total_nk, total_sx, total_sxx, total_loglik, total_agreement
