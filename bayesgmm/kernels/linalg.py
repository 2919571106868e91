"""The M-step's small dense algebra: precision-Cholesky factors of K covariances at once.

The full and tied families turn every covariance ``S_k`` into the upper
triangular ``U_k`` with ``U_k U_k^T = S_k^-1`` once per iteration.  Through
LAPACK one component at a time (``potrf``, ``trtri``, ``tril``, ``stack``),
the Python and NumPy call overhead of that loop cost about 18 us a component:
for 2000 x 6, K=5, full, 92 us of a 141 us M-step and more than half an
E-step pass (bench/README.md, "Small fits").  This kernel does the K
factorisations in one call, on one thread, writing only into its output.

It is compiled for float64 only (covariances are always float64) and adds
one small function to the first compile (about 1 s, measured).  The
arithmetic is the textbook one (Cholesky-Crout, then forward substitution),
so factors differ from LAPACK's in the last bits only.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def cholesky_lower(S, lower):
    """The Cholesky factor ``L`` (``S = L L^T``) into the lower triangle of ``lower``.

    False when ``S`` is not positive definite (a pivot not positive, or not finite);
    ``lower`` is then partly written.  Its upper triangle is never touched.
    """
    D = S.shape[0]
    for j in range(D):
        pivot = S[j, j]
        for m in range(j):
            pivot -= lower[j, m] * lower[j, m]
        if not (pivot > 0.0 and pivot < np.inf):  # also catches NaN
            return False
        root = np.sqrt(pivot)
        lower[j, j] = root
        for i in range(j + 1, D):
            value = S[i, j]
            for m in range(j):
                value -= lower[i, m] * lower[j, m]
            lower[i, j] = value / root
    return True


@njit(cache=True, nogil=True)
def lower_inverse_transposed(lower, out):
    """``out = L^-T`` (upper triangular) for the lower-triangular Cholesky factor ``L``:
    column j of ``L^-1``, by forward substitution, is row j of ``out``."""
    D = lower.shape[0]
    for j in range(D):
        for i in range(j):
            out[j, i] = 0.0
        out[j, j] = 1.0 / lower[j, j]
        for i in range(j + 1, D):
            value = 0.0
            for m in range(j, i):
                value -= lower[i, m] * out[j, m]
            out[j, i] = value / lower[i, i]


@njit(cache=True, nogil=True)
def precision_cholesky_full(covariances, out):
    """Write ``U_k`` (upper triangular, ``U_k U_k^T = covariances[k]^-1``) into ``out[k]``.

    Returns -1, or the first ``k`` whose covariance is not positive definite
    (a pivot not positive, or not finite); ``out`` is then left partly written.
    """
    K, D, _ = covariances.shape
    lower = np.empty((D, D))  # the Cholesky factor L of one component, S = L L^T
    for k in range(K):
        if not cholesky_lower(covariances[k], lower):
            return k
        lower_inverse_transposed(lower, out[k])  # U = L^-T
    return -1


@njit(cache=True, nogil=True)
def shifted_scatter_full(sxx, sx, nk, shift):
    """``sxx[k] - sx[k] shift[k]^T - shift[k] sx[k]^T + nk[k] shift[k] shift[k]^T`` per component.

    The scatter about ``center + shift`` from moments about ``center`` (see
    :meth:`bayesgmm.stats.SuffStats.shifted_scatter`), in one call: the same
    operations in the same order as the NumPy expression it replaces, so the same
    bits, without its eight temporary arrays (about 10 us an M-step at K=3).
    """
    K, D = sx.shape
    out = np.empty((K, D, D))
    for k in range(K):
        for i in range(D):
            for j in range(D):
                out[k, i, j] = (
                    sxx[k, i, j] - sx[k, i] * shift[k, j] - sx[k, j] * shift[k, i]
                ) + nk[k] * (shift[k, i] * shift[k, j])
    return out


@njit(cache=True, nogil=True)
def shifted_scatter_diag(sxx, sx, nk, shift):
    """The diagonal form of :func:`shifted_scatter_full` (``sxx`` holds the diagonals)."""
    K, D = sx.shape
    out = np.empty((K, D))
    for k in range(K):
        for i in range(D):
            out[k, i] = (sxx[k, i] - 2.0 * sx[k, i] * shift[k, i]) + nk[k] * (
                shift[k, i] * shift[k, i]
            )
    return out
