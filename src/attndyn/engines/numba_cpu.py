"""The fast CPU engine: numba kernels, exact shortcuts, SIMD across pixels.

What it computes is :mod:`attndyn.engines.numpy_ref`'s map, in float32, per pixel: points
x_1..x_n, q_i = W_Q x_i, k_j = W_K x_j, v_j = W_V x_j, S_ij = beta q_i . k_j, A = softmax
by rows, y_i = sum_j A_ij v_j, x_i <- y_i / (|y_i| + eps), ``steps`` times; then delta =
max_i |x_i0 - x_00| and label = delta < tol. The module imports numba; it is imported only
when the engine is asked for (``attndyn.engines.get_engine``). Kernels are compiled with
``cache=True``, so a warm start loads them from ``__pycache__``.

float64 (deep zooms). For ``dtype="float64"`` every pixel takes the group path alone
(_tile_kernel_groups: groups, the fixed-point, period-2, one-group and nan exits, the
max-free step while |S| <= 32 with a vectorised float64 exp within 1 ulp of libm's, _dexp;
the max-subtracted step with numpy's exp otherwise), from the job's own initial points
(numpy's, bit for bit; they are not recomputed in the kernel because numpy's float64 cos and
sin may differ from libm's in the last bit). The float32 SIMD block steps and pair lanes are
not used. Measured on the 2-core machine: labels, clusters and delta (as float32) equal to the
reference on every pixel of the four 48 x 48 Appendix B pictures and of a 128 x 128 deep zoom
(width 2e-6 around (-3.06819, -1.82531), seed 1679700 shared), sync_step within 5e-5 steps;
the README's 512 x 512 deep zoom came out pixel-identical to the reference's. Speed: the
README's 512 x 512 deep zoom (mostly boundary pixels, which collapse late) in 7.2 s from the
command line (12.6k px/s with libm's exp, ~40k px/s with _dexp), against ~2k px/s for the
reference.

Groups of equal points. Two points that are equal stay equal for ever: a row's new point is
a function of its own point and of the whole configuration only, computed by the same
operations in the same order for every row. So a pixel is kept as m distinct points
("groups") g_k with multiplicities c_k, and a step costs m^2 exponentials instead of n^2:
the sums over j become sum_k c_k e_ik (...). (Equality is float equality; +0 and -0 give
equal scores, exponentials and sums, so they behave as one point.) On the Appendix B
pictures a pixel is down to at most two groups after about 6 steps. The multiplicity-weighted
sums round differently from the reference's n-term sums; agreement is measured, below.

Exact exits, each a property of a deterministic map on the group state:
  * one group: every point is equal for ever, delta = 0;
  * a fixed point (the state is unchanged by a step): it stays, delta is that state's;
  * period 2 (the state equals the one two steps back, with the same grouping): the states
    alternate, so the last state is the newest or the previous one by the parity of the
    steps left;
  * a nan anywhere: the reference's row max is then nan for every row, so every point is
    nan after the next step and delta is nan (label 0).

The other fields (see :mod:`attndyn.fields`), and why the exits keep them exact.
``sync_step`` needs only t0 (1 + the last step with Δ_t >= tol), Δ_{t0-1} and Δ_{t0}; the
kernel keeps these three per pixel (the "tracker", see _track) and the formula is applied
afterwards by :func:`attndyn.fields.smoothed_sync_step`, the same function the reference's
transcription uses, and only where the label is 1. Each step folds its Δ in: the block steps
take the max over the n points side by side, the group steps the max over the m groups
(group 0 holds point 0, so that is Δ), and the pair lanes |b_0 - a_0|. The lanes do not carry
the tracker in the vector loop; they flag the steps at which Δ falls below tol (Δ_{t-1} >=
tol > Δ_t), and the scalar loop records the last such step, which is t0 whenever the final
Δ is below tol (the only case in which sync_step is not nan). At an exit:
  * one group (or two merged groups): Δ = 0 < tol for ever, so no later step is >= tol and
    the tracker is final;
  * a fixed point: Δ stays that of the state, already folded in (if it is >= tol the label is
    0 and sync_step nan);
  * period 2 with states S (step t) and S' (step t - 1), both folded in: the later gaps
    alternate, Δ_T is that of S or S' by the parity of T - t and Δ_{T-1} that of the other,
    so if T > t and Δ_{T-1} >= tol > Δ_T then t0 = T, else the tracker is final;
  * nan: delta is nan, label 0, sync_step nan, clusters 0 (a nan state may fold a wrong gap
    in the block steps, which is harmless for the same reason).
``clusters`` is counted on the final state's groups: copies of a point are at distance 0,
so the single-linkage clusters of the points are those of the distinct groups, which a small
union-find joins whenever two groups are within CLUSTER_DISTANCE; the final state is the one
each exit names above (one group: 1 cluster). The link test is
:func:`attndyn.fields.linked`'s float64 arithmetic, compiled without fastmath so that no fused
multiply-add changes it.

Agreement of sync_step with the reference is limited by float32, not by the engine: the gaps
Δ_{t0-1} and Δ_{t0} around the crossing of tol are themselves rounded differently by any
change in the order of sums, by a few percent when they are within a few hundred ulps of 0,
and the smoothed fraction follows their logarithms. With the floor tol * 1e-2 of
:mod:`attndyn.fields`, measured at 64 x 64 on the six gallery maps (both inits, pixels where
the labels agree and are 1): |difference| <= 1e-2 steps on 76-98% of pixels and <= 1e-3 on
37-86%; t0 = ceil(sync_step) differs only on chaotic pixels; clusters agree on 99.95-100%.
(With the floor at tol * 1e-6 the reference against itself with its sums reordered agreed to
1e-3 on only 41-54%.)

The steps. The first ``_BLOCK_STEPS`` (8) steps run on all n points (no groups) for 32 pixels
side by side, vectorised over the pixels. Then each pixel runs on its groups, with the
vectorised row loops padded to whole SIMD vectors. A pixel that reaches two groups joins
the SIMD "pair lanes" of its chunk of 256 pixels, where each lane is a pixel. The group
steps vectorise worse than the block steps, so a few more block steps pay on the hardest
picture: interleaved runs on 1500 x 500 bands gave, for 8 block steps against 6, +5-7% on
seed 1679700 (both inits) and -6-10% on seed 5227590, whose pixels collapse sooner.

Softmax. While |S_ij| <= 32 (checked per pixel from |S_ij| <= |beta| |W_Q|_F |W_K|_F
|x_i| |x_j|, points of norm <= 1 after a step, and the initial norms), the group and block
steps skip the row max: e_ij = exp(S_ij) cannot overflow or reach subnormals, and
y_i = (sum_j c_j e_ij v_j) / (sum_j c_j e_ij) is then normalised with eps exactly as in
the reference (the division by the row sum is kept, so eps keeps its scale). Otherwise (wide
windows, large matrices) the pixel takes the safe step, which subtracts the row max like the
reference. The pair lanes always subtract the max (one of the two weights is exactly 1, the
other exp(-|s_ab - s_aa|)) and reproduce the safe step for two groups bit for bit (tested);
they need finite score differences, so pixels with |S| possibly above 1e30 stay on the
generic path. exp is a float32 Cody-Waite reduction and polynomial with 2^k built from the
exponent bits (<= 1 ulp; below -80 it is scaled so that subnormals and 0 come out as in
numpy, <= 2 ulp), so the loops vectorise without SVML. The group and block steps let LLVM
fuse multiply-adds (fastmath "contract" only; no reassociation).

Initial points. "independent" points are generated in the kernel with a numba
Philox4x32-10 that reproduces :func:`attndyn.initial.pixel_points` bit for bit: the Philox
words and the float64 angles are identical, and the float64 sin/cos (own vectorised
polynomial, a few ulps) round to the same float32 as libm's except within 2^-48 of a
float32 rounding boundary, where libm's value is used instead (tested on 15M values).
"shared" and "file" points come from :meth:`Job.initial_points` / ``job.x0`` for the tile.

Determinism and memory. Every pixel's arithmetic is the same whichever thread, lane, chunk
or tile runs it, so results do not depend on the thread count or the tiling (tested). Memory
is the tile's output plus per-thread buffers of O(n) (and the tile's x0 for per-pixel files).

Measured on the 2-core development machine (numba.set_num_threads(2), n = 20, steps = 100,
window [-8, 8]^2, 1500 x 1500, ``render_landscape(spec, NumbaCpuEngine())`` after a warm-up,
best of 3): seed 1679700 independent 2.10 s (1.07M px/s), shared 2.16 s (1.04M px/s); seed
5227590 independent 1.81 s (1.24M px/s), shared 1.39 s (1.62M px/s). Timings on this shared
machine vary by up to ~50% between runs.

With the sync_step and clusters fields (same machine, later session, old and new engine
interleaved in one process, best of 3 at 1500 x 1500): seed 1679700 independent 0.88M px/s
(old 0.91M), shared 1.06M (1.13M); seed 5227590 independent 1.04M (1.13M), shared 1.37M
(1.51M): 3-9% slower, at this session's noise level; benchmarks/bench_engines.py in the same
session gave 0.70M, 1.00M, 0.98M and 1.31M px/s. The tracker costs a max over the points or
groups per step, and a compare per lane step.

Later (constant 32-lane trip counts in the block steps and block points, then 8 block steps;
benchmarks/bench_engines.py, best of 3 at 1500 x 1500): 0.91M, 1.21M, 1.18M and 1.78M px/s in
one run, 0.86M, 1.23M, 1.18M and 1.64M in another; the first case ranged over 0.76M-1.08M in
repeated runs within the hour. Micro-benchmarks (one thread): the 6 block steps of a pixel take
0.87 us (2.8 G exp/s), a pair-lane step 2.9 ns, the block points ~0.36 us; so the block steps
are about half the time of the hardest picture. The block points were then found scalar
(the Philox rounds loop innermost, and nested selects in _sin_cos): with the lanes loop
innermost and one-level selects they vectorise, and benchmarks/bench_engines.py gave 1.42M,
1.62M, 1.79M and 1.64M px/s (best of 3 at 1500 x 1500; two more runs: 1.11M-1.12M for the
first case, 1.20M-2.05M for the others).

Agreement with the reference at 512 x 512 (labels, after those changes): seed 1679700
independent 12 of 262144 pixels differ (99.9954%), shared 7 (99.9973%); seed 5227590: 0 and 0
(before them: 12 and 8, 0 and 0). Every differing pixel
is a chaotic one where one engine ends with two clusters (delta 1.61 to 1.99) and the other
with one (delta 0), not a pixel near tol: the reference itself, with S computed as
(beta Q) K^T instead of beta (Q K^T), differs from itself on 1 and 6 pixels at 256 x 256.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic, overload

from attndyn.fields import CLUSTER_DISTANCE, Fields, fields_from_tracker
from attndyn.initial import STREAM_PIXEL_POINTS, stream_word
from attndyn.job import Job
from attndyn.params import PARAMETER_NAMES
from attndyn.rng import seed_key
from attndyn.spec import LandscapeSpec
from attndyn.tiles import Tile

# -- float32 exp ---------------------------------------------------------------------------


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
_ZERO = _F32(0.0)
_LN2_HI = _F32(0.693359375)
_LN2_LO = _F32(-2.12194440e-4)
_P0 = _F32(1.9875691500e-4)
_P1 = _F32(1.3981999507e-3)
_P2 = _F32(8.3334519073e-3)
_P3 = _F32(4.1665795894e-2)
_P4 = _F32(1.6666665459e-1)
_P5 = _F32(5.0000001201e-1)
_EXP_LO = _F32(-87.0)
_EXP_HI = _F32(88.0)
_BIAS = np.int32(127)
_SHIFT = np.int32(23)


@njit(inline="always", cache=True, error_model="numpy")
def _fexp(x):
    """exp of a float32 in [-87, 88]: Cody-Waite reduction and a degree-6 polynomial."""
    k = np.floor(x * _LOG2E + _HALF)
    r = x - k * _LN2_HI
    r = r - k * _LN2_LO
    z = r * r
    y = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * z + r + _ONE
    return y * _int32_bits_as_float32((np.int32(k) + _BIAS) << _SHIFT)


# -- float64 exp (the float64 path's max-free step) -----------------------------------------


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
def _dexp(x):
    """exp of a float64 in [-700, 700]: Cody-Waite reduction to |r| <= ln(2)/2 and the Taylor
    polynomial of degree 13 (truncation below 5e-18 relative), 2^k from the exponent bits.
    Within 2 ulp of libm's (tested); unlike libm's it vectorises."""
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


@njit(cache=True, error_model="numpy")
def _dexp_array(x, out):
    """_dexp elementwise (for tests)."""
    for i in range(x.size):
        out[i] = _dexp(x[i])


# -- Philox4x32-10 and the initial points ---------------------------------------------------

_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)
_SHIFT32 = _U64(32)
_M0 = _U64(0xD2511F53)
_M1 = _U64(0xCD9E8D57)
_W0 = _U64(0x9E3779B9)
_W1 = _U64(0xBB67AE85)
_TWO_PI = 2.0 * np.pi
_TWO_POW_32 = 4294967296.0


@njit(inline="always", cache=True, error_model="numpy")
def _pixel_points_into(row, col, n, k0, k1, stream, gx, gy):
    """initial.pixel_points for one pixel, written into gx, gy (float32)."""
    r = _U64(row)
    c = _U64(col)
    s = _U64(stream)
    for block in range((n + 3) // 4):
        b = _U64(block)
        c0, c1, c2, c3 = b, c, r, s
        kk0, kk1 = k0, k1
        for _ in range(10):
            p0 = _M0 * c0
            p1 = _M1 * c2
            c0, c1, c2, c3 = (
                (p1 >> _SHIFT32) ^ c1 ^ kk0,
                p1 & _MASK32,
                (p0 >> _SHIFT32) ^ c3 ^ kk1,
                p0 & _MASK32,
            )
            kk0 = (kk0 + _W0) & _MASK32
            kk1 = (kk1 + _W1) & _MASK32
        for word in range(4):
            i = 4 * block + word
            if i >= n:
                break
            if word == 0:
                w = c0
            elif word == 1:
                w = c1
            elif word == 2:
                w = c2
            else:
                w = c3
            theta = _TWO_PI * ((np.float64(w) + 0.5) / _TWO_POW_32)
            gx[i] = np.float32(math.cos(theta))
            gy[i] = np.float32(math.sin(theta))


@njit(parallel=True, cache=True, error_model="numpy")
def _pixel_points_kernel(rows, cols, n, k0, k1, stream, out):
    for p in prange(rows.size):
        _pixel_points_into(rows[p], cols[p], n, k0, k1, stream, out[p, :, 0], out[p, :, 1])


# -- one step on groups of identical points --------------------------------------------------

# Parameter vector layout: the 12 matrix entries in PARAMETER_NAMES order, then beta.
_N_PARAMS = 13
_FAST_BOUND = 32.0
_PAD = 16  # group buffers hold whole SIMD vectors of this many float32
_PAIR_BOUND = 1e30
_EXP_M40 = _F32(math.exp(-40.0))
_LOW = _F32(-80.0)
_FORTY = _F32(40.0)


@njit(inline="always", cache=True, error_model="numpy")
def _fexp_neg(x):
    """exp(x) for x <= 0 (not nan), also below the normal range (0 below about -104)."""
    low = x < _LOW
    shifted = x + _FORTY if low else x
    e = _fexp(max(shifted, _EXP_LO))
    return e * _EXP_M40 if low else e


@njit(cache=True, error_model="numpy")
def _fexp_array(x, out):
    """_fexp elementwise (for tests)."""
    for i in range(x.size):
        out[i] = _fexp(x[i])


@njit(cache=True, error_model="numpy")
def _fexp_neg_array(x, out):
    """_fexp_neg elementwise (for tests)."""
    for i in range(x.size):
        out[i] = _fexp_neg(x[i])


@njit(inline="always", cache=True, error_model="numpy")
def _step_fast(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny):
    """One step without the row max (valid while |S| stays small, see the module docstring)."""
    wq00, wq01, wq10, wq11 = prm[0], prm[1], prm[2], prm[3]
    wk00, wk01, wk10, wk11 = prm[4], prm[5], prm[6], prm[7]
    wv00, wv01, wv10, wv11 = prm[8], prm[9], prm[10], prm[11]
    beta = prm[12]
    rows = (m + _PAD - 1) // _PAD * _PAD  # whole vectors; rows past m are finite, unused
    for i in range(rows):
        x = gx[i]
        y = gy[i]
        p0[i] = beta * (wq00 * x + wq01 * y)
        p1[i] = beta * (wq10 * x + wq11 * y)
        kx[i] = wk00 * x + wk01 * y
        ky[i] = wk10 * x + wk11 * y
        vx[i] = wv00 * x + wv01 * y
        vy[i] = wv10 * x + wv11 * y
        zz[i] = _ZERO
        u0[i] = _ZERO
        u1[i] = _ZERO
    for j in range(m):
        a = kx[j]
        b = ky[j]
        c = cnt[j]
        ex = vx[j]
        ey = vy[j]
        for i in range(rows):
            w = c * _exp_small(p0[i] * a + p1[i] * b)
            zz[i] += w
            u0[i] += w * ex
            u1[i] += w * ey
    for i in range(rows):
        y0 = u0[i] / zz[i]
        y1 = u1[i] / zz[i]
        d = np.sqrt(y0 * y0 + y1 * y1) + eps
        nx[i] = y0 / d
        ny[i] = y1 / d


def _exp_shifted(d):
    """exp(d) for d = s - max(s) <= 0, or nan, as in the reference's max-subtracted softmax,
    in d's precision: float32 through _fexp_neg, float64 through numpy's exp."""
    return math.exp(d) if d == d else d


@overload(_exp_shifted)
def _exp_shifted_in_precision(d):
    if d == types.float32:

        def exp_float32(d):
            if d != d:
                return d
            return _fexp_neg(d)

        return exp_float32
    return lambda d: np.exp(d)


def _exp_small(x):
    """exp(x) for |x| <= 88 in x's precision: float32 through _fexp, float64 through _dexp."""
    return math.exp(x)


