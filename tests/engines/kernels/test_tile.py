"""A tile's results do not depend on who computes them: threads, lanes, chunks or tiles."""

import numba
import numpy as np

from attndyn import Job, render_landscape
from attndyn.engines.numba_cpu import NumbaCpuEngine
from attndyn.tiles import Tile, row_bands

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
