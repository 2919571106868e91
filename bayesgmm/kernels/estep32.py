"""The fused E-step of :mod:`.estep` computed in float32, for float32 data.

Same statistics, layout and row blocks as :mod:`.estep`; what differs:

* scratch tiles (data, deviations, products, log densities, responsibilities)
  are float32, so every inner loop works on twice as many lanes per SIMD
  register, and the precision factor comes in as float32 (cast once per pass);
* deviations are ``(x - hi) - lo`` with the float64 mean split into its
  float32 rounding ``hi`` and the rest ``lo`` (:func:`.vecmath32.deviations32`):
  data far from the origin keep their spread, as in float64;
* exp and log are the float32 polynomials of :mod:`.vecmath32`;
* the quadratic form and the scatter are walked in 4 x 4 blocks (eight reads for
  16 products) over tiles of 1024 rows, whose horizontal reductions cost a
  quarter of what they would at 256;
* sums over one tile are float32, sums over tiles and blocks float64, and
  the statistics returned are float64 like those of :mod:`.estep`;
* ``log_offset`` is taken relative to its largest value, which the caller adds
  back in float64 (the log densities of the likely components stay small, so
  their float32 rounding is small); responsibilities below exp(-46) (1e-20)
  become 0, which keeps products of responsibilities and deviations out of
  float32's denormals.

The caller (:func:`bayesgmm.stats.accumulate`) decides when float32 is safe:
see its docstring.
"""

import numpy as np
from numba import njit, prange

from .blocks import block_bounds
from .estep import block_accumulators, mirror_upper, sum_blocks
from .vecmath32 import (
    F0,
    HALF,
    deviations32,
    exp_shifted_add32,
    log_positive32,
    sum_product2_32,
    sum_product4_32,
    sum_product32,
    sum_product_4x4_32,
    total32,
    weigh32,
)

# Rows per tile: 4x the float64 kernel's.  Each tile ends in D (D + 1) / 2 horizontal
# reductions per component; at 256 rows they cost as much as the products
# (measured: the float32 scatter was no faster than float64's).  (3 D + 2 K) x TILE
# float32 scratch per thread: 320 KiB at D = K = 16, in L2.
TILE = 1024
# rows of the scratch tiles are PITCH apart: 4 KiB apart, they would share L1 sets
PITCH = TILE + 16

LOG_RESP_FLOOR32 = -46.0
RESP_FLOOR32 = np.float32(np.exp(LOG_RESP_FLOOR32))


@njit(cache=True, nogil=True)
def load_tile32(X, t0, m, xt):
    """Rows ``t0 .. t0 + m`` of float32 ``X`` transposed into float32 ``xt`` (D, TILE)."""
    D = X.shape[1]
    for t in range(m):
        for i in range(D):
            xt[i, t] = X[t0 + t, i]


@njit(cache=True, nogil=True)
def load_weights32(sample_weight, t0, m, wt):
    if sample_weight.shape[0] > 0:
        for t in range(m):
            wt[t] = np.float32(sample_weight[t0 + t])
    else:
        for t in range(m):
            wt[t] = np.float32(1.0)


@njit(cache=True, nogil=True, error_model="numpy")
def normalise_tile32(lp, resp, m, wt, lse, scratch, bits):
    """:func:`.estep.normalise_tile` in float32; returns ``sum_t wt[t] lse[t]`` (float32)."""
    K = lp.shape[0]
    top = scratch[0]
    for t in range(m):
        top[t] = lp[0, t]
    for k in range(1, K):
        for t in range(m):
            top[t] = max(top[t], lp[k, t])
    tot = scratch[1]
    for t in range(m):
        tot[t] = F0
    for k in range(K):
        exp_shifted_add32(lp[k], top, resp[k], tot, bits, m)
    log_positive32(tot, lse, bits, m)
    for t in range(m):
        lse[t] += top[t]
    loglik = sum_product32(wt, lse, m)
    one = np.float32(1.0)
    for t in range(m):
        tot[t] = one / tot[t]
    for k in range(K):
        row = resp[k]
        for t in range(m):
            r = row[t] * tot[t]
            row[t] = r * wt[t] if r >= RESP_FLOOR32 else F0
    return loglik