@overload(_exp_small, inline="always")
def _exp_small_in_precision(x):
    if x == types.float32:
        return lambda x: _fexp(x)
    return lambda x: _dexp(x)


@njit(cache=True, error_model="numpy")
def _step_safe(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, nx, ny):
    """One step with the row max subtracted, in the reference's order of operations."""
    wq00, wq01, wq10, wq11 = prm[0], prm[1], prm[2], prm[3]
    wk00, wk01, wk10, wk11 = prm[4], prm[5], prm[6], prm[7]
    wv00, wv01, wv10, wv11 = prm[8], prm[9], prm[10], prm[11]
    beta = prm[12]
    for i in range(m):
        x = gx[i]
        y = gy[i]
        p0[i] = wq00 * x + wq01 * y
        p1[i] = wq10 * x + wq11 * y
        kx[i] = wk00 * x + wk01 * y
        ky[i] = wk10 * x + wk11 * y
        vx[i] = wv00 * x + wv01 * y
        vy[i] = wv10 * x + wv11 * y
    for i in range(m):
        a = p0[i]
        b = p1[i]
        top = beta * (a * kx[0] + b * ky[0])
        for j in range(1, m):
            s = beta * (a * kx[j] + b * ky[j])
            if s > top or s != s:
                top = s
            if top != top:
                break
        z = _ZERO
        for j in range(m):
            z += cnt[j] * _exp_shifted(beta * (a * kx[j] + b * ky[j]) - top)
        y0 = _ZERO
        y1 = _ZERO
        for j in range(m):
            w = cnt[j] * _exp_shifted(beta * (a * kx[j] + b * ky[j]) - top) / z
            y0 += w * vx[j]
            y1 += w * vy[j]
        d = np.sqrt(y0 * y0 + y1 * y1) + eps
        nx[i] = y0 / d
        ny[i] = y1 / d


