"""Per-row, per-component log densities, for prediction and scoring.

Returns the full (N, K) matrix ``log rho[n, k]``; callers normalise it into
log-responsibilities or reduce it to per-row log-likelihoods.  Fitting never
calls these: it uses the fused statistics kernels in :mod:`.estep`.

Each has a serial entry and a ``_parallel`` one sharing row blocks among Numba's threads
(as the statistics kernels, see :mod:`.estep`); each row's values do not depend on the
entry, nor on the split, so the rows are cut into up to :data:`.blocks.MAX_BLOCKS`
blocks whatever their number (the statistics kernels' blocks are at least 2048 rows: a
prediction on a few hundred rows with many large components still uses every thread).
"""

import numpy as np
from numba import njit, prange

from .blocks import MAX_BLOCKS, block_bounds


@njit(cache=True, nogil=True)
def _rows_full(X, means, prec_chol, log_offset, start, stop, out):
    D = X.shape[1]
    K = means.shape[0]
    diff = np.empty(D)
    for n in range(start, stop):
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


@njit(cache=True, nogil=True)
def _rows_diag(X, means, prec_sqrt, log_offset, start, stop, out):
    D = X.shape[1]
    K = means.shape[0]
    for n in range(start, stop):
        for k in range(K):
            quad = 0.0
            for i in range(D):
                y = (X[n, i] - means[k, i]) * prec_sqrt[k, i]
                quad += y * y
            out[n, k] = log_offset[k] - 0.5 * quad


@njit(parallel=True, cache=True, nogil=True)
def _blocks_full(X, means, prec_chol, log_offset, out):
    N = X.shape[0]
    n_blocks = min(N, MAX_BLOCKS)
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        _rows_full(X, means, prec_chol, log_offset, start, stop, out)


@njit(parallel=True, cache=True, nogil=True)
def _blocks_diag(X, means, prec_sqrt, log_offset, out):
    N = X.shape[0]
    n_blocks = min(N, MAX_BLOCKS)
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        _rows_diag(X, means, prec_sqrt, log_offset, start, stop, out)


@njit(cache=True, nogil=True)
def log_rho_full(X, means, prec_chol, log_offset):
    """``log rho`` (N, K) for the ``full`` kernel form (arguments as the statistics kernel),
    on the calling thread; :func:`log_rho_full_parallel` shares the rows among the threads."""
    out = np.empty((X.shape[0], means.shape[0]))
    # np.int64(0), not 0: a literal would compile _rows_full once more (Literal[int](0))
    _rows_full(X, means, prec_chol, log_offset, np.int64(0), X.shape[0], out)
    return out


@njit(cache=True, nogil=True)
def log_rho_full_parallel(X, means, prec_chol, log_offset):
    """:func:`log_rho_full` with row blocks shared among Numba's threads."""
    out = np.empty((X.shape[0], means.shape[0]))
    _blocks_full(X, means, prec_chol, log_offset, out)
    return out


@njit(cache=True, nogil=True)
def log_rho_diag(X, means, prec_sqrt, log_offset):
    """``log rho`` (N, K) for the ``diag`` kernel form, on the calling thread."""
    out = np.empty((X.shape[0], means.shape[0]))
    _rows_diag(X, means, prec_sqrt, log_offset, np.int64(0), X.shape[0], out)
    return out


@njit(cache=True, nogil=True)
def log_rho_diag_parallel(X, means, prec_sqrt, log_offset):
    """:func:`log_rho_diag` with row blocks shared among Numba's threads."""
    out = np.empty((X.shape[0], means.shape[0]))
    _blocks_diag(X, means, prec_sqrt, log_offset, out)
    return out
