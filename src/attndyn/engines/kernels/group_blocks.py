"""The group path's max-free steps side by side: pixels with three or more groups, one per lane.

After the block steps a pixel goes on on its groups (:mod:`~attndyn.engines.kernels.groups`),
whose step vectorises over the groups: few, so most of each SIMD vector is padding (a pixel
with 5 groups computes 16 rows of 5 pairs). :func:`group_blocks` instead steps BLOCK such
pixels side by side, one per lane, each on its own groups: the lanes' groups are padded to
the block's largest group count M with copies of their first group of count 0, whose terms
c e^s v are exactly 0 (finite e^s times 0; adding +0 or fused-adding 0 times a finite v
leaves a sum unchanged), so each lane's step (:func:`grouped_step`) is the group path's
``step_fast`` on its own m groups, bit for bit, with the same operations in the same order
(tested). After each step the lanes' gaps go into their sync trackers, and a lane whose
groups met merges them (:func:`merge_lanes`: the groups in order of first appearance, as the
group path's merge). A lane goes on while it has three or more groups and steps left;
the exits of the group path (a fixed point, period 2, nan) are exact, so going on through
them gives the same fields. The block stops when fewer than ``keep`` lanes go on: every
pixel then goes on on its groups alone from its state and step, with its tracker.

The pixels come from a pool of a CHUNK's pixels (built by the tile's chunk function,
:mod:`~attndyn.engines.kernels.tile`), sorted by their group count, so that a block's lanes
have similar counts.

Layout: ``st`` as in :mod:`~attndyn.engines.kernels.blocks` (x of the groups, y of the
groups, the 13 parameters), and the groups' counts in ``cst``: row r of lane q at
``[r * BLOCK + q]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from attndyn.engines.kernels.blocks import block_normalise, block_projections, first_equal
from attndyn.engines.kernels.exp import exp_score
from attndyn.engines.kernels.layout import BLOCK
from attndyn.engines.kernels.tracker import track

_ZERO = np.float32(0.0)

# pool_int columns: the pixel, its group count, its step, whether it may join the pair lanes;
# and the pool's order by group count (a column of row indices)
POOL_PIXEL = 0
POOL_GROUPS = 1
POOL_STEP = 2
POOL_PAIRS = 3
POOL_ORDER = 4


@njit(inline="always", cache=True, error_model="numpy")
def grouped_step(n, m, eps, st, cst, der, acc, nxt):
    """One max-free step of the first m groups of every lane of st (x, y, parameters as in
    the module docstring) with counts cst, into nxt: the group path's step_fast, with the
    weights c_j 2^(s_ij), in the same order of operations."""
    n = max(n, 0)  # (so that LLVM sees the row offsets are >= 0, and vectorises)
    b = BLOCK
    block_projections(n, m, st, der)
    for i in range(m):
        di = 6 * i * b
        for q in range(BLOCK):
            acc[q] = _ZERO
            acc[b + q] = _ZERO
            acc[2 * b + q] = _ZERO
        for j in range(m):
            dj = 6 * j * b
            cj = j * b
            for q in range(BLOCK):
                s = der[di + q] * der[dj + 2 * b + q] + der[di + b + q] * der[dj + 3 * b + q]
                w = cst[cj + q] * exp_score(s)
                acc[q] += w
                acc[b + q] += w * der[dj + 4 * b + q]
                acc[2 * b + q] += w * der[dj + 5 * b + q]
        block_normalise(n, i, eps, acc, nxt)


@njit(inline="always", cache=True, error_model="numpy")
def merge_lanes(n, m_max, st, cst, groups, merged, first):
    """Merge the equal groups of every lane (``groups[q]`` of them, rows < m_max): the groups
    in order of first appearance, their counts added, as the group path's merge; the rows
    past a lane's new count become copies of its first group with count 0. A scan over the
    lanes finds, for each group, the first equal one (``first``, int32 n * BLOCK) and which
    lanes have any (``merged``, bool BLOCK); only those are rebuilt, one by one."""
    n = max(n, 0)  # (so that LLVM sees the row offsets are >= 0, and vectorises)
    b = BLOCK
    first_equal(n, m_max, st, first)
    for q in range(BLOCK):
        merged[q] = False
    for i in range(m_max):
        for q in range(BLOCK):
            merged[q] |= (first[i * b + q] != i) & (i < groups[q])
    for q in range(BLOCK):
        if not merged[q]:
            continue
        m = groups[q]
        out = 0
        for i in range(m):
            least = first[i * b + q]
            if least == i:  # a new group, at row out <= i; first[i] becomes its index
                st[out * b + q] = st[i * b + q]
                st[(n + out) * b + q] = st[(n + i) * b + q]
                cst[out * b + q] = cst[i * b + q]
                first[i * b + q] = np.int32(out)
                out += 1
            else:
                cst[first[least * b + q] * b + q] += cst[i * b + q]
        for i in range(out, m):
            st[i * b + q] = st[q]
            st[(n + i) * b + q] = st[n * b + q]
            cst[i * b + q] = _ZERO
        groups[q] = out


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def group_blocks(
    n, steps, keep, eps, tol, st, cst, der, acc, nxt, trk, groups, ts, live, merged, first
):
    """Step the lanes of st side by side on their groups (see the module docstring) until
    fewer than ``keep`` of them have three or more groups and steps left.

    ``groups`` (int64, BLOCK): each lane's group count (0 for a lane without a pixel), ``ts``
    (int64): its step, ``trk``: its sync tracker (last, before, after; see tracker.track),
    all updated; ``live``, ``merged`` (bool, BLOCK) and ``first`` (int32, n * BLOCK) are
    scratch.
    Returns the number of lane steps taken.
    """
    n = max(n, 0)  # (so that LLVM sees the row offsets are >= 0, and vectorises)
    b = BLOCK
    taken = 0
    while True:
        m_max = np.int64(0)  # (not the literal 0: numba would compile merge_lanes for it too)
        live_count = 0
        for q in range(BLOCK):
            go = (groups[q] >= 3) & (ts[q] < steps)
            live[q] = go
            live_count += go
            m_max = max(m_max, groups[q] if go else 0)
        if live_count < keep:
            return taken
        taken += live_count
        grouped_step(n, m_max, eps, st, cst, der, acc, nxt)
        for q in range(BLOCK):  # the gap over each lane's own groups, as tracker.gap
            acc[q] = _ZERO
        for i in range(m_max):
            for q in range(BLOCK):
                d = abs(nxt[i * b + q] - nxt[q])
                take = (i < groups[q]) & ((d > acc[q]) | (d != d))
                acc[q] = d if take else acc[q]
        for q in range(BLOCK):
            t = ts[q] + 1
            tt = np.float32(t)  # (as the block steps: small whole numbers, exact)
            last, before, after = track(tt, tt + 1, acc[q], tol, trk[q], trk[b + q], trk[2 * b + q])
            go = live[q]
            trk[q] = last if go else trk[q]
            trk[b + q] = before if go else trk[b + q]
            trk[2 * b + q] = after if go else trk[2 * b + q]
            ts[q] = t if go else ts[q]
        for i in range(m_max):
            for q in range(BLOCK):
                go = live[q]
                st[i * b + q] = nxt[i * b + q] if go else st[i * b + q]
                st[(n + i) * b + q] = nxt[(n + i) * b + q] if go else st[(n + i) * b + q]
        merge_lanes(n, m_max, st, cst, groups, merged, first)
