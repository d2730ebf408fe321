"""A tile: its pixels through the block steps, the group steps and the pair lanes.

float32 (:func:`tile_kernel`). A tile's pixels go in CHUNKs of 256, each lane of work
(a thread) taking chunks k, k + lanes, ... Within a chunk, BLOCK (32) pixels at a time get
their initial points (drawn side by side for "independent", else from the host) and those on
the fast path take the first ``block_steps`` steps side by side
(:mod:`~attndyn.engines.kernels.blocks`); then each pixel runs on its groups
(:mod:`~attndyn.engines.kernels.groups`), and a pixel that reaches two groups joins the pair
lanes of its chunk (:mod:`~attndyn.engines.kernels.lanes`), which finish at the end of it.

float64 (:func:`tile_kernel_groups`): every pixel on the group path alone (groups, the
fixed-point, period-2, one-group and nan exits, the max-free step while |S| <= 32 with the
vectorised float64 exp, the max-subtracted step with NumPy's exp otherwise), from the
reference's own initial points (made on the host: NumPy's float64 cos and sin may differ
from libm's in the last bit). The float32 block steps and pair lanes are not used.

Determinism and memory. Every pixel's arithmetic is the same whichever thread, lane, chunk
or tile runs it, so results do not depend on the thread count or the tiling (tested). Memory
is the tile's output plus per-thread buffers of O(n) (and the tile's points for per-pixel
files and float64).

Each kernel writes per pixel: out[0] = delta, out[1], out[2] = the gaps before and at t0,
t0s = t0 (the sync tracker, see :mod:`~attndyn.engines.kernels.tracker`) and clusters; and
per lane of work the counts [group steps, pair steps, skipped steps, safe-path pixels].
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from attndyn.engines.inputs import MODE_INDEPENDENT, MODE_SHARED, N_PARAMETERS
from attndyn.engines.kernels.blocks import block_steps
from attndyn.engines.kernels.groups import paths, run_groups
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
    run_pairs,
)
from attndyn.engines.kernels.layout import BLOCK, CHUNK, PAD
from attndyn.engines.kernels.points import block_pixel_points, initial_points

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)
_NAN = np.float32(np.nan)


@njit(cache=True, error_model="numpy", fastmath={"contract"}, _nrt=False)
def run_chunk(
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
    for start in range(first, last, BLOCK):
        stop = min(last, start + BLOCK)
        # Initial points; the pixels on the fast path take the first steps side by side.
        for p in range(start, stop):
            q = p - start
            r = p // width
            rows[q] = row0 + r
            cols[q] = col0 + p - r * width
        if mode == MODE_INDEPENDENT:
            block_pixel_points(stop - start, n, rows, cols, k0, k1, stream, ctr, theta, st)
        for p in range(start, stop):
            q = p - start
            r = p // width
            c = p - r * width
            prm[xi] = xv[c]
            prm[yi] = yv[r]
            if mode == MODE_INDEPENDENT:
                for i in range(n):
                    gx[i] = st[i * BLOCK + q]
                    gy[i] = st[(n + i) * BLOCK + q]
            else:
                initial_points(
                    mode, row0 + r, col0 + c, n, k0, k1, stream, x0_shared, x0_pixels, r, c,
                    gx, gy,
                )  # fmt: skip
            gap = _ZERO  # Δ_0 (initial points are finite) starts the tracker (see track)
            for i in range(n):
                gap = max(gap, abs(gx[i] - gx[0]))
            big = gap >= tol
            trk[q] = _ONE if big else _ZERO
            trk[BLOCK + q] = gap
            trk[2 * BLOCK + q] = _NAN
            fast, pairable = paths(n, gx, gy, prm)
            flags[0, q] = fast
            flags[1, q] = pairable and pairs
            flags[2, q] = fast and head > 0
            for i in range(n):
                st[i * BLOCK + q] = gx[i]
                st[(n + i) * BLOCK + q] = gy[i]
            for e in range(N_PARAMETERS):
                st[(2 * n + e) * BLOCK + q] = prm[e]
        if head > 0:
            block_steps(stop - start, n, head, eps, tol, st, der, acc, nxt, trk)
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
                    gx[i] = st[i * BLOCK + q]
                    gy[i] = st[(n + i) * BLOCK + q]
            else:
                initial_points(
                    mode, row0 + r, col0 + c, n, k0, k1, stream, x0_shared, x0_pixels, r, c,
                    gx, gy,
                )  # fmt: skip
            gap, t, m, n_clusters, t_sync, before, after = run_groups(
                n, t0, steps, prm, eps, tol, flags[0, q], flags[1, q], gx, gy, cnt, sx, sy,
                p0, p1, kx, ky, vx, vy, zz, u0, u1, nx, ny, parent, group_stats,
                np.int64(trk[q]), trk[BLOCK + q], trk[2 * BLOCK + q],
            )  # fmt: skip
            if m == 2 and t < steps and flags[1, q]:
                ln[count] = gx[0]
                ln[CHUNK + count] = gy[0]
                ln[2 * CHUNK + count] = gx[1]
                ln[3 * CHUNK + count] = gy[1]
                ln[LANE_HAS_PREV * CHUNK + count] = _ZERO
                ln[LANE_COUNT * CHUNK + count] = cnt[0]
                ln[(LANE_COUNT + 1) * CHUNK + count] = cnt[1]
                for e in range(N_PARAMETERS):
                    ln[(LANE_PRM + e) * CHUNK + count] = prm[e]
                ln[LANE_T * CHUNK + count] = t
                ln[LANE_DEAD * CHUNK + count] = _ZERO
                ln[LANE_LAST * CHUNK + count] = np.float32(t_sync)
                ln[LANE_BEFORE * CHUNK + count] = before
                ln[LANE_AFTER * CHUNK + count] = after
                pair_pix[count] = p
                count += 1
            else:
                out[0, p] = gap
                out[1, p] = before
                out[2, p] = after
                t0s[p] = t_sync
                clusters[p] = n_clusters
    run_pairs(count, steps, eps, tol, ln, pair_pix, out, t0s, clusters, pair_stats)


@njit(parallel=True, cache=True, error_model="numpy")
def tile_kernel(
    row0, col0, height, width, xv, yv, base, xi, yi, n, steps, eps, tol, mode, k0, k1, stream,
    x0_shared, x0_pixels, lanes, pairs, block_steps, out, t0s, clusters, stats,
):  # fmt: skip
    """Every pixel of a tile; lane k takes chunks k, k + lanes, ... Each pixel's arithmetic is
    the same wherever it runs, so the results do not depend on the lanes or the tiles."""
    pixels = height * width
    chunks = (pixels + CHUNK - 1) // CHUNK
    head = min(block_steps, steps)
    for lane in prange(lanes):
        padded = (n + PAD - 1) // PAD * PAD
        work = np.zeros((16, padded), np.float32)
        prm = base.copy()
        st = np.zeros((2 * n + N_PARAMETERS) * BLOCK, np.float32)
        der = np.zeros(6 * n * BLOCK, np.float32)
        acc = np.zeros(3 * BLOCK, np.float32)
        trk = np.zeros(3 * BLOCK, np.float32)
        parent = np.zeros(n, np.int64)
        nxt = np.zeros(2 * n * BLOCK, np.float32)
        flags = np.zeros((3, BLOCK), np.bool_)
        ln = np.zeros(LANE_ROWS * CHUNK, np.float32)
        pair_pix = np.zeros(CHUNK, np.int64)
        theta = np.zeros(((n + 3) // 4 * 4) * BLOCK, np.float64)
        ctr = np.zeros(4 * BLOCK, np.uint64)
        rows = np.zeros(BLOCK, np.int64)
        cols = np.zeros(BLOCK, np.int64)
        group_stats = np.zeros(3, np.int64)
        pair_stats = np.zeros(2, np.int64)
        for chunk in range(lane, chunks, lanes):
            first = chunk * CHUNK
            run_chunk(
                first, min(pixels, first + CHUNK), row0, col0, width, xv, yv, prm, xi, yi, n,
                steps, eps, tol, mode, k0, k1, stream, x0_shared, x0_pixels, pairs, head, out,
                t0s, clusters, work, st, der, acc, nxt, trk, parent, flags, ln, pair_pix,
                group_stats, pair_stats, theta, ctr, rows, cols,
            )  # fmt: skip
        stats[lane, 0] = group_stats[0]
        stats[lane, 1] = pair_stats[0]
        stats[lane, 2] = group_stats[1] + pair_stats[1]
        stats[lane, 3] = group_stats[2]


@njit(parallel=True, cache=True, error_model="numpy")
def tile_kernel_groups(
    height, width, xv, yv, base, xi, yi, n, steps, eps, tol, mode, x0_shared, x0_pixels, lanes,
    out, t0s, clusters, stats,
):  # fmt: skip
    """Every pixel of a tile on the group path alone (no block steps, no pair lanes), in the
    precision of the initial points: the float64 engine. ``mode`` is MODE_SHARED (every pixel
    starts from x0_shared) or MODE_PER_PIXEL (from x0_pixels). Lane k takes pixels k,
    k + lanes, ...; each pixel's arithmetic is the same wherever it runs."""
    pixels = height * width
    for lane in prange(lanes):
        padded = (n + PAD - 1) // PAD * PAD
        work = np.zeros((16, padded), x0_pixels.dtype)
        prm = base.copy()
        parent = np.zeros(n, np.int64)
        group_stats = np.zeros(3, np.int64)
        for p in range(lane, pixels, lanes):
            r = p // width
            c = p - r * width
            prm[xi] = xv[c]
            prm[yi] = yv[r]
            if mode == MODE_SHARED:
                for i in range(n):
                    work[0, i] = x0_shared[i, 0]
                    work[1, i] = x0_shared[i, 1]
            else:
                for i in range(n):
                    work[0, i] = x0_pixels[r, c, i, 0]
                    work[1, i] = x0_pixels[r, c, i, 1]
            gap = work[0, 0] - work[0, 0]  # 0 in the working precision; then Δ_0
            for i in range(n):
                gap = max(gap, abs(work[0, i] - work[0, 0]))
            fast, _ = paths(n, work[0], work[1], prm)
            delta, _, _, k, last, before, after = run_groups(
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
