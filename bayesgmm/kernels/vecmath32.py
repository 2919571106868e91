"""float32 twins of :mod:`.vecmath`, for the float32 kernels of :mod:`.estep32`.

Every constant here is a ``np.float32`` and every loop reads and writes
float32 arrays: one float64 literal in a loop would promote it to float64 and
halve its SIMD width (8 float64 lanes in a 512-bit register against 16
float32 lanes), which is the whole point of computing float32 data in float32.

``exp_shifted_add32`` is the Cody-Waite reduction of :mod:`.vecmath` with
fdlibm's float32 split of ln 2 (``n * LN2_HI`` exact for ``|n| < 2^9``) and the
degree-7 Taylor polynomial of ``e^r`` on ``|r| <= ln 2 / 2`` (truncation below
6e-9 relative, under float32's 6e-8 rounding).  Arguments are clamped at -87,
where ``2^n`` is still a normal float32.  ``log_positive32`` is the atanh series
of :func:`.vecmath.log_positive` to s^9 (truncation below 3e-8 on
``[sqrt(1/2), sqrt 2)``).  Both are within a few float32 ulp of NumPy's float32
results (tested).  Neither may be compiled with ``reassoc`` (see :mod:`.vecmath`).

The reductions return float32 partial sums over one tile (at most
:data:`.estep.TILE` values); the kernels add them into float64 accumulators.
"""

import math

import numpy as np
from numba import njit

F0 = np.float32(0.0)
F1 = np.float32(1.0)
HALF = np.float32(0.5)
LOG2E = np.float32(1.4426950408889634)
LN2_HI = np.float32(6.9314575195e-01)  # fdlibm's expf split: 0x3f317200, 15 significant bits
LN2_LO = np.float32(1.4286067653e-06)
EXP_ARG_MIN = np.float32(-87.0)  # 2^-126 is float32's smallest normal; n >= -125 here

C2, C3, C4, C5, C6, C7 = (np.float32(1.0 / math.factorial(k)) for k in range(2, 8))

_MANTISSA = np.int32((1 << 23) - 1)
_EXPONENT_ONE = np.int32(127 << 23)
SQRT2 = np.float32(1.4142135623730951)
L0, L1, L2, L3, L4 = (np.float32(2.0 / (2 * k + 1)) for k in range(5))


@njit(cache=True, nogil=True, fastmath={"contract"}, inline="always")
def _exp_mantissa32(x, bits, t):
    """e^r of ``x = n ln 2 + r``; stores the IEEE bits of 2^n in ``bits[t]`` (int32)."""
    v = max(x, EXP_ARG_MIN)
    n = np.floor(v * LOG2E + HALF)
    r = v - n * LN2_HI
    r = r - n * LN2_LO
    r2 = r * r
    r4 = r2 * r2
    q0 = (F1 + r) + (C2 + C3 * r) * r2
    q1 = (C4 + C5 * r) + (C6 + C7 * r) * r2
    bits[t] = (np.int32(n) + np.int32(127)) << np.int32(23)
    return q0 + q1 * r4


@njit(cache=True, nogil=True, fastmath={"contract"})
def exp_shifted_add32(x, shift, out, tot, bits, m):
    """``out[t] = exp(x[t] - shift[t])`` and ``tot[t] += out[t]`` (float32, arguments <= 0)."""
    for t in range(m):
        out[t] = _exp_mantissa32(x[t] - shift[t], bits, t)
    scale = bits.view(np.float32)
    for t in range(m):
        v = out[t] * scale[t]
        out[t] = v
        tot[t] += v


@njit(cache=True, nogil=True, fastmath={"contract"})
def exp_nonpositive32(x, out, bits, m):
    """``out[t] = exp(x[t])`` for float32 ``x <= 0`` (below -87: ``exp(-87)``); for tests."""
    for t in range(m):
        out[t] = _exp_mantissa32(x[t], bits, t)
    scale = bits.view(np.float32)
    for t in range(m):
        out[t] *= scale[t]


@njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")
def log_positive32(x, out, bits, m):
    """``out[t] = log(x[t])`` for positive normal float32 ``x``; ``bits`` is int32 scratch."""
    xb = x.view(np.int32)
    for t in range(m):
        b = xb[t]
        bits[t] = (b & _MANTISSA) | _EXPONENT_ONE
        out[t] = np.float32((b >> np.int32(23)) - np.int32(127))
    mant = bits.view(np.float32)
    for t in range(m):
        f = mant[t]
        big = F1 if f > SQRT2 else F0
        f = f * (F1 - HALF * big)
        e = out[t] + big
        s = (f - F1) / (f + F1)
        z = s * s
        z2 = z * z
        p = (L0 + L1 * z) + (L2 + L3 * z) * z2 + L4 * (z2 * z2)
        out[t] = e * LN2_HI + (s * p + e * LN2_LO)


@njit(cache=True, nogil=True)
def deviations32(x, hi, lo, d, m):
    """``d = (x - hi) - lo``: float32 ``x`` minus a float64 mean split as ``hi + lo``.

    ``hi`` is the mean rounded to float32 and ``lo`` the rest: ``x - hi`` is exact
    when x is within a factor 2 of hi (Sterbenz) and otherwise rounded once,
    so deviations of data far from the origin keep their digits.  No
    ``reassoc`` here: it would fold ``hi + lo`` back into ``hi``.
    """
    for t in range(m):
        d[t] = (x[t] - hi) - lo


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def weigh32(r, d, rd, m):
    """``rd = r d``; returns ``sum(rd)`` (float32, in SIMD lanes)."""
    s = F0
    for t in range(m):
        w = r[t] * d[t]
        rd[t] = w
        s += w
    return s


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def total32(a, m):
    s = F0
    for t in range(m):
        s += a[t]
    return s


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_product32(a, b, m):
    s = F0
    for t in range(m):
        s += a[t] * b[t]
    return s


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_product2_32(a, b, c, m):
    s = F0
    u = F0
    for t in range(m):
        s += a[t] * b[t]
        u += a[t] * c[t]
    return s, u


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_product4_32(a, b, c, d, e, m):
    s0 = F0
    s1 = F0
    s2 = F0
    s3 = F0
    for t in range(m):
        v = a[t]
        s0 += v * b[t]
        s1 += v * c[t]
        s2 += v * d[t]
        s3 += v * e[t]
    return s0, s1, s2, s3


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def sum_product_4x4_32(a0, a1, a2, a3, b0, b1, b2, b3, m):
    """The 16 sums ``sum(a_r b_c)`` over the first m values: 8 reads for 16 products.

    Returned row-major: ``(a0 b0, a0 b1, a0 b2, a0 b3, a1 b0, ...)``.
    """
    s00 = s01 = s02 = s03 = F0
    s10 = s11 = s12 = s13 = F0
    s20 = s21 = s22 = s23 = F0
    s30 = s31 = s32 = s33 = F0
    for t in range(m):
        v0 = a0[t]
        v1 = a1[t]
        v2 = a2[t]
        v3 = a3[t]
        w0 = b0[t]
        w1 = b1[t]
        w2 = b2[t]
        w3 = b3[t]
        s00 += v0 * w0
        s01 += v0 * w1
        s02 += v0 * w2
        s03 += v0 * w3
        s10 += v1 * w0
        s11 += v1 * w1
        s12 += v1 * w2
        s13 += v1 * w3
        s20 += v2 * w0
        s21 += v2 * w1
        s22 += v2 * w2
        s23 += v2 * w3
        s30 += v3 * w0
        s31 += v3 * w1
        s32 += v3 * w2
        s33 += v3 * w3
    return (s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33)
