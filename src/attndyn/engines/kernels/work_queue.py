"""A tile's chunks handed out as the lanes of work ask for them: a counter they share.

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
"""

from __future__ import annotations

import threading
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