@njit(inline="always", cache=True, error_model="numpy")
def _pair_row(sa, sb, ca, cb, vax, vay, vbx, vby, eps):
    """_step_safe's row for two groups, bit for bit, given finite scores sa and sb."""
    d = sb - sa
    e = _fexp_neg(-abs(d))
    ea = _ONE if d <= _ZERO else e
    eb = e if d <= _ZERO else _ONE
    z = _ZERO + ca * ea + cb * eb
    wa = ca * ea / z
    wb = cb * eb / z
    y0 = _ZERO + wa * vax + wb * vbx
    y1 = _ZERO + wa * vay + wb * vby
    nrm = np.sqrt(y0 * y0 + y1 * y1) + eps
    return y0 / nrm, y1 / nrm


@njit(inline="always", cache=True, error_model="numpy")
def _pair_step(ax, ay, bx, by, ca, cb, prm, at, k, eps):
    """_step_safe for two groups a, b (counts ca, cb), parameters prm[(at + e) * _CHUNK + k]."""
    wq00, wq01, wq10, wq11 = (
        prm[at * _CHUNK + k],
        prm[(at + 1) * _CHUNK + k],
        prm[(at + 2) * _CHUNK + k],
        prm[(at + 3) * _CHUNK + k],
    )
    wk00, wk01, wk10, wk11 = (
        prm[(at + 4) * _CHUNK + k],
        prm[(at + 5) * _CHUNK + k],
        prm[(at + 6) * _CHUNK + k],
        prm[(at + 7) * _CHUNK + k],
    )
    wv00, wv01, wv10, wv11 = (
        prm[(at + 8) * _CHUNK + k],
        prm[(at + 9) * _CHUNK + k],
        prm[(at + 10) * _CHUNK + k],
        prm[(at + 11) * _CHUNK + k],
    )
    beta = prm[(at + 12) * _CHUNK + k]
    qa0 = wq00 * ax + wq01 * ay
    qa1 = wq10 * ax + wq11 * ay
    qb0 = wq00 * bx + wq01 * by
    qb1 = wq10 * bx + wq11 * by
    ka0 = wk00 * ax + wk01 * ay
    ka1 = wk10 * ax + wk11 * ay
    kb0 = wk00 * bx + wk01 * by
    kb1 = wk10 * bx + wk11 * by
    va0 = wv00 * ax + wv01 * ay
    va1 = wv10 * ax + wv11 * ay
    vb0 = wv00 * bx + wv01 * by
    vb1 = wv10 * bx + wv11 * by
    saa = beta * (qa0 * ka0 + qa1 * ka1)
    sab = beta * (qa0 * kb0 + qa1 * kb1)
    sba = beta * (qb0 * ka0 + qb1 * ka1)
    sbb = beta * (qb0 * kb0 + qb1 * kb1)
    nax, nay = _pair_row(saa, sab, ca, cb, va0, va1, vb0, vb1, eps)
    nbx, nby = _pair_row(sba, sbb, ca, cb, va0, va1, vb0, vb1, eps)
    return nax, nay, nbx, nby


# -- one pixel, while it has more than two groups --------------------------------------------


@njit(inline="always", cache=True, error_model="numpy")
def _gap(m, gx):
    """delta = max_k |g_k0 - g_00|; nan if any coordinate is nan (np.max propagates nan)."""
    first = gx[0]
    gap = _ZERO
    for k in range(m):
        d = abs(gx[k] - first)
        if d > gap or d != d:
            gap = d
    return gap


_LINK2 = CLUSTER_DISTANCE**2


# Only ever called from functions compiled without fastmath (_count_clusters, _finish_pair),
# so that no "contract" can fuse the multiply-adds: the test is fields.linked's float64
# arithmetic bit for bit.
@njit(inline="always", cache=True, error_model="numpy")
def _linked(ax, ay, bx, by):
    """fields.linked for the points (ax, ay) and (bx, by)."""
    dx = np.float64(ax) - np.float64(bx)
    dy = np.float64(ay) - np.float64(by)
    return dx * dx + dy * dy <= _LINK2


@njit(cache=True, error_model="numpy")
def _count_clusters(m, gx, gy, parent):
    """Single-linkage clusters of the m groups (0 if any is non-finite), by union-find.

    Groups are distinct points of one configuration and a point is at distance 0 from its
    copies, so the clusters of the points are those of the groups.
    """
    for k in range(m):
        if not (np.isfinite(gx[k]) and np.isfinite(gy[k])):
            return 0
    clusters = m
    for k in range(m):
        parent[k] = k
    for i in range(1, m):
        for j in range(i):
            if _linked(gx[i], gy[i], gx[j], gy[j]):
                a = i
                while parent[a] != a:
                    parent[a] = parent[parent[a]]
                    a = parent[a]
                b = j
                while parent[b] != b:
                    parent[b] = parent[parent[b]]
                    b = parent[b]
                if a != b:
                    parent[max(a, b)] = min(a, b)
                    clusters -= 1
    return clusters


