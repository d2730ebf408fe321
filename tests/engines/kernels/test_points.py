"""The kernels' initial points: bit for bit those of attndyn.model.initial and of the job."""

import threading
from dataclasses import replace

import numpy as np
import pytest
from numba import njit

from attndyn import Job
from attndyn.engines.inputs import point_source
from attndyn.engines.kernels.points import (
    block_points_kernel,
    initial_points,
    lane_drawing,
    pixel_points_kernel,
)
from attndyn.model.initial import STREAM_PIXEL_POINTS, pixel_points, stream_word
from attndyn.model.rng import seed_key
from attndyn.model.tiles import Tile

from helpers import appendix_b, random_unit_points


@pytest.mark.parametrize(("seed", "sample"), [(0, 0), (1679700, 0), (2**64 - 1, 0), (5, 3)])
def test_philox_points_are_bitwise_those_of_initial(seed, sample):
    rows, cols = np.meshgrid(np.arange(0, 3000, 11), np.arange(5, 9000, 23), indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    n = 23
    out = np.empty((rows.size, n, 2), np.float32)
    k0, k1 = seed_key(seed)
    stream = np.uint64(stream_word(STREAM_PIXEL_POINTS, sample))
    expected = pixel_points(seed, rows, cols, n, sample=sample)
    # The scalar path (libm sin and cos) and the vectorised one (own sin and cos, with libm
    # where a value is within 2^-48 of a float32 rounding boundary) both match bit for bit.
    for kernel in (pixel_points_kernel, block_points_kernel):
        out[:] = 0
        kernel(rows, cols, n, np.uint64(k0), np.uint64(k1), stream, out)
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("lanes", [1, 3])
def test_lanes_draw_a_tiles_points_bitwise_those_of_initial(lanes):
    # A tile of 700 pixels (2 whole CHUNKs and a part, a part BLOCK at each chunk's end) at
    # (row0, col0) = (13, 1001) of the picture: lanes on threads of their own take its chunks
    # from one counter and draw them; all of them together are initial.pixel_points of every
    # pixel, at its place in the tile.
    height, width, n, seed = 20, 35, 7, 1679700
    out = np.full((height, width, n, 2), np.nan, np.float32)
    stream = stream_word(STREAM_PIXEL_POINTS, 1)
    draw = lane_drawing(13, 1001, width, height * width, n, seed_key(seed), stream, out)
    queue = np.zeros(1, np.int64)
    threads = [threading.Thread(target=draw, args=(queue,)) for _ in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    rows, cols = np.meshgrid(
        np.arange(13, 13 + height), np.arange(1001, 1001 + width), indexing="ij"
    )
    expected = pixel_points(seed, rows.ravel(), cols.ravel(), n, sample=1)
    np.testing.assert_array_equal(out.reshape(height * width, n, 2), expected)


@njit
def _tile_points(mode, row0, col0, height, width, n, k0, k1, stream, x0_shared, x0_pixels):
    """initial_points for every pixel of a tile, into (h * w, n, 2)."""
    out = np.empty((height * width, n, 2), np.float32)
    gx = np.empty(n, np.float32)
    gy = np.empty(n, np.float32)
    for r in range(height):
        for c in range(width):
            initial_points(
                mode, row0 + r, col0 + c, n, k0, k1, stream, x0_shared, x0_pixels, r, c, gx, gy
            )
            out[r * width + c, :, 0] = gx
            out[r * width + c, :, 1] = gy
    return out


@pytest.mark.parametrize("source", ["independent", "shared", "file", "per-pixel file"])
def test_the_kernel_starts_each_pixel_where_the_job_says(source):
    # The kernel's side of point_source (its mode code and arrays) against Job.initial_points,
    # the one place that decides: the same float32 points for every pixel of a tile.
    spec = appendix_b(1679700, width=9, height=7, n_points=6)
    if source in ("independent", "shared"):
        job = Job(replace(spec, init=source)).for_sample(2)
    else:
        shape = (6,) if source == "file" else (7, 9, 6)
        job = Job.with_x0(spec, random_unit_points(shape, seed=3))
    tile = Tile(2, 6, 3, 8)
    mode, x0_shared, x0_pixels = point_source(job, tile)
    k0, k1 = seed_key(spec.seed)
    stream = np.uint64(stream_word(STREAM_PIXEL_POINTS, job.sample))
    ours = _tile_points(
        mode, tile.row0, tile.col0, *tile.shape, 6, np.uint64(k0), np.uint64(k1), stream,
        x0_shared, x0_pixels,
    )  # fmt: skip
    np.testing.assert_array_equal(ours, job.initial_points(*tile.pixel_coordinates()))
