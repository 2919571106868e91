"""Per-row, per-component log densities, for prediction and scoring.

Returns the full (N, K) matrix ``log rho[n, k]``; callers normalise it into
log-responsibilities or reduce it to per-row log-likelihoods.  Fitting never
calls these: it uses the fused statistics kernels in :mod:`.estep`.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def log_rho_full(X, means, prec_chol, log_offset):
    N, D = X.shape
    K = means.shape[0]
    out = np.empty((N, K))
    for n in prange(N):
        diff = np.empty(D)
        for k in range(K):
            for i in range(D):
                diff[i] = X[n, i] - means[k, i]
            quad = 0.0
            for j in range(D):
                y = 0.0
                for i in range(j + 1):
                    y += diff[i] * prec_chol[k, i, j]
                quad += y * y
            out[n, k] = log_offset[k] - 0.5 * quad
    return out


@njit(parallel=True, cache=True, nogil=True)
def log_rho_diag(X, means, prec_sqrt, log_offset):
    N, D = X.shape
    K = means.shape[0]
    out = np.empty((N, K))
    for n in prange(N):
        for k in range(K):
            quad = 0.0
            for i in range(D):
                y = (X[n, i] - means[k, i]) * prec_sqrt[k, i]
                quad += y * y
            out[n, k] = log_offset[k] - 0.5 * quad
    return out
