"""Fused E-step: responsibilities folded straight into sufficient statistics.

One pass over ``X`` computes, for each component k and with responsibilities
``r[n, k]`` (times the optional sample weight ``w[n]``):

* ``nk[k]   = sum_n r[n, k]``
* ``sx[k]   = sum_n r[n, k] (x_n - m_k)``
* ``sxx[k]  = sum_n r[n, k] (x_n - m_k)(x_n - m_k)^T`` (``diag``: its diagonal)
* ``loglik  = sum_n w[n] logsumexp_k log rho[n, k]``

The N x K responsibility matrix is never stored.  Moments are taken about
the current means ``m_k``, which the E-step subtracts anyway, so data far
from the origin keep their precision.
"""

import numpy as np
from numba import njit, prange

from .blocks import block_bounds, n_row_blocks

# Responsibilities below exp(-300) are dropped: they change no statistic at
# double precision, and letting them decay into denormals slows the
# accumulation loops several-fold.
LOG_RESP_FLOOR = -300.0


@njit(cache=True, nogil=True)
def _logsumexp(values):
    top = values[0]
    for k in range(1, values.shape[0]):
        if values[k] > top:
            top = values[k]
    total = 0.0
    for k in range(values.shape[0]):
        total += np.exp(values[k] - top)
    return top + np.log(total)


@njit(parallel=True, cache=True, nogil=True)
def estep_stats_full(X, sample_weight, means, prec_chol, log_offset):
    """Statistics for the ``full`` kernel form.

    Parameters
    ----------
    X : (N, D) float32 or float64, C-contiguous
    sample_weight : (N,) float64, or (0,) for unit weights
    means : (K, D) float64
    prec_chol : (K, D, D) float64, upper triangular factors U with U U^T = precision
    log_offset : (K,) float64

    Returns
    -------
    nk (K,), sx (K, D), sxx (K, D, D), loglik (float)
    """
    N, D = X.shape
    K = means.shape[0]
    n_blocks = n_row_blocks(N)
    weighted = sample_weight.shape[0] > 0
    nk = np.zeros((n_blocks, K))
    sx = np.zeros((n_blocks, K, D))
    sxx = np.zeros((n_blocks, K, D, D))
    loglik = np.zeros(n_blocks)
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        diff = np.empty((K, D))
        logp = np.empty(K)
        for n in range(start, stop):
            for k in range(K):
                for i in range(D):
                    diff[k, i] = X[n, i] - means[k, i]
                quad = 0.0
                for j in range(D):
                    y = 0.0
                    for i in range(j + 1):
                        y += diff[k, i] * prec_chol[k, i, j]
                    quad += y * y
                logp[k] = log_offset[k] - 0.5 * quad
            lse = _logsumexp(logp)
            w = sample_weight[n] if weighted else 1.0
            loglik[block] += w * lse
            for k in range(K):
                log_r = logp[k] - lse
                if log_r < LOG_RESP_FLOOR:
                    continue
                r = w * np.exp(log_r)
                nk[block, k] += r
                for i in range(D):
                    rd = r * diff[k, i]
                    sx[block, k, i] += rd
                    for j in range(i, D):
                        sxx[block, k, i, j] += rd * diff[k, j]
    total_nk = np.zeros(K)
    total_sx = np.zeros((K, D))
    total_sxx = np.zeros((K, D, D))
    total_loglik = 0.0
    for block in range(n_blocks):  # fixed order: reproducible sums
        total_nk += nk[block]
        total_sx += sx[block]
        total_sxx += sxx[block]
        total_loglik += loglik[block]
    for k in range(K):
        for i in range(D):
            for j in range(i + 1, D):
                total_sxx[k, j, i] = total_sxx[k, i, j]
    return total_nk, total_sx, total_sxx, total_loglik


@njit(parallel=True, cache=True, nogil=True)
def estep_stats_diag(X, sample_weight, means, prec_sqrt, log_offset):
    """Statistics for the ``diag`` kernel form (``sxx`` holds only the diagonal).

    ``prec_sqrt[k, i]`` is ``1 / sigma_ki``; other arguments as
    :func:`estep_stats_full`.
    """
    N, D = X.shape
    K = means.shape[0]
    n_blocks = n_row_blocks(N)
    weighted = sample_weight.shape[0] > 0
    nk = np.zeros((n_blocks, K))
    sx = np.zeros((n_blocks, K, D))
    sxx = np.zeros((n_blocks, K, D))
    loglik = np.zeros(n_blocks)
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        diff = np.empty((K, D))
        logp = np.empty(K)
        for n in range(start, stop):
            for k in range(K):
                quad = 0.0
                for i in range(D):
                    d = X[n, i] - means[k, i]
                    diff[k, i] = d
                    y = d * prec_sqrt[k, i]
                    quad += y * y
                logp[k] = log_offset[k] - 0.5 * quad
            lse = _logsumexp(logp)
            w = sample_weight[n] if weighted else 1.0
            loglik[block] += w * lse
            for k in range(K):
                log_r = logp[k] - lse
                if log_r < LOG_RESP_FLOOR:
                    continue
                r = w * np.exp(log_r)
                nk[block, k] += r
                for i in range(D):
                    rd = r * diff[k, i]
                    sx[block, k, i] += rd
                    sxx[block, k, i] += rd * diff[k, i]
    total_nk = np.zeros(K)
    total_sx = np.zeros((K, D))
    total_sxx = np.zeros((K, D))
    total_loglik = 0.0
    for block in range(n_blocks):
        total_nk += nk[block]
        total_sx += sx[block]
        total_sxx += sxx[block]
        total_loglik += loglik[block]
    return total_nk, total_sx, total_sxx, total_loglik
