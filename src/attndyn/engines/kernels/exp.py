"""exp for the CPU kernels, in float32 and float64, written so that loops around it vectorise.

float32 (:func:`fexp`): a Cody-Waite reduction x = k ln 2 + r (ln 2 split in two parts) and
a degree-6 polynomial for exp(r), times 2^k built from the exponent bits: within 1 ulp of
exp on [-87, 88] (tested). :func:`fexp_neg` extends it to every x <= 0: below -80 it
computes exp(x + 40) e^-40, so that subnormals and 0 come out as in NumPy (within 2 ulp).
No call to libm or SVML is left in the loops, so LLVM vectorises them.

float64 (:func:`dexp`): the same reduction to |r| <= ln(2)/2 with ln 2 in two parts (the
first to 32 bits, so k ln2_hi is exact for |k| < 2^20) and the Taylor polynomial of degree
13 (truncation below 5e-18 relative): within 1 ulp of libm's on [-700, 700] (tested), and
unlike libm's it vectorises. The float64 engine uses it in the max-free step.

:func:`exp_small` and :func:`exp_shifted` pick the exp of their argument's precision, so one
step function compiles for both: the max-free step's exp(x), |x| <= 88, and the
max-subtracted step's exp(d), d = s - max(s) <= 0 or nan (float64: NumPy's exp, as the
reference). The ``*_array`` kernels apply them elementwise, for tests.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

# -- float32 ------------------------------------------------------------------------------


@intrinsic
def _int32_bits_as_float32(typingctx, bits):
    """The float32 whose bits are the low 32 bits of an integer (vectorises to a no-op)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        low = builder.trunc(args[0], ir.IntType(32)) if bits.bitwidth > 32 else args[0]
        return builder.bitcast(low, ir.FloatType())

    return types.float32(bits), codegen


_F32 = np.float32
_LOG2E = _F32(1.4426950408889634)
_HALF = _F32(0.5)
_ONE = _F32(1.0)
_LN2_HI = _F32(0.693359375)
_LN2_LO = _F32(-2.12194440e-4)
_P0 = _F32(1.9875691500e-4)
_P1 = _F32(1.3981999507e-3)
_P2 = _F32(8.3334519073e-3)
_P3 = _F32(4.1665795894e-2)
_P4 = _F32(1.6666665459e-1)
_P5 = _F32(5.0000001201e-1)
_EXP_LO = _F32(-87.0)
_BIAS = np.int32(127)
_SHIFT = np.int32(23)
_EXP_M40 = _F32(math.exp(-40.0))
_LOW = _F32(-80.0)
_FORTY = _F32(40.0)


@njit(inline="always", cache=True, error_model="numpy")
def fexp(x):
    """exp of a float32 in [-87, 88]: Cody-Waite reduction and a degree-6 polynomial."""
    k = np.floor(x * _LOG2E + _HALF)
    r = x - k * _LN2_HI
    r = r - k * _LN2_LO
    z = r * r
    y = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * z + r + _ONE
    return y * _int32_bits_as_float32((np.int32(k) + _BIAS) << _SHIFT)


@njit(inline="always", cache=True, error_model="numpy")
def fexp_neg(x):
    """exp(x) for x <= 0 (not nan), also below the normal range (0 below about -104)."""
    low = x < _LOW
    shifted = x + _FORTY if low else x
    e = fexp(max(shifted, _EXP_LO))
    return e * _EXP_M40 if low else e


# -- float64 ------------------------------------------------------------------------------


@intrinsic
def _int64_bits_as_float64(typingctx, bits):
    """The float64 whose bits are those of an int64 (vectorises to a no-op)."""
    if not isinstance(bits, types.Integer) or bits.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(bits), codegen


_LOG2E_64 = 1.4426950408889634
_LN2_HI_64 = 0.6931471803691238  # ln 2 to 32 bits: k * _LN2_HI_64 is exact for |k| < 2^20
_LN2_LO_64 = 1.9082149292705877e-10
_EXP64_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13, 1, -1))  # 1/13! ... 1/2!


@njit(inline="always", cache=True, error_model="numpy")
def dexp(x):
    """exp of a float64 in [-700, 700]: Cody-Waite reduction to |r| <= ln(2)/2 and the Taylor
    polynomial of degree 13 (truncation below 5e-18 relative), 2^k from the exponent bits.
    Within 1 ulp of libm's (tested); unlike libm's it vectorises."""
    k = np.floor(x * _LOG2E_64 + 0.5)
    r = (x - k * _LN2_HI_64) - k * _LN2_LO_64
    p = _EXP64_TAYLOR[0]
    p = p * r + _EXP64_TAYLOR[1]
    p = p * r + _EXP64_TAYLOR[2]
    p = p * r + _EXP64_TAYLOR[3]
    p = p * r + _EXP64_TAYLOR[4]
    p = p * r + _EXP64_TAYLOR[5]
    p = p * r + _EXP64_TAYLOR[6]
    p = p * r + _EXP64_TAYLOR[7]
    p = p * r + _EXP64_TAYLOR[8]
    p = p * r + _EXP64_TAYLOR[9]
    p = p * r + _EXP64_TAYLOR[10]
    p = p * r + _EXP64_TAYLOR[11]
    y = (p * r) * r + r + 1.0
    return y * _int64_bits_as_float64((np.int64(k) + 1023) << 52)


# -- by precision -------------------------------------------------------------------------


def exp_shifted(d):
    """exp(d) for d = s - max(s) <= 0, or nan, as in the reference's max-subtracted softmax,
    in d's precision: float32 through fexp_neg, float64 through numpy's exp."""
    return math.exp(d) if d == d else d


@overload(exp_shifted)
def _exp_shifted_in_precision(d):
    if d == types.float32:

        def exp_float32(d):
            if d != d:
                return d
            return fexp_neg(d)

        return exp_float32
    return lambda d: np.exp(d)


def exp_small(x):
    """exp(x) for |x| <= 88 in x's precision: float32 through fexp, float64 through dexp."""
    return math.exp(x)


@overload(exp_small, inline="always")
def _exp_small_in_precision(x):
    if x == types.float32:
        return lambda x: fexp(x)
    return lambda x: dexp(x)


# -- elementwise, for tests ---------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def fexp_array(x, out):
    """fexp elementwise."""
    for i in range(x.size):
        out[i] = fexp(x[i])


@njit(cache=True, error_model="numpy")
def fexp_neg_array(x, out):
    """fexp_neg elementwise."""
    for i in range(x.size):
        out[i] = fexp_neg(x[i])


@njit(cache=True, error_model="numpy")
def dexp_array(x, out):
    """dexp elementwise."""
    for i in range(x.size):
        out[i] = dexp(x[i])
