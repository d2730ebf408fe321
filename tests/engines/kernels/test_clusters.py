"""The kernels' cluster count against attndyn.model.fields, on the CPU and on the CUDA target.

The source is compiled for both numba targets (attndyn.engines.kernels.targets); the CUDA
compile runs in numba's CUDA simulator without a GPU (see tests/conftest.py).
"""

import functools
from fractions import Fraction

import numpy as np
import pytest
from numba import cuda

from attndyn.engines.kernels import clusters
from attndyn.engines.kernels.targets import Target
from attndyn.engines.numba_cuda import cuda_available
from attndyn.model.fields import CLUSTER_DISTANCE, count_clusters, linked

from helpers import standalone

# The CPU's own source, compiled apart from the engine's (see helpers.standalone).
COUNT_CLUSTERS = standalone(clusters.count_clusters)
CUDA = pytest.mark.skipif(not cuda_available(), reason="no CUDA device and no CUDA simulator")
TARGETS = ["cpu", pytest.param("cuda", marks=CUDA)]


@functools.cache
def _device_clusters():
    """The cluster functions compiled for the CUDA target, as the CUDA engine compiles them."""
    device = cuda.jit(device=True)
    return clusters.compile_clusters(Target(inline=device, call=device))


def kernel_counts(target, points):
    """count_clusters and pair_clusters (for n = 2) of configurations (P, n, 2), float32."""
    points = np.ascontiguousarray(points, np.float32)
    count = np.zeros(len(points), np.int64)
    pair = np.zeros(len(points), np.int64)
    n = points.shape[1]
    if target == "cpu":
        parent = np.zeros(n, np.int64)
        for p, config in enumerate(points):
            gx, gy = config[:, 0].copy(), config[:, 1].copy()
            count[p] = COUNT_CLUSTERS(n, gx, gy, parent)
            if n == 2:
                pair[p] = clusters.pair_clusters(gx[0], gy[0], gx[1], gy[1])
        return count, pair
    device = _device_clusters()

    @cuda.jit
    def kernel(gx, gy, parent, count, pair):
        p = cuda.grid(1)
        if p < count.size:
            count[p] = device.count_clusters(gx.shape[1], gx[p], gy[p], parent[p])
            if gx.shape[1] == 2:
                pair[p] = device.pair_clusters(gx[p, 0], gy[p, 0], gx[p, 1], gy[p, 1])

    gx = np.ascontiguousarray(points[..., 0])
    gy = np.ascontiguousarray(points[..., 1])
    kernel[len(points), 1](gx, gy, np.zeros(gx.shape, np.int32), count, pair)
    return count, pair


def angles(*thetas):
    return np.stack([np.cos(thetas), np.sin(thetas)], axis=-1)


@pytest.mark.parametrize("target", TARGETS)
def test_clusters_of_hand_made_configurations(target):
    step = 0.9 * CLUSTER_DISTANCE  # a chain of links, each shorter than the distance
    chain = angles(*(np.arange(6) * step))  # one cluster of 6, linked end to end only
    apart = angles(0.0, 0.0, 1.0, 2.0, 2.0 + step, 3.0)  # {0,1}, {2}, {3,4}, {5}
    interleaved = angles(2.0, 0.0, 2.0, 0.0, 1.0, 0.0)  # {0,2}, {1,3,5}, {4}
    broken = chain.copy()
    broken[3, 1] = np.inf
    points = np.stack([chain, apart, interleaved, broken])
    assert kernel_counts(target, points)[0].tolist() == [1, 4, 3, 0]
    assert kernel_counts(target, points[:, :1])[0].tolist() == [1, 1, 1, 1]  # n = 1
    count, pair = kernel_counts(target, points[:, [0, 1]])  # two groups
    assert count.tolist() == pair.tolist() == [1, 1, 2, 1]
    count, pair = kernel_counts(target, points[:, [0, 3]])
    assert count.tolist() == pair.tolist() == [2, 2, 2, 0]


