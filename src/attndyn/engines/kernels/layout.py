"""How the CPU kernels lay out their buffers, so that their loops vectorise.

``BLOCK`` pixels run side by side in the block steps and the block points: row r of pixel l
sits at ``[r * BLOCK + l]``, and every loop over the lanes has the constant trip count
BLOCK. ``CHUNK`` pixels (a multiple of BLOCK) share one set of pair lanes: row r of lane k
sits at ``[r * CHUNK + k]``. The group buffers hold whole SIMD vectors of ``PAD`` float32,
so the row loops of a group step need no remainder loop.

A lane of work's small arrays that it writes all the time (its copy of the parameters, the
points' scratch) lie on cache lines of their own (:func:`own_lines`): two lanes' small NumPy
arrays could share a 64-byte line, which the two cores would then pass back and forth at
every write (false sharing). A precaution: measured against NumPy's copies in one process,
two lanes ran at 0.95-1.02 of their time, within the measurement's noise (benchmarks/LOG.md,
2026-12-06, late).
"""

from __future__ import annotations

import numpy as np

BLOCK = 32
CHUNK = 256
PAD = 16
CACHE_LINE = 64


def own_lines(values: np.ndarray | int, dtype: np.dtype | type | None = None) -> np.ndarray:
    """A 1-d array on cache lines that nothing else uses (a whole free line before and after
    it): a copy of ``values``, or ``values`` zeros of ``dtype``."""
    source = None if isinstance(values, int) else np.ascontiguousarray(values).ravel()
    kind = np.dtype(dtype if source is None else source.dtype)
    count = values if source is None else source.size
    raw = np.zeros(count * kind.itemsize + 3 * CACHE_LINE, np.uint8)
    start = -raw.ctypes.data % CACHE_LINE + CACHE_LINE
    lines = raw[start : start + count * kind.itemsize].view(kind)
    if source is not None:
        lines[:] = source
    return lines