@njit(cache=True, nogil=True, fastmath={"contract"})
def quad_block4_32(d, factor, k, j, y0, y1, y2, y3, q, m):
    """``q += sum_{c < 4} y_{j+c}^2`` with ``y_c = sum_{i <= c} d_i U[k, i, c]``, for ``j % 4 == 0``.

    The rows of ``d`` are taken four at a time: each pass reads four deviations
    and the four partial ``y`` for 16 products (:func:`.estep.quad_columns4`
    reads one deviation and four ``y`` for four), and the last pass, the
    triangle's diagonal block, adds the squares to ``q`` without storing ``y``.
    """
    for i in range(0, j, 4):  # blocks above the diagonal block: all 16 entries
        u00, u01, u02, u03 = (
            factor[k, i, j],
            factor[k, i, j + 1],
            factor[k, i, j + 2],
            factor[k, i, j + 3],
        )
        u10, u11, u12, u13 = (
            factor[k, i + 1, j],
            factor[k, i + 1, j + 1],
            factor[k, i + 1, j + 2],
            factor[k, i + 1, j + 3],
        )
        u20, u21, u22, u23 = (
            factor[k, i + 2, j],
            factor[k, i + 2, j + 1],
            factor[k, i + 2, j + 2],
            factor[k, i + 2, j + 3],
        )
        u30, u31, u32, u33 = (
            factor[k, i + 3, j],
            factor[k, i + 3, j + 1],
            factor[k, i + 3, j + 2],
            factor[k, i + 3, j + 3],
        )
        da, db, dc, dd = d[i], d[i + 1], d[i + 2], d[i + 3]
        if i == 0:
            for t in range(m):
                a, b, c, e = da[t], db[t], dc[t], dd[t]
                y0[t] = a * u00 + b * u10 + c * u20 + e * u30
                y1[t] = a * u01 + b * u11 + c * u21 + e * u31
                y2[t] = a * u02 + b * u12 + c * u22 + e * u32
                y3[t] = a * u03 + b * u13 + c * u23 + e * u33
        else:
            for t in range(m):
                a, b, c, e = da[t], db[t], dc[t], dd[t]
                y0[t] += a * u00 + b * u10 + c * u20 + e * u30
                y1[t] += a * u01 + b * u11 + c * u21 + e * u31
                y2[t] += a * u02 + b * u12 + c * u22 + e * u32
                y3[t] += a * u03 + b * u13 + c * u23 + e * u33
    # the diagonal block: U[j + r, j + c] = 0 for r > c
    u00, u01, u02, u03 = (
        factor[k, j, j],
        factor[k, j, j + 1],
        factor[k, j, j + 2],
        factor[k, j, j + 3],
    )
    u11, u12, u13 = factor[k, j + 1, j + 1], factor[k, j + 1, j + 2], factor[k, j + 1, j + 3]
    u22, u23 = factor[k, j + 2, j + 2], factor[k, j + 2, j + 3]
    u33 = factor[k, j + 3, j + 3]
    da, db, dc, dd = d[j], d[j + 1], d[j + 2], d[j + 3]
    if j == 0:
        for t in range(m):
            a, b, c, e = da[t], db[t], dc[t], dd[t]
            v0 = a * u00
            v1 = a * u01 + b * u11
            v2 = a * u02 + b * u12 + c * u22
            v3 = a * u03 + b * u13 + c * u23 + e * u33
            q[t] += (v0 * v0 + v1 * v1) + (v2 * v2 + v3 * v3)
    else:
        for t in range(m):
            a, b, c, e = da[t], db[t], dc[t], dd[t]
            v0 = y0[t] + a * u00
            v1 = y1[t] + a * u01 + b * u11
            v2 = y2[t] + a * u02 + b * u12 + c * u22
            v3 = y3[t] + a * u03 + b * u13 + c * u23 + e * u33
            q[t] += (v0 * v0 + v1 * v1) + (v2 * v2 + v3 * v3)


@njit(cache=True, nogil=True)
def add_row_tail32(row, a, d, j, m):
    """``row[c] += sum(a d[c])`` for the columns ``c >= j`` (fewer than 4 after the blocks)."""
    D = d.shape[0]
    while j + 3 < D:
        s0, s1, s2, s3 = sum_product4_32(a, d[j], d[j + 1], d[j + 2], d[j + 3], m)
        row[j] += s0
        row[j + 1] += s1
        row[j + 2] += s2
        row[j + 3] += s3
        j += 4
    if j + 1 < D:
        s0, s1 = sum_product2_32(a, d[j], d[j + 1], m)
        row[j] += s0
        row[j + 1] += s1
        j += 2
    if j < D:
        row[j] += sum_product32(a, d[j], m)


