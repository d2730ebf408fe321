"""Shared test data: the seed's Appendix B matrices and independently drawn points."""

from __future__ import annotations

import numpy as np

# Appendix B of the seed, row-major.
APPENDIX_B = {
    1679700: ((1.1646, -0.0278, -0.8054, -0.9405), (-1.9675, -2.0948, 0.3671, 1.4580)),
    5227590: ((-0.4588, 0.7752, 0.4600, -0.6778), (-0.3571, 0.0005, 0.9241, 0.7379)),
    6306593: ((-0.4323, -0.6186, -1.1823, -0.0825), (1.7736, -0.0223, -0.1021, 1.0466)),
    6549664: ((-1.8000, -2.5357, 0.4014, 0.4851), (0.0223, 1.9094, 0.1081, 2.5201)),
    8012376: ((0.4720, 1.2490, -0.8313, -0.0374), (0.0728, 0.5135, -0.6503, -1.0870)),
}


def random_unit_points(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Normalised Gaussian points from numpy's own generator (independent of attndyn's)."""
    points = np.random.default_rng(seed).standard_normal((*shape, 2))
    return points / np.linalg.norm(points, axis=-1, keepdims=True)
