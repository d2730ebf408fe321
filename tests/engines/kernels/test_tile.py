"""A tile's results do not depend on who computes them: threads, lanes, chunks or tiles; and
the block's start, lane by lane, is the per-pixel start."""

import threading
import time

import numba
import numpy as np
import pytest

from attndyn import Job, render_landscape
from attndyn.engines.kernels.layout import BLOCK, CHUNK
from attndyn.engines.kernels.tile import block_start, nrt_zeros, run_tile, start_tracker
from attndyn.engines.kernels.work_queue import take
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


def _lane_number():
    """The lane of work of the calling thread: 0 on the caller, k on attndyn-lane-k."""
    name = threading.current_thread().name
    return int(name.rsplit("-", 1)[1]) if name.startswith("attndyn-lane-") else 0


ARGS = tuple([0] * 3 + [np.zeros(13, np.float32)] + [0, 0, 3] + [0] * 13)


def test_a_lanes_failure_is_raised_on_the_calling_thread():
    def kernel(queue, pixels, *rest):
        if _lane_number() == 2:
            raise ValueError("lane 2 failed")

    with pytest.raises(ValueError, match="lane 2 failed"):
        run_tile(kernel, 3, 1, ARGS, np.zeros((3, 4), np.int64))


def test_a_failure_while_drawing_is_raised_and_no_lane_waits_for_it():
    # The other lanes wait at the barrier for the failed lane's points; they are released, and
    # the failure itself (not their broken wait) reaches the caller, in bounded time.
    ran = []

    def draw(queue):
        if _lane_number() == 1:
            raise ValueError("lane 1 could not draw")

    def kernel(queue, pixels, *rest):
        ran.append(_lane_number())

    started = time.monotonic()
    with pytest.raises(ValueError, match="lane 1 could not draw"):
        run_tile(kernel, 3, 1000, ARGS, np.zeros((3, 4), np.int64), draw)
    assert time.monotonic() - started < 30 and ran == []
    assert not [t for t in threading.enumerate() if t.name.startswith("attndyn-lane-")]


def test_every_lane_draws_on_its_own_thread_before_any_lane_runs():
    # run_tile's draw step: every lane draws once, on its own thread, and no lane runs before
    # all have drawn (a lane may run chunks another lane drew).
    events = []

    def draw(queue):
        time.sleep(0.05 * _lane_number())  # lane 2 draws last
        events.append(("draw", _lane_number(), threading.get_ident()))

    def kernel(queue, pixels, *rest):
        events.append(("run", _lane_number(), threading.get_ident()))

    run_tile(kernel, 3, 1000, ARGS, np.zeros((3, 4), np.int64), draw)
    assert len(events) == 6
    assert [e[0] for e in events] == ["draw"] * 3 + ["run"] * 3
    assert {e[1:] for e in events[:3]} == {e[1:] for e in events[3:]}
    assert {e[1] for e in events} == {0, 1, 2}


def test_lanes_take_the_chunks_as_they_are_ready():
    # The lanes share one counter (work_queue.take): every chunk start goes to exactly one
    # lane, and a lane slowed down (here by a sleep per chunk) takes fewer chunks.
    taken = {0: [], 1: []}
    stats = np.zeros((2, 4), np.int64)

    def kernel(queue, pixels, *rest):
        lane = _lane_number()
        while (first := take(queue, CHUNK)) < pixels:
            taken[lane].append(first)
            time.sleep(0.05 if lane == 1 else 0.005)

    pixels = 40 * CHUNK - 5
    run_tile(kernel, 2, pixels, ARGS, stats)
    assert sorted(taken[0] + taken[1]) == list(range(0, pixels, CHUNK))
    assert len(taken[0]) > 2 * len(taken[1]) > 0


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
