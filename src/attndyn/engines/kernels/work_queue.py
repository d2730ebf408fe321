"""A tile's lanes of work: threads side by side, taking its chunks from a counter they share.

The lanes of a tile (:func:`~attndyn.engines.kernels.tile.run_tile`) used to split its chunks
in advance, lane k taking chunks k, k + lanes, ... Two cores are seldom equally fast for a
whole tile: on the 2-core development VM one core ran the same work 0.72-1.25 times as long as
the other, in phases of seconds (benchmarks/LOG.md, 2026-12-07), and a fixed split makes the
tile wait for its slower lane. Now each lane takes the next chunk when it is ready for one:
:func:`take` returns the counter's value c and raises it to c + step, in one atomic
operation, so every chunk start 0, step, 2 step, ... goes to exactly one lane. Which lane runs
a pixel changes no field: each pixel's arithmetic is the same on any lane.

In a kernel :func:`take` is one ``atomicrmw add`` (LLVM, monotonic order: the counter hands out
numbers and publishes no data; a lane's results reach the caller through the thread's join).
Called from Python, as under ``NUMBA_DISABLE_JIT``, it takes a lock instead.

:func:`run_lanes` runs the lanes: lane 0 on the calling thread, the others on daemon threads
(the kernels release the GIL), a failure in any raised again on the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from numba.core import types
from numba.extending import intrinsic, overload

_LOCK = threading.Lock()


def take(counter: np.ndarray, step: int) -> int:
    """counter[0] before it is raised by ``step``, atomically: the next chunk's first pixel
    when ``step`` is the chunk's size."""
    with _LOCK:
        value = int(counter[0])
        counter[0] = value + step
    return value


@intrinsic
def _fetch_add(typingctx: Any, counter: Any, step: Any) -> Any:
    """LLVM's ``atomicrmw add`` on counter[0] (a C-contiguous int64 array), returning the old
    value."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None
    if not isinstance(step, types.Integer):
        return None
    signature = types.int64(counter, step)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        amount = context.cast(builder, args[1], sig.args[1], types.int64)
        return builder.atomic_rmw("add", array.data, amount, "monotonic")

    return signature, codegen


@overload(take)
def _take_compiled(counter: Any, step: Any) -> Any:
    def impl(counter: Any, step: Any) -> Any:
        return _fetch_add(counter, step)

    return impl


def run_lanes(
    lanes: int, work: Callable[[int], None], on_failure: Callable[[], None] | None = None
) -> None:
    """``work(lane)`` for lane 0 .. lanes - 1 side by side: lane 0 on the calling thread, the
    others on daemon threads named ``attndyn-lane-K``, joined before this returns (one thread
    per extra lane and call: starting one takes about 0.1 ms; a pool's non-daemon workers would
    outlive the render and make the command's exit finalise the interpreter, cli.run).

    A lane's failure calls ``on_failure`` (on that lane's thread: to release lanes that wait
    for it) and is raised again here, once every lane has ended; a ``BrokenBarrierError`` of a
    lane released so is raised only if nothing else failed."""
    if lanes <= 1:
        work(0)
        return
    failures: list[BaseException] = []

    def guarded(lane: int) -> None:
        try:
            work(lane)
        except BaseException as failure:  # raised again on the calling thread
            failures.append(failure)
            if on_failure is not None:
                on_failure()

    others = [
        threading.Thread(target=guarded, args=(lane,), name=f"attndyn-lane-{lane}", daemon=True)
        for lane in range(1, lanes)
    ]
    for thread in others:
        thread.start()
    try:
        guarded(0)
    finally:
        for thread in others:
            thread.join()
    if failures:  # the failure itself, not a lane's broken wait for it
        causes = [f for f in failures if not isinstance(f, threading.BrokenBarrierError)]
        raise (causes or failures)[0]
