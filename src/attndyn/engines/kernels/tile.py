"""A tile: its pixels through the block steps, the group steps and the pair lanes.

A tile's pixels go in CHUNKs of 256, each lane of work (a Python thread running the kernel,
which releases the GIL: :func:`run_tile`) taking the next chunk from a counter the lanes share
when it is ready for one (:mod:`~attndyn.engines.kernels.work_queue`). Within a chunk, BLOCK
(32) pixels at a time get their initial points (from the host, or for "independent" drawn by
the lanes just before: :func:`run_tile`), their sync trackers and the bound that
picks their path (:func:`block_start`, side by side), and those on the fast path take the
first steps side by side (:mod:`~attndyn.engines.kernels.blocks`) and leave them with their groups
(``first_equal``). A pixel with three or more groups goes to the chunk's pool, whose pixels
then step side by side on their groups (:mod:`~attndyn.engines.kernels.group_blocks`); every
pixel then runs on its groups alone (:mod:`~attndyn.engines.kernels.groups`) from the state
and step at which it left the blocks, and a pixel that reaches two groups joins the pair
lanes of its chunk (:mod:`~attndyn.engines.kernels.lanes`), which finish at the end of it.
The group blocks and the distinct block steps are the group path's steps bit for bit, so
they change no field; the fixed block steps (float32) define the fields. One source
(:func:`chunk`), two compiles:

  * float32 (:data:`tile_kernel`): LLVM may fuse multiply-adds (fastmath
    "contract"); the fixed block steps, then the distinct ones; the safe-step pair lanes;
    independent points drawn in the lanes of work, side by side, by
    :func:`~attndyn.engines.kernels.points.lane_points_kernel`.
  * float64 (:data:`tile_kernel_exact`): no fused multiply-adds,
    as the float64 group path always was; the distinct block steps from step 0 and the
    max-free pair lanes, each the group path's step bit for bit, so every float64 pixel is
    the group path's (tested); from the reference's own initial points (made on the host:
    NumPy's float64 cos and sin may differ from libm's in the last bit).

Determinism and memory. Every pixel's arithmetic is the same whichever thread, lane, chunk
or tile runs it, so results do not depend on the thread count or the tiling (tested). Memory
is the tile's output plus per-thread buffers of O(n CHUNK) (and the tile's points for
per-pixel files and float64).

Each kernel writes per pixel: out[0] = delta, out[1], out[2] = the gaps before and at t0,
t0s = t0 (the sync tracker, see :mod:`~attndyn.engines.kernels.tracker`) and clusters; and
per lane of work the counts [group steps, pair steps, skipped steps, safe-path pixels].
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit
from numba.core.registry import cpu_target
from numba.core.runtime.nrt import rtsys

from attndyn.engines.inputs import MODE_SHARED, N_PARAMETERS
from attndyn.engines.kernels.blocks import block_steps, distinct_steps, first_equal
from attndyn.engines.kernels.group_blocks import (
    POOL_GROUPS,
    POOL_ORDER,
    POOL_PAIRS,
    POOL_PIXEL,
    POOL_STEP,
    group_blocks,
)
from attndyn.engines.kernels.groups import path_flags, run_groups
from attndyn.engines.kernels.lanes import (
    LANE_AFTER,
    LANE_BEFORE,
    LANE_COUNT,
    LANE_DEAD,
    LANE_HAS_PREV,
    LANE_LAST,
    LANE_PRM,
    LANE_ROWS,
    LANE_T,
    lane_ready,
    run_pairs_float32,
    run_pairs_float64,
)
from attndyn.engines.kernels.layout import BLOCK, CHUNK, PAD, own_lines
from attndyn.engines.kernels.targets import renamed_copy
from attndyn.engines.kernels.work_queue import run_lanes, take

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)
_NAN = np.float32(np.nan)
# The pooled pixels are on the fast path. A typed boolean, not the literal True, for which
# numba would compile on_groups a second time.
_FAST = np.bool_(True)


@njit(inline="always", cache=True, error_model="numpy")
def tracker_start(gap, tol):
    """The sync tracker (last, before, after) with only Δ_0 = gap folded in (see
    tracker.track): last = 1 if gap >= tol else 0, before = gap, after unset (nan)."""
    return (_ONE if gap >= tol else _ZERO), gap, gap * _NAN


@njit(inline="always", cache=True, error_model="numpy")
def start_tracker(n, gx, tol):
    """The sync tracker with Δ_0, the gap of the initial points (which are finite), folded
    in (:func:`tracker_start`)."""
    gap = gx[0] - gx[0]  # 0 in the points' precision
    for i in range(n):
        gap = max(gap, abs(gx[i] - gx[0]))
    return tracker_start(gap, tol)


@njit(inline="always", cache=True, error_model="numpy")
def block_start(n, tol, st, trk, norm2):
    """For every lane of st (the block's initial points): its sync tracker as
    :func:`start_tracker` makes it, into trk, and the largest squared norm of its points as
    ``paths`` of the group path takes it (max(1, |x_i|^2) in float64), into norm2.

    The same operations in the same order per lane, vectorised over the lanes, so each lane
    gets the numbers the per-pixel functions give (tested); lanes past the block's pixels get
    numbers nobody reads.
    """
    b = BLOCK
    for q in range(BLOCK):
        trk[b + q] = st[q] - st[q]  # 0 in the points' precision
        norm2[q] = 1.0
    for i in range(n):
        xr = i * b
        yr = (n + i) * b
        for q in range(BLOCK):
            trk[b + q] = max(trk[b + q], abs(st[xr + q] - st[q]))
            norm2[q] = max(norm2[q], np.float64(st[xr + q]) ** 2 + np.float64(st[yr + q]) ** 2)
    for q in range(BLOCK):
        trk[q], trk[b + q], trk[2 * b + q] = tracker_start(trk[b + q], tol)


@njit(inline="always", cache=True, error_model="numpy")
def pixel_parameters(p, width, xv, yv, prm, xi, yi):
    """Set the swept parameters of pixel p of the tile (row p // width, column p % width) in
    prm; returns its row and column."""
    r = p // width
    c = p - r * width
    prm[xi] = xv[c]
    prm[yi] = yv[r]
    return r, c


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def host_points(mode, x0_shared, x0_pixels, r, c, n, gx, gy):
    """Pixel (r, c) of the tile's initial points made on the host, into gx, gy: the one shared
    configuration (MODE_SHARED) or the pixel's own (MODE_PER_PIXEL), as ``initial_points``
    (:func:`~attndyn.engines.kernels.points.compile_points`) takes them; a float32 tile's
    independent points come as its per-pixel points, drawn by its lanes (:func:`run_tile`).
    Called rather than inlined: the chunk needs it in two places, and one compiled copy keeps
    the cold compile shorter."""
    if mode == MODE_SHARED:
        for i in range(n):
            gx[i] = x0_shared[i, 0]
            gy[i] = x0_shared[i, 1]
    else:
        for i in range(n):
            gx[i] = x0_pixels[r, c, i, 0]
            gy[i] = x0_pixels[r, c, i, 1]


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def on_groups(
    p, m, t0, steps, prm, eps, tol, fast, pairable, work, parent, group_stats, last, before,
    after, ln, pair_pix, count, out, t0s, clusters,
):  # fmt: skip
    """Pixel p on its m groups (work's rows gx, gy, cnt) from step t0 with its sync tracker:
    the group path to the end, whose fields are written, or to two groups, when the pixel
    joins the pair lanes (as lane ``count``). Returns the new number of lanes."""
    gap, t, m, n_clusters, t_sync, before, after = run_groups(
        m, t0, steps, prm, eps, tol, fast, pairable, work[0], work[1], work[2], work[3],
        work[4], work[5], work[6], work[7], work[8], work[9], work[10], work[11], work[12],
        work[13], work[14], work[15], parent, group_stats, last, before, after,
    )  # fmt: skip
    if m == 2 and t < steps and pairable:
        ln[count] = work[0, 0]
        ln[CHUNK + count] = work[1, 0]
        ln[2 * CHUNK + count] = work[0, 1]
        ln[3 * CHUNK + count] = work[1, 1]
        ln[LANE_HAS_PREV * CHUNK + count] = _ZERO
        ln[LANE_COUNT * CHUNK + count] = work[2, 0]
        ln[(LANE_COUNT + 1) * CHUNK + count] = work[2, 1]
        for e in range(N_PARAMETERS):
            ln[(LANE_PRM + e) * CHUNK + count] = prm[e]
        ln[LANE_T * CHUNK + count] = t
        ln[LANE_DEAD * CHUNK + count] = _ZERO
        ln[LANE_LAST * CHUNK + count] = np.float32(t_sync)
        ln[LANE_BEFORE * CHUNK + count] = before
        ln[LANE_AFTER * CHUNK + count] = after
        pair_pix[count] = p
        return count + 1
    out[0, p] = gap
    out[1, p] = before
    out[2, p] = after
    t0s[p] = t_sync
    clusters[p] = n_clusters
    return count


def chunk(
    queue, pixels, width, xv, yv, prm, xi, yi, n, steps, eps, tol, mode, x0_shared,
    x0_pixels, pairs, head, keep, group_keep, out, t0s, clusters, work, st, der, acc, nxt, trk,
    parent, flags, ln, pair_pix, group_stats, pair_stats, reached, firsts, cst, groups, ts,
    pool_pts, pool_int, pool_trk, norm2,
):  # fmt: skip
    """A lane of work of a tile of ``pixels`` pixels: chunk after chunk [first, first + CHUNK),
    each taken from the tile's ``queue`` (:func:`~attndyn.engines.kernels.work_queue.take`)
    until none is left, each through the block steps, the group steps, then the pair lanes.
    Each pixel's arithmetic is the same wherever it runs, so the results do not depend on the
    lanes, the order in which they took the chunks, or the tiles.

    Writes out[0] = delta, out[1], out[2] = the gaps before and at t0, t0s = t0 and clusters,
    and adds the lane's counts to group_stats and pair_stats.
    """
    gx = work[0]
    gy = work[1]
    cnt = work[2]  # (the group path's other rows: see run_groups)
    while True:
        first = take(queue, CHUNK)
        if first >= pixels:
            break
        last = min(pixels, first + CHUNK)
        count = np.int64(0)  # (not the literal 0, for which numba would compile run_pairs again)
        pooled = 0
        blocks = head > 0 or keep <= BLOCK
        for start in range(first, last, BLOCK):
            stop = min(last, start + BLOCK)
            for q in range(BLOCK):
                flags[2, q] = False  # lanes past the pixels of the block take no extra steps
            # Initial points; the pixels on the fast path take the first steps side by side.
            for p in range(start, stop):
                q = p - start
                r = p // width
                c = p - r * width
                host_points(mode, x0_shared, x0_pixels, r, c, n, gx, gy)
                for i in range(n):
                    st[i * BLOCK + q] = gx[i]
                    st[(n + i) * BLOCK + q] = gy[i]
            block_start(n, tol, st, trk, norm2)
            for p in range(start, stop):  # the parameters, and the path they and the points pick
                q = p - start
                pixel_parameters(p, width, xv, yv, prm, xi, yi)
                for e in range(N_PARAMETERS):
                    st[(2 * n + e) * BLOCK + q] = prm[e]
                fast, pairable = path_flags(n, norm2[q], prm)
                flags[0, q] = fast
                flags[1, q] = lane_ready(fast, pairable, prm) and pairs
                flags[2, q] = fast and blocks
            if FIXED_STEPS and head > 0:  # noqa: F821 (bound by compile_chunk)
                block_steps(stop - start, n, head, eps, tol, st, der, acc, nxt, trk)
            if keep <= BLOCK and n > 2:
                distinct_steps(
                    n,
                    head,
                    steps,
                    keep,
                    eps,
                    tol,
                    st,
                    der,
                    acc,
                    nxt,
                    trk,
                    flags[2],
                    flags[3],
                    reached,
                )
            else:
                for q in range(BLOCK):
                    reached[q] = head
            if blocks:
                first_equal(n, n, st, firsts)
            for p in range(start, stop):
                q = p - start
                r, c = pixel_parameters(p, width, xv, yv, prm, xi, yi)
                t0 = 0
                m = 0
                if flags[0, q] and blocks:  # on from the state and step where it left the blocks
                    t0 = reached[q]
                    group_stats[0] += t0
                    for i in range(n):  # its groups, in order of first appearance (first_equal)
                        least = firsts[i * BLOCK + q]
                        if least == i:
                            gx[m] = st[i * BLOCK + q]
                            gy[m] = st[(n + i) * BLOCK + q]
                            cnt[m] = _ONE
                            parent[i] = m
                            m += 1
                        else:
                            cnt[parent[least]] += _ONE
                else:
                    host_points(mode, x0_shared, x0_pixels, r, c, n, gx, gy)
                    trk[q], trk[BLOCK + q], trk[2 * BLOCK + q] = start_tracker(n, gx, tol)
                    for i in range(n):
                        cnt[i] = _ONE
                    m = n
                if flags[0, q] and blocks and m >= 3 and t0 < steps and group_keep <= BLOCK:
                    # to the pool of the chunk's pixels that go on side by side on their groups
                    pool_int[pooled, POOL_PIXEL] = p
                    pool_int[pooled, POOL_GROUPS] = m
                    pool_int[pooled, POOL_STEP] = t0
                    pool_int[pooled, POOL_PAIRS] = flags[1, q]
                    for i in range(m):
                        pool_pts[pooled, i] = gx[i]
                        pool_pts[pooled, n + i] = gy[i]
                        pool_pts[pooled, 2 * n + i] = cnt[i]
                    for e in range(3):
                        pool_trk[pooled, e] = trk[e * BLOCK + q]
                    pooled += 1
                    continue
                count = on_groups(
                    p, m, t0, steps, prm, eps, tol, flags[0, q], flags[1, q], work, parent,
                    group_stats, np.int64(trk[q]), trk[BLOCK + q], trk[2 * BLOCK + q], ln, pair_pix,
                    count, out, t0s, clusters,
                )  # fmt: skip
        # The pool, by group count, BLOCK pixels at a time (see group_blocks).
        order = pool_int[:, POOL_ORDER]
        k = 0
        for m in range(3, n + 1):  # (a counting sort: 3 <= m <= n)
            for j in range(pooled):
                if pool_int[j, POOL_GROUPS] == m:
                    order[k] = j
                    k += 1
        for start in range(0, pooled, BLOCK):
            lanes = min(BLOCK, pooled - start)
            for q in range(BLOCK):
                groups[q] = 0
                ts[q] = steps
            for q in range(lanes):
                k = order[start + q]
                p = pool_int[k, POOL_PIXEL]
                pixel_parameters(p, width, xv, yv, prm, xi, yi)
                m = pool_int[k, POOL_GROUPS]
                groups[q] = m
                ts[q] = pool_int[k, POOL_STEP]
                for i in range(m):
                    st[i * BLOCK + q] = pool_pts[k, i]
                    st[(n + i) * BLOCK + q] = pool_pts[k, n + i]
                    cst[i * BLOCK + q] = pool_pts[k, 2 * n + i]
                for i in range(m, n):  # copies of the first group, of count 0
                    st[i * BLOCK + q] = pool_pts[k, 0]
                    st[(n + i) * BLOCK + q] = pool_pts[k, n]
                    cst[i * BLOCK + q] = _ZERO
                for e in range(N_PARAMETERS):
                    st[(2 * n + e) * BLOCK + q] = prm[e]
                for e in range(3):
                    trk[e * BLOCK + q] = pool_trk[k, e]
            group_stats[0] += group_blocks(  # (flags 2 and 3: free past the blocks, scratch here)
                n, steps, group_keep, eps, tol, st, cst, der, acc, nxt, trk, groups, ts, flags[3],
                flags[2], firsts,
            )  # fmt: skip
            for q in range(lanes):
                k = order[start + q]
                p = pool_int[k, POOL_PIXEL]
                pixel_parameters(p, width, xv, yv, prm, xi, yi)
                m = groups[q]
                for i in range(m):
                    gx[i] = st[i * BLOCK + q]
                    gy[i] = st[(n + i) * BLOCK + q]
                    cnt[i] = cst[i * BLOCK + q]
                count = on_groups(
                    p, m, ts[q], steps, prm, eps, tol, _FAST, pool_int[k, POOL_PAIRS] != 0, work,
                    parent, group_stats, np.int64(trk[q]), trk[BLOCK + q], trk[2 * BLOCK + q], ln,
                    pair_pix, count, out, t0s, clusters,
                )  # fmt: skip
        run_pairs(  # noqa: F821 (bound by compile_chunk: run_pairs_float32 or _float64)
            count, steps, eps, tol, ln, pair_pix, out, t0s, clusters, pair_stats
        )


def compile_chunk(name: str, *, float32: bool, **flags: Any) -> Any:
    """:func:`chunk` compiled by numba with ``flags``, under ``name``: a copy of the function so
    named, since numba names a function's cache files by its qualified name (one source, two
    compiles, each with its own cache entries). ``nogil``, so :func:`run_tile` runs a tile's
    lanes on threads side by side.

    The copy's global ``FIXED_STEPS`` says whether the kernel takes the fixed block steps
    (float32 only). numba prunes a branch on a constant before it types it, so the float64
    kernel never compiles :func:`~attndyn.engines.kernels.blocks.block_steps`. Neither kernel
    draws points: the shared and per-pixel points come from the host and a float32 tile's
    independent points from :func:`~attndyn.engines.kernels.points.lane_points_kernel`, a
    kernel of its own, so a first picture from given points never compiles the drawing (the
    Philox and the vectorised sin/cos: about 1.5 s of its cold compile, benchmarks/LOG.md).
    """
    run_pairs = run_pairs_float32 if float32 else run_pairs_float64
    copy = renamed_copy(chunk, name, FIXED_STEPS=float32, run_pairs=run_pairs)
    options = dict(cache=True, error_model="numpy", no_cfunc_wrapper=True, _nrt=False, nogil=True)
    return njit(**options, **flags)(copy)


# float32 (tile_kernel): fused multiply-adds allowed; the fixed block steps (block_steps).
# float64 (tile_kernel_exact): no fused multiply-adds; block_steps 0. Both take the points of
# MODE_SHARED or MODE_PER_PIXEL.
tile_kernel = compile_chunk("tile_kernel", float32=True, fastmath={"contract"})
tile_kernel_exact = compile_chunk("tile_kernel_exact", float32=False)


# numba's np.zeros asks its runtime (NRT_MemInfo_alloc_aligned) for the bytes plus twice this
# alignment and puts the data at the first boundary of it.
_NRT_ALIGN = 32


def nrt_zeros(nbytes: int) -> np.ndarray:
    """``nbytes`` zero bytes from numba's runtime (NRT), where numba's own ``np.zeros`` would put
    them: the same request to the allocator (the bytes, twice :data:`_NRT_ALIGN` and NRT's
    header), the data at the first 32-byte boundary in it. From Python rather than by a
    compiled function, whose compile was a second of the first render's."""
    rtsys.initialize(cpu_target.target_context)  # (once; the target's refresh is not needed)
    info = rtsys.meminfo_alloc(nbytes + 2 * _NRT_ALIGN)
    raw = np.frombuffer(info, np.uint8)
    start = -raw.ctypes.data % _NRT_ALIGN
    data = raw[start : start + nbytes]
    data.fill(0)
    return data


def lane_buffers(n: int, dtype: type) -> tuple[np.ndarray, ...]:
    """A lane of work's buffers for :func:`chunk`, the float ones in ``dtype``, in the order of
    its arguments from ``work`` on (``group_stats`` and ``pair_stats`` sit among them).

    Allocated by numba's runtime (:func:`nrt_zeros`, viewed as each dtype) rather than NumPy,
    one after the other as the kernels' own allocations were before the lanes moved to Python
    threads: the kernel's speed depends on where the buffers lie (NumPy's placement ran 7-14%
    slower, 64-byte aligned buffers 24-39%; benchmarks/LOG.md, 2026-12-06).
    """
    real = np.dtype(dtype)
    padded = (n + PAD - 1) // PAD * PAD
    shapes_and_kinds = (
        ((16, padded), real),  # work: the group path's rows
        ((2 * n + N_PARAMETERS) * BLOCK, real),  # st: the block's points, parameters
        (6 * n * BLOCK, real),  # der
        (3 * BLOCK, real),  # acc
        (2 * n * BLOCK, real),  # nxt
        (3 * BLOCK, real),  # trk
        (n, _INT64),  # parent
        ((4, BLOCK), _BOOL),  # flags: fast, to the lanes, in the blocks, scratch
        (LANE_ROWS * CHUNK, real),  # ln: the pair lanes
        (CHUNK, _INT64),  # pair_pix
        (3, _INT64),  # group_stats: group steps, skipped steps, safe-path pixels
        (2, _INT64),  # pair_stats: pair steps, skipped steps
        (BLOCK, _INT64),  # reached: the step at which a pixel left the blocks
        (n * BLOCK, _INT32),  # firsts: each block point's first equal (first_equal)
        (n * BLOCK, real),  # cst: the group blocks' counts
        (BLOCK, _INT64),  # groups: the group blocks' group counts
        (BLOCK, _INT64),  # ts: their steps
        ((CHUNK, 3 * n), real),  # pool_pts: the pooled pixels' groups and counts
        ((CHUNK, 5), _INT64),  # pool_int: pixel, group count, step, pairs, order
        ((CHUNK, 3), real),  # pool_trk: their sync trackers
        (BLOCK, _FLOAT64),  # norm2: the largest squared norm of each lane's points
    )
    return tuple(
        nrt_zeros(int(np.prod(shape)) * kind.itemsize).view(kind).reshape(shape)
        for shape, kind in shapes_and_kinds
    )


_INT64 = np.dtype(np.int64)
_INT32 = np.dtype(np.int32)
_FLOAT64 = np.dtype(np.float64)
_BOOL = np.dtype(np.bool_)


# Where run_tile finds, among the kernel's arguments from width on, the parameters (base, each
# lane's prm) and the point count n.
_BASE = 3
_N = 6

# A lane's step before the tile's chunks: draw(queue), the initial points of the chunks it
# takes from queue.
LaneDraw = Callable[[np.ndarray], None]


def run_tile(
    kernel: Any,
    lanes: int,
    pixels: int,
    args: tuple[Any, ...],
    stats: np.ndarray,
    draw: LaneDraw | None = None,
) -> None:
    """Every pixel of a tile of ``pixels`` pixels through ``kernel`` (:data:`tile_kernel` or
    :data:`tile_kernel_exact`) in ``lanes`` lanes of work side by side
    (:func:`~attndyn.engines.kernels.work_queue.run_lanes`), each with its own
    buffers (:func:`lane_buffers`, in the precision of the parameters ``args[_BASE]``) and its
    own copy of those parameters, each taking the tile's chunks one at a time from a counter
    they share (:mod:`~attndyn.engines.kernels.work_queue`), so a lane on a slower core runs
    fewer of them. ``args`` are the kernel's arguments from ``width`` to ``clusters``;
    stats[lane] gets lane's [group steps, pair steps, skipped steps, safe-path pixels].

    ``draw``, when given, makes the tile's initial points first (float32 independent points,
    :func:`~attndyn.engines.kernels.points.lane_points_kernel`): every lane draws the chunks
    it takes from a counter of its own, on its own thread, and the lanes wait for each other
    (a barrier) before any reads them, since a lane may then run chunks another drew.

    Why threads rather than numba's ``prange``: a parallel kernel makes numba build a gufunc
    and three wrappers around the chunk function, each linking in, optimising and compiling
    its whole code again, about a quarter of a cold compile (benchmarks/LOG.md, 2026-12-06); a
    lane per thread is the same division of the work.
    """
    base = args[_BASE]
    chunks = own_lines(1, np.int64)  # the next chunk's first pixel
    drawn = own_lines(1, np.int64)  # the next chunk to draw
    drawing_done = threading.Barrier(lanes)

    def lane_of_work(lane: int) -> None:
        buffers = lane_buffers(args[_N], base.dtype)
        own = (*args[:_BASE], own_lines(base), *args[_BASE + 1 :])  # the lane's prm
        if draw is not None:
            draw(drawn)
            drawing_done.wait()
        kernel(chunks, pixels, *own, *buffers)
        group_stats, pair_stats = buffers[10], buffers[11]
        stats[lane] = (group_stats[0], pair_stats[0], group_stats[1] + pair_stats[1],
                       group_stats[2])  # fmt: skip

    run_lanes(lanes, lane_of_work, on_failure=drawing_done.abort)  # (releases the barrier)
