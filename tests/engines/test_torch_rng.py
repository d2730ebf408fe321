"""Philox and the initial points in torch against the NumPy ones and the published answers."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from attndyn.engines.torch_rng import torch_philox4x32, torch_pixel_points  # noqa: E402
from attndyn.model.initial import pixel_points  # noqa: E402
from attndyn.model.rng import philox4x32  # noqa: E402

from helpers import PHILOX_KNOWN_ANSWERS  # noqa: E402

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=CUDA)]


def words(values, device="cpu"):
    return tuple(torch.tensor([v], dtype=torch.int64, device=device) for v in values)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("counter", "key", "expected"), PHILOX_KNOWN_ANSWERS)
def test_philox_known_answers(counter, key, expected, device):
    out = torch_philox4x32(words(counter, device), key)
    assert tuple(int(w.item()) for w in out) == expected


def test_philox_equals_numpys_on_random_counters_and_keys():
    rng = np.random.default_rng(3)
    counter = rng.integers(0, 2**32, size=(4, 20_000), dtype=np.uint64)
    counter[:, :4] = [[0], [2**32 - 1], [2**31], [1]]  # the edges of the word range
    for key in [(0, 0), (2**32 - 1, 2**32 - 1), (0x12345678, 0x9ABCDEF0)]:
        expected = philox4x32(counter, key).astype(np.int64)
        ours = torch_philox4x32(tuple(torch.from_numpy(c.astype(np.int64)) for c in counter), key)
        for word in range(4):
            np.testing.assert_array_equal(ours[word].numpy(), expected[word])
            assert ours[word].min() >= 0 and ours[word].max() < 2**32


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n_points", [1, 3, 20, 33])
def test_float32_points_equal_numpys(n_points, device):
    # cos and sin come from different libraries, but rounded to float32 they agree on every
    # value (the module docstring says why, and how rarely they could not).
    rows = np.arange(6000) // 97 + 1000
    cols = np.arange(6000) % 97
    for seed, sample in [(1679700, 0), (2**64 - 1, 5)]:
        expected = pixel_points(seed, rows, cols, n_points, sample=sample)
        ours = torch_pixel_points(
            seed,
            torch.from_numpy(rows).to(device),
            torch.from_numpy(cols).to(device),
            n_points,
            sample=sample,
        )
        assert ours.dtype == torch.float32 and ours.shape == (6000, n_points, 2)
        np.testing.assert_array_equal(ours.cpu().numpy(), expected)


def test_float64_points_are_unit_vectors_within_an_ulp_or_two_of_numpys():
    rows, cols = np.arange(2000) // 50, np.arange(2000) % 50
    expected = pixel_points(7, rows, cols, 20, dtype=np.float64)
    ours = torch_pixel_points(
        7, torch.from_numpy(rows), torch.from_numpy(cols), 20, dtype=torch.float64
    ).numpy()
    np.testing.assert_allclose(ours, expected, rtol=0, atol=4 * np.finfo(np.float64).eps)
    np.testing.assert_allclose(np.hypot(ours[..., 0], ours[..., 1]), 1.0, rtol=0, atol=1e-15)