@njit(cache=True, nogil=True, error_model="numpy")
def full_block_stats32(
    X, sample_weight, mean_hi, mean_lo, prec_chol, log_offset, start, stop, nk, sx, sxx
):
    """Rows ``start .. stop`` added into one block's ``nk`` (K,), ``sx`` (K, D) and the
    upper triangle of ``sxx`` (K, D, D); returns the block's log-likelihood and
    classification log-likelihood.

    Arguments as :func:`estep_stats_full32`.
    """
    D = X.shape[1]
    K = mean_hi.shape[0]
    loglik = 0.0
    best = 0.0
    f32 = np.float32
    xt = np.empty((D, PITCH), f32)
    d = np.empty((D, PITCH), f32)
    rd = np.empty((D, PITCH), f32)
    lp = np.empty((K, PITCH), f32)
    resp = np.empty((K, PITCH), f32)
    y = np.empty(TILE, f32)
    y2 = np.empty(TILE, f32)
    y3 = np.empty(TILE, f32)
    y4 = np.empty(TILE, f32)
    q = np.empty(TILE, f32)
    wt = np.empty(TILE, f32)
    lse = np.empty(TILE, f32)
    scratch = np.empty((2, TILE), f32)
    bits = np.empty(TILE, dtype=np.int32)
    for t0 in range(start, stop, TILE):
        m = min(TILE, stop - t0)
        load_tile32(X, t0, m, xt)
        load_weights32(sample_weight, t0, m, wt)
        for k in range(K):
            for i in range(D):
                deviations32(xt[i], mean_hi[k, i], mean_lo[k, i], d[i], m)
            for t in range(m):
                q[t] = F0
            j = np.int64(0)  # not a literal 0, which compiles quad_block4_32 a second time
            while j + 3 < D:
                quad_block4_32(d, prec_chol, k, j, y, y2, y3, y4, q, m)
                j += 4
            if j + 1 < D:
                u0, u1 = prec_chol[k, 0, j], prec_chol[k, 0, j + 1]
                d0 = d[0]
                for t in range(m):
                    y[t] = d0[t] * u0
                    y2[t] = d0[t] * u1
                for i in range(1, j + 2):
                    u0 = prec_chol[k, i, j] if i <= j else F0
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
                lp[k, t] = c - HALF * q[t]
        loglik += normalise_tile32(lp, resp, m, wt, lse, scratch, bits)
        best += sum_product32(wt, scratch[0], m)  # each row's largest log density
        for k in range(K):
            r = resp[k]
            count = total32(r, m)
            if count == F0:
                continue
            nk[k] += count
            for i in range(D):
                deviations32(xt[i], mean_hi[k, i], mean_lo[k, i], d[i], m)
                sx[k, i] += weigh32(r, d[i], rd[i], m)
            # rows of the upper triangle four at a time, columns four at a time
            i = 0
            while i + 3 < D:
                j = i
                while j + 3 < D:
                    block4 = sum_product_4x4_32(
                        rd[i],
                        rd[i + 1],
                        rd[i + 2],
                        rd[i + 3],
                        d[j],
                        d[j + 1],
                        d[j + 2],
                        d[j + 3],
                        m,
                    )
                    for a in range(4):
                        for b in range(4):
                            sxx[k, i + a, j + b] += block4[4 * a + b]
                    j += 4
                for a in range(4):
                    add_row_tail32(sxx[k, i + a], rd[i + a], d, j, m)
                i += 4
            while i < D:
                add_row_tail32(sxx[k, i], rd[i], d, i, m)
                i += 1
    return loglik, best


@njit(parallel=True, cache=True, nogil=True)
def _full_block_stats32_parallel(
    X, sample_weight, mean_hi, mean_lo, prec_chol, log_offset, nk, sx, sxx, loglik, best
):
    # nothing but the parallel loop, as in .estep
    n_blocks, N = nk.shape[0], X.shape[0]
    for block in prange(n_blocks):
        start, stop = block_bounds(block, n_blocks, N)
        loglik[block], best[block] = full_block_stats32(
            X, sample_weight, mean_hi, mean_lo, prec_chol, log_offset, start, stop,
            nk[block], sx[block], sxx[block],
        )  # fmt: skip


@njit(cache=True, nogil=True)
def estep_stats_full32(X, sample_weight, mean_hi, mean_lo, prec_chol, log_offset):
    """Statistics for the ``full`` kernel form, computed in float32, the row blocks run on
    the calling thread (:func:`estep_stats_full32_parallel` shares them among Numba's threads).

    Parameters
    ----------
    X : (N, D) float32, C-contiguous
    sample_weight : (N,) float64, or (0,) for unit weights
    mean_hi, mean_lo : (K, D) float32, the means rounded to float32 and the rest
    prec_chol : (K, D, D) float32, upper triangular factors U with U U^T = precision
    log_offset : (K,) float32, relative to a constant the caller adds back

    Returns
    -------
    nk (K,), sx (K, D), sxx (K, D, D) float64 moments about ``hi + lo``, and
    the summed log-likelihood (float64) and classification log-likelihood (as
    :func:`.estep.estep_stats_full`), both without the caller's constant
    """
    N, D = X.shape
    K = mean_hi.shape[0]
    nk, sx, loglik, best = block_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D, D))
    for block in range(nk.shape[0]):  # the parallel entry's blocks, in block order
        start, stop = block_bounds(block, nk.shape[0], N)
        loglik[block], best[block] = full_block_stats32(
            X, sample_weight, mean_hi, mean_lo, prec_chol, log_offset, start, stop,
            nk[block], sx[block], sxx[block],
        )  # fmt: skip
    totals = sum_blocks(nk, sx, sxx, loglik, best)
    mirror_upper(totals[2])
    return totals


@njit(cache=True, nogil=True)
def estep_stats_full32_parallel(X, sample_weight, mean_hi, mean_lo, prec_chol, log_offset):
    """:func:`estep_stats_full32` with the row blocks shared among Numba's threads."""
    N, D = X.shape
    K = mean_hi.shape[0]
    nk, sx, loglik, best = block_accumulators(N, K, D)
    sxx = np.zeros((nk.shape[0], K, D, D))
    _full_block_stats32_parallel(
        X, sample_weight, mean_hi, mean_lo, prec_chol, log_offset, nk, sx, sxx, loglik, best
    )
    totals = sum_blocks(nk, sx, sxx, loglik, best)
    mirror_upper(totals[2])
    return totals