@pytest.mark.parametrize("target", TARGETS)
def test_clusters_equal_the_reference_on_random_clumped_configurations(target):
    # Points around a few centres at about the link distance, so that clusters join through
    # chains of links; the union-find must find the reference's components.
    rng = np.random.default_rng(5)
    size = 400 if target == "cpu" else 40  # the simulator runs the device code in Python
    centres = rng.uniform(0, 2 * np.pi, size=(size, 12)) // 0.5 * 0.5
    scatter = rng.normal(scale=1.5 * CLUSTER_DISTANCE, size=(size, 12))
    points = angles(*(centres + scatter).T).transpose(1, 0, 2).astype(np.float32)
    expected = count_clusters(points)
    assert len(np.unique(expected)) > 3
    np.testing.assert_array_equal(kernel_counts(target, points)[0], expected)
    pairs = points[:, :2]
    count, pair = kernel_counts(target, pairs)
    np.testing.assert_array_equal(count, count_clusters(pairs))
    np.testing.assert_array_equal(pair, count_clusters(pairs))


@pytest.mark.parametrize("target", TARGETS)
def test_links_near_the_threshold_are_the_reference_links(target):
    # Pairs of float32 points 1e-7 (relative) either side of CLUSTER_DISTANCE apart: linked
    # or not exactly as fields.linked decides, on the CPU and on the CUDA target.
    size = 20000 if target == "cpu" else 400
    rng = np.random.default_rng(8)
    a = rng.uniform(-1, 1, size=(size, 2)).astype(np.float32)
    direction = rng.normal(size=(size, 2))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    scale = CLUSTER_DISTANCE * (1 + rng.uniform(-1e-7, 1e-7, (size, 1)))
    b = (a + scale * direction).astype(np.float32)
    difference = a.astype(np.float64) - b
    expected = np.where(linked(difference[:, 0], difference[:, 1]), 1, 2)
    assert 1 < expected.mean() < 2
    count, pair = kernel_counts(target, np.stack([a, b], axis=1))
    np.testing.assert_array_equal(count, expected)
    np.testing.assert_array_equal(pair, expected)


# Two float32 points exactly CLUSTER_DISTANCE apart as the link test computes it: their
# differences in float64 are dx = 0.00059723743 (a float32) and dy = 0.0008020645 +
# 1.1850386e-12 (a float32 and a tiny one, exact in float64), and dx*dx + dy*dy is
# CLUSTER_DISTANCE**2 = 1e-06 whether each product is rounded or one of them is fused into the
# sum. One float32 step of the tiny part further (1.1850387e-12) it is 1e-06 + 1 ulp, one step
# nearer (1.1850385e-12) 1e-06 - 1 ulp. Found by a search over float32 pairs, checked below
# with exact rationals.
THRESHOLD_DX = np.float32("0.00059723743")
THRESHOLD_Y = np.float32("0.0008020645")
THRESHOLD_TINY = {"on": "1.1850386e-12", "beyond": "1.1850387e-12", "within": "1.1850385e-12"}


def squared_distances(dx: float, dy: float) -> set[Fraction]:
    """dx*dx + dy*dy in float64 rounded after each operation, and with either product fused."""
    unfused = Fraction(dx * dx + dy * dy)
    fused = {Fraction(float(Fraction(a) ** 2 + Fraction(b * b))) for a, b in [(dx, dy), (dy, dx)]}
    return {unfused, *fused}


@pytest.mark.parametrize("target", TARGETS)
def test_points_exactly_on_the_link_distance_are_linked(target):
    assert CLUSTER_DISTANCE**2 == 1e-06
    configurations, expected = [], []
    for where, clusters_expected in (("on", 1), ("beyond", 2), ("within", 1)):
        tiny = np.float32(THRESHOLD_TINY[where])
        first, second = (0.0, -tiny), (THRESHOLD_DX, THRESHOLD_Y)
        dx = float(second[0]) - float(first[0])
        dy = float(second[1]) - float(first[1])
        assert dy - float(THRESHOLD_Y) == float(tiny)  # the difference is exact in float64
        distances = squared_distances(dx, dy)
        link = Fraction(CLUSTER_DISTANCE**2)
        if where == "on":
            assert distances == {link}
        else:
            assert all((d > link) == (where == "beyond") and d != link for d in distances)
        configurations.append([first, second])
        expected.append(clusters_expected)
    points = np.array(configurations, np.float32)
    count, pair = kernel_counts(target, points)
    assert count.tolist() == pair.tolist() == expected == [1, 2, 1]
    assert count_clusters(points).tolist() == expected  # the reference, attndyn.model.fields
