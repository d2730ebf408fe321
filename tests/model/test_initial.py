import numpy as np

from attndyn.model.initial import pixel_points, seeded_matrices, shared_points


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


# -- one pixel's points, derived by hand from Philox4x32-10 ---------------------------------

_MASK = 0xFFFFFFFF


def _philox4x32_10(counter, key):
    """Random123's Philox4x32-10 for one counter, in plain Python integers: ten rounds of
    (hi0, lo0) = 0xD2511F53 * c0, (hi1, lo1) = 0xCD9E8D57 * c2,
    c <- (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0), then the key bumped by the Weyl constants."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & _MASK, (p0 >> 32) ^ c3 ^ k1, p0 & _MASK
        k0, k1 = (k0 + 0x9E3779B9) & _MASK, (k1 + 0xBB67AE85) & _MASK
    return c0, c1, c2, c3


def test_the_hand_transcription_reproduces_the_random123_known_answers():
    from helpers import PHILOX_KNOWN_ANSWERS

    for counter, key, expected in PHILOX_KNOWN_ANSWERS:
        assert _philox4x32_10(counter, key) == expected


# Pixel (row 2, column 5) of seed 0x1_0000_0007 (key words k0 = 7, k1 = 1), 6 points: words
# of blocks 0 and 1 of the counters (block, column, row, 16 * sample), from the transcription.
PINNED_WORDS = {
    0: (0x0489D92A, 0xDCD4F263, 0x6D69E8F7, 0xF53E4A2B, 0x5514D07B, 0xFABBC1DC),
    1: (0x5125B0F4, 0x09B37EE0, 0x6B527F3D, 0x01580C00, 0x4D158D0B, 0x0D904EE4),
}


def test_one_pixel_is_pinned_to_its_philox_words():
    # initial.py: point i takes word i mod 4 of block i // 4 of the counter
    # (block, col, row, stream + 16 * sample), key = (seed low, seed high), angle
    # 2 pi (w + 1/2) / 2**32. A row/column swap in the counter gives other points.
    seed, row, col = 0x1_0000_0007, 2, 5
    for sample, pinned in PINNED_WORDS.items():
        blocks = [_philox4x32_10((b, col, row, 16 * sample), (7, 1)) for b in (0, 1)]
        words = (*blocks[0], *blocks[1])[:6]
        assert words == pinned, [hex(w) for w in words]
        theta = 2 * np.pi * (np.array(words, dtype=np.float64) + 0.5) / 2**32
        expected = np.stack([np.cos(theta), np.sin(theta)], axis=-1)
        got = pixel_points(
            seed, np.array([row]), np.array([col]), 6, sample=sample, dtype=np.float64
        )
        np.testing.assert_array_equal(got[0], expected)
        np.testing.assert_array_equal(
            pixel_points(seed, np.array([row]), np.array([col]), 6, sample=sample)[0],
            expected.astype(np.float32),
        )