@njit(inline="always", cache=True, error_model="numpy")
def _pair_clusters(ax, ay, bx, by):
    """_count_clusters for two groups a, b."""
    if not (np.isfinite(ax) and np.isfinite(ay) and np.isfinite(bx) and np.isfinite(by)):
        return 0
    return 1 if _linked(ax, ay, bx, by) else 2


@njit(inline="always", cache=True, error_model="numpy")
def _merge(m, gx, gy, cnt):
    """Merge equal points into the first group holding them; returns the new group count.

    A vectorised scan first looks for any equal pair; only then are groups merged.
    """
    rows = (m + _PAD - 1) // _PAD * _PAD
    for i in range(1, m):
        x = gx[i]
        y = gy[i]
        hits = 0
        for k in range(rows):
            hits += (gx[k] == x) & (gy[k] == y) & (k < i)
        if hits:
            break
    else:
        return m
    out = 0
    for i in range(m):
        x = gx[i]
        y = gy[i]
        hits = 0
        for k in range(out):
            hits += (gx[k] == x) & (gy[k] == y)
        if hits == 0:
            gx[out] = x
            gy[out] = y
            cnt[out] = cnt[i]
            out += 1
        else:
            for k in range(out):
                if gx[k] == x and gy[k] == y:
                    cnt[k] += cnt[i]
                    break
    return out


_NAN = np.float32(np.nan)


@njit(inline="always", cache=True, error_model="numpy")
def _paths(n, gx, gy, prm):
    """(fast, pairable) for a pixel starting from the n points gx, gy with parameters prm.

    fast: |S| <= _FAST_BOUND, so the max-free softmax cannot overflow or underflow;
    pairable: |S| <= _PAIR_BOUND, so two-group score differences are finite. The bound is
    |S_ij| = |beta q_i . k_j| <= |beta| |W_Q|_F |W_K|_F |g_i| |g_j|, and |g| <= 1 after a step.
    """
    norm2 = 1.0
    for i in range(n):
        norm2 = max(norm2, np.float64(gx[i]) ** 2 + np.float64(gy[i]) ** 2)
    wq = 0.0
    wk = 0.0
    wv = 0.0
    for e in range(4):
        wq += np.float64(prm[e]) ** 2
        wk += np.float64(prm[4 + e]) ** 2
        wv += np.float64(prm[8 + e]) ** 2
    bound = abs(np.float64(prm[12])) * math.sqrt(wq * wk) * norm2 * 1.001
    fast = bound <= _FAST_BOUND and n * math.exp(bound) * math.sqrt(wv) <= 1e36
    return fast, bound <= _PAIR_BOUND


@njit(inline="always", cache=True, error_model="numpy")
def _track(t, t_next, gap, tol, last, before, after):
    """Fold the gap Δ_t of step t into (last, before, after) = (t0 so far, Δ_{t0-1}, Δ_{t0}).

    last = 1 + the last step so far with Δ >= tol (0 if none); ``after`` is taken from the
    step following that one. t_next = t + 1, in the type of t (steps are float32 in the
    block steps, integers in the group steps; the pair lanes track only the steps where the
    gap falls below tol, see _pair_lanes).
    """
    after = gap if last == t else after
    big = gap >= tol
    last = t_next if big else last
    before = gap if big else before
    return last, before, after


@njit(inline="always", cache=True, error_model="numpy")
def _period_two_tail(t, steps, tol, final, other, last, before, after):
    """The tracker after the steps t+1..steps of a period-2 orbit whose state at step t has
    gap ``other`` or ``final`` (the one at ``steps``), steps t and t-1 being tracked already.

    The gaps alternate, so only steps - 1 and steps can still matter: Δ_{steps-1} is
    ``other`` and Δ_{steps} is ``final``.
    """
    if steps > t and other >= tol:
        last = steps
        before = other
        after = final
    if final >= tol:
        last = steps + 1
    return last, before, after


@njit(inline="always", cache=True, error_model="numpy", fastmath={"contract"})
def _run_groups(
    n, t0, steps, prm, eps, tol, fast, pairs, gx, gy, cnt, sx, sy,
    p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny, parent, stats, last, before, after,
):  # fmt: skip
    """Iterate one pixel from the n points gx, gy at step t0 (the buffers are overwritten).

    (last, before, after) is the sync tracker (see _track) with the steps up to t0 folded in.
    Returns ``(delta, t, m, clusters, last, before, after)``. With ``pairs`` set, it stops
    early with m == 2 groups (gx, gy, cnt [:2]) at a step t < steps, for the pair lanes
    (delta and clusters are then unset); otherwise every value is final.
    ``stats`` (int64) accumulates: [0] steps computed, [1] steps skipped, [2] safe pixels.
    """
    for i in range(n):
        cnt[i] = _ONE
    m = _merge(n, gx, gy, cnt)
    if steps == t0:
        return _gap(m, gx), t0, m, _count_clusters(m, gx, gy, parent), last, before, after
    if not fast:
        stats[2] += 1
    history = 0  # steps since the grouping last changed
    t = t0
    while t < steps:
        if m == 1:  # one point for ever: Δ = 0 < tol from here on, nothing left to track
            stats[1] += steps - t
            return _ZERO, t, m, 1, last, before, after
        if m == 2 and pairs:
            return _ZERO, t, m, 0, last, before, after
        if fast:
            _step_fast(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny)
        else:
            _step_safe(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, nx, ny)
        t += 1
        stats[0] += 1
        rows = (m + _PAD - 1) // _PAD * _PAD  # whole vectors, masked to the m groups
        bad = 0
        moved = 0
        back = 0
        for i in range(rows):
            x = nx[i]
            y = ny[i]
            live = i < m
            bad += live & ((x != x) | (y != y))
            moved += live & ((x != gx[i]) | (y != gy[i]))
            back += live & ((x != sx[i]) | (y != sy[i]))
        finite = bad == 0
        same1 = moved == 0
        same2 = history >= 1 and back == 0
        if not finite:  # nan spreads to every point at the next step: delta is nan
            stats[1] += steps - t
            return _NAN, t, m, 0, last, before, after
        gap = _gap(m, nx)
        last, before, after = _track(t, t + 1, gap, tol, last, before, after)
        if same1:  # a fixed point: every later state, and gap, equals this one
            stats[1] += steps - t
            if gap >= tol:
                last = steps + 1
            return gap, t, m, _count_clusters(m, gx, gy, parent), last, before, after
        if same2:  # period 2: the states alternate (new, previous, new, ...)
            stats[1] += steps - t
            previous = _gap(m, gx)
            if (steps - t) % 2 == 0:
                last, before, after = _period_two_tail(
                    t, steps, tol, gap, previous, last, before, after
                )
                return gap, t, m, _count_clusters(m, nx, ny, parent), last, before, after
            last, before, after = _period_two_tail(
                t, steps, tol, previous, gap, last, before, after
            )
            return previous, t, m, _count_clusters(m, gx, gy, parent), last, before, after
        for i in range(rows):
            sx[i] = gx[i]
            sy[i] = gy[i]
            gx[i] = nx[i]
            gy[i] = ny[i]
        history += 1
        merged = _merge(m, gx, gy, cnt)
        if merged != m:
            m = merged
            history = 0
    return _gap(m, gx), t, m, _count_clusters(m, gx, gy, parent), last, before, after


# -- the first steps of many pixels side by side ---------------------------------------------

