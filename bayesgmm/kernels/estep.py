"""Fused E-step: responsibilities folded straight into sufficient statistics.

One pass over ``X`` computes, for each component k and with responsibilities
``r[n, k]`` (times the optional sample weight ``w[n]``):

* ``nk[k]   = sum_n r[n, k]``
* ``sx[k]   = sum_n r[n, k] (x_n - m_k)``
* ``sxx[k]  = sum_n r[n, k] (x_n - m_k)(x_n - m_k)^T`` (``diag``: its diagonal)
* ``loglik  = sum_n w[n] logsumexp_k log rho[n, k]``
* ``sum_n w[n] max_k log rho[n, k]``, the classification log-likelihood (ICL's entropy
  is ``loglik`` minus it), found anyway while normalising

The N x K responsibility matrix is never stored.  Moments are taken about
the current means ``m_k``, which the E-step subtracts anyway, so data far
from the origin keep their precision.

Layout: a block function (``full_block_stats``, ``diag_block_stats``) does one
row block (:mod:`.blocks`); each kernel has two entry points, one running the blocks one
after another on the calling thread (``estep_stats_full``) and one sharing them among
Numba's threads (``estep_stats_full_parallel``), the same blocks either way.  They are
separate functions so that a process making only small passes never compiles the parallel
loop (the full kernel's first compile: 20 s with it, 16 s without).  A block is
walked in tiles of :data:`TILE` rows, copied transposed (feature-major) into float64
scratch, so that every inner loop runs along the rows of a tile and LLVM
vectorises it; the tile's (K, TILE) log densities stay in cache.  These
kernels use no BLAS, at any D: per-tile BLAS calls on D x D factors cost more
than they saved (docs/architecture.md).  float32 data with a full kernel go to
:mod:`.estep32`, which computes in float32.
"""

import numpy as np
from numba import njit, prange

from .blocks import block_bounds, n_row_blocks
from .vecmath import (
    centre_and_weigh,
    exp_shifted_add,
    log_positive,
    sum_product,
    sum_product2,
    sum_product4,
    total,
    weighted_moments,
)

# Responsibilities below exp(-300) are dropped: they change no statistic at
# double precision, and letting them decay into denormals slows the
# accumulation loops several-fold.
LOG_RESP_FLOOR = -300.0
RESP_FLOOR = float(np.exp(LOG_RESP_FLOOR))

# Rows per tile: (K + 2 D) x TILE float64 scratch per thread stays in L1/L2.
TILE = 256


@njit(cache=True, nogil=True)
def load_tile(X, t0, m, xt):
    """Rows ``t0 .. t0 + m`` of ``X`` transposed into ``xt`` (D, TILE), as float64."""
    D = X.shape[1]
    for t in range(m):
        for i in range(D):
            xt[i, t] = X[t0 + t, i]


@njit(cache=True, nogil=True)
def load_weights(sample_weight, t0, m, wt):
    if sample_weight.shape[0] > 0:
        for t in range(m):
            wt[t] = sample_weight[t0 + t]
    else:
        for t in range(m):
            wt[t] = 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def tile_log_sum_exp(lp, out, m, wt, lse, scratch, bits):
    """Each row's ``log sum_k exp(lp[k, t])`` (``lp`` (K, TILE)) into ``lse``.

    ``out`` (K, TILE) receives ``exp(lp - max_k lp)``, ``scratch[0]`` each row's largest
    log density and ``scratch[1]`` the sum of ``out`` over k (at least 1).  Returns
    ``sum_t wt[t] lse[t]``.  Shared by the statistics (:func:`normalise_tile`) and the
    sampler (:mod:`.sampling`), so both normalise with the same exp and log.
    """
    K = lp.shape[0]
    top = scratch[0]
    for t in range(m):
        top[t] = lp[0, t]
    for k in range(1, K):
        for t in range(m):
            top[t] = max(top[t], lp[k, t])
    tot = scratch[1]
    for t in range(m):
        tot[t] = 0.0
    for k in range(K):
        # into another array: with input and output the same, LLVM's overlap
        # check sends the loop down its scalar path (3x slower, measured)
        exp_shifted_add(lp[k], top, out[k], tot, bits, m)
    log_positive(tot, lse, bits, m)  # tot >= 1: the top component contributes exp(0)
    for t in range(m):
        lse[t] += top[t]
    return sum_product(wt, lse, m)


