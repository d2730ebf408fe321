"""The fused CUDA kernel: one thread per pixel, every step in the thread, nothing stored.

What it computes is :mod:`attndyn.engines.numpy_ref`'s map, per pixel, in the precision of its
arrays (float32 or float64; one pair of kernels is compiled for each, :data:`KERNELS`): points
x_1..x_n, q_i = W_Q x_i, k_j = W_K x_j, v_j = W_V x_j, S_ij = beta q_i . k_j, A = softmax by
rows, y_i = sum_j A_ij v_j, x_i <- y_i / (|y_i| + eps), ``steps`` times; then Δ_T, the sync
tracker and the clusters. No score matrix exists anywhere: a thread holds its pixel's points
and, per row i, the running sums z_i = sum_j c_j e_ij and u_i = sum_j c_j e_ij v_j. The
per-pixel logic is scalar code with data-dependent loops, which is what SIMT threads run
well. The engine around it is :mod:`attndyn.engines.numba_cuda`.

The exact shortcuts of the CPU engine (the CPU kernels' modules argue each one), per thread:
  * groups: a pixel is kept as m distinct points g_k with multiplicities c_k (equal points
    stay equal for ever: the same operations in the same order on the same row), so a step
    costs m^2 exponentials instead of n^2; points are merged after every step, into the
    first group holding them, so group 0 always holds point 0 and Δ = max_k |g_k0 - g_00|;
  * two groups run in registers (the "pair step", the safe step for m = 2 in closed form);
  * exits: one group (Δ = 0 for ever), a fixed point, period 2, and nan (the reference then
    gives nan everywhere), each applied to the sync tracker as in the CPU engine.

One source with the CPU engine. What must agree bit for bit with the CPU engine is not
copied here: the sync tracker, the period-2 tail and the gap
(:mod:`~attndyn.engines.kernels.tracker`), the cluster link and count
(:mod:`~attndyn.engines.kernels.clusters`), the Philox rounds
(:mod:`~attndyn.engines.kernels.philox`), a pixel's initial points
(:mod:`~attndyn.engines.kernels.points`) and the bound that puts a pixel on the max-free or the
pair path (``compile_paths`` of :mod:`~attndyn.engines.kernels.groups`) are the CPU kernels' own
Python source, compiled here as device functions. The merge of equal points differs (the
CPU's scans for an equal pair with SIMD first); a test runs both on the same inputs and finds
the same groups.

Softmax. While |S_ij| <= 32 is guaranteed (from |S_ij| <= |beta| |W_Q|_F |W_K|_F |x_i||x_j|
with |x| <= 1 after a step, as in the CPU engine) the row max is skipped; otherwise the row
max is subtracted as in the reference. In float32 exp is the hardware's: ``__nv_fast_expf``
(ex2.approx of x log2 e, a couple of ulps near 0 and a relative error growing like 2^-22 |x|
for large |x|); in float64 it is libdevice's ``__nv_exp`` (within 1 ulp). Divisions and
square roots are IEEE (only n of each per step). Because the shortcuts are
exact properties of the map being iterated, the only differences from the reference come from
rounding: exp, fused multiply-adds and the order of sums. As for the CPU engine, they show up
as a handful of chaotic pixels (see the README for the figures measured on a GPU).

Initial points. "independent" points are generated in the thread by the same Philox4x32-10
counter formula as :func:`attndyn.model.initial.pixel_points` (bit-identical words and float64
angles); cos and sin are CUDA's float64 libdevice functions (<= 2 ulp in float64), rounded
to float32, which equals numpy's float32 point unless the float64 value lies within a few
2^-53 of a float32 rounding boundary, about once in 10^8 coordinates. "shared" and "file"
points are transferred. In float64 every pixel's points are the reference's own, made on the
host (about 3 s per million pixels of 20 points on the 2-core development machine) and
transferred (one configuration for "shared"), since CUDA's float64 cos and sin may differ from
NumPy's in the last bit.

Kernels. n <= 32: one kernel keeps every per-point array in thread-local memory (compiled
for sm_90 by numba-cuda 0.30 / CUDA 12.9, in float32: 72 registers, 1648 bytes of stack, no
spills; ``benchmarks/check_cuda_build.py`` prints these, and the float64 figures, without a
GPU). Larger n: a second kernel
keeps them in global memory, laid out so that adjacent threads touch adjacent addresses, in
launches of at most 1 GiB of such arrays. Both are compiled once and cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda
from numba.core import config

from attndyn.engines.inputs import N_PARAMETERS
from attndyn.engines.kernels.clusters import compile_clusters
from attndyn.engines.kernels.groups import compile_paths
from attndyn.engines.kernels.philox import compile_philox
from attndyn.engines.kernels.points import compile_points
from attndyn.engines.kernels.targets import Target
from attndyn.engines.kernels.tracker import compile_tracker

SIMULATED = bool(config.ENABLE_CUDASIM)

_F32 = np.float32
_ZERO = _F32(0.0)
_ONE = _F32(1.0)
_NAN = _F32(np.nan)
LOCAL_POINTS = 32  # pixels with at most this many points keep them in thread-local arrays
WORK_ARRAYS = 11  # gx, gy, cnt, nx, ny, sx, sy, kx, ky, vx, vy


# -- exp --------------------------------------------------------------------------------------


def _exp(x):
    """exp in x's own precision: the hardware's exp2 for float32 (``__nv_fast_expf``),
    libdevice's ``__nv_exp`` (within 1 ulp) for float64. Bound per type below."""
    raise NotImplementedError("only for kernels")


