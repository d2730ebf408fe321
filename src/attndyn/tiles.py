"""Tiles: rectangles of the pixel grid, the unit of work and of memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """Rows ``row0 <= r < row1`` and columns ``col0 <= c < col1`` of the pixel grid."""

    row0: int
    row1: int
    col0: int
    col1: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.row1 - self.row0, self.col1 - self.col0

    @property
    def size(self) -> int:
        return (self.row1 - self.row0) * (self.col1 - self.col0)

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.row0, self.row1), slice(self.col0, self.col1)

    def pixel_coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column index of every pixel, flattened in row-major order."""
        rows, cols = np.meshgrid(
            np.arange(self.row0, self.row1), np.arange(self.col0, self.col1), indexing="ij"
        )
        return rows.ravel(), cols.ravel()


def row_bands(height: int, width: int, pixels_per_tile: int) -> Iterator[Tile]:
    """Cover the grid with full-width bands of about ``pixels_per_tile`` pixels (>= 1 row)."""
    rows_per_band = max(1, pixels_per_tile // max(width, 1))
    for row0 in range(0, height, rows_per_band):
        yield Tile(row0, min(row0 + rows_per_band, height), 0, width)