_BLOCK = 32  # pixels side by side; arrays hold row r of pixel l at [r * _BLOCK + l]


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _block_steps(count, n, steps, eps, tol, st, der, acc, nxt, trk):
    """``steps`` max-free steps of all n points (no groups) of ``count`` pixels side by side.

    All _BLOCK lanes are computed, whatever ``count``: the lanes are independent, the ones past
    ``count`` hold finite leftovers (or produce inf/nan) that nobody reads, and a constant trip
    count lets LLVM drop the remainder loops (measured ~15% faster on the whole engine).

    st rows: x of the n points, y of the n points, then the 13 parameters. Each point's
    arithmetic is _step_fast's with counts 1, in the same order, vectorised over pixels.
    trk rows: the sync tracker (last, before, after) of each pixel (see _track), which each
    step's gap is folded into.
    """
    b = _BLOCK
    at = 2 * n * b
    for step in range(steps):
        for i in range(n):
            xr = i * b
            yr = (n + i) * b
            d = 6 * i * b
            for q in range(_BLOCK):
                x = st[xr + q]
                y = st[yr + q]
                beta = st[at + 12 * b + q]
                der[d + q] = beta * (st[at + q] * x + st[at + b + q] * y)
                der[d + b + q] = beta * (st[at + 2 * b + q] * x + st[at + 3 * b + q] * y)
                der[d + 2 * b + q] = st[at + 4 * b + q] * x + st[at + 5 * b + q] * y
                der[d + 3 * b + q] = st[at + 6 * b + q] * x + st[at + 7 * b + q] * y
                der[d + 4 * b + q] = st[at + 8 * b + q] * x + st[at + 9 * b + q] * y
                der[d + 5 * b + q] = st[at + 10 * b + q] * x + st[at + 11 * b + q] * y
        for i in range(n):
            di = 6 * i * b
            for q in range(_BLOCK):
                acc[q] = _ZERO
                acc[b + q] = _ZERO
                acc[2 * b + q] = _ZERO
            for j in range(n):
                dj = 6 * j * b
                for q in range(_BLOCK):
                    s = der[di + q] * der[dj + 2 * b + q] + der[di + b + q] * der[dj + 3 * b + q]
                    w = _fexp(s)
                    acc[q] += w
                    acc[b + q] += w * der[dj + 4 * b + q]
                    acc[2 * b + q] += w * der[dj + 5 * b + q]
            for q in range(_BLOCK):
                y0 = acc[b + q] / acc[q]
                y1 = acc[2 * b + q] / acc[q]
                nrm = np.sqrt(y0 * y0 + y1 * y1) + eps
                nxt[i * b + q] = y0 / nrm
                nxt[(n + i) * b + q] = y1 / nrm
        # Each pixel's gap, folded into its tracker. (A nan state may give a wrong gap here,
        # but nan is for ever, so the final delta is nan and sync_step does not use it.)
        for q in range(_BLOCK):
            acc[q] = _ZERO
        for i in range(n):
            for q in range(_BLOCK):
                acc[q] = max(acc[q], abs(nxt[i * b + q] - nxt[q]))
        t = np.float32(step + 1)
        for q in range(_BLOCK):
            trk[q], trk[b + q], trk[2 * b + q] = _track(
                t, t + _ONE, acc[q], tol, trk[q], trk[b + q], trk[2 * b + q]
            )
        for r in range(2 * n * b):
            st[r] = nxt[r]


# -- pixels with two groups, many at once in SIMD lanes --------------------------------------


# Rows of the lane array: the state, the previous state and whether there is one, the counts,
# the parameters, then the step, dead flag, event code and result of each lane, and its sync
# tracker (last, before, after; see _track).
_L_PREV = 4
_L_HAS_PREV = 8
_L_COUNT = 9
_L_PRM = 11
_L_T = _L_PRM + _N_PARAMS
_L_DEAD = _L_T + 1
_L_EVENT = _L_T + 2
_L_RESULT = _L_T + 3
_L_LAST = _L_T + 4
_L_BEFORE = _L_T + 5
_L_AFTER = _L_T + 6
_L_ROWS = _L_T + 7
# Event codes: the lane goes on; it goes on after its gap fell below tol at this step (the
# step may be t0: the tracker is updated); it stops with the final state the newest one; it
# stops on a period-2 orbit whose final state is the newest (the previous one comes at
# steps - 1) or the previous one (the newest comes at steps - 1).
_GO_ON = _F32(0.0)
_CROSSED = _F32(4.0)
_STOP = _F32(1.0)
_STOP_EVEN = _F32(2.0)
_STOP_ODD = _F32(3.0)
_MAX_PAIR_STEPS = 2**24  # steps are counted in float32 in the lanes


@njit(cache=True, error_model="numpy")
def _pair_lanes(active, steps, eps, tol, ln):
    """One step of every lane [0, active) of the lane array (row r of lane k: ln[r * _CHUNK + k]).

    Marks a lane's event when it may stop: merged (delta 0), fixed point, period 2 or its
    last step; its result is then the final delta (see _run_groups for why each is exact).
    Otherwise the event says whether the gap fell below tol at this step (Δ_{t-1} >= tol >
    Δ_t), the only steps that can be t0 of a pixel whose final gap is below tol; _run_pairs
    then updates the lane's tracker, so the vector loop does not carry it.
    """
    last = np.float32(steps)
    for k in range(active):
        ax = ln[k]
        ay = ln[1 * _CHUNK + k]
        bx = ln[2 * _CHUNK + k]
        by = ln[3 * _CHUNK + k]
        nax, nay, nbx, nby = _pair_step(
            ax,
            ay,
            bx,
            by,
            ln[_L_COUNT * _CHUNK + k],
            ln[(_L_COUNT + 1) * _CHUNK + k],
            ln,
            _L_PRM,
            k,
            eps,
        )
        t = ln[_L_T * _CHUNK + k] + _ONE
        fixed = (nax == ax) & (nay == ay) & (nbx == bx) & (nby == by)
        period2 = (
            (ln[_L_HAS_PREV * _CHUNK + k] != _ZERO)
            & (nax == ln[_L_PREV * _CHUNK + k])
            & (nay == ln[(_L_PREV + 1) * _CHUNK + k])
            & (nbx == ln[(_L_PREV + 2) * _CHUNK + k])
            & (nby == ln[(_L_PREV + 3) * _CHUNK + k])
        )
        nan = (nax != nax) | (nay != nay) | (nbx != nbx) | (nby != nby)
        merged = (nax == nbx) & (nay == nby)
        gap = abs(nbx - nax)
        odd = (last - t) % np.float32(2.0) == _ONE
        res = abs(bx - ax) if period2 & odd & (not fixed) else gap
        res = _NAN if nan else res
        stop = (fixed | period2 | merged | nan | (t >= last)) & (ln[_L_DEAD * _CHUNK + k] == _ZERO)
        cycle = period2 & (not fixed) & (not nan)
        code = (_STOP_ODD if odd else _STOP_EVEN) if cycle else _STOP
        crossed = (abs(bx - ax) >= tol) & (gap < tol)  # dead lanes: harmless, see _run_pairs
        ln[_L_EVENT * _CHUNK + k] = code if stop else (_CROSSED if crossed else _GO_ON)
        ln[_L_RESULT * _CHUNK + k] = res
        ln[_L_PREV * _CHUNK + k] = ax
        ln[(_L_PREV + 1) * _CHUNK + k] = ay
        ln[(_L_PREV + 2) * _CHUNK + k] = bx
        ln[(_L_PREV + 3) * _CHUNK + k] = by
        ln[k] = nax
        ln[1 * _CHUNK + k] = nay
        ln[2 * _CHUNK + k] = nbx
        ln[3 * _CHUNK + k] = nby
        ln[_L_HAS_PREV * _CHUNK + k] = _ONE
        ln[_L_T * _CHUNK + k] = t


@njit(inline="always", cache=True, error_model="numpy")
def _lane_crossing(k, tol, ln):
    """Record step t of lane k as its t0 if its gap fell below tol there (see _track)."""
    before = abs(ln[(_L_PREV + 2) * _CHUNK + k] - ln[_L_PREV * _CHUNK + k])
    after = abs(ln[2 * _CHUNK + k] - ln[k])
    if before >= tol and after < tol:
        ln[_L_LAST * _CHUNK + k] = ln[_L_T * _CHUNK + k]
        ln[_L_BEFORE * _CHUNK + k] = before
        ln[_L_AFTER * _CHUNK + k] = after