if SIMULATED:

    @cuda.jit(device=True)
    def _exp(x):
        """exp in x's precision (the simulator: libm in float64, rounded to float32 for a
        float32 argument)."""
        if x != x:
            return x
        if isinstance(x, np.float32):
            if x > 88.0:
                return _F32(np.inf)
            return _F32(math.exp(x))
        with np.errstate(over="ignore"):
            return np.exp(np.float64(x))

else:
    from numba.core import types
    from numba.cuda import libdevice

    try:
        from numba.cuda.extending import overload
    except ImportError:  # numba's own CUDA target, before NVIDIA's numba-cuda
        from numba.core.extending import overload

    @overload(_exp, target="cuda")
    def _exp_by_precision(x):
        if x == types.float32:
            return lambda x: libdevice.fast_expf(x)
        return lambda x: libdevice.exp(x)


# -- groups -----------------------------------------------------------------------------------


@cuda.jit(device=True)
def merge(m, gx, gy, cnt):
    """Merge equal points into the first group holding them; returns the new group count.

    The CPU engine's merge (attndyn.engines.kernels.groups.merge) gives the same groups,
    counts and order (tested), after a SIMD scan for an equal pair that this one skips."""
    out = 0
    for i in range(m):
        x = gx[i]
        y = gy[i]
        found = -1
        for k in range(out):
            if gx[k] == x and gy[k] == y:
                found = k
                break
        if found < 0:
            gx[out] = x
            gy[out] = y
            cnt[out] = cnt[i]
            out += 1
        else:
            cnt[found] += cnt[i]
    return out


# The logic the CPU engine must agree with bit for bit, from the CPU kernels' own source
# (attndyn.engines.kernels.tracker, .clusters and .philox), compiled here as device functions.
_DEVICE = Target(inline=cuda.jit(device=True), call=cuda.jit(device=True))
_track, _period_two_tail, _gap = compile_tracker(_DEVICE)
_, _count_clusters, _pair_clusters = compile_clusters(_DEVICE)
_, _, _philox = compile_philox(_DEVICE)
_, _initial_points = compile_points(_DEVICE, _philox)
_bounds = compile_paths(_DEVICE).paths  # (fast, pairable), as the CPU engine's groups.paths


# -- steps ------------------------------------------------------------------------------------


@cuda.jit(device=True)
def _project(m, gx, gy, prm, kx, ky, vx, vy):
    """k_j = W_K g_j and v_j = W_V g_j for the m groups."""
    for j in range(m):
        x = gx[j]
        y = gy[j]
        kx[j] = prm[4] * x + prm[5] * y
        ky[j] = prm[6] * x + prm[7] * y
        vx[j] = prm[8] * x + prm[9] * y
        vy[j] = prm[10] * x + prm[11] * y


@cuda.jit(device=True)
def _normalised(y0, y1, eps):
    d = math.sqrt(y0 * y0 + y1 * y1) + eps
    return y0 / d, y1 / d


