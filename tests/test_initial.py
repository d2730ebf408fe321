import numpy as np

from attndyn.initial import pixel_points, seeded_matrices, shared_points


def test_points_are_unit_vectors():
    points = pixel_points(3, np.arange(50), np.arange(50) * 7, 20)
    assert points.shape == (50, 20, 2) and points.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(points, axis=-1), 1.0, atol=2e-7)


def test_a_pixel_gets_the_same_points_in_any_batch():
    rows, cols = np.meshgrid(np.arange(9), np.arange(11), indexing="ij")
    everything = pixel_points(42, rows.ravel(), cols.ravel(), 13)
    pick = np.array([5, 77, 0, 98])
    alone = pixel_points(42, rows.ravel()[pick], cols.ravel()[pick], 13)
    np.testing.assert_array_equal(everything[pick], alone)
    reversed_order = pixel_points(42, rows.ravel()[::-1], cols.ravel()[::-1], 13)
    np.testing.assert_array_equal(everything[::-1], reversed_order)


def test_points_depend_on_seed_row_column_and_sample():
    base = pixel_points(1, np.array([2]), np.array([3]), 8)
    for other in (
        pixel_points(2, np.array([2]), np.array([3]), 8),
        pixel_points(1, np.array([3]), np.array([2]), 8),
        pixel_points(1, np.array([2]), np.array([4]), 8),
        pixel_points(1, np.array([2]), np.array([3]), 8, sample=1),
    ):
        assert not np.array_equal(base, other)


def test_fewer_points_are_a_prefix_of_more_points():
    few = pixel_points(5, np.array([1]), np.array([1]), 3)
    many = pixel_points(5, np.array([1]), np.array([1]), 10)
    np.testing.assert_array_equal(few[0], many[0, :3])


def test_angles_are_uniform_on_the_circle():
    points = pixel_points(9, np.zeros(4000), np.arange(4000), 10, dtype=np.float64)
    angles = np.arctan2(points[..., 1], points[..., 0]).ravel()
    counts, _ = np.histogram(angles, bins=16, range=(-np.pi, np.pi))
    expected = angles.size / 16
    chi2 = (((counts - expected) ** 2) / expected).sum()
    assert chi2 < 37.7  # 99.9% quantile of chi-squared with 15 degrees of freedom


def test_shared_points_differ_from_pixel_points_and_are_unit():
    shared = shared_points(4, 20)
    assert shared.shape == (20, 2)
    np.testing.assert_allclose(np.linalg.norm(shared, axis=-1), 1.0, atol=2e-7)
    assert not np.array_equal(shared, pixel_points(4, np.array([0]), np.array([0]), 20)[0])


def test_seeded_matrices_are_reproducible_standard_normals():
    wq, wv = seeded_matrices(1679700)
    wq2, wv2 = seeded_matrices(1679700)
    np.testing.assert_array_equal(wq, wq2)
    np.testing.assert_array_equal(wv, wv2)
    assert wq.shape == wv.shape == (2, 2) and wq.dtype == np.float32
    samples = np.concatenate([np.concatenate(seeded_matrices(s)).ravel() for s in range(3000)])
    assert abs(samples.mean()) < 0.03  # 24000 samples: standard error 0.0065
    assert abs(samples.std() - 1.0) < 0.03
    assert abs((np.abs(samples) < 1).mean() - 0.6827) < 0.015
