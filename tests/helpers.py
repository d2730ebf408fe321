"""Shared test data: the seed's Appendix B matrices and independently drawn points."""

from __future__ import annotations

import numpy as np

from appendix_a import APPENDIX_B

__all__ = ["APPENDIX_B", "random_unit_points"]


def random_unit_points(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Normalised Gaussian points from numpy's own generator (independent of attndyn's)."""
    points = np.random.default_rng(seed).standard_normal((*shape, 2))
    return points / np.linalg.norm(points, axis=-1, keepdims=True)