@cuda.jit(device=True)
def _step_fast(m, gx, gy, cnt, prm, eps, kx, ky, vx, vy, nx, ny):
    """One step without the row max (|S| <= 32 guaranteed): y_i = sum_j c_j e_ij v_j / z_i."""
    _project(m, gx, gy, prm, kx, ky, vx, vy)
    beta = prm[12]
    for i in range(m):
        x = gx[i]
        y = gy[i]
        q0 = beta * (prm[0] * x + prm[1] * y)
        q1 = beta * (prm[2] * x + prm[3] * y)
        z = _ZERO
        u0 = _ZERO
        u1 = _ZERO
        for j in range(m):
            w = cnt[j] * _exp(q0 * kx[j] + q1 * ky[j])
            z += w
            u0 += w * vx[j]
            u1 += w * vy[j]
        nx[i], ny[i] = _normalised(u0 / z, u1 / z, eps)


@cuda.jit(device=True)
def _step_safe(m, gx, gy, cnt, prm, eps, kx, ky, vx, vy, nx, ny):
    """One step with the row max subtracted, as the reference does (nan propagates)."""
    _project(m, gx, gy, prm, kx, ky, vx, vy)
    beta = prm[12]
    for i in range(m):
        x = gx[i]
        y = gy[i]
        q0 = prm[0] * x + prm[1] * y
        q1 = prm[2] * x + prm[3] * y
        top = beta * (q0 * kx[0] + q1 * ky[0])
        for j in range(1, m):
            s = beta * (q0 * kx[j] + q1 * ky[j])
            if s > top or s != s:
                top = s
        z = _ZERO
        u0 = _ZERO
        u1 = _ZERO
        for j in range(m):
            w = cnt[j] * _exp(beta * (q0 * kx[j] + q1 * ky[j]) - top)
            z += w
            u0 += w * vx[j]
            u1 += w * vy[j]
        nx[i], ny[i] = _normalised(u0 / z, u1 / z, eps)


@cuda.jit(device=True)
def _pair_row(sa, sb, ca, cb, vax, vay, vbx, vby, eps):
    """The safe step's row for two groups with finite scores sa, sb: the larger weight is
    exactly 1, the other exp(-|sb - sa|)."""
    d = sb - sa
    e = _exp(-abs(d))
    ea = _ONE if d <= _ZERO else e
    eb = e if d <= _ZERO else _ONE
    z = ca * ea + cb * eb
    return _normalised(
        (ca * ea * vax + cb * eb * vbx) / z, (ca * ea * vay + cb * eb * vby) / z, eps
    )


@cuda.jit(device=True)
def _pair_step(ax, ay, bx, by, ca, cb, prm, eps):
    """One step of two groups a, b with counts ca, cb, in registers."""
    beta = prm[12]
    qa0 = prm[0] * ax + prm[1] * ay
    qa1 = prm[2] * ax + prm[3] * ay
    qb0 = prm[0] * bx + prm[1] * by
    qb1 = prm[2] * bx + prm[3] * by
    ka0 = prm[4] * ax + prm[5] * ay
    ka1 = prm[6] * ax + prm[7] * ay
    kb0 = prm[4] * bx + prm[5] * by
    kb1 = prm[6] * bx + prm[7] * by
    va0 = prm[8] * ax + prm[9] * ay
    va1 = prm[10] * ax + prm[11] * ay
    vb0 = prm[8] * bx + prm[9] * by
    vb1 = prm[10] * bx + prm[11] * by
    saa = beta * (qa0 * ka0 + qa1 * ka1)
    sab = beta * (qa0 * kb0 + qa1 * kb1)
    sba = beta * (qb0 * ka0 + qb1 * ka1)
    sbb = beta * (qb0 * kb0 + qb1 * kb1)
    nax, nay = _pair_row(saa, sab, ca, cb, va0, va1, vb0, vb1, eps)
    nbx, nby = _pair_row(sba, sbb, ca, cb, va0, va1, vb0, vb1, eps)
    return nax, nay, nbx, nby


# -- one pixel --------------------------------------------------------------------------------


