"""What engines return: per-pixel fields, and the convergence measure that defines them.

    delta = max_i |x_i1 - x_11|     (first coordinate of every point against the first point)
    label = 1 if delta < tol else 0

A non-finite state (possible only when the scores overflow the working precision) has
``delta = nan`` and label 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def synchronisation_gap(points: np.ndarray) -> np.ndarray:
    """delta for configurations of shape (..., n, d): max over i of |x_i[0] - x_0[0]|."""
    first = points[..., 0]
    return np.abs(first - first[..., :1]).max(axis=-1)


def labels_from_delta(delta: np.ndarray, tol: float) -> np.ndarray:
    """The binary label ``delta < tol`` as uint8 (nan gives 0)."""
    with np.errstate(invalid="ignore"):
        return (delta < tol).astype(np.uint8)


@dataclass
class Fields:
    """Per-pixel results over a tile or a whole picture, indexed [row, col].

    ``delta`` is float32 (the gap after the last step); ``labels`` is uint8 (1 = synchronised).
    """

    delta: np.ndarray
    labels: np.ndarray

    @classmethod
    def empty(cls, height: int, width: int) -> Fields:
        return cls(
            delta=np.full((height, width), np.nan, dtype=np.float32),
            labels=np.zeros((height, width), dtype=np.uint8),
        )
