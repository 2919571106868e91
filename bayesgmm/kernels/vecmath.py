"""Loops over short contiguous arrays that LLVM turns into SIMD code.

Numba calls the C library's scalar ``exp`` (13 ns a call on our machine, for
1.1 ns here): at small D the E-step is mostly exponentials, so a vectorisable
exponential is most of the speed of the small-D kernels.

``exp_nonpositive`` is Cody-Waite range reduction (``x = n ln 2 + r``,
``|r| <= ln 2 / 2``, with ln 2 split in two so that ``n ln 2`` is exact), the
degree-13 Taylor polynomial of ``e^r`` (truncation error below 4e-18
relative) and the power ``2^n`` built from its IEEE bits.  Its error is within
one ulp of ``np.exp`` (2.2e-16 relative, measured over [-708, 0]).  It must
not be compiled with ``reassoc``: that would fold the split constant back
into one and lose the exact reduction.

``sum_product`` and ``total`` are the reductions of the kernels' statistics.
They are compiled with ``reassoc`` so that LLVM may sum in SIMD lanes: the
order of the additions then depends on the array's length only, never on
the thread count, so results stay reproducible bit for bit.
"""

import math

import numpy as np
from numba import njit

LOG2E = 1.4426950408889634
LN2_HI = 0.693147180369123816490  # fdlibm's split of ln 2: n * LN2_HI is exact for |n| < 2^20
LN2_LO = 1.90821492927058770002e-10
# below this, e^x is subnormal; the kernels floor responsibilities long before (exp(-300))
EXP_ARG_MIN = -708.0

_C = [1.0 / math.factorial(k) for k in range(14)]
C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13 = _C[2:]


@njit(cache=True, nogil=True, fastmath={"contract"})
def exp_nonpositive(x, out, bits, m):
    """``out[t] = exp(x[t])`` for ``t < m``, for ``x <= 0`` (below -708: ``exp(-708)``).

    ``bits`` is int64 scratch of length >= m.  ``x`` and ``out`` should be
    different arrays: for the same one LLVM's overlap check picks its scalar loop.
    """
    for t in range(m):
        out[t] = _exp_mantissa(x[t], bits, t)
    scale = bits.view(np.float64)
    for t in range(m):
        out[t] *= scale[t]


@njit(cache=True, nogil=True, fastmath={"contract"})
def exp_shifted_add(x, shift, out, tot, bits, m):
    """``out[t] = exp(x[t] - shift[t])`` and ``tot[t] += out[t]`` (arguments <= 0).

    The normalisation of one component's log densities in two passes instead
    of four; arrays as :func:`exp_nonpositive`.
    """
    for t in range(m):
        out[t] = _exp_mantissa(x[t] - shift[t], bits, t)
    scale = bits.view(np.float64)
    for t in range(m):
        v = out[t] * scale[t]
        out[t] = v
        tot[t] += v


@njit(cache=True, nogil=True, fastmath={"contract"}, inline="always")
def _exp_mantissa(x, bits, t):
    """e^r of ``x = n ln 2 + r``; stores the IEEE bits of 2^n in ``bits[t]``."""
    v = max(x, EXP_ARG_MIN)
    n = np.floor(v * LOG2E + 0.5)
    r = v - n * LN2_HI
    r = r - n * LN2_LO
    # Estrin's scheme: a Horner chain of 13 dependent FMAs is latency-bound
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q0 = (1.0 + r) + (C2 + C3 * r) * r2
    q1 = (C4 + C5 * r) + (C6 + C7 * r) * r2
    q2 = (C8 + C9 * r) + (C10 + C11 * r) * r2
    q3 = C12 + C13 * r
    bits[t] = (np.int64(n) + 1023) << 52
    return (q0 + q1 * r4) + (q2 + q3 * r4) * r8


# log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 3 - 2 sqrt 2 for m in [sqrt(1/2), sqrt 2)
_L = [2.0 / (2 * k + 1) for k in range(12)]
L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11 = _L
_MANTISSA = (1 << 52) - 1
_EXPONENT_ONE = 1023 << 52
SQRT2 = 1.4142135623730951


@njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")
def log_positive(x, out, bits, m):
    """``out[t] = log(x[t])`` for ``t < m``, for positive normal ``x`` (no zeros, infs, NaNs).

    The exponent and mantissa are read from the IEEE bits, and ``log`` of the
    mantissa in [sqrt(1/2), sqrt 2) is the atanh series to s^23 (truncation
    below 1e-18).  Within 2 ulp of ``np.log``.  ``bits`` is int64 scratch;
    ``x`` and ``out`` should be different arrays (see :func:`exp_nonpositive`).
    """
    xb = x.view(np.int64)
    for t in range(m):
        b = xb[t]
        bits[t] = (b & _MANTISSA) | _EXPONENT_ONE
        out[t] = np.float64((b >> 52) - 1023)  # the exponent, for now
    mant = bits.view(np.float64)
    for t in range(m):
        f = mant[t]
        big = 1.0 if f > SQRT2 else 0.0  # a select, not a branch: the loop stays SIMD
        f = f * (1.0 - 0.5 * big)
        e = out[t] + big
        s = (f - 1.0) / (f + 1.0)
        z = s * s
        z2 = z * z
        z4 = z2 * z2
        z8 = z4 * z4
        p0 = (L0 + L1 * z) + (L2 + L3 * z) * z2
        p1 = (L4 + L5 * z) + (L6 + L7 * z) * z2
        p2 = (L8 + L9 * z) + (L10 + L11 * z) * z2
        p = (p0 + p1 * z4) + p2 * z8
        out[t] = e * LN2_HI + (s * p + e * LN2_LO)


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_product(a, b, m):
    """``sum(a[:m] * b[:m])`` in SIMD lanes."""
    s = 0.0
    for t in range(m):
        s += a[t] * b[t]
    return s


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_product2(a, b, c, m):
    """``(sum(a b), sum(a c))`` over the first m values: one pass reads ``a`` once for both."""
    s = 0.0
    u = 0.0
    for t in range(m):
        s += a[t] * b[t]
        u += a[t] * c[t]
    return s, u


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_product4(a, b, c, d, e, m):
    """``sum(a b), sum(a c), sum(a d), sum(a e)`` over the first m values in one pass."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    for t in range(m):
        v = a[t]
        s0 += v * b[t]
        s1 += v * c[t]
        s2 += v * d[t]
        s3 += v * e[t]
    return s0, s1, s2, s3


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def total(a, m):
    """``sum(a[:m])`` in SIMD lanes."""
    s = 0.0
    for t in range(m):
        s += a[t]
    return s


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def centre_and_weigh(x, mu, r, d, rd, m):
    """``d = x - mu``, ``rd = r d`` for the first m values; returns ``sum(rd)``."""
    s = 0.0
    for t in range(m):
        v = x[t] - mu
        w = r[t] * v
        d[t] = v
        rd[t] = w
        s += w
    return s


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def weighted_moments(x, mu, r, m):
    """``(sum r (x - mu), sum r (x - mu)^2)`` over the first m values, in one pass."""
    s1 = 0.0
    s2 = 0.0
    for t in range(m):
        v = x[t] - mu
        w = r[t] * v
        s1 += w
        s2 += w * v
    return s1, s2
