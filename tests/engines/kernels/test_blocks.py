"""The block steps: BLOCK pixels side by side, each pixel's arithmetic the group step's."""

import numpy as np
import pytest
from numba import njit

from attndyn.engines.kernels.blocks import block_steps, distinct_steps
from attndyn.engines.kernels.groups import step_fast
from attndyn.engines.kernels.layout import BLOCK, PAD

from helpers import random_unit_points, standalone


def _group_steps_source(steps, n, gx, gy, prm, eps):
    """``steps`` of step_fast on n groups of count 1 (compiled as in run_groups)."""
    size = (n + PAD - 1) // PAD * PAD
    x = np.zeros(size, gx.dtype)
    y = np.zeros(size, gx.dtype)
    x[:n] = gx
    y[:n] = gy
    cnt = np.ones(size, gx.dtype)
    work = np.zeros((11, size), gx.dtype)
    for _ in range(steps):
        step_fast(
            n, x, y, cnt, prm, eps, work[0], work[1], work[2], work[3], work[4], work[5],
            work[6], work[7], work[8], work[9], work[10],
        )  # fmt: skip
        x[:] = work[9]
        y[:] = work[10]
    return x[:n], y[:n]


_GROUP_STEPS = {
    "contract": njit(error_model="numpy", fastmath={"contract"})(_group_steps_source),
    "exact": njit(error_model="numpy")(_group_steps_source),
}


def _group_steps(steps, n, gx, gy, prm, eps, dtype=np.float32, flags=None):
    """step_fast on n groups, compiled with the flags of the engine of ``dtype``."""
    compiled = _GROUP_STEPS["contract" if flags is None or flags else "exact"]
    return compiled(steps, n, gx.astype(dtype), gy.astype(dtype), prm.astype(dtype), eps)


def test_block_steps_are_the_group_steps_of_each_pixel_bit_for_bit():
    n, steps, count = 7, 5, 27  # lanes past count are computed too, and not read
    rng = np.random.default_rng(9)
    eps, tol = np.float32(1e-8), np.float32(0.2)
    points = random_unit_points((BLOCK, n), seed=2).astype(np.float32)
    prm = rng.normal(scale=0.7, size=(BLOCK, 13)).astype(np.float32)
    st = np.zeros((2 * n + 13) * BLOCK, np.float32)
    st[: n * BLOCK] = points[..., 0].T.ravel()
    st[n * BLOCK : 2 * n * BLOCK] = points[..., 1].T.ravel()
    st[2 * n * BLOCK :] = prm.T.ravel()
    # The tracker as the tile kernel starts it: Δ_0 folded in.
    first_gaps = np.abs(points[..., 0] - points[..., :1, 0]).max(axis=1)
    trk = np.concatenate([(first_gaps >= tol).astype(np.float32), first_gaps, [np.nan] * BLOCK])
    trk = trk.astype(np.float32)
    der = np.zeros(6 * n * BLOCK, np.float32)
    acc = np.zeros(3 * BLOCK, np.float32)
    nxt = np.zeros(2 * n * BLOCK, np.float32)
    steps_side_by_side = standalone(block_steps, fastmath={"contract"})  # as the engine's
    steps_side_by_side(count, n, steps, eps, tol, st, der, acc, nxt, trk)
    crossings = 0
    for q in range(count):
        x, y = points[q, :, 0], points[q, :, 1]
        gaps = [first_gaps[q]]
        for _ in range(steps):
            x, y = _group_steps(1, n, x, y, prm[q], eps)
            gaps.append(np.abs(x - x[0]).max())
        np.testing.assert_array_equal(st[q : n * BLOCK : BLOCK], x)
        np.testing.assert_array_equal(st[n * BLOCK + q : 2 * n * BLOCK : BLOCK], y)
        # The tracker: t0 = 1 + the last step with a gap >= tol, and the gaps around it.
        above = np.flatnonzero(np.array(gaps) >= tol)
        t0 = int(above[-1]) + 1 if above.size else 0
        assert trk[q] == t0
        if 0 < t0 <= steps:
            crossings += 1
            assert (trk[BLOCK + q], trk[2 * BLOCK + q]) == (gaps[t0 - 1], gaps[t0])
    assert crossings > 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_distinct_steps_are_the_group_steps_until_two_points_are_equal(dtype):
    # Lanes start distinct; the block goes on while at least one lane is live (keep = 1).
    # Each lane must stop at the first step at which two of its points are equal, holding the
    # state of that step, bit for bit that of step_fast on n groups of count 1 (float64:
    # compiled without contraction, as the float64 engine; float32: with it).
    n, steps = 6, 40
    flags = {"fastmath": {"contract"}} if dtype == np.float32 else {}
    rng = np.random.default_rng(4)
    eps, tol = dtype(1e-8), dtype(0.2)
    points = random_unit_points((BLOCK, n), seed=7)
    # Strong attention on half the lanes: their points collapse onto each other exactly.
    scale = np.where(np.arange(BLOCK) % 2 == 0, 4.0, 0.7)[:, None]
    prm = (rng.normal(size=(BLOCK, 13)) * scale).astype(dtype)
    prm[:, 12] = 1.0
    st = np.zeros((2 * n + 13) * BLOCK, dtype)
    st[: n * BLOCK] = points[..., 0].T.ravel()
    st[n * BLOCK : 2 * n * BLOCK] = points[..., 1].T.ravel()
    st[2 * n * BLOCK :] = prm.T.ravel()
    first_gaps = np.abs(points[..., 0] - points[..., :1, 0]).max(axis=1).astype(dtype)
    trk = np.concatenate([(first_gaps >= tol), first_gaps, [np.nan] * BLOCK]).astype(dtype)
    live = np.ones(BLOCK, np.bool_)
    live[5] = False  # a lane that is not in the blocks does not move
    kept = st[5 : 2 * n * BLOCK : BLOCK].copy()
    reached = np.zeros(BLOCK, np.int64)
    scratch = [np.zeros(size, dtype) for size in (6 * n * BLOCK, 3 * BLOCK, 2 * n * BLOCK)]
    distinct = standalone(distinct_steps, **flags)
    distinct(n, 0, steps, 1, eps, tol, st, *scratch, trk, live, np.zeros(BLOCK, np.bool_), reached)
    np.testing.assert_array_equal(st[5 : 2 * n * BLOCK : BLOCK], kept)
    assert reached[5] == 0
    stopped = 0
    for q in set(range(BLOCK)) - {5}:
        x, y = points[q, :, 0].astype(dtype), points[q, :, 1].astype(dtype)
        gaps = [first_gaps[q]]
        t = 0
        while t < steps and len(set(zip(x.tolist(), y.tolist(), strict=True))) == n:
            x, y = _group_steps(1, n, x, y, prm[q], eps, dtype, flags)
            gaps.append(np.abs(x - x[0]).max())
            t += 1
        assert reached[q] == t
        stopped += t < steps
        np.testing.assert_array_equal(st[q : n * BLOCK : BLOCK], x)
        np.testing.assert_array_equal(st[n * BLOCK + q : 2 * n * BLOCK : BLOCK], y)
        above = np.flatnonzero(np.array(gaps) >= tol)
        assert trk[q] == (int(above[-1]) + 1 if above.size else 0)
    assert stopped >= 8  # lanes did stop on equal points, at their own steps
    assert len(set(reached.tolist())) > 3
