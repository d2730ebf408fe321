"""exp for the CPU kernels, in float32 and float64, written so that loops around it vectorise.

float32 (:func:`fexp`): a Cody-Waite reduction x = k ln 2 + r (ln 2 split in two parts) and
a degree-6 polynomial for exp(r), times 2^k: within 1 ulp of exp on [-87, 88] (tested).
:func:`fexp_neg` extends it to every x <= 0: below -80 it computes exp(x + 40) e^-40, so
that subnormals and 0 come out as in NumPy (within 2 ulp).
No call to libm or SVML is left in the loops, so LLVM vectorises them.

float32 scores in base 2 (:func:`fexp2`): 2^x = 2^k 2^f with k = floor(x + 1/2) and
f = x - k in [-1/2, 1/2] (exact), 2^f by Cephes' degree-6 polynomial for exp2f (relative error
2e-9 on that interval, below float32's rounding): within 1 ulp of 2^x on [-126, 127] (tested).
It costs six multiply-class operations (its fused multiply-adds) where :func:`fexp` costs
ten, and the max-free steps are bound by those (benchmarks/LOG.md):
their float32 scores are computed in base 2 (:func:`score_scale` folds log2(e) into beta) and
exponentiated by :func:`exp_score`.

float64 (:func:`dexp`): the same reduction to |r| <= ln(2)/2 with ln 2 in two parts (the
first to 32 bits, so k ln2_hi is exact for |k| < 2^20) and the Taylor polynomial of degree
13 (truncation below 5e-18 relative): within 1 ulp of libm's on [-700, 700] (tested), and
unlike libm's it vectorises. The float64 engine uses it in the max-free step.

Times 2^k, in all three: k is added to the exponent field of the polynomial's value y (an
integer add, which runs beside the multiply-adds; a multiplication by 2^k built from the
bits would take a multiply slot). The result is y 2^k bit for bit, since y (about 0.7 to
1.5) and y 2^k are normal numbers on each function's interval.

:func:`score_scale` with :func:`exp_score`, and :func:`exp_shifted`, pick the arithmetic of
their argument's precision, so one step function compiles for both: the max-free step's
weights (float32 2^s of base-2 scores, float64 exp), and the max-subtracted step's exp(d),
d = s - max(s) <= 0 or nan (float64: NumPy's exp, as the reference). The ``*_array``
kernels apply them elementwise, for tests.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

# -- bits, and the scaling by 2^k ---------------------------------------------------------


@intrinsic
def _int32_bits_as_float32(typingctx, bits):
    """The float32 whose bits are the low 32 bits of an integer (vectorises to a no-op)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        low = builder.trunc(args[0], ir.IntType(32)) if bits.bitwidth > 32 else args[0]
        return builder.bitcast(low, ir.FloatType())

    return types.float32(bits), codegen


@intrinsic
def _float_bits(typingctx, value):
    """The bits of a float32 (as int32) or float64 (as int64): a no-op in SIMD registers."""
    if not isinstance(value, types.Float):
        return None
    width = value.bitwidth

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(width))

    return (types.int32 if width == 32 else types.int64)(value), codegen


@intrinsic
def _int64_bits_as_float64(typingctx, bits):
    """The float64 whose bits are those of an int64 (vectorises to a no-op)."""
    if not isinstance(bits, types.Integer) or bits.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(bits), codegen


_SHIFT = np.int32(23)  # float32's mantissa bits
_SHIFT_64 = np.int64(52)  # float64's


def times_two_to(y, k):
    """y 2^k for a whole-valued float k, in y's precision, by adding k to y's exponent field:
    y 2^k bit for bit whenever y and y 2^k are normal numbers (the callers' intervals
    guarantee it; see the module docstring)."""
    return math.ldexp(y, int(k))


