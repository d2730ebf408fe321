"""The residual map's kernel: X <- normalize_rows(X + h A V), pixels side by side in SIMD lanes.

What it computes is :func:`attndyn.engines.numpy_ref.residual_step` iterated ``steps`` times,
per pixel, with the pixel's own parameters (the 13 slots of
:mod:`attndyn.engines.inputs` and h in a 14th, slot ``RESIDUAL_SLOT``, so that any of the 14
sweepable names can be an axis):

    k_j = W_K x_j,  v_j = W_V x_j,  s_ij = beta (W_Q x_i) . k_j,
    a_ij = exp(s_ij - max_j s_ij) / sum_j exp(s_ij - max_j s_ij),
    z_i = x_i + h sum_j a_ij v_j,   x_i <- z_i / (|z_i| + eps),

then the gap Δ_t = max_i |x_i0 - x_00| of every state, the sync tracker (t0 = 1 + the last
t with Δ_t >= tol, Δ_{t0-1}, Δ_{t0}; see :mod:`attndyn.model.fields`) and the clusters of the
final points (single linkage, the link of :func:`attndyn.model.fields.linked` in float64,
each operation rounded).

None of the seed map's shortcuts is taken (groups of equal points, which the skip connection
also keeps equal, and the exits at one group, a fixed point or period 2, which would need
their own arguments here): every pixel takes every step, as the reference does. Speed comes
from doing ``LANES`` (32) pixels at once: every array holds a lane axis last, and every inner
loop runs over the lanes with no dependence between them, which LLVM vectorises, and from the
tile's chunks of ``LANES`` pixels spread over Python threads (the kernel releases the GIL).

Arithmetic. The reference's formulas, with two changes of rounding: the weights are summed
with the values in one pass, y_i = (sum_j e_ij v_j) / (sum_j e_ij), rather than divided first
(one pass over the pairs instead of two), and exp is a polynomial within 1 ulp
(:func:`weight`), which vectorises where libm's exp does not. No fastmath flags, so the
compiler adds no fused multiply-adds. The kernel therefore agrees with the reference to
rounding, not bit for bit, in float64 too; the measured agreement is in docs/engines.md. The
running max of the scores is ``np.maximum``, which LLVM vectorises: with a plain ``max`` that
loop stayed scalar (3.6 times slower, measured alone). The one-pass sum and ``np.maximum``
made the kernel 2.5 (float32) and 1.4 (float64) times faster than its first version
(benchmarks/LOG.md, 2026-12-06).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import overload

from attndyn.engines.inputs import independent_angles
from attndyn.engines.kernels.exp import dexp, fexp
from attndyn.engines.kernels.layout import own_lines
from attndyn.engines.kernels.targets import renamed_copy
from attndyn.engines.kernels.work_queue import run_lanes, take
from attndyn.model.fields import CLUSTER_DISTANCE
from attndyn.model.initial import points_from_angles
from attndyn.model.job import Job, PointMode
from attndyn.model.params import MATRIX_NAMES, SWEEPABLE_NAMES
from attndyn.model.tiles import Tile

LANES = 32
RESIDUAL_SLOT = 13
N_RESIDUAL_PARAMETERS = 14
_LINK2 = CLUSTER_DISTANCE**2
_FEXP_LO = np.float32(-87.0)
_DEXP_LO = -700.0


def weight(d):
    """exp(d) for a shifted score d = s - max(s) <= 0, branch-free so that the lanes' loop
    vectorises: :func:`~attndyn.engines.kernels.exp.fexp` (float32) or
    :func:`~attndyn.engines.kernels.exp.dexp` (float64), within 1 ulp of exp, of d clamped
    to -87 or -700 (below, exp(d) is under 2e-38 or 1e-304 of the largest weight, 1, and
    rounds away in the sum)."""
    return math.exp(max(d, _DEXP_LO))


@overload(weight, inline="always")
def _weight_in_precision(d):
    if d == types.float32:
        return lambda d: fexp(max(d, _FEXP_LO))
    return lambda d: dexp(max(d, _DEXP_LO))


@njit(cache=True, error_model="numpy", nogil=True)
def _count_clusters(px, py, n, parent):
    """Single-linkage clusters of n points (0 if any is non-finite), by union-find."""
    for k in range(n):
        if not (math.isfinite(px[k]) and math.isfinite(py[k])):
            return 0
    clusters = n
    for k in range(n):
        parent[k] = k
    for i in range(1, n):
        for j in range(i):
            dx = np.float64(px[i]) - np.float64(px[j])
            dy = np.float64(py[i]) - np.float64(py[j])
            if dx * dx + dy * dy <= _LINK2:
                a = i
                while parent[a] != a:
                    a = parent[a]
                b = j
                while parent[b] != b:
                    b = parent[b]
                if a != b:
                    parent[max(a, b)] = min(a, b)
                    clusters -= 1
    return clusters


def residual_lanes(
    queue, pixels, width, xv, yv, base, xi, yi, n, steps, eps, tol, shared, points,
    out, t0s, clusters,
):  # fmt: skip
    """A lane of work of a tile: chunk after chunk of LANES pixels (pixel p = row * width + col
    of the tile), each chunk's index taken from ``queue``
    (:func:`~attndyn.engines.kernels.work_queue.take`) until none is left. ``points`` holds
    the initial points, (1, n, 2) when ``shared`` else (pixels, n, 2); ``base`` the 14
    parameters; writes out[0] = delta, out[1] = Δ_{t0-1}, out[2] = Δ_{t0}, t0s and clusters
    per pixel. Compiled once per precision (:data:`residual_kernels`)."""
    real = base.dtype.type
    L = LANES
    X = np.empty((n, 2, L), base.dtype)
    Y = np.empty((n, 2, L), base.dtype)
    K = np.empty((n, 2, L), base.dtype)
    V = np.empty((n, 2, L), base.dtype)
    S = np.empty((n, L), base.dtype)
    prm = np.empty((N_RESIDUAL_PARAMETERS, L), base.dtype)
    gaps = np.empty((steps + 1, L), base.dtype)
    q0 = np.empty(L, base.dtype)
    q1 = np.empty(L, base.dtype)
    top = np.empty(L, base.dtype)
    total = np.empty(L, base.dtype)
    a0 = np.empty(L, base.dtype)
    a1 = np.empty(L, base.dtype)
    px = np.empty(n, base.dtype)
    py = np.empty(n, base.dtype)
    parent = np.empty(n, np.int64)
    chunks = (pixels + L - 1) // L
    while True:
        chunk = take(queue, 1)
        if chunk >= chunks:
            break
        first = chunk * L
        for m in range(L):
            p = min(first + m, pixels - 1)  # a short last chunk repeats its last pixel
            for e in range(N_RESIDUAL_PARAMETERS):
                prm[e, m] = base[e]
            prm[xi, m] = xv[p % width]
            prm[yi, m] = yv[p // width]
            source = 0 if shared else p
            for i in range(n):
                X[i, 0, m] = points[source, i, 0]
                X[i, 1, m] = points[source, i, 1]
        for t in range(steps + 1):
            if t > 0:
                for j in range(n):
                    for m in range(L):
                        x0 = X[j, 0, m]
                        x1 = X[j, 1, m]
                        K[j, 0, m] = x0 * prm[4, m] + x1 * prm[5, m]
                        K[j, 1, m] = x0 * prm[6, m] + x1 * prm[7, m]
                        V[j, 0, m] = x0 * prm[8, m] + x1 * prm[9, m]
                        V[j, 1, m] = x0 * prm[10, m] + x1 * prm[11, m]
                for i in range(n):
                    for m in range(L):
                        x0 = X[i, 0, m]
                        x1 = X[i, 1, m]
                        q0[m] = x0 * prm[0, m] + x1 * prm[1, m]
                        q1[m] = x0 * prm[2, m] + x1 * prm[3, m]
                        top[m] = -np.inf
                    for j in range(n):
                        for m in range(L):
                            s = prm[12, m] * (q0[m] * K[j, 0, m] + q1[m] * K[j, 1, m])
                            S[j, m] = s
                            top[m] = np.maximum(top[m], s)
                    for m in range(L):
                        total[m] = 0
                        a0[m] = 0
                        a1[m] = 0
                    for j in range(n):
                        for m in range(L):
                            w = weight(S[j, m] - top[m])
                            total[m] += w
                            a0[m] += w * V[j, 0, m]
                            a1[m] += w * V[j, 1, m]
                    for m in range(L):
                        h = prm[RESIDUAL_SLOT, m]
                        z0 = X[i, 0, m] + h * (a0[m] / total[m])
                        z1 = X[i, 1, m] + h * (a1[m] / total[m])
                        norm = np.sqrt(z0 * z0 + z1 * z1) + eps
                        Y[i, 0, m] = z0 / norm
                        Y[i, 1, m] = z1 / norm
                X, Y = Y, X
            for m in range(L):
                gap = real(0)
                for i in range(1, n):
                    d = abs(X[i, 0, m] - X[0, 0, m])
                    gap = d if d > gap or d != d else gap
                gaps[t, m] = gap
        for m in range(L):
            p = first + m
            if p >= pixels:
                break
            t0 = 0
            for t in range(steps, -1, -1):
                if gaps[t, m] >= tol:
                    t0 = t + 1
                    break
            k = min(max(t0, 1), steps) if steps > 0 else 0
            out[0, p] = gaps[steps, m]
            out[1, p] = gaps[max(k - 1, 0), m]
            out[2, p] = gaps[k, m]
            t0s[p] = t0
            for i in range(n):
                px[i] = X[i, 0, m]
                py[i] = X[i, 1, m]
            clusters[p] = _count_clusters(px, py, n, parent)


def _compile_residual(precision: str) -> Any:
    """:func:`residual_lanes` compiled under a name of its own for ``precision``: one
    signature per dispatcher and its own cache files, so that whether a precision's kernel
    is compiled can be read from numba's cache (:mod:`attndyn.engines.warmup`)."""
    name = f"residual_kernel_{precision}"
    return njit(cache=True, error_model="numpy", nogil=True)(renamed_copy(residual_lanes, name))