@njit(cache=True, nogil=True, error_model="numpy")
def normalise_tile(lp, resp, m, wt, lse, scratch, bits):
    """Log densities ``lp`` (K, TILE) -> weighted responsibilities ``resp`` (K, TILE).

    Writes each row's log-sum-exp into ``lse`` and returns ``sum_t wt[t] lse[t]``.
    Responsibilities below exp(-300) become exactly 0.  ``scratch`` is (2, TILE); on return
    ``scratch[0]`` holds each row's largest log density (its hard assignment's).
    """
    loglik = tile_log_sum_exp(lp, resp, m, wt, lse, scratch, bits)
    tot = scratch[1]
    for t in range(m):
        tot[t] = 1.0 / tot[t]
    for k in range(lp.shape[0]):
        row = resp[k]
        for t in range(m):
            r = row[t] * tot[t]
            row[t] = r * wt[t] if r >= RESP_FLOOR else 0.0
    return loglik


@njit(cache=True, nogil=True)
def sum_blocks(nk, sx, sxx, loglik, best):
    """The row blocks' statistics summed in block order: the same sums whatever the threads."""
    total_nk = np.zeros(nk.shape[1:])
    total_sx = np.zeros(sx.shape[1:])
    total_sxx = np.zeros(sxx.shape[1:])
    total_loglik = 0.0
    total_best = 0.0
    for block in range(nk.shape[0]):
        total_nk += nk[block]
        total_sx += sx[block]
        total_sxx += sxx[block]
        total_loglik += loglik[block]
        total_best += best[block]
    return total_nk, total_sx, total_sxx, total_loglik, total_best


@njit(cache=True, nogil=True)
def mirror_upper(sxx):
    """Copy the upper triangle of each (D, D) matrix of ``sxx`` (K, D, D) onto its lower one
    (the full kernels accumulate the upper triangle only)."""
    K, D, _ = sxx.shape
    for k in range(K):
        for i in range(D):
            for j in range(i + 1, D):
                sxx[k, j, i] = sxx[k, i, j]


@njit(cache=True, nogil=True)
def quad_columns4(d, factor, k, j, y0, y1, y2, y3, q, m):
    """``q += sum_{c < 4} y_{j+c}^2`` with ``y_c = sum_{i <= c} d_i U[k, i, c]``, one pass over d.

    ``factor`` is upper triangular: entries below the diagonal are read as 0.
    """
    d0 = d[0]
    u0, u1, u2, u3 = factor[k, 0, j], factor[k, 0, j + 1], factor[k, 0, j + 2], factor[k, 0, j + 3]
    for t in range(m):
        v = d0[t]
        y0[t] = v * u0
        y1[t] = v * u1
        y2[t] = v * u2
        y3[t] = v * u3
    for i in range(1, j + 4):
        u0 = factor[k, i, j] if i <= j else 0.0
        u1 = factor[k, i, j + 1] if i <= j + 1 else 0.0
        u2 = factor[k, i, j + 2] if i <= j + 2 else 0.0
        u3 = factor[k, i, j + 3]
        di = d[i]
        for t in range(m):
            v = di[t]
            y0[t] += v * u0
            y1[t] += v * u1
            y2[t] += v * u2
            y3[t] += v * u3
    for t in range(m):
        q[t] += (y0[t] * y0[t] + y1[t] * y1[t]) + (y2[t] * y2[t] + y3[t] * y3[t])


