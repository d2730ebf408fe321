"""The group path's pieces: the merge, the two steps against the reference's step, the bounds."""

import numpy as np
import pytest

from attndyn.engines.kernels.groups import (
    merge_array,
    path_flags,
    paths,
    step_fast,
    step_safe,
)
from attndyn.engines.kernels.layout import PAD
from attndyn.engines.numpy_ref import attention_step

from helpers import random_unit_points, standalone

STEP_SAFE = standalone(step_safe)  # not the engine's own compile (see helpers.standalone)


def merged_by_hand(points):
    """Groups of equal points in order of first appearance, with their counts."""
    groups, counts = [], []
    for point in map(tuple, points):
        for k, group in enumerate(groups):
            if group == point:  # float equality: -0.0 == 0.0
                counts[k] += 1
                break
        else:
            groups.append(point)
            counts.append(1)
    return np.array(groups, np.float32), np.array(counts, np.float32)


def run_merge(points, counts=None):
    n = len(points)
    gx = np.zeros(PAD * (n // PAD + 1), np.float32)
    gy = np.zeros_like(gx)
    cnt = np.zeros_like(gx)
    gx[:n], gy[:n] = points[:, 0], points[:, 1]
    cnt[:n] = 1 if counts is None else counts
    m = merge_array(n, gx, gy, cnt)
    return np.stack([gx[:m], gy[:m]], axis=-1), cnt[:m]


def test_merge_keeps_first_appearances_and_adds_counts():
    points = np.float32([[1, 0], [0, 1], [1, 0], [0.0, -1], [0, 1], [-0.0, -1], [0.6, 0.8]])
    groups, counts = run_merge(points)
    np.testing.assert_array_equal(groups, np.float32([[1, 0], [0, 1], [0, -1], [0.6, 0.8]]))
    np.testing.assert_array_equal(counts, [2, 2, 2, 1])
    distinct = random_unit_points((20,), seed=1).astype(np.float32)
    groups, counts = run_merge(distinct)  # nothing to merge: the groups stay as they are
    np.testing.assert_array_equal(groups, distinct)
    assert (counts == 1).all()


def test_merge_of_random_repeats_is_the_rule_by_hand():
    rng = np.random.default_rng(2)
    pool = random_unit_points((5,), seed=3).astype(np.float32)
    for n in (2, 7, 16, 17, 40):
        points = pool[rng.integers(0, 5, size=n)]
        groups, counts = run_merge(points)
        expected_groups, expected_counts = merged_by_hand(points)
        np.testing.assert_array_equal(groups, expected_groups)
        np.testing.assert_array_equal(counts, expected_counts)


def group_step(step, points, counts, prm):
    """One step of ``step`` on groups (points, counts), padded buffers as the kernels use."""
    eps = np.float32(1e-8)
    m = len(points)
    size = (m + PAD - 1) // PAD * PAD
    gx, gy, cnt = (np.zeros(size, np.float32) for _ in range(3))
    gx[:m], gy[:m], cnt[:m] = points[:, 0], points[:, 1], counts
    work = [np.zeros(size, np.float32) for _ in range(11)]
    if step is step_fast:
        step(m, gx, gy, cnt, prm, eps, *work[:6], *work[6:9], *work[9:11])
    else:
        STEP_SAFE(m, gx, gy, cnt, prm, eps, *work[:6], *work[9:11])
    return np.stack([work[9][:m], work[10][:m]], axis=-1)


@pytest.mark.parametrize("step", [step_fast, step_safe])
def test_a_group_step_is_the_reference_step_of_the_expanded_points(step):
    # Groups with counts c_k stand for c_k copies: the step of the groups must be the
    # reference's step of all the points (to float32 rounding: the sums are weighted).
    rng = np.random.default_rng(6)
    for _ in range(20):
        points = random_unit_points((5,), seed=int(rng.integers(1 << 30))).astype(np.float32)
        counts = rng.integers(1, 4, size=5).astype(np.float32)
        prm = rng.normal(size=13).astype(np.float32)
        ours = group_step(step, points, counts, prm)
        expanded = np.repeat(points, counts.astype(int), axis=0)[None]
        wq, wk, wv = (prm[4 * m : 4 * m + 4].reshape(1, 2, 2) for m in range(3))
        reference = attention_step(expanded, wq, wk, wv, prm[12:13], 1e-8)[0]
        first = np.cumsum(counts.astype(int)) - counts.astype(int)  # each group's first copy
        np.testing.assert_allclose(ours, reference[first], rtol=2e-5, atol=2e-6)


def test_paths_bound_the_scores():
    identity = np.float32([1, 0, 0, 1] * 3 + [1])
    points = random_unit_points((4,), seed=0).astype(np.float32)
    gx, gy = points[:, 0].copy(), points[:, 1].copy()
    assert paths(4, gx, gy, identity) == (True, True)  # |S| <= 1.001 * 2: both paths
    large = identity.copy()
    large[12] = 100.0  # |S| up to 200: the max-subtracted step, still two-group lanes
    assert paths(4, gx, gy, large) == (False, True)
    huge = identity.copy()
    huge[12] = 1e31
    assert paths(4, gx, gy, huge) == (False, False)
    far = np.float32([[3.0, 4.0], [1.0, 0.0]])  # initial norms above 1 count too
    assert paths(2, far[:, 0].copy(), far[:, 1].copy(), identity * np.float32(2.5)) == (
        False,
        True,
    )


def test_path_flags_take_the_largest_squared_norm_of_the_points():
    identity = np.float32([1, 0, 0, 1] * 3 + [1])
    # bound = |beta| |W_Q|_F |W_K|_F norm2 * 1.001 = 2 * 1.001 * norm2 for the identities
    assert path_flags(4, 1.0, identity) == (True, True)
    assert path_flags(4, 15.9, identity) == (True, True)  # 31.83 <= 32
    assert path_flags(4, 16.0, identity) == (False, True)  # 32.03 > 32
    far = np.float32([[3.0, 4.0], [1.0, 0.0]])  # squared norms 25 and 1
    for scale in (0.5, 2.5):
        prm = identity * np.float32(scale)
        assert paths(2, far[:, 0].copy(), far[:, 1].copy(), prm) == path_flags(2, 25.0, prm)
