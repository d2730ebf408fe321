"""work_queue.take hands out every value of the counter's sequence exactly once, compiled
(LLVM's atomic add) and from Python (a lock), with threads racing for it."""

import threading

import numpy as np
import pytest
from numba import njit

from attndyn.engines.kernels.work_queue import run_lanes, take


@njit(nogil=True)
def _grab(counter, step, stop, hits):
    """Take values until one reaches stop, counting each value taken in hits (what a lane of
    work does with the tile's chunks)."""
    taken = 0
    while True:
        value = take(counter, step)
        if value >= stop:
            return taken
        hits[value] += 1
        taken += 1


def _race(grab, lanes, step, stop):
    counter = np.zeros(1, np.int64)
    hits = np.zeros(stop, np.int64)
    counts = [0] * lanes

    def lane(k):
        counts[k] = grab(counter, step, stop, hits)

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return counter[0], hits, counts


def test_compiled_take_hands_out_each_value_once_among_racing_threads():
    # 3 threads racing for the 200000 values 0, 3, 6, ...: each taken exactly once (a plain
    # read-then-write would hand some out twice), and each thread got one value past the end.
    stop, step = 600_000, 3
    counter, hits, counts = _race(_grab, 3, step, stop)
    assert (hits[::step] == 1).all() and hits.sum() == stop // step == sum(counts)
    assert counter == (stop // step + 3) * step


def test_take_from_python_is_the_same_sequence():
    stop, step = 3000, 7
    counter, hits, counts = _race(_grab.py_func, 3, step, stop)
    values = len(range(0, stop, step))
    assert (hits[::step] == 1).all() and hits.sum() == values == sum(counts)
    assert counter == (values + 3) * step
    counter = np.array([5], np.int64)
    assert take(counter, 4) == 5 and counter[0] == 9


def test_run_lanes_runs_each_lane_once_on_its_own_thread_and_raises_a_failure_after_all_end():
    ran = {}
    ended = []

    def work(lane):
        ran[lane] = threading.current_thread().name
        if lane == 1:
            raise ValueError("lane 1 failed")
        ended.append(lane)

    released = []
    with pytest.raises(ValueError, match="lane 1 failed"):
        run_lanes(3, work, on_failure=lambda: released.append(True))
    assert ran == {0: threading.current_thread().name, 1: "attndyn-lane-1", 2: "attndyn-lane-2"}
    assert sorted(ended) == [0, 2] and released == [True]
    assert not [t for t in threading.enumerate() if t.name.startswith("attndyn-lane-")]
