"""A tile's results do not depend on who computes them: threads, lanes, chunks or tiles; and
the block's start, lane by lane, is the per-pixel start."""

import threading

import numba
import numpy as np
import pytest

from attndyn import Job, render_landscape
from attndyn.engines.kernels.layout import BLOCK
from attndyn.engines.kernels.tile import block_start, nrt_zeros, run_tile, start_tracker
from attndyn.engines.numba_cpu import NumbaCpuEngine
from attndyn.model.tiles import Tile, row_bands

from helpers import appendix_b, whole

FIELDS = ("delta", "labels", "sync_step", "clusters")


def assert_same_fields(ours, theirs):
    """Every field bitwise equal (nan where nan)."""
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)


def test_thread_count_and_tiles_do_not_change_results():
    spec = appendix_b(5227590, width=70, height=23, steps=100)
    job = Job(spec)
    reference = NumbaCpuEngine().compute(job, whole(spec))
    old = numba.get_num_threads()
    try:
        for threads in range(1, numba.config.NUMBA_NUM_THREADS + 1):
            numba.set_num_threads(threads)
            for lanes in (None, 1, 3):
                fields = NumbaCpuEngine(threads=lanes).compute(job, whole(spec))
                assert_same_fields(fields, reference)
    finally:
        numba.set_num_threads(old)
    for pixels_per_tile in (1, 70 * 5 + 3, 10**6):
        tiled = render_landscape(job, NumbaCpuEngine(), pixels_per_tile=pixels_per_tile)
        assert_same_fields(tiled.fields, reference)
    engine = NumbaCpuEngine()
    for tile in (Tile(3, 17, 5, 61), Tile(22, 23, 69, 70), Tile(0, 23, 33, 34)):
        part = engine.compute(job, tile)
        for name in FIELDS:
            expected = getattr(reference, name)[tile.slices]
            np.testing.assert_array_equal(getattr(part, name), expected, err_msg=name)
    pieces = [engine.compute(job, tile) for tile in row_bands(23, 70, 97)]
    for name in FIELDS:
        joined = np.concatenate([getattr(piece, name) for piece in pieces])
        np.testing.assert_array_equal(joined, getattr(reference, name), err_msg=name)


def test_float64_does_not_depend_on_threads_or_tiles():
    for init in ("independent", "shared"):
        spec = appendix_b(5227590, width=13, height=9, steps=60, dtype="float64", init=init)
        job = Job(spec)
        reference = NumbaCpuEngine().compute(job, whole(spec))
        for lanes in (1, 3):
            assert_same_fields(NumbaCpuEngine(threads=lanes).compute(job, whole(spec)), reference)
        tiled = render_landscape(job, NumbaCpuEngine(), pixels_per_tile=20)
        assert_same_fields(tiled.fields, reference)


def test_block_start_is_the_per_pixel_start_lane_by_lane():
    """block_start's tracker is start_tracker's and its norm2 the largest of 1 and the points'
    squared norms in float64, on every lane; float32 and float64 points, gaps on both sides
    of tol, norms below and above 1."""
    n, tol = 7, 0.25
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        x = rng.uniform(-1.5, 1.5, (n, BLOCK)).astype(dtype)
        y = rng.uniform(-1.5, 1.5, (n, BLOCK)).astype(dtype)
        x[:, :4] = x[0, :4]  # gap 0
        x[0, 4], x[1:, 4] = 0.5, 0.75  # a gap of exactly tol
        x[:, 5:8] *= 0.01  # small points: norm2 stays 1
        y[:, 5:8] *= 0.01
        st = np.concatenate([x.ravel(), y.ravel(), np.zeros(13 * BLOCK, dtype)])
        trk = np.full(3 * BLOCK, 7.0, dtype)
        norm2 = np.zeros(BLOCK)
        block_start(n, dtype(tol), st, trk, norm2)
        for q in range(BLOCK):
            gx = np.ascontiguousarray(x[:, q])
            expected = start_tracker(n, gx, dtype(tol))
            got = (trk[q], trk[BLOCK + q], trk[2 * BLOCK + q])
            np.testing.assert_array_equal(np.array(got), np.array(expected, dtype))
        squares = x.astype(np.float64) ** 2 + y.astype(np.float64) ** 2
        np.testing.assert_array_equal(norm2, np.maximum(1.0, squares.max(axis=0)))
        assert (norm2[5:8] == 1.0).all() and (norm2 > 1.0).any()
        assert trk[4] == 1.0 and (trk[:4] == 0.0).all()  # label of the gap tol: not synchronised


def test_lanes_leave_no_thread_behind():
    # cli.run skips the interpreter's finalisation only when no other non-daemon thread lives
    spec = appendix_b(5227590, width=40, height=20, steps=20)
    before = set(threading.enumerate())
    NumbaCpuEngine(threads=3).compute(Job(spec), whole(spec))
    assert set(threading.enumerate()) <= before


def test_a_lanes_failure_is_raised_on_the_calling_thread():
    def kernel(lane, lanes, pixels, *rest):
        if lane == 2:
            raise ValueError(f"lane {lane} of {lanes}")

    args = tuple([0] * 3 + [np.zeros(13, np.float32)] + [0, 0, 3] + [0] * 13)
    with pytest.raises(ValueError, match="lane 2 of 3"):
        run_tile(kernel, 3, 1, args, np.zeros((3, 4), np.int64))


def test_each_lane_draws_on_its_own_thread_before_it_runs():
    # run_tile's draw step: every lane draws once, on the thread that then runs its chunks,
    # and before it runs them (the kernel reads what the lane drew).
    events = []

    def draw(lane, lanes):
        events.append(("draw", lane, lanes, threading.get_ident()))

    def kernel(lane, lanes, *rest):
        events.append(("run", lane, lanes, threading.get_ident()))

    args = tuple([0] * 3 + [np.zeros(13, np.float32)] + [0, 0, 3] + [0] * 13)
    run_tile(kernel, 3, 1000, args, np.zeros((3, 4), np.int64), draw)
    assert len(events) == 6
    for lane in range(3):
        (drew,) = [(k, e) for k, e in enumerate(events) if e[:3] == ("draw", lane, 3)]
        (ran,) = [(k, e) for k, e in enumerate(events) if e[:3] == ("run", lane, 3)]
        assert drew[0] < ran[0] and drew[1][3] == ran[1][3]


def test_nrt_zeros_are_zero_aligned_writable_and_their_own():
    # Each buffer as numba's np.zeros makes it: zeros, its data on a 32-byte boundary, and
    # memory of its own (writing one leaves a second untouched).
    first = nrt_zeros(1000)
    second = nrt_zeros(37)
    for buffer, size in ((first, 1000), (second, 37)):
        assert buffer.shape == (size,) and buffer.dtype == np.uint8
        assert buffer.ctypes.data % 32 == 0
        assert not buffer.any()
        assert buffer.flags.writeable
    first[:] = 255
    assert not second.any()
    floats = nrt_zeros(8 * 5).view(np.float64)
    assert floats.tolist() == [0.0] * 5