# The residual map's kernel of each precision (the dtype of the parameters it is given).
residual_kernels = {precision: _compile_residual(precision) for precision in ("float32", "float64")}


def run_residual_tile(lanes: int, pixels: int, args: tuple[Any, ...]) -> None:
    """Every pixel of a tile through :func:`residual_lanes` in ``lanes`` lanes of work side by
    side (:func:`~attndyn.engines.kernels.work_queue.run_lanes`), each taking the tile's
    chunks one at a time from a counter they share; ``args`` are the kernel's arguments from
    ``width`` on (the kernel of the precision of ``base``, ``args[3]``). A failure in a thread
    is raised again here."""
    residual_kernel = residual_kernels[str(args[3].dtype)]
    chunks = own_lines(1, np.int64)  # the next chunk's index
    run_lanes(lanes, lambda lane: residual_kernel(chunks, pixels, *args))


def residual_parameters(job: Job, tile: Tile, dtype: np.dtype) -> tuple[Any, ...]:
    """The kernel's arguments for a tile from ``width`` to ``points`` (see
    :func:`residual_lanes`): the swept values, the 14 parameters (the 13 of
    :func:`~attndyn.engines.inputs.swept_parameters` and h, 0 when an axis sets it), the axes'
    slots, and the initial points: the job's shared configuration, its x0 file, or the
    reference's own independent points made on the host (the angles by numba, cos and sin by
    NumPy, as :func:`~attndyn.engines.inputs.point_source` makes them for float64)."""
    spec = job.spec
    xv = np.ascontiguousarray(job.x_values()[tile.col0 : tile.col1], dtype=dtype)
    yv = np.ascontiguousarray(job.y_values()[tile.row0 : tile.row1], dtype=dtype)
    base = np.zeros(N_RESIDUAL_PARAMETERS, dtype)
    base[:RESIDUAL_SLOT] = np.concatenate(
        [spec.matrix(name).ravel() for name in MATRIX_NAMES] + [[spec.beta]]
    )
    base[RESIDUAL_SLOT] = spec.residual or 0.0
    xi, yi = SWEEPABLE_NAMES.index(spec.x_param), SWEEPABLE_NAMES.index(spec.y_param)
    mode = job.point_mode
    if mode is PointMode.SHARED:
        points = np.array(job.shared_configuration(), dtype)[None]
    elif mode is PointMode.INDEPENDENT:
        rows, cols = tile.pixel_coordinates()
        theta = independent_angles(job, rows, cols)
        points = np.ascontiguousarray(points_from_angles(theta, spec.np_dtype), dtype)
    else:
        assert job.x0 is not None
        points = np.array(job.x0[tile.slices], dtype, order="C").reshape(tile.size, -1, 2)
    return (
        tile.shape[1], xv, yv, base, xi, yi, spec.n_points, spec.steps, dtype.type(spec.eps),
        dtype.type(spec.tol), mode is PointMode.SHARED, points,
    )  # fmt: skip
