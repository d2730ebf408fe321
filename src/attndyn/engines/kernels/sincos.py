"""sin and cos of a float64 angle in [0, 2 pi], written so that loops around them vectorise.

The angle is reduced by the nearest multiple k of pi/2, with pi/2 split in three parts (the
first two with 33 significant bits, so k P1 and k P2 are exact for k <= 4; pi from Machin's
formula in integer arithmetic, to ~2^-119), then the Taylor polynomials of sin(r)/r - 1 and
cos(r) - 1 in z = r^2 for |r| <= pi/4 (degrees 8 and 9 in z), and the quadrant picks and
negates them with one-level selects. The result is within a few float64 ulps of libm's.

That is close enough for the initial points, which are float32 roundings of cos and sin:
two float64 values a few ulps apart round to the same float32 unless they straddle a
rounding boundary. :func:`rounds_safely` says when every float64 within 2^-48 of a value
rounds alike; where it does not, the kernels take libm's value instead.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from numba import njit


def _pi_over_2_parts() -> tuple[float, float, float]:
    """pi/2 = P1 + P2 + P3 (to ~2^-119): P1, P2 have 33 significant bits, so k * P1 and
    k * P2 are exact for k <= 4 (pi from Machin's formula in integer arithmetic)."""
    one = 1 << 300

    def arctan_inv(x: int) -> int:
        total, term, k, sign = 0, one // x, 1, 1
        while term:
            total += sign * (term // k)
            term //= x * x
            k += 2
            sign = -sign
        return total

    half_pi = Fraction(4 * arctan_inv(5) - arctan_inv(239), one) * 2
    p1 = Fraction(math.floor(half_pi * 2**32), 2**32)
    p2 = Fraction(math.floor((half_pi - p1) * 2**65), 2**65)
    return float(p1), float(p2), float(half_pi - p1 - p2)


_PIO2_1, _PIO2_2, _PIO2_3 = _pi_over_2_parts()
_TWO_OVER_PI = 2.0 / math.pi
# Taylor coefficients of sin(r) / r - 1 and cos(r) - 1 in z = r^2, for |r| <= pi/4.
_SIN_C = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(1, 9))
_COS_C = tuple((-1) ** k / math.factorial(2 * k) for k in range(1, 10))
_BELOW = 1.0 - 2.0**-48
_ABOVE = 1.0 + 2.0**-48


@njit(inline="always", cache=True, error_model="numpy")
def sin_cos(theta):
    """(sin, cos) of a float64 theta in [0, 2 pi], to a few float64 ulps; vectorises."""
    k = np.floor(theta * _TWO_OVER_PI + 0.5)
    r = ((theta - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3
    z = r * r
    s = _SIN_C[7]
    s = s * z + _SIN_C[6]
    s = s * z + _SIN_C[5]
    s = s * z + _SIN_C[4]
    s = s * z + _SIN_C[3]
    s = s * z + _SIN_C[2]
    s = s * z + _SIN_C[1]
    s = s * z + _SIN_C[0]
    sr = r + r * (z * s)
    c = _COS_C[8]
    c = c * z + _COS_C[7]
    c = c * z + _COS_C[6]
    c = c * z + _COS_C[5]
    c = c * z + _COS_C[4]
    c = c * z + _COS_C[3]
    c = c * z + _COS_C[2]
    c = c * z + _COS_C[1]
    c = c * z + _COS_C[0]
    cr = 1.0 + z * c
    # Quadrant q: (sin, cos) = (sr, cr), (cr, -sr), (-sr, -cr), (-cr, sr) for q = 0..3, as
    # one-level selects (nested ones keep LLVM from vectorising the loop).
    quadrant = np.int64(k) & 3
    swap = (quadrant & 1) == 1
    s0 = cr if swap else sr
    c0 = sr if swap else cr
    sin = -s0 if (quadrant & 2) == 2 else s0
    cos = -c0 if ((quadrant + 1) & 2) == 2 else c0
    return sin, cos


@njit(inline="always", cache=True, error_model="numpy")
def rounds_safely(y):
    """Whether every float64 within 2^-48 |y| of y rounds to the same float32 as y."""
    return np.float32(y * _BELOW) == np.float32(y * _ABOVE)


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def sin_cos_array(theta, sin, cos):
    """sin_cos elementwise (for tests)."""
    for i in range(theta.size):
        sin[i], cos[i] = sin_cos(theta[i])