@njit(cache=True, nogil=True)
def tile_log_density_full(xt, d, means, prec_chol, log_offset, lp, y, y2, y3, y4, q, m):
    """``lp[k, t] = log_offset[k] - 0.5 ||(x_t - m_k) U_k||^2`` for the tile ``xt`` (D, TILE).

    Leaves the deviations of the last component in ``d``; ``y .. y4`` and ``q`` are
    (TILE,) scratch.  Shared by the statistics and the sampling kernels (.sampling), so
    both see the same log densities to the bit.
    """
    K, D = means.shape
    for k in range(K):
        for i in range(D):
            mu = means[k, i]
            for t in range(m):
                d[i, t] = xt[i, t] - mu
        for t in range(m):
            q[t] = 0.0
        # y_j = sum_{i <= j} d_i U_ij, four columns j a pass over d (a quarter
        # of its reads); then two, then one for the last columns (np.int64: a literal 0
        # compiled quad_columns4 a second time, for Literal[int](0))
        j = np.int64(0)
        while j + 3 < D:
            quad_columns4(d, prec_chol, k, j, y, y2, y3, y4, q, m)
            j += 4
        if j + 1 < D:
            u0, u1 = prec_chol[k, 0, j], prec_chol[k, 0, j + 1]
            d0 = d[0]
            for t in range(m):
                y[t] = d0[t] * u0
                y2[t] = d0[t] * u1
            for i in range(1, j + 2):
                u0 = prec_chol[k, i, j] if i <= j else 0.0
                u1 = prec_chol[k, i, j + 1]
                di = d[i]
                for t in range(m):
                    y[t] += di[t] * u0
                    y2[t] += di[t] * u1
            for t in range(m):
                q[t] += y[t] * y[t] + y2[t] * y2[t]
            j += 2
        if j < D:
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
        c = log_offset[k]
        for t in range(m):
            lp[k, t] = c - 0.5 * q[t]


@njit(cache=True, nogil=True)
def tile_log_density_diag(xt, means, prec_sqrt, log_offset, lp, q, m):
    """``lp[k, t]`` for the diagonal form (``prec_sqrt`` (K, D)); ``q`` is (TILE,) scratch."""
    K, D = means.shape
    for k in range(K):
        for t in range(m):
            q[t] = 0.0
        for i in range(0, D - 1, 2):  # two features a pass: half the traffic on q
            mu0, s0 = means[k, i], prec_sqrt[k, i]
            mu1, s1 = means[k, i + 1], prec_sqrt[k, i + 1]
            x0, x1 = xt[i], xt[i + 1]
            for t in range(m):
                v0 = (x0[t] - mu0) * s0
                v1 = (x1[t] - mu1) * s1
                q[t] += v0 * v0 + v1 * v1
        if D % 2:
            mu0, s0 = means[k, D - 1], prec_sqrt[k, D - 1]
            x0 = xt[D - 1]
            for t in range(m):
                v0 = (x0[t] - mu0) * s0
                q[t] += v0 * v0
        c = log_offset[k]
        for t in range(m):
            lp[k, t] = c - 0.5 * q[t]


@njit(cache=True, nogil=True, error_model="numpy")
def full_block_stats(X, sample_weight, means, prec_chol, log_offset, start, stop, nk, sx, sxx):
    """Rows ``start .. stop`` added into one block's ``nk`` (K,), ``sx`` (K, D) and the
    upper triangle of ``sxx`` (K, D, D); returns the block's log-likelihood and its
    classification log-likelihood (see :func:`estep_stats_full`).

    Arguments as :func:`estep_stats_full`.
    """
    D = X.shape[1]
    K = means.shape[0]
    loglik = 0.0
    best = 0.0
    xt = np.empty((D, TILE))
    d = np.empty((D, TILE))
    rd = np.empty((D, TILE))
    lp = np.empty((K, TILE))
    resp = np.empty((K, TILE))
    y = np.empty(TILE)
    y2 = np.empty(TILE)
    y3 = np.empty(TILE)
    y4 = np.empty(TILE)
    q = np.empty(TILE)
    wt = np.empty(TILE)
    lse = np.empty(TILE)
    scratch = np.empty((2, TILE))
    bits = np.empty(TILE, dtype=np.int64)
    for t0 in range(start, stop, TILE):
        m = min(TILE, stop - t0)
        load_tile(X, t0, m, xt)
        load_weights(sample_weight, t0, m, wt)
        tile_log_density_full(xt, d, means, prec_chol, log_offset, lp, y, y2, y3, y4, q, m)
        loglik += normalise_tile(lp, resp, m, wt, lse, scratch, bits)
        best += sum_product(wt, scratch[0], m)
        for k in range(K):
            r = resp[k]
            count = total(r, m)
            if count == 0.0:
                continue  # a component far from every row of this tile
            nk[k] += count
            for i in range(D):
                sx[k, i] += centre_and_weigh(xt[i], means[k, i], r, d[i], rd[i], m)
            for i in range(D):
                # four columns a pass: rd[i] read once for four products (3 -> 1.25 reads each)
                j = i
                while j + 3 < D:
                    a, b, c, e = sum_product4(rd[i], d[j], d[j + 1], d[j + 2], d[j + 3], m)
                    sxx[k, i, j] += a
                    sxx[k, i, j + 1] += b
                    sxx[k, i, j + 2] += c
                    sxx[k, i, j + 3] += e
                    j += 4
                if j + 1 < D:
                    a, b = sum_product2(rd[i], d[j], d[j + 1], m)
                    sxx[k, i, j] += a
                    sxx[k, i, j + 1] += b
                    j += 2
                if j < D:
                    sxx[k, i, j] += sum_product(rd[i], d[j], m)
    return loglik, best