@cuda.jit(device=True)
def _run_pixel(
    n, steps, prm, eps, tol, merge_from, gx, gy, cnt, nx, ny, sx, sy, kx, ky, vx, vy, parent
):
    """Iterate one pixel from the n points gx, gy (the arrays are overwritten).

    Returns (delta, last, before, after, clusters): Δ_T, the sync tracker and the clusters of
    the final state. Equal points are merged into groups after every step from step
    ``merge_from`` on (before it all n points are stepped, as the CPU engine's block steps
    do); any schedule is exact, it only moves work between comparisons and exponentials.
    """
    gap = _gap(n, gx)  # Δ_0; the initial points are finite
    last = 1 if gap >= tol else 0
    before = gap
    after = _NAN
    fast, pairable = _bounds(n, gx, gy, prm)
    for i in range(n):
        cnt[i] = _ONE
    m = merge(n, gx, gy, cnt) if merge_from <= 0 else n
    t = 0
    history = 0  # steps since the grouping last changed
    while t < steps and not (m == 2 and pairable):
        if m == 1:  # one point for ever: Δ = 0 < tol from here on
            return _ZERO, last, before, after, 1
        if fast:
            _step_fast(m, gx, gy, cnt, prm, eps, kx, ky, vx, vy, nx, ny)
        else:
            _step_safe(m, gx, gy, cnt, prm, eps, kx, ky, vx, vy, nx, ny)
        t += 1
        finite = True
        same1 = True
        same2 = history >= 1
        for i in range(m):
            x = nx[i]
            y = ny[i]
            if x != x or y != y:
                finite = False
            if x != gx[i] or y != gy[i]:
                same1 = False
            if x != sx[i] or y != sy[i]:
                same2 = False
        if not finite:  # nan spreads to every point at the next step: delta is nan
            return _NAN, last, before, after, 0
        gap = _gap(m, nx)
        last, before, after = _track(t, t + 1, gap, tol, last, before, after)
        if same1:  # a fixed point: every later state equals this one
            if gap >= tol:
                last = steps + 1
            return gap, last, before, after, _count_clusters(m, gx, gy, parent)
        if same2:  # period 2: the states alternate (new, previous, new, ...)
            previous = _gap(m, gx)
            if (steps - t) % 2 == 0:
                last, before, after = _period_two_tail(
                    t, steps, tol, gap, previous, last, before, after
                )
                return gap, last, before, after, _count_clusters(m, nx, ny, parent)
            last, before, after = _period_two_tail(
                t, steps, tol, previous, gap, last, before, after
            )
            return previous, last, before, after, _count_clusters(m, gx, gy, parent)
        for i in range(m):
            sx[i] = gx[i]
            sy[i] = gy[i]
            gx[i] = nx[i]
            gy[i] = ny[i]
        history += 1
        merged = merge(m, gx, gy, cnt) if t >= merge_from else m
        if merged != m:
            m = merged
            history = 0
    if t >= steps:
        return _gap(m, gx), last, before, after, _count_clusters(m, gx, gy, parent)
    # Two groups a (holding point 0) and b, in registers, until the end or an exit.
    ax, ay, bx, by = gx[0], gy[0], gx[1], gy[1]
    ca, cb = cnt[0], cnt[1]
    px, py, qx, qy = ax, ay, bx, by  # the state two steps back, once history >= 1
    history = 0
    while t < steps:
        nax, nay, nbx, nby = _pair_step(ax, ay, bx, by, ca, cb, prm, eps)
        t += 1
        if nax != nax or nay != nay or nbx != nbx or nby != nby:
            return _NAN, last, before, after, 0
        gap = abs(nbx - nax)
        last, before, after = _track(t, t + 1, gap, tol, last, before, after)
        if nax == nbx and nay == nby:  # merged: one point for ever
            return _ZERO, last, before, after, 1
        if nax == ax and nay == ay and nbx == bx and nby == by:  # a fixed point
            if gap >= tol:
                last = steps + 1
            return gap, last, before, after, _pair_clusters(ax, ay, bx, by)
        if history >= 1 and nax == px and nay == py and nbx == qx and nby == qy:  # period 2
            previous = abs(bx - ax)
            if (steps - t) % 2 == 0:
                last, before, after = _period_two_tail(
                    t, steps, tol, gap, previous, last, before, after
                )
                return gap, last, before, after, _pair_clusters(nax, nay, nbx, nby)
            last, before, after = _period_two_tail(
                t, steps, tol, previous, gap, last, before, after
            )
            return previous, last, before, after, _pair_clusters(ax, ay, bx, by)
        px, py, qx, qy = ax, ay, bx, by
        ax, ay, bx, by = nax, nay, nbx, nby
        history += 1
    return abs(bx - ax), last, before, after, _pair_clusters(ax, ay, bx, by)


