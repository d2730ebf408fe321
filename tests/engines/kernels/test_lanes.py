"""The pair lanes: two groups in closed form, bit for bit the group path's safe step."""

import numpy as np
import pytest
from numba import njit

from attndyn import Job
from attndyn.engines.kernels.groups import step_fast, step_safe
from attndyn.engines.kernels.lanes import (
    LANE_COUNT,
    LANE_PRM,
    LANE_ROWS,
    pair_lanes_float32,
    pair_lanes_float64,
    pair_step,
    pair_step_fast,
)
from attndyn.engines.kernels.layout import CHUNK, PAD
from attndyn.engines.numba_cpu import NumbaCpuEngine

from helpers import appendix_b, random_unit_points, standalone, whole


@njit(error_model="numpy")
def _pair_steps(points, counts, ln, eps, out):
    """pair_step of lane k on groups points[k] (2, 2) with counts[k], into out[k]."""
    for k in range(points.shape[0]):
        out[k, 0, 0], out[k, 0, 1], out[k, 1, 0], out[k, 1, 1] = pair_step(
            points[k, 0, 0], points[k, 0, 1], points[k, 1, 0], points[k, 1, 1],
            counts[k, 0], counts[k, 1], ln, LANE_PRM, k, eps,
        )  # fmt: skip


@njit(error_model="numpy")
def _pair_steps_fast(points, counts, ln, eps, out):
    """pair_step_fast of lane k on groups points[k] (2, 2) with counts[k], into out[k]."""
    for k in range(points.shape[0]):
        out[k, 0, 0], out[k, 0, 1], out[k, 1, 0], out[k, 1, 1] = pair_step_fast(
            points[k, 0, 0], points[k, 0, 1], points[k, 1, 0], points[k, 1, 1],
            counts[k, 0], counts[k, 1], ln, LANE_PRM, k, eps,
        )  # fmt: skip


@pytest.mark.parametrize("fastmath", [False, {"contract"}])
def test_pair_step_is_the_safe_step_of_two_groups(fastmath):
    # The same operations in the same order: bit for bit as written (no fastmath). The float32
    # engine compiles both with the "contract" its tile kernel passes on (see
    # attndyn.engines.kernels.targets), and LLVM fuses the two differently: the unit vectors
    # then agree to a few ulps of 1.
    pair_steps = njit(error_model="numpy", fastmath=fastmath)(_pair_steps.py_func)
    safe_step = standalone(step_safe, fastmath=fastmath)
    rng = np.random.default_rng(12)
    lanes = CHUNK
    points = random_unit_points((lanes, 2), seed=5).astype(np.float32)
    counts = rng.integers(1, 20, size=(lanes, 2)).astype(np.float32)
    prm = (rng.normal(size=(lanes, 13)) * rng.choice([0.5, 5.0, 50.0], (lanes, 1))).astype(
        np.float32
    )
    ln = np.zeros(LANE_ROWS * CHUNK, np.float32)
    ln[LANE_PRM * CHUNK : (LANE_PRM + 13) * CHUNK] = prm.T.ravel()
    eps = np.float32(1e-8)
    ours = np.zeros((lanes, 2, 2), np.float32)
    pair_steps(points, counts, ln, eps, ours)
    theirs = np.zeros_like(ours)
    work = [np.zeros(2, np.float32) for _ in range(8)]
    for k in range(lanes):
        gx, gy = points[k, :, 0].copy(), points[k, :, 1].copy()
        safe_step(2, gx, gy, counts[k].copy(), prm[k], eps, *work)
        theirs[k] = np.stack([work[6], work[7]], axis=-1)
    if fastmath:
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=4 * np.finfo(np.float32).eps)
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_pair_lanes_are_bitwise_the_generic_safe_step():
    # Large a and b force the max-subtracted (safe) step everywhere; pixels that reach two
    # groups then finish in the SIMD pair lanes, which must reproduce that step bit for bit.
    spec = appendix_b(1679700, x_range=(-60, -20), y_range=(-60, -20), width=40, height=30)
    job = Job(spec)
    with_pairs = NumbaCpuEngine()
    fields = with_pairs.compute(job, whole(spec))
    without = NumbaCpuEngine(pairs=False).compute(job, whole(spec))
    diagnostics = with_pairs.last_diagnostics
    assert diagnostics.pair_steps > 0 and diagnostics.safe_pixels == spec.width * spec.height
    for name in ("delta", "labels", "sync_step", "clusters"):
        np.testing.assert_array_equal(getattr(fields, name), getattr(without, name), name)
    assert (fields.labels == 1).mean() > 0.1 and (fields.clusters == 2).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pair_lanes_step_only_their_own_lanes(dtype):
    # The vector loop runs over whole vectors of lanes, past ``active``: whatever the lanes
    # past it hold (here nan), the active lanes come out as when every lane is active.
    rng = np.random.default_rng(14)
    ln = np.zeros(LANE_ROWS * CHUNK, dtype)
    ln[: 4 * CHUNK] = random_unit_points((2, CHUNK), seed=7).transpose(0, 2, 1).ravel()
    ln[LANE_COUNT * CHUNK : (LANE_COUNT + 2) * CHUNK] = rng.integers(1, 20, 2 * CHUNK)
    prm = rng.normal(size=(13, CHUNK)) * 0.5
    prm[12] = 1.0
    ln[LANE_PRM * CHUNK : (LANE_PRM + 13) * CHUNK] = prm.ravel()
    # The engine's lanes, compiled on their own with its flags (float32: contraction).
    if dtype == np.float32:
        pair_lanes = standalone(pair_lanes_float32, fastmath={"contract"})
    else:
        pair_lanes = standalone(pair_lanes_float64)
    every = ln.copy()
    pair_lanes(CHUNK, 100, dtype(1e-8), dtype(1e-3), every)
    assert not np.array_equal(every[: 4 * CHUNK], ln[: 4 * CHUNK])  # the lanes did step
    for active in (1, 5, 21):
        some = ln.reshape(LANE_ROWS, CHUNK).copy()
        some[:, active:] = np.nan
        some = some.ravel()
        pair_lanes(active, 100, dtype(1e-8), dtype(1e-3), some)
        np.testing.assert_array_equal(
            some.reshape(LANE_ROWS, CHUNK)[:, :active], every.reshape(LANE_ROWS, CHUNK)[:, :active]
        )


