"""The group blocks: pixels with three or more groups side by side, each lane's arithmetic the
group path's step and merge."""

import numpy as np
import pytest
from numba import njit

from attndyn.engines.kernels.group_blocks import group_blocks
from attndyn.engines.kernels.groups import merge, step_fast
from attndyn.engines.kernels.layout import BLOCK, PAD

from helpers import random_unit_points, standalone


def _group_path_source(m, steps, x, y, cnt, prm, eps, tol, t, last, before, after):
    """One pixel as the group path steps it (step_fast, then merge, as in run_groups, without
    its exits), while it has 3 or more groups and steps left; the tracker as tracker.track
    folds each step's gap (max_k |x_k - x_0|). Returns (m, t, last, before, after)."""
    work = np.zeros((11, x.size), x.dtype)
    while m >= 3 and t < steps:
        step_fast(
            m, x, y, cnt, prm, eps, work[0], work[1], work[2], work[3], work[4], work[5],
            work[6], work[7], work[8], work[9], work[10],
        )  # fmt: skip
        t += 1
        gap = x[0] - x[0]
        for k in range(m):
            d = abs(work[9][k] - work[9][0])
            if d > gap or d != d:
                gap = d
        after = gap if last == t else after
        if gap >= tol:
            last = t + 1
            before = gap
        x[:] = work[9]
        y[:] = work[10]
        m = merge(m, x, y, cnt)
    return m, t, last, before, after


_GROUP_PATH = {
    np.float32: njit(error_model="numpy", fastmath={"contract"})(_group_path_source),
    np.float64: njit(error_model="numpy")(_group_path_source),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_group_blocks_are_the_group_path_of_each_pixel_bit_for_bit(dtype):
    # Lanes of 3 to n groups with counts, at different steps; one lane with 2 groups and
    # empty lanes do not move. keep = 1: the block goes on while any lane is live, so every
    # live lane must end where the group path leaves it: fewer than 3 groups, or no steps left.
    n, steps = 9, 30
    flags = {"fastmath": {"contract"}} if dtype == np.float32 else {}
    rng = np.random.default_rng(5)
    eps, tol = dtype(1e-8), dtype(0.2)
    pool = random_unit_points((BLOCK, n), seed=11)
    groups = rng.integers(3, n + 1, size=BLOCK)
    groups[4] = 2
    groups[-3:] = 0
    ts = rng.integers(0, 10, size=BLOCK)
    counts = rng.integers(1, 4, size=(BLOCK, n)).astype(dtype)
    # Strong attention on half the lanes: their groups merge on the way.
    scale = np.where(np.arange(BLOCK) % 2 == 0, 4.0, 0.7)[:, None]
    prm = (rng.normal(size=(BLOCK, 13)) * scale).astype(dtype)
    prm[:, 12] = 1.0
    st = np.zeros((2 * n + 13) * BLOCK, dtype)
    cst = np.zeros(n * BLOCK, dtype)
    for q in range(BLOCK):
        m = groups[q]
        for i in range(n):  # rows past m: copies of the first group, of count 0
            g = i if i < m else 0
            st[i * BLOCK + q] = pool[q, g, 0]
            st[(n + i) * BLOCK + q] = pool[q, g, 1]
            cst[i * BLOCK + q] = counts[q, i] if i < m else 0
    st[2 * n * BLOCK :] = prm.T.ravel()
    trk = np.concatenate([rng.integers(0, 3, BLOCK), rng.random(BLOCK), rng.random(BLOCK)])
    trk = trk.astype(dtype)
    start_trk, start_st = trk.copy(), st.copy()
    start_groups, start_ts = groups.copy(), ts.copy()
    scratch = [np.zeros(size, dtype) for size in (6 * n * BLOCK, 3 * BLOCK, 2 * n * BLOCK)]
    side_by_side = standalone(group_blocks, **flags)
    taken = side_by_side(
        n, steps, 1, eps, tol, st, cst, scratch[0], scratch[1], scratch[2], trk, groups, ts,
        np.zeros(BLOCK, np.bool_), np.zeros(BLOCK, np.bool_), np.zeros(n * BLOCK, np.int32),
    )  # fmt: skip
    assert taken > 0
    merged = 0
    for q in range(BLOCK):
        m0 = start_groups[q]
        if m0 < 3:  # not live: nothing moves
            assert groups[q] == m0 and ts[q] == start_ts[q]
            np.testing.assert_array_equal(st[q::BLOCK], start_st[q::BLOCK])
            continue
        size = (n + PAD - 1) // PAD * PAD
        x = np.zeros(size, dtype)
        y = np.zeros(size, dtype)
        c = np.zeros(size, dtype)
        x[:m0], y[:m0], c[:m0] = pool[q, :m0, 0], pool[q, :m0, 1], counts[q, :m0]
        m, t, last, before, after = _GROUP_PATH[dtype](
            m0, steps, x, y, c, prm[q], eps, tol, start_ts[q], start_trk[q],
            start_trk[BLOCK + q], start_trk[2 * BLOCK + q],
        )  # fmt: skip
        merged += m < m0
        assert (groups[q], ts[q]) == (m, t)
        np.testing.assert_array_equal(st[q : m * BLOCK : BLOCK], x[:m])
        np.testing.assert_array_equal(st[n * BLOCK + q : (n + m) * BLOCK : BLOCK], y[:m])
        np.testing.assert_array_equal(cst[q : m * BLOCK : BLOCK], c[:m])
        assert trk[q] == last
        np.testing.assert_array_equal(trk[BLOCK + q], before)
        np.testing.assert_array_equal(trk[2 * BLOCK + q], after)
        np.testing.assert_array_equal(cst[m * BLOCK + q : n * BLOCK : BLOCK], 0)  # padding
    assert merged >= 8  # lanes merged groups on the way, and left at their own steps