@overload(times_two_to, inline="always")
def _times_two_to_in_precision(y, k):
    if y == types.float32:
        return lambda y, k: _int32_bits_as_float32(_float_bits(y) + (np.int32(k) << _SHIFT))
    return lambda y, k: _int64_bits_as_float64(_float_bits(y) + (np.int64(k) << _SHIFT_64))


# -- float32 ------------------------------------------------------------------------------

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
_EXP_M40 = _F32(math.exp(-40.0))
# Cephes' exp2f: 2^f = 1 + f (C1 + f (C2 + ... + f C6)) on [-1/2, 1/2]
_C1 = _F32(6.931472028550421e-1)
_C2 = _F32(2.402264791363012e-1)
_C3 = _F32(5.550332471162809e-2)
_C4 = _F32(9.618437357674640e-3)
_C5 = _F32(1.339887440266574e-3)
_C6 = _F32(1.535336188319500e-4)
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
    return times_two_to(y, k)


@njit(inline="always", cache=True, error_model="numpy")
def fexp2(x):
    """2^x of a float32 in [-126, 127]: Cephes' polynomial for 2^f, f = x - k in [-1/2, 1/2],
    times 2^k (k added to its exponent field)."""
    k = np.floor(x + _HALF)
    f = x - k
    y = (((((_C6 * f + _C5) * f + _C4) * f + _C3) * f + _C2) * f + _C1) * f + _ONE
    return times_two_to(y, k)


@njit(inline="always", cache=True, error_model="numpy")
def fexp_neg(x):
    """exp(x) for x <= 0 (not nan), also below the normal range (0 below about -104)."""
    low = x < _LOW
    shifted = x + _FORTY if low else x
    e = fexp(max(shifted, _EXP_LO))
    return e * _EXP_M40 if low else e


# -- float64 ------------------------------------------------------------------------------


_LOG2E_64 = 1.4426950408889634
_LN2_HI_64 = 0.6931471803691238  # ln 2 to 32 bits: k * _LN2_HI_64 is exact for |k| < 2^20
_LN2_LO_64 = 1.9082149292705877e-10
_EXP64_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13, 1, -1))  # 1/13! ... 1/2!


@njit(inline="always", cache=True, error_model="numpy")
def dexp(x):
    """exp of a float64 in [-700, 700]: Cody-Waite reduction to |r| <= ln(2)/2 and the Taylor
    polynomial of degree 13 (truncation below 5e-18 relative), times 2^k (k added to its
    exponent field).
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
    return times_two_to(y, k)


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


def score_scale(beta):
    """The factor of the max-free steps' scores: beta log2(e) in float32 (the scores are then
    exponentiated in base 2 by :func:`exp_score`), beta itself in float64."""
    return beta


@overload(score_scale, inline="always")
def _score_scale_in_precision(beta):
    if beta == types.float32:
        return lambda beta: beta * _LOG2E
    return lambda beta: beta


def exp_score(s):
    """The weight of a max-free score s made with :func:`score_scale`: 2^s by :func:`fexp2` in
    float32 (e^S for the score S = s ln 2), e^s by :func:`dexp` in float64. |S| <= 32."""
    return math.exp(s)


@overload(exp_score, inline="always")
def _exp_score_in_precision(s):
    if s == types.float32:
        return lambda s: fexp2(s)
    return lambda s: dexp(s)


# -- elementwise, for tests ---------------------------------------------------------------


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def fexp_array(x, out):
    """fexp elementwise."""
    for i in range(x.size):
        out[i] = fexp(x[i])


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def fexp_neg_array(x, out):
    """fexp_neg elementwise."""
    for i in range(x.size):
        out[i] = fexp_neg(x[i])


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def dexp_array(x, out):
    """dexp elementwise."""
    for i in range(x.size):
        out[i] = dexp(x[i])


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, fastmath={"contract"})
def fexp2_array(x, out):
    """fexp2 elementwise, with fused multiply-adds as in the float32 kernels."""
    for i in range(x.size):
        out[i] = fexp2(x[i])