def test_float64_pair_step_is_the_max_free_step_of_two_groups():
    # The float64 lanes take the group path's step_fast for two groups, the same operations
    # in the same order: bit for bit, compiled without contraction as the float64 engine.
    pair_steps = njit(error_model="numpy")(_pair_steps_fast.py_func)
    fast_step = standalone(step_fast)
    rng = np.random.default_rng(13)
    lanes = CHUNK
    points = random_unit_points((lanes, 2), seed=6)
    counts = rng.integers(1, 20, size=(lanes, 2)).astype(np.float64)
    prm = rng.normal(size=(lanes, 13)) * rng.choice([0.3, 1.0, 2.0], (lanes, 1))
    ln = np.zeros(LANE_ROWS * CHUNK, np.float64)
    ln[LANE_PRM * CHUNK : (LANE_PRM + 13) * CHUNK] = prm.T.ravel()
    eps = 1e-8
    ours = np.zeros((lanes, 2, 2))
    pair_steps(points, counts, ln, eps, ours)
    theirs = np.zeros_like(ours)
    for k in range(lanes):
        gx, gy, cnt = (np.zeros(PAD) for _ in range(3))
        gx[:2], gy[:2], cnt[:2] = points[k, :, 0], points[k, :, 1], counts[k]
        work = [np.zeros(PAD) for _ in range(11)]
        fast_step(2, gx, gy, cnt, prm[k], eps, *work)
        theirs[k] = np.stack([work[9][:2], work[10][:2]], axis=-1)
    np.testing.assert_array_equal(ours, theirs)
    assert not np.allclose(ours, points)  # the points did move


def test_float64_fields_with_the_lanes_are_the_group_paths():
    # Pixels that reach two groups finish in the float64 lanes; their fields equal those of
    # the group path alone, bit for bit (the blocks are off in both, to see the lanes alone).
    spec = appendix_b(1679700, width=30, height=24, steps=100, dtype="float64")
    job = Job(spec)
    with_pairs = NumbaCpuEngine(distinct_blocks=False)
    fields = with_pairs.compute(job, whole(spec))
    assert with_pairs.last_diagnostics.pair_steps > 0
    without = NumbaCpuEngine(pairs=False, distinct_blocks=False).compute(job, whole(spec))
    for name in ("delta", "labels", "sync_step", "clusters"):
        np.testing.assert_array_equal(getattr(fields, name), getattr(without, name), name)