@njit(parallel=True, cache=True, nogil=True)
def _full_block_stats_parallel(
    X, sample_weight, means, prec_chol, log_offset, nk, sx, sxx, loglik, best
):
    # nothing but the parallel loop (see _blocks_full in .sampling: a parallel function's
    # own array operations become parfors of their own and lengthen the first compile)
    n_blocks, N = nk.shape[0], X.shape[0]
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        loglik[block], best[block] = full_block_stats(
            X, sample_weight, means, prec_chol, log_offset, start, stop, nk[block], sx[block], sxx[block]
        )  # fmt: skip


@njit(cache=True, nogil=True)
def block_accumulators(n_rows, K, D):
    """Zeroed per-block ``nk`` (B, K), ``sx`` (B, K, D), ``loglik`` (B,) and ``best`` (B,)
    for the :func:`.blocks.n_row_blocks` blocks of ``n_rows`` rows."""
    n_blocks = n_row_blocks(n_rows)
    return (
        np.zeros((n_blocks, K)),
        np.zeros((n_blocks, K, D)),
        np.zeros(n_blocks),
        np.zeros(n_blocks),
    )


@njit(cache=True, nogil=True)
def estep_stats_full(X, sample_weight, means, prec_chol, log_offset):
    """Statistics for the ``full`` kernel form, the row blocks run on the calling thread.

    Parameters
    ----------
    X : (N, D) float32 or float64, C-contiguous
    sample_weight : (N,) float64, or (0,) for unit weights
    means : (K, D) float64
    prec_chol : (K, D, D) float64, upper triangular factors U with U U^T = precision
    log_offset : (K,) float64

    Returns
    -------
    nk (K,), sx (K, D), sxx (K, D, D), loglik (float), and the classification
    log-likelihood ``sum_n w[n] max_k log rho[n, k]`` (float), whose difference from
    ``loglik`` is ICL's classification entropy

    :func:`estep_stats_full_parallel` shares the same blocks among Numba's threads, so
    the sums are the same bits; small passes run here (waking the threads costs more than
    the pass, see :data:`bayesgmm.stats.SERIAL_WORK`).
    """
    N, D = X.shape
    K = means.shape[0]
    nk, sx, loglik, best = block_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D, D))
    for block in range(nk.shape[0]):  # the parallel entry's blocks, in block order
        start, stop = block_bounds(block, nk.shape[0], N)
        loglik[block], best[block] = full_block_stats(
            X, sample_weight, means, prec_chol, log_offset, start, stop, nk[block], sx[block], sxx[block]
        )  # fmt: skip
    totals = sum_blocks(nk, sx, sxx, loglik, best)
    mirror_upper(totals[2])
    return totals