@cuda.jit(device=True)
def _pixel_into(
    p, row0, col0, width, xv, yv, base, xi, yi, n, steps, eps, tol, merge_from, mode, k0, k1,
    stream, x0_shared, x0_pixels, out, t0s, clusters, gx, gy, cnt, nx, ny, sx, sy, kx, ky, vx,
    vy, parent, prm,
):  # fmt: skip
    """Pixel p (row-major in the tile): its parameters, initial points and results."""
    r = p // width
    c = p - r * width
    for e in range(N_PARAMETERS):
        prm[e] = base[e]
    prm[xi] = xv[c]
    prm[yi] = yv[r]
    _initial_points(mode, row0 + r, col0 + c, n, k0, k1, stream, x0_shared, x0_pixels, r, c, gx, gy)
    delta, last, before, after, k = _run_pixel(
        n, steps, prm, eps, tol, merge_from, gx, gy, cnt, nx, ny, sx, sy, kx, ky, vx, vy, parent
    )
    out[0, p] = delta
    out[1, p] = before
    out[2, p] = after
    t0s[p] = last
    clusters[p] = k


def _tile_kernels(dtype):
    """The two tile kernels with per-pixel arrays of ``dtype`` (float32 or float64).

    ``local`` (n <= 32) keeps the points and sums in thread-local arrays; ``global`` (any n)
    takes them as columns of ``work`` (11, n, Q) and ``links`` (n, Q) in global memory, for
    pixels first, first + 1, ... of the tile, adjacent threads on adjacent addresses. Every
    device function they call is compiled for the arrays' precision.
    """

    def local(
        row0, col0, height, width, xv, yv, base, xi, yi, n, steps, eps, tol, merge_from, mode,
        k0, k1, stream, x0_shared, x0_pixels, out, t0s, clusters,
    ):  # fmt: skip
        p = cuda.grid(1)
        if p >= height * width:
            return
        gx = cuda.local.array(LOCAL_POINTS, dtype)
        gy = cuda.local.array(LOCAL_POINTS, dtype)
        cnt = cuda.local.array(LOCAL_POINTS, dtype)
        nx = cuda.local.array(LOCAL_POINTS, dtype)
        ny = cuda.local.array(LOCAL_POINTS, dtype)
        sx = cuda.local.array(LOCAL_POINTS, dtype)
        sy = cuda.local.array(LOCAL_POINTS, dtype)
        kx = cuda.local.array(LOCAL_POINTS, dtype)
        ky = cuda.local.array(LOCAL_POINTS, dtype)
        vx = cuda.local.array(LOCAL_POINTS, dtype)
        vy = cuda.local.array(LOCAL_POINTS, dtype)
        parent = cuda.local.array(LOCAL_POINTS, np.int32)
        prm = cuda.local.array(N_PARAMETERS, dtype)
        _pixel_into(
            p, row0, col0, width, xv, yv, base, xi, yi, n, steps, eps, tol, merge_from, mode,
            k0, k1, stream, x0_shared, x0_pixels, out, t0s, clusters, gx, gy, cnt, nx, ny, sx,
            sy, kx, ky, vx, vy, parent, prm,
        )  # fmt: skip

    def global_(
        row0, col0, height, width, xv, yv, base, xi, yi, n, steps, eps, tol, merge_from, mode,
        k0, k1, stream, x0_shared, x0_pixels, out, t0s, clusters, first, work, links,
    ):  # fmt: skip
        q = cuda.grid(1)
        p = first + q
        if q >= work.shape[2] or p >= height * width:
            return
        prm = cuda.local.array(N_PARAMETERS, dtype)
        _pixel_into(
            p, row0, col0, width, xv, yv, base, xi, yi, n, steps, eps, tol, merge_from, mode,
            k0, k1, stream, x0_shared, x0_pixels, out, t0s, clusters, work[0, :, q],
            work[1, :, q], work[2, :, q], work[3, :, q], work[4, :, q], work[5, :, q],
            work[6, :, q], work[7, :, q], work[8, :, q], work[9, :, q], work[10, :, q],
            links[:, q], prm,
        )  # fmt: skip

    # Closures cache on disk like plain functions: the index key hashes the captured dtype.
    return {"local": cuda.jit(cache=True)(local), "global": cuda.jit(cache=True)(global_)}


KERNELS = {np.dtype(np.float32): _tile_kernels(np.float32)}
KERNELS[np.dtype(np.float64)] = _tile_kernels(np.float64)