@njit(cache=True, error_model="numpy")
def _finish_pair(k, steps, tol, ln, p, out, t0s, clusters):
    """Write the fields of lane k's pixel p when its lane stops (see _pair_lanes).

    The tracker of a lane knows only the last step at which its gap fell below tol, which is
    t0 whenever the final gap is below tol (else sync_step is nan and t0 does not matter).
    """
    code = ln[_L_EVENT * _CHUNK + k]
    t = np.int64(ln[_L_T * _CHUNK + k])
    _lane_crossing(k, tol, ln)
    final = _L_PREV if code == _STOP_ODD else 0
    other = 0 if code == _STOP_ODD else _L_PREV
    ax = ln[final * _CHUNK + k]
    ay = ln[(final + 1) * _CHUNK + k]
    bx = ln[(final + 2) * _CHUNK + k]
    by = ln[(final + 3) * _CHUNK + k]
    gap = ln[_L_RESULT * _CHUNK + k]
    last = np.int64(ln[_L_LAST * _CHUNK + k])
    before = ln[_L_BEFORE * _CHUNK + k]
    after = ln[_L_AFTER * _CHUNK + k]
    if code != _STOP:
        previous = abs(ln[(other + 2) * _CHUNK + k] - ln[other * _CHUNK + k])
        last, before, after = _period_two_tail(t, steps, tol, gap, previous, last, before, after)
    out[0, p] = gap
    out[1, p] = before
    out[2, p] = after
    t0s[p] = last
    clusters[p] = _pair_clusters(ax, ay, bx, by)


@njit(cache=True, error_model="numpy")
def _run_pairs(count, steps, eps, tol, ln, pix, out, t0s, clusters, stats):
    """Finish ``count`` two-group pixels: lane k is pixel pix[k] (see _pair_lanes)."""
    active = count
    dead_count = 0
    while active > 0:
        stats[0] += active - dead_count
        _pair_lanes(active, steps, eps, tol, ln)
        for k in range(active):
            event = ln[_L_EVENT * _CHUNK + k]
            if event == _CROSSED:  # (a dead lane's tracker is no longer read)
                _lane_crossing(k, tol, ln)
            elif event != _GO_ON:
                _finish_pair(k, steps, tol, ln, pix[k], out, t0s, clusters)
                stats[1] += steps - np.int64(ln[_L_T * _CHUNK + k])
                ln[_L_DEAD * _CHUNK + k] = _ONE
                dead_count += 1
        if 4 * dead_count > active:
            live = 0
            for k in range(active):
                if ln[_L_DEAD * _CHUNK + k] == _ZERO:
                    if live != k:
                        for row in range(_L_ROWS):
                            ln[row * _CHUNK + live] = ln[row * _CHUNK + k]
                        pix[live] = pix[k]
                    live += 1
            active = live
            dead_count = 0


# -- a tile ----------------------------------------------------------------------------------

_CHUNK = 256  # pixels whose two-group lanes run together; a multiple of _BLOCK
_MODE_INDEPENDENT = 0
_MODE_SHARED = 1
_MODE_PER_PIXEL = 2


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
def _sin_cos(theta):
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
def _rounds_safely(y):
    """Whether every float64 within 2^-48 |y| of y rounds to the same float32 as y."""
    return np.float32(y * _BELOW) == np.float32(y * _ABOVE)


