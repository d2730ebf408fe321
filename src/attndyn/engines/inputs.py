"""What every compiled engine prepares before its kernel runs: parameters and initial points.

Both numba engines (CPU and CUDA) take a tile as plain arrays and codes, made here, so that
no engine depends on another.

Parameter layout. A kernel's parameter vector holds the ``N_PARAMETERS`` (13) parameters in
:data:`attndyn.model.params.PARAMETER_NAMES` order: the entries of W_Q, W_K and W_V, each matrix
row-major (slots 0-3, 4-7, 8-11), then beta (slot 12). A pixel's vector is the spec's
(``base``) with the two swept slots ``xi`` and ``yi`` replaced by its column's and row's
swept values (:func:`swept_parameters`).

Initial points. :func:`point_source` turns the job's :class:`~attndyn.model.job.PointMode` into a
mode code for the kernel and the arrays it reads: ``MODE_INDEPENDENT`` (the engine draws
the seeded points on the device, bit for bit those of :func:`attndyn.model.initial.pixel_points`;
float32 only: the CUDA kernel inside, the CPU engine in each lane of work before its chunks,
:func:`attndyn.engines.kernels.points.lane_points_kernel`), ``MODE_SHARED`` (one
configuration) or ``MODE_PER_PIXEL`` (one per pixel of the tile).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from attndyn.model.initial import STREAM_PIXEL_POINTS, points_from_angles, stream_word
from attndyn.model.job import Job, PointMode
from attndyn.model.params import MATRIX_NAMES, PARAMETER_NAMES
from attndyn.model.rng import seed_key
from attndyn.model.tiles import Tile

N_PARAMETERS = len(PARAMETER_NAMES)
MODE_INDEPENDENT = 0
MODE_SHARED = 1
MODE_PER_PIXEL = 2


class SweptParameters(NamedTuple):
    """A tile's parameters: ``xv`` and ``yv`` the swept values of its columns and rows,
    ``base`` the spec's parameter vector, ``xi`` and ``yi`` the slots they replace."""

    xv: np.ndarray
    yv: np.ndarray
    base: np.ndarray
    xi: int
    yi: int


class PointSource(NamedTuple):
    """Where a kernel takes a tile's initial points: the mode code, the one configuration
    ``x0_shared`` (n, 2) for MODE_SHARED and the per-pixel points ``x0_pixels`` (h, w, n, 2)
    for MODE_PER_PIXEL; the array a mode does not use is a small placeholder."""

    mode: int
    x0_shared: np.ndarray
    x0_pixels: np.ndarray


def swept_parameters(job: Job, tile: Tile, dtype: np.dtype | type) -> SweptParameters:
    """What the kernels sweep over a tile of the job's grid (see :class:`SweptParameters`),
    arrays in ``dtype``."""
    spec = job.spec
    xv = np.ascontiguousarray(job.x_values()[tile.col0 : tile.col1], dtype=dtype)
    yv = np.ascontiguousarray(job.y_values()[tile.row0 : tile.row1], dtype=dtype)
    base = np.concatenate(
        [spec.matrix(name).ravel() for name in MATRIX_NAMES] + [[spec.beta]]
    ).astype(dtype)
    return SweptParameters(
        xv, yv, base, PARAMETER_NAMES.index(spec.x_param), PARAMETER_NAMES.index(spec.y_param)
    )


def independent_angles(job: Job, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The float64 angles (P, n) of the job's independent points of pixels (rows, cols)."""
    from attndyn.engines.kernels.points import pixel_angles_kernel  # imports numba

    k0, k1 = seed_key(job.points_seed)
    rows = np.ascontiguousarray(np.asarray(rows).ravel(), np.int64)
    cols = np.ascontiguousarray(np.asarray(cols).ravel(), np.int64)
    theta = np.empty((rows.size, job.spec.n_points), np.float64)
    stream = stream_word(STREAM_PIXEL_POINTS, job.sample)
    pixel_angles_kernel(
        rows, cols, job.spec.n_points, np.uint64(k0), np.uint64(k1), np.uint64(stream), theta
    )
    return theta


def point_source(job: Job, tile: Tile, dtype: np.dtype | type = np.float32) -> PointSource:
    """Where a kernel of ``dtype`` takes a tile's initial points (see :class:`PointSource`).

    Engines draw independent points themselves only in float32: in float64 a kernel's cos and
    sin may differ from NumPy's in the last bit, so independent points are the reference's
    own, made here, per pixel: the angles by a numba kernel (the Philox words and
    2 pi (w + 1/2) / 2^32, exact integer and float64 arithmetic), their cos and sin by NumPy,
    as :func:`attndyn.model.initial.pixel_points` (tested equal). Every array is a new writable
    C-contiguous one: numba types a read-only array differently and would compile the kernel
    a second time.
    """
    spec = job.spec
    x0_shared = np.zeros((1, 2), dtype)
    x0_pixels = np.zeros((1, 1, 1, 2), dtype)
    mode = job.point_mode
    if mode is PointMode.INDEPENDENT:
        if np.dtype(dtype) == np.float32:
            return PointSource(MODE_INDEPENDENT, x0_shared, x0_pixels)
        rows, cols = tile.pixel_coordinates()
        theta = independent_angles(job, rows, cols)
        points = np.ascontiguousarray(points_from_angles(theta, spec.np_dtype), dtype)
        return PointSource(MODE_PER_PIXEL, x0_shared, points.reshape(*tile.shape, spec.n_points, 2))
    if mode is PointMode.SHARED:
        return PointSource(MODE_SHARED, np.array(job.shared_configuration(), dtype), x0_pixels)
    assert job.x0 is not None
    return PointSource(MODE_PER_PIXEL, x0_shared, np.array(job.x0[tile.slices], dtype, order="C"))
