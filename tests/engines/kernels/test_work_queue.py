"""work_queue.take hands out every value of the counter's sequence exactly once, compiled
(LLVM's atomic add) and from Python (a lock), with threads racing for it."""

import threading

import numpy as np
from numba import njit

from attndyn.engines.kernels.work_queue import take


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
