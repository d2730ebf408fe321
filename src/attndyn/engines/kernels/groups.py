"""One pixel on its groups of equal points: the steps, the merge and the exact exits.

The map is :mod:`attndyn.engines.numpy_ref`'s: points x_1..x_n, q_i = W_Q x_i,
k_j = W_K x_j, v_j = W_V x_j, S_ij = beta q_i . k_j, A = softmax by rows,
y_i = sum_j A_ij v_j, x_i <- y_i / (|y_i| + eps).

Groups. Two points that are equal stay equal for ever: a row's new point is a function of
its own point and of the whole configuration only, computed by the same operations in the
same order for every row. So a pixel is kept as m distinct points ("groups") g_k with
multiplicities c_k, and a step costs m^2 exponentials instead of n^2: the sums over j become
sum_k c_k e_ik (...). Equal points are merged into the first group holding them
(:func:`merge`), so group 0 always holds point 0. (Equality is float equality; +0 and -0
give equal scores, exponentials and sums, so they behave as one point.) On the Appendix B
pictures a pixel is down to at most two groups after about 6 steps. The multiplicity-weighted
sums round differently from the reference's n-term sums; agreement is measured (see the
README and benchmarks/LOG.md).

Exact exits, each a property of a deterministic map on the group state (:func:`run_groups`;
how each completes the sync tracker: :mod:`~attndyn.engines.kernels.tracker`):
  * one group: every point is equal for ever, delta = 0;
  * a fixed point (the state is unchanged by a step): it stays, delta is that state's;
  * period 2 (the state equals the one two steps back, with the same grouping): the states
    alternate, so the last state is the newest or the previous one by the parity of the
    steps left;
  * a nan anywhere: the reference's row max is then nan for every row, so every point is
    nan after the next step and delta is nan (label 0, clusters 0).
``clusters`` is counted on the final state's groups, the state each exit names
(:mod:`~attndyn.engines.kernels.clusters`).

Softmax. While |S_ij| <= 32 (checked per pixel from |S_ij| <= |beta| |W_Q|_F |W_K|_F
|x_i| |x_j|, points of norm <= 1 after a step, and the initial norms: :func:`paths`), the
step skips the row max (:func:`step_fast`): e_ij = exp(S_ij) cannot overflow or reach
subnormals (in float32 it is 2^(S_ij log2 e), the scores made with beta log2(e):
:func:`~attndyn.engines.kernels.exp.score_scale`, ``exp_score``), and
y_i = (sum_j c_j e_ij v_j) / (sum_j c_j e_ij) is then normalised with eps
exactly as in the reference (the division by the row sum is kept, so eps keeps its scale).
Otherwise (wide windows, large matrices) the pixel takes the safe step (:func:`step_safe`),
which subtracts the row max in the reference's order of operations. The row loops of the
fast step run over whole SIMD vectors (the buffers are padded to PAD). LLVM may fuse
multiply-adds in the steps (fastmath "contract" only, no reassociation, in the callers).

Precision. The functions compile for float32 and float64 buffers alike; exp is that of the
buffers' precision (:func:`~attndyn.engines.kernels.exp.exp_score`, ``exp_shifted``). The
float64 engine compiles them without fused multiply-adds, and its block steps and pair lanes
are this path's steps bit for bit, so every float64 pixel is what this path alone gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from attndyn.engines.kernels.clusters import count_clusters
from attndyn.engines.kernels.exp import exp_score, exp_shifted, score_scale
from attndyn.engines.kernels.layout import PAD
from attndyn.engines.kernels.targets import CPU, Target
from attndyn.engines.kernels.tracker import gap, period_two_tail, track

FAST_BOUND = 32.0  # |S| up to which the max-free step is exact
PAIR_BOUND = 1e30  # |S| up to which two groups' score differences are finite
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)
_NAN = np.float32(np.nan)


@njit(inline="always", cache=True, error_model="numpy")
def step_fast(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny):
    """One step without the row max (valid while |S| stays small, see the module docstring)."""
    wq00, wq01, wq10, wq11 = prm[0], prm[1], prm[2], prm[3]
    wk00, wk01, wk10, wk11 = prm[4], prm[5], prm[6], prm[7]
    wv00, wv01, wv10, wv11 = prm[8], prm[9], prm[10], prm[11]
    beta = score_scale(prm[12])
    rows = (m + PAD - 1) // PAD * PAD  # whole vectors; rows past m are finite, unused
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
            w = c * exp_score(p0[i] * a + p1[i] * b)
            zz[i] += w
            u0[i] += w * ex
            u1[i] += w * ey
    for i in range(rows):
        y0 = u0[i] / zz[i]
        y1 = u1[i] / zz[i]
        d = np.sqrt(y0 * y0 + y1 * y1) + eps
        nx[i] = y0 / d
        ny[i] = y1 / d


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def step_safe(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, nx, ny):
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
            z += cnt[j] * exp_shifted(beta * (a * kx[j] + b * ky[j]) - top)
        y0 = _ZERO
        y1 = _ZERO
        for j in range(m):
            w = cnt[j] * exp_shifted(beta * (a * kx[j] + b * ky[j]) - top) / z
            y0 += w * vx[j]
            y1 += w * vy[j]
        d = np.sqrt(y0 * y0 + y1 * y1) + eps
        nx[i] = y0 / d
        ny[i] = y1 / d


@njit(inline="always", cache=True, error_model="numpy")
def has_equal_points(m, gx, gy):
    """Whether two of the m points (gx, gy) are equal, by a scan vectorised over whole
    vectors of PAD rows (the buffers' rows past m are finite and masked out)."""
    rows = (m + PAD - 1) // PAD * PAD
    for i in range(1, m):
        x = gx[i]
        y = gy[i]
        hits = 0
        for k in range(rows):
            hits += (gx[k] == x) & (gy[k] == y) & (k < i)
        if hits:
            return True
    return False


@njit(inline="always", cache=True, error_model="numpy")
def merge(m, gx, gy, cnt):
    """Merge equal points into the first group holding them; returns the new group count.

    A vectorised scan (:func:`has_equal_points`) first looks for any equal pair; only then
    are the groups rebuilt, point by point without a data-dependent branch: a point's group
    is the first of the groups so far holding it (a scan of them all) or a new one, which
    takes the point (a group keeps its first point's bits: +0 and -0 are equal); the count
    is added either way. (The CUDA engine's merge has no scan; both give the same groups,
    counts and order: tested.)
    """
    if not has_equal_points(m, gx, gy):
        return m
    out = 0
    for i in range(m):
        x = gx[i]
        y = gy[i]
        c = cnt[i]
        gx[out] = x  # the new group, if it is one (slot out is free: out <= i)
        gy[out] = y
        cnt[out] = c
        at = out
        for back in range(out):  # the first group so far holding the point, else out
            k = out - 1 - back
            at = k if (gx[k] == x) & (gy[k] == y) else at
        cnt[at] += _ZERO if at == out else c
        out += at == out
    return out


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def merge_array(m, gx, gy, cnt):
    """merge, compiled on its own (for tests)."""
    return merge(m, gx, gy, cnt)


class Paths(NamedTuple):
    """:func:`paths` and :func:`path_flags` compiled for one target."""

    paths: Callable[..., Any]
    path_flags: Callable[..., Any]


def compile_paths(target: Target) -> Paths:
    """:func:`paths` and :func:`path_flags` compiled for ``target``: the CPU and GPU engines
    must put a pixel on the same path, so the bound is one source
    (:mod:`~attndyn.engines.kernels.targets`)."""

    @target.inline
    def path_flags(n, norm2, prm):
        """(fast, pairable) for a pixel with parameters prm whose n initial points have
        squared norms at most norm2 >= 1 (float64).

        fast: |S| <= FAST_BOUND, so the max-free softmax cannot overflow or underflow;
        pairable: |S| <= PAIR_BOUND, so two-group score differences are finite. The bound is
        |S_ij| = |beta q_i . k_j| <= |beta| |W_Q|_F |W_K|_F |g_i| |g_j|, and |g| <= 1 after a step.
        """
        wq = 0.0
        wk = 0.0
        wv = 0.0
        for e in range(4):
            wq += np.float64(prm[e]) ** 2
            wk += np.float64(prm[4 + e]) ** 2
            wv += np.float64(prm[8 + e]) ** 2
        bound = abs(np.float64(prm[12])) * math.sqrt(wq * wk) * norm2 * 1.001
        fast = bound <= FAST_BOUND and n * math.exp(bound) * math.sqrt(wv) <= 1e36
        return fast, bound <= PAIR_BOUND

    @target.inline
    def paths(n, gx, gy, prm):
        """:func:`path_flags` for a pixel starting from the n points gx, gy: norm2 is the
        largest of 1 and their squared norms, in float64."""
        norm2 = 1.0
        for i in range(n):
            norm2 = max(norm2, np.float64(gx[i]) ** 2 + np.float64(gy[i]) ** 2)
        return path_flags(n, norm2, prm)

    return Paths(paths, path_flags)


paths, path_flags = compile_paths(CPU)


@njit(inline="always", cache=True, error_model="numpy", fastmath={"contract"})
def run_groups(
    m, t0, steps, prm, eps, tol, fast, pairs, gx, gy, cnt, sx, sy,
    p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny, parent, stats, last, before, after,
):  # fmt: skip
    """Iterate one pixel from the m points gx, gy with counts cnt at step t0 (the buffers are
    overwritten; equal points among them are merged first).

    (last, before, after) is the sync tracker (see tracker.track) with the steps up to t0
    folded in. Returns ``(delta, t, m, clusters, last, before, after)``. With ``pairs`` set,
    it stops early with m == 2 groups (gx, gy, cnt [:2]) at a step t < steps, for the pair
    lanes (delta and clusters are then unset); otherwise every value is final.
    ``stats`` (int64) accumulates: [0] steps computed, [1] steps skipped, [2] safe pixels.
    """
    m = merge(m, gx, gy, cnt)
    if steps == t0:
        return gap(m, gx), t0, m, count_clusters(m, gx, gy, parent), last, before, after
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
            step_fast(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny)
        else:
            step_safe(m, gx, gy, cnt, prm, eps, p0, p1, kx, ky, vx, vy, nx, ny)
        t += 1
        stats[0] += 1
        rows = (m + PAD - 1) // PAD * PAD  # whole vectors, masked to the m groups
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
        new_gap = gap(m, nx)
        last, before, after = track(t, t + 1, new_gap, tol, last, before, after)
        if same1:  # a fixed point: every later state, and gap, equals this one
            stats[1] += steps - t
            if new_gap >= tol:
                last = steps + 1
            return new_gap, t, m, count_clusters(m, gx, gy, parent), last, before, after
        if same2:  # period 2: the states alternate (new, previous, new, ...)
            stats[1] += steps - t
            previous = gap(m, gx)
            if (steps - t) % 2 == 0:
                last, before, after = period_two_tail(
                    t, steps, tol, new_gap, previous, last, before, after
                )
                return new_gap, t, m, count_clusters(m, nx, ny, parent), last, before, after
            last, before, after = period_two_tail(
                t, steps, tol, previous, new_gap, last, before, after
            )
            return previous, t, m, count_clusters(m, gx, gy, parent), last, before, after
        for i in range(rows):
            sx[i] = gx[i]
            sy[i] = gy[i]
            gx[i] = nx[i]
            gy[i] = ny[i]
        history += 1
        merged = merge(m, gx, gy, cnt)
        if merged != m:
            m = merged
            history = 0
    return gap(m, gx), t, m, count_clusters(m, gx, gy, parent), last, before, after