@njit(inline="always", cache=True, error_model="numpy")
def _block_pixel_points(count, n, rows, cols, k0, k1, stream, ctr, theta, st):
    """initial.pixel_points for ``count`` pixels side by side, bit for bit, into st.

    Every one of the _BLOCK lanes is computed (rows and cols hold _BLOCK entries; lanes past
    ``count`` hold any valid indices and are not used): a constant trip count vectorises
    without remainder loops.

    Philox and sin/cos run vectorised over the pixels. The float64 sin/cos here are within a
    few ulps of libm's, so their float32 roundings agree unless a value lies within 2^-48 of
    a float32 rounding boundary; those rare values are recomputed with libm (math.cos/sin,
    what numpy gives too).
    """
    b = _BLOCK
    s = _U64(stream)
    # The Philox state of every lane lives in ctr (rows c0..c3), the rounds loop outside the
    # lanes loop, so that the lanes loop is innermost and vectorises; the key schedule is the
    # same for every lane.
    for block in range((n + 3) // 4):
        first = 4 * block
        for q in range(_BLOCK):
            ctr[q] = _U64(block)
            ctr[b + q] = _U64(cols[q])
            ctr[2 * b + q] = _U64(rows[q])
            ctr[3 * b + q] = s
        kk0 = k0
        kk1 = k1
        for _ in range(10):
            for q in range(_BLOCK):
                p0 = _M0 * ctr[q]
                p1 = _M1 * ctr[2 * b + q]
                c1 = ctr[b + q]
                c3 = ctr[3 * b + q]
                ctr[q] = (p1 >> _SHIFT32) ^ c1 ^ kk0
                ctr[b + q] = p1 & _MASK32
                ctr[2 * b + q] = (p0 >> _SHIFT32) ^ c3 ^ kk1
                ctr[3 * b + q] = p0 & _MASK32
            kk0 = (kk0 + _W0) & _MASK32
            kk1 = (kk1 + _W1) & _MASK32
        for word in range(4):
            for q in range(_BLOCK):
                w = np.float64(ctr[word * b + q])
                theta[(first + word) * b + q] = _TWO_PI * ((w + 0.5) / _TWO_POW_32)
    hard = 0
    for i in range(n):
        for q in range(_BLOCK):
            sin, cos = _sin_cos(theta[i * b + q])
            ok = _rounds_safely(sin) & _rounds_safely(cos)
            hard += not ok
            st[i * b + q] = np.float32(cos) if ok else _NAN
            st[(n + i) * b + q] = np.float32(sin)
    if hard:
        for i in range(n):
            for q in range(_BLOCK):
                if st[i * b + q] != st[i * b + q]:
                    st[i * b + q] = np.float32(math.cos(theta[i * b + q]))
                    st[(n + i) * b + q] = np.float32(math.sin(theta[i * b + q]))


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _block_points_kernel(rows, cols, n, k0, k1, stream, out):
    """_block_pixel_points over many pixels, into out (P, n, 2) (for tests)."""
    theta = np.empty(((n + 3) // 4 * 4) * _BLOCK, np.float64)
    ctr = np.empty(4 * _BLOCK, np.uint64)
    st = np.empty(2 * n * _BLOCK, np.float32)
    block_rows = np.zeros(_BLOCK, np.int64)
    block_cols = np.zeros(_BLOCK, np.int64)
    for start in range(0, rows.size, _BLOCK):
        count = min(_BLOCK, rows.size - start)
        block_rows[:count] = rows[start : start + count]
        block_cols[:count] = cols[start : start + count]
        _block_pixel_points(count, n, block_rows, block_cols, k0, k1, stream, ctr, theta, st)
        for q in range(count):
            for i in range(n):
                out[start + q, i, 0] = st[i * _BLOCK + q]
                out[start + q, i, 1] = st[(n + i) * _BLOCK + q]


@njit(inline="always", cache=True, error_model="numpy")
def _initial_points(mode, row, col, n, k0, k1, stream, x0_shared, x0_pixels, r, c, gx, gy):
    if mode == _MODE_INDEPENDENT:
        _pixel_points_into(row, col, n, k0, k1, stream, gx, gy)
    elif mode == _MODE_SHARED:
        for i in range(n):
            gx[i] = x0_shared[i, 0]
            gy[i] = x0_shared[i, 1]
    else:
        for i in range(n):
            gx[i] = x0_pixels[r, c, i, 0]
            gy[i] = x0_pixels[r, c, i, 1]


@njit(cache=True, error_model="numpy", fastmath={"contract"}, _nrt=False)
def _run_chunk(
    first, last, row0, col0, width, xv, yv, prm, xi, yi, n, steps, eps, tol, mode, k0, k1,
    stream, x0_shared, x0_pixels, pairs, head, out, t0s, clusters, work, st, der, acc, nxt,
    trk, parent, flags, ln, pair_pix, group_stats, pair_stats, theta, ctr, rows, cols,
):  # fmt: skip
    """Pixels [first, last) of a tile: the block steps, the group steps, then the pair lanes.

    Writes out[0] = delta, out[1], out[2] = the gaps before and at t0, t0s = t0 and clusters.
    """
    gx = work[0]
    gy = work[1]
    cnt = work[2]
    sx = work[3]
    sy = work[4]
    p0 = work[5]
    p1 = work[6]
    kx = work[7]
    ky = work[8]
    vx = work[9]
    vy = work[10]
    zz = work[11]
    u0 = work[12]
    u1 = work[13]
    nx = work[14]
    ny = work[15]
    count = 0
    for start in range(first, last, _BLOCK):
        stop = min(last, start + _BLOCK)
        # Initial points; the pixels on the fast path take the first steps side by side.
        for p in range(start, stop):
            q = p - start
            r = p // width
            rows[q] = row0 + r
            cols[q] = col0 + p - r * width
        if mode == _MODE_INDEPENDENT:
            _block_pixel_points(stop - start, n, rows, cols, k0, k1, stream, ctr, theta, st)
        for p in range(start, stop):
            q = p - start
            r = p // width
            c = p - r * width
            prm[xi] = xv[c]
            prm[yi] = yv[r]
            if mode == _MODE_INDEPENDENT:
                for i in range(n):
                    gx[i] = st[i * _BLOCK + q]
                    gy[i] = st[(n + i) * _BLOCK + q]
            else:
                _initial_points(
                    mode, row0 + r, col0 + c, n, k0, k1, stream, x0_shared, x0_pixels, r, c,
                    gx, gy,
                )  # fmt: skip
            gap = _ZERO  # Δ_0 (initial points are finite) starts the tracker (see _track)
            for i in range(n):
                gap = max(gap, abs(gx[i] - gx[0]))
            big = gap >= tol
            trk[q] = _ONE if big else _ZERO
            trk[_BLOCK + q] = gap
            trk[2 * _BLOCK + q] = _NAN
            fast, pairable = _paths(n, gx, gy, prm)
            flags[0, q] = fast
            flags[1, q] = pairable and pairs
            flags[2, q] = fast and head > 0
            for i in range(n):
                st[i * _BLOCK + q] = gx[i]
                st[(n + i) * _BLOCK + q] = gy[i]
            for e in range(_N_PARAMS):
                st[(2 * n + e) * _BLOCK + q] = prm[e]
        if head > 0:
            _block_steps(stop - start, n, head, eps, tol, st, der, acc, nxt, trk)
        for p in range(start, stop):
            q = p - start
            r = p // width
            c = p - r * width
            prm[xi] = xv[c]
            prm[yi] = yv[r]
            t0 = 0
            if flags[2, q]:
                t0 = head
                group_stats[0] += head
                for i in range(n):
                    gx[i] = st[i * _BLOCK + q]
                    gy[i] = st[(n + i) * _BLOCK + q]
            else:
                _initial_points(
                    mode, row0 + r, col0 + c, n, k0, k1, stream, x0_shared, x0_pixels, r, c,
                    gx, gy,
                )  # fmt: skip
            gap, t, m, n_clusters, t_sync, before, after = _run_groups(
                n, t0, steps, prm, eps, tol, flags[0, q], flags[1, q], gx, gy, cnt, sx, sy,
                p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny, parent, group_stats,
                np.int64(trk[q]), trk[_BLOCK + q], trk[2 * _BLOCK + q],
            )  # fmt: skip
            if m == 2 and t < steps and flags[1, q]:
                ln[count] = gx[0]
                ln[_CHUNK + count] = gy[0]
                ln[2 * _CHUNK + count] = gx[1]
                ln[3 * _CHUNK + count] = gy[1]
                ln[_L_HAS_PREV * _CHUNK + count] = _ZERO
                ln[_L_COUNT * _CHUNK + count] = cnt[0]
                ln[(_L_COUNT + 1) * _CHUNK + count] = cnt[1]
                for e in range(_N_PARAMS):
                    ln[(_L_PRM + e) * _CHUNK + count] = prm[e]
                ln[_L_T * _CHUNK + count] = t
                ln[_L_DEAD * _CHUNK + count] = _ZERO
                ln[_L_LAST * _CHUNK + count] = np.float32(t_sync)
                ln[_L_BEFORE * _CHUNK + count] = before
                ln[_L_AFTER * _CHUNK + count] = after
                pair_pix[count] = p
                count += 1
            else:
                out[0, p] = gap
                out[1, p] = before
                out[2, p] = after
                t0s[p] = t_sync
                clusters[p] = n_clusters
    _run_pairs(count, steps, eps, tol, ln, pair_pix, out, t0s, clusters, pair_stats)


@njit(parallel=True, cache=True, error_model="numpy")
def _tile_kernel(
    row0, col0, height, width, xv, yv, base, xi, yi, n, steps, eps, tol, mode, k0, k1, stream,
    x0_shared, x0_pixels, lanes, pairs, block_steps, out, t0s, clusters, stats,
):  # fmt: skip
    """Every pixel of a tile; lane k takes chunks k, k + lanes, ... Each pixel's arithmetic is
    the same wherever it runs, so the results do not depend on the lanes or the tiles."""
    pixels = height * width
    chunks = (pixels + _CHUNK - 1) // _CHUNK
    head = min(block_steps, steps)
    for lane in prange(lanes):
        padded = (n + _PAD - 1) // _PAD * _PAD
        work = np.zeros((16, padded), np.float32)
        prm = base.copy()
        st = np.zeros((2 * n + _N_PARAMS) * _BLOCK, np.float32)
        der = np.zeros(6 * n * _BLOCK, np.float32)
        acc = np.zeros(3 * _BLOCK, np.float32)
        trk = np.zeros(3 * _BLOCK, np.float32)
        parent = np.zeros(n, np.int64)
        nxt = np.zeros(2 * n * _BLOCK, np.float32)
        flags = np.zeros((3, _BLOCK), np.bool_)
        ln = np.zeros(_L_ROWS * _CHUNK, np.float32)
        pair_pix = np.zeros(_CHUNK, np.int64)
        theta = np.zeros(((n + 3) // 4 * 4) * _BLOCK, np.float64)
        ctr = np.zeros(4 * _BLOCK, np.uint64)
        rows = np.zeros(_BLOCK, np.int64)
        cols = np.zeros(_BLOCK, np.int64)
        group_stats = np.zeros(3, np.int64)
        pair_stats = np.zeros(2, np.int64)
        for chunk in range(lane, chunks, lanes):
            first = chunk * _CHUNK
            _run_chunk(
                first, min(pixels, first + _CHUNK), row0, col0, width, xv, yv, prm, xi, yi, n,
                steps, eps, tol, mode, k0, k1, stream, x0_shared, x0_pixels, pairs, head, out,
                t0s, clusters, work, st, der, acc, nxt, trk, parent, flags, ln, pair_pix,
                group_stats, pair_stats, theta, ctr, rows, cols,
            )  # fmt: skip
        stats[lane, 0] = group_stats[0]
        stats[lane, 1] = pair_stats[0]
        stats[lane, 2] = group_stats[1] + pair_stats[1]
        stats[lane, 3] = group_stats[2]


@njit(parallel=True, cache=True, error_model="numpy")
def _tile_kernel_groups(
    height, width, xv, yv, base, xi, yi, n, steps, eps, tol, x0_pixels, lanes, out, t0s,
    clusters, stats,
):  # fmt: skip
    """Every pixel of a tile on the group path alone (no block steps, no pair lanes), in the
    precision of ``x0_pixels`` (the tile's initial points): the float64 engine. Lane k takes
    pixels k, k + lanes, ...; each pixel's arithmetic is the same wherever it runs."""
    pixels = height * width
    for lane in prange(lanes):
        padded = (n + _PAD - 1) // _PAD * _PAD
        work = np.zeros((16, padded), x0_pixels.dtype)
        prm = base.copy()
        parent = np.zeros(n, np.int64)
        group_stats = np.zeros(3, np.int64)
        for p in range(lane, pixels, lanes):
            r = p // width
            c = p - r * width
            prm[xi] = xv[c]
            prm[yi] = yv[r]
            for i in range(n):
                work[0, i] = x0_pixels[r, c, i, 0]
                work[1, i] = x0_pixels[r, c, i, 1]
            gap = work[0, 0] - work[0, 0]  # 0 in the working precision; then Δ_0
            for i in range(n):
                gap = max(gap, abs(work[0, i] - work[0, 0]))
            fast, _ = _paths(n, work[0], work[1], prm)
            delta, _, _, k, last, before, after = _run_groups(
                n, 0, steps, prm, eps, tol, fast, False, work[0], work[1], work[2], work[3],
                work[4], work[5], work[6], work[7], work[8], work[9], work[10], work[11],
                work[12], work[13], work[14], work[15], parent, group_stats,
                1 if gap >= tol else 0, gap, gap * np.nan,
            )  # fmt: skip
            out[0, p] = delta
            out[1, p] = before
            out[2, p] = after
            t0s[p] = last
            clusters[p] = k
        stats[lane, 0] = group_stats[0]
        stats[lane, 2] = group_stats[1]
        stats[lane, 3] = group_stats[2]


# -- the engine ------------------------------------------------------------------------------

# Measured ~1.0-1.6M px/s for n = 20, T = 100 (see the module docstring); a conservative
# estimate that scales like the reference (n^2 T), which the group shortcuts beat.
_PIXELS_PER_SECOND_N20_T100 = 400_000.0
_BLOCK_STEPS = 8
# The float64 group path: the README's 512 x 512 deep zoom ran at ~40k px/s (see the module
# docstring); a conservative estimate.
_GROUPS_PIXELS_PER_SECOND_N20_T100 = 20_000.0


def swept_parameters(
    spec: LandscapeSpec, tile: Tile, dtype: np.dtype | type
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """What the kernels sweep over a tile: (xv, yv, base, xi, yi).

    xv and yv are the swept values of the tile's columns and rows, base the 12 matrix entries
    in PARAMETER_NAMES order then beta, and xi, yi the slots of base that xv and yv replace;
    arrays in ``dtype``.
    """
    xv = np.ascontiguousarray(spec.x_values()[tile.col0 : tile.col1], dtype=dtype)
    yv = np.ascontiguousarray(spec.y_values()[tile.row0 : tile.row1], dtype=dtype)
    base = np.concatenate(
        [spec.matrix(name).ravel() for name in ("wq", "wk", "wv")] + [[spec.beta]]
    ).astype(dtype)
    return xv, yv, base, PARAMETER_NAMES.index(spec.x_param), PARAMETER_NAMES.index(spec.y_param)


def point_source(
    job: Job, tile: Tile, dtype: np.dtype | type = np.float32
) -> tuple[int, np.ndarray, np.ndarray]:
    """Where a kernel of ``dtype`` takes a tile's initial points: (mode, x0_shared, x0_pixels).

    _MODE_INDEPENDENT: generated in the kernel (the arrays are placeholders); _MODE_SHARED:
    the one configuration x0_shared (n, 2); _MODE_PER_PIXEL: per-pixel points x0_pixels
    (h, w, n, 2), the tile's slice of the job's per-pixel file. Kernels draw independent points
    themselves only in float32: in float64 a kernel's cos and sin may differ from NumPy's in
    the last bit, so independent points are the reference's own, made here, per pixel.
    """
    spec = job.spec
    x0_shared = np.zeros((1, 2), dtype)
    x0_pixels = np.zeros((1, 1, 1, 2), dtype)
    if spec.init == "independent":
        if np.dtype(dtype) == np.float32:
            return _MODE_INDEPENDENT, x0_shared, x0_pixels
        rows, cols = tile.pixel_coordinates()
        points = np.ascontiguousarray(job.initial_points(rows, cols), dtype)
        return _MODE_PER_PIXEL, x0_shared, points.reshape(*tile.shape, spec.n_points, 2)
    if spec.init == "shared" or not spec.x0_per_pixel:
        # A writable copy: a read-only array (initial_points broadcasts) is another type
        # to numba, and would compile the kernel a second time.
        x0_shared = np.array(job.initial_points(np.zeros(1), np.zeros(1))[0], dtype)
        return _MODE_SHARED, x0_shared, x0_pixels
    assert job.x0 is not None
    return _MODE_PER_PIXEL, x0_shared, np.ascontiguousarray(job.x0[tile.slices], dtype)


class NumbaCpuEngine:
    """The fast CPU engine (see the module docstring); float64 specs take the group path.

    ``threads`` sets how many lanes of work a tile is split into (default: numba's thread
    count); results do not depend on it. ``pairs=False`` turns off the SIMD pair lanes (the
    two-group pixels then run on the generic group path) and ``block_steps`` sets how many
    first steps run side by side without groups; both are for tests. After each compute,
    ``last_stats`` holds [group steps, pair steps, skipped steps, safe-path pixels] and
    ``last_sync`` the per-pixel (t0, Δ_{t0-1}, Δ_{t0}) that ``sync_step`` is made of.
    """

    name = "numba"
    # Bands of 256k pixels: fewer kernel launches and end-of-tile waits than the default
    # 32k, while a band still takes well under a second.
    tile_pixels = 262_144

    def __init__(
        self, threads: int | None = None, *, pairs: bool = True, block_steps: int = _BLOCK_STEPS
    ) -> None:
        self.threads = threads
        self.pairs = pairs
        self.block_steps = block_steps
        self.last_stats: np.ndarray | None = None
        self.last_sync: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        rate = _PIXELS_PER_SECOND_N20_T100
        if spec.dtype != "float32":
            rate = _GROUPS_PIXELS_PER_SECOND_N20_T100
        work = spec.n_points**2 * max(spec.steps, 1)
        return rate * (20**2 * 100) / work

    def compute(self, job: Job, tile: Tile) -> Fields:
        spec = job.spec
        if spec.dtype != "float32":
            return self._compute_on_groups(job, tile)
        height, width = tile.shape
        xv, yv, base, xi, yi = swept_parameters(spec, tile, np.float32)
        n = spec.n_points
        mode, x0_shared, x0_pixels = point_source(job, tile)
        k0, k1 = seed_key(spec.seed)
        lanes = self.threads or numba.get_num_threads()
        out = np.empty((3, height * width), np.float32)  # delta, Δ_{t0-1}, Δ_{t0}
        t0s = np.empty(height * width, np.int64)
        clusters = np.empty(height * width, np.uint16)
        stats = np.zeros((lanes, 4), np.int64)
        _tile_kernel(
            tile.row0, tile.col0, height, width, xv, yv, base, xi, yi, n, spec.steps,
            np.float32(spec.eps), np.float32(spec.tol), mode, _U64(k0), _U64(k1),
            _U64(stream_word(STREAM_PIXEL_POINTS, job.sample)), x0_shared, x0_pixels, lanes,
            self.pairs and spec.steps < _MAX_PAIR_STEPS, self.block_steps, out, t0s, clusters,
            stats,
        )  # fmt: skip
        return self._fields(out, t0s, clusters, stats, tile, spec.tol)

    def _compute_on_groups(self, job: Job, tile: Tile) -> Fields:
        """The float64 path: every pixel on the group path alone, from the job's own points."""
        spec = job.spec
        dtype = spec.np_dtype
        height, width = tile.shape
        n = spec.n_points
        xv, yv, base, xi, yi = swept_parameters(spec, tile, dtype)
        rows, cols = tile.pixel_coordinates()
        # The reference's points, bit for bit (numpy's float64 cos and sin may differ from
        # libm's in the last bit, so they are not recomputed in the kernel).
        x0 = np.ascontiguousarray(job.initial_points(rows, cols), dtype=dtype)
        lanes = self.threads or numba.get_num_threads()
        out = np.empty((3, height * width), dtype)
        t0s = np.empty(height * width, np.int64)
        clusters = np.empty(height * width, np.uint16)
        stats = np.zeros((lanes, 4), np.int64)
        _tile_kernel_groups(
            height, width, xv, yv, base, xi, yi, n, spec.steps, dtype.type(spec.eps),
            dtype.type(spec.tol), x0.reshape(height, width, n, 2), lanes, out, t0s, clusters,
            stats,
        )  # fmt: skip
        return self._fields(out, t0s, clusters, stats, tile, spec.tol)

    def _fields(self, out, t0s, clusters, stats, tile: Tile, tol: float) -> Fields:
        """Fields from a kernel's outputs; also sets last_stats and last_sync."""
        height, width = tile.shape
        self.last_stats = stats.sum(axis=0)
        self.last_sync = (t0s.reshape(height, width), *out[1:].reshape(2, height, width))
        shape = (height, width)
        return fields_from_tracker(
            out[0].reshape(shape),
            t0s.reshape(shape),
            out[1].reshape(shape),
            out[2].reshape(shape),
            clusters.reshape(shape),
            tol,
        )
