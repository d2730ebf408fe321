"""Cluster counting on synthetic clusters, and pairwise inner products."""

import numpy as np

from attndyn.particles.analysis import (
    kmeans_clusters,
    min_abs_inner_product,
    pairwise_inner_products,
)
from attndyn.particles.sphere import project


def _blob(centre, size, spread, rng):
    return project(centre + spread * rng.standard_normal((size, len(centre))))


def test_counts_one_two_and_three_clusters():
    rng = np.random.default_rng(0)
    e = np.eye(3)
    one = _blob(e[0], 40, 1e-3, rng)
    two = np.concatenate([_blob(e[2], 30, 1e-3, rng), _blob(-e[2], 10, 1e-3, rng)])
    three = np.concatenate(
        [_blob(e[0], 20, 5e-3, rng), _blob(e[1], 15, 5e-3, rng), _blob(-e[2], 5, 5e-3, rng)]
    )
    assert kmeans_clusters(one, rng).count == 1
    clusters = kmeans_clusters(two, rng)
    assert clusters.count == 2
    assert np.allclose(clusters.masses, [0.75, 0.25])
    assert np.allclose(clusters.centres, [e[2], -e[2]], atol=1e-2)
    clusters = kmeans_clusters(three, rng, k=6)
    assert clusters.count == 3
    assert np.allclose(clusters.masses, [0.5, 0.375, 0.125])
    assert np.allclose(clusters.centres, [e[0], e[1], -e[2]], atol=2e-2)
    assert np.array_equal(np.bincount(clusters.labels), [20, 15, 5])


def test_identical_points_are_one_cluster():
    x = np.tile([0.0, 1.0], (25, 1))
    clusters = kmeans_clusters(x, np.random.default_rng(1))
    assert clusters.count == 1
    assert np.allclose(clusters.centres, [[0.0, 1.0]])


def test_spread_points_are_not_merged():
    angles = 2 * np.pi * np.arange(8) / 8
    x = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    assert kmeans_clusters(x, np.random.default_rng(2), k=8).count == 8


def test_pairwise_and_minimal_inner_products():
    u = project(np.array([1.0, 2.0, -0.5]))
    antipodal = np.stack([u, u, -u])
    assert np.allclose(pairwise_inner_products(antipodal), [[1, 1, -1], [1, 1, -1], [-1, -1, 1]])
    assert np.isclose(min_abs_inner_product(antipodal), 1.0)
    assert np.isclose(min_abs_inner_product(np.eye(3)), 0.0)
    batch = np.stack([antipodal, np.eye(3)])
    assert np.allclose(min_abs_inner_product(batch), [1.0, 0.0])


# -- the merging threshold, pinned by points placed around it -------------------------------

THRESHOLD = 0.1  # the source package's separation, documented in kmeans_clusters


def _two_sites(gap):
    """Two copies each of (1, 0) and (1, gap): the k-means centres are those two points
    exactly, and their distance is exactly ``gap`` in float64."""
    return np.array([[1.0, 0.0], [1.0, 0.0], [1.0, gap], [1.0, gap]])


def test_centres_merge_only_when_closer_than_the_threshold():
    rng = np.random.default_rng(3)
    assert kmeans_clusters(_two_sites(0.99 * THRESHOLD), rng).count == 1  # just inside
    assert kmeans_clusters(_two_sites(THRESHOLD), rng).count == 2  # at: not closer, kept apart
    assert kmeans_clusters(_two_sites(1.01 * THRESHOLD), rng).count == 2  # just outside


def test_two_blobs_0_15_apart_are_two_clusters():
    rng = np.random.default_rng(4)
    angle = 2 * np.arcsin(0.15 / 2)  # chord 0.15 between the blob centres
    first = _blob(np.array([1.0, 0.0]), 20, 2e-3, rng)
    second = _blob(np.array([np.cos(angle), np.sin(angle)]), 20, 2e-3, rng)
    clusters = kmeans_clusters(np.concatenate([first, second]), rng)
    assert clusters.count == 2
    np.testing.assert_array_equal(clusters.masses, [0.5, 0.5])
    distance = np.linalg.norm(clusters.centres[0] - clusters.centres[1])
    assert abs(distance - 0.15) < 5e-3


def test_count_clusters_at_any_distance_and_dimension_on_hand_made_configurations():
    from attndyn.model.fields import count_clusters

    # on a line: 0, 0.005, 0.012 chain up at distance 0.01 (links 0.005 and 0.007), 0.5 is alone
    x = np.array([[0.0, 0.0], [0.005, 0.0], [0.012, 0.0], [0.5, 0.0]])
    assert count_clusters(x, 0.01) == 2
    assert count_clusters(x, 0.006) == 3  # 0.005 links, 0.007 does not
    assert count_clusters(x, 1.0) == 1
    # a chain whose smallest index sits in the middle: the labels must flow both ways
    chain = np.array([[0.3, 0.0], [0.1, 0.0], [0.0, 0.0], [0.2, 0.0], [0.4, 0.0]])
    assert count_clusters(chain, 0.11) == 1
    # batches, and a non-finite configuration counts 0
    broken = x.copy()
    broken[2, 1] = np.nan
    batch = np.stack([x, chain[:4], broken])
    assert count_clusters(batch, 0.011).tolist() == [2, 4, 0]
    assert count_clusters(batch, 0.11).tolist() == [2, 1, 0]
    # in 3-D: (0.3, 0.4, 0) is 0.5 from the origin; (0, 0, 0.005) is 0.005 from it
    space = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.005], [0.3, 0.4, 0.0]])
    assert count_clusters(space, 0.01) == 2
    assert count_clusters(space, 0.49) == 2
    assert count_clusters(space, 0.51) == 1


def test_min_abs_inner_product_is_clipped_to_one_for_rounded_points():
    # float32-normalised points whose float64 norm exceeds 1 by rounding
    rng = np.random.default_rng(5)
    x = project(rng.standard_normal((2000, 3))).astype(np.float32).astype(np.float64)
    same = np.stack([x, x], axis=1)  # pairs of equal points: |<x, x>| = |x|² may exceed 1
    assert (np.sum(x * x, axis=-1) > 1.0).any()
    values = min_abs_inner_product(same)
    assert values.max() <= 1.0 and values.min() >= 0.0