@njit(cache=True, nogil=True)
def estep_stats_full_parallel(X, sample_weight, means, prec_chol, log_offset):
    """:func:`estep_stats_full` with the row blocks shared among Numba's threads."""
    N, D = X.shape
    K = means.shape[0]
    nk, sx, loglik, best = block_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D, D))
    _full_block_stats_parallel(
        X, sample_weight, means, prec_chol, log_offset, nk, sx, sxx, loglik, best
    )
    totals = sum_blocks(nk, sx, sxx, loglik, best)
    mirror_upper(totals[2])
    return totals


@njit(cache=True, nogil=True, error_model="numpy")
def diag_block_stats(X, sample_weight, means, prec_sqrt, log_offset, start, stop, nk, sx, sxx):
    """Rows ``start .. stop`` added into one block's ``nk`` (K,), ``sx`` (K, D) and
    ``sxx`` (K, D); returns the block's log-likelihood and classification log-likelihood.

    Arguments as :func:`estep_stats_diag`.
    """
    D = X.shape[1]
    K = means.shape[0]
    loglik = 0.0
    best = 0.0
    xt = np.empty((D, TILE))
    lp = np.empty((K, TILE))
    resp = np.empty((K, TILE))
    q = np.empty(TILE)
    wt = np.empty(TILE)
    lse = np.empty(TILE)
    scratch = np.empty((2, TILE))
    bits = np.empty(TILE, dtype=np.int64)
    for t0 in range(start, stop, TILE):
        m = min(TILE, stop - t0)
        load_tile(X, t0, m, xt)
        load_weights(sample_weight, t0, m, wt)
        tile_log_density_diag(xt, means, prec_sqrt, log_offset, lp, q, m)
        loglik += normalise_tile(lp, resp, m, wt, lse, scratch, bits)
        best += sum_product(wt, scratch[0], m)
        for k in range(K):
            r = resp[k]
            count = total(r, m)
            if count == 0.0:
                continue
            nk[k] += count
            for i in range(D):
                first, second = weighted_moments(xt[i], means[k, i], r, m)
                sx[k, i] += first
                sxx[k, i] += second
    return loglik, best


@njit(parallel=True, cache=True, nogil=True)
def _diag_block_stats_parallel(
    X, sample_weight, means, prec_sqrt, log_offset, nk, sx, sxx, loglik, best
):
    # nothing but the parallel loop (see _blocks_full in .sampling: a parallel function's
    # own array operations become parfors of their own and lengthen the first compile)
    n_blocks, N = nk.shape[0], X.shape[0]
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        loglik[block], best[block] = diag_block_stats(
            X, sample_weight, means, prec_sqrt, log_offset, start, stop, nk[block], sx[block], sxx[block]
        )  # fmt: skip


@njit(cache=True, nogil=True)
def estep_stats_diag(X, sample_weight, means, prec_sqrt, log_offset):
    """Statistics for the ``diag`` kernel form (``sxx`` holds only the diagonal), the row
    blocks run on the calling thread.

    ``prec_sqrt[k, i]`` is ``1 / sigma_ki``; other arguments as
    :func:`estep_stats_full`.
    """
    N, D = X.shape
    K = means.shape[0]
    nk, sx, loglik, best = block_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D))
    for block in range(nk.shape[0]):  # the parallel entry's blocks, in block order
        start, stop = block_bounds(block, nk.shape[0], N)
        loglik[block], best[block] = diag_block_stats(
            X, sample_weight, means, prec_sqrt, log_offset, start, stop, nk[block], sx[block], sxx[block]
        )  # fmt: skip
    return sum_blocks(nk, sx, sxx, loglik, best)


@njit(cache=True, nogil=True)
def estep_stats_diag_parallel(X, sample_weight, means, prec_sqrt, log_offset):
    """:func:`estep_stats_diag` with the row blocks shared among Numba's threads."""
    N, D = X.shape
    K = means.shape[0]
    nk, sx, loglik, best = block_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D))
    _diag_block_stats_parallel(
        X, sample_weight, means, prec_sqrt, log_offset, nk, sx, sxx, loglik, best
    )
    return sum_blocks(nk, sx, sxx, loglik, best)
