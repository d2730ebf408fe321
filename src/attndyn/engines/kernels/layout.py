"""How the CPU kernels lay out their buffers, so that their loops vectorise.

``BLOCK`` pixels run side by side in the block steps and the block points: row r of pixel l
sits at ``[r * BLOCK + l]``, and every loop over the lanes has the constant trip count
BLOCK. ``CHUNK`` pixels (a multiple of BLOCK) share one set of pair lanes: row r of lane k
sits at ``[r * CHUNK + k]``. The group buffers hold whole SIMD vectors of ``PAD`` float32,
so the row loops of a group step need no remainder loop.
"""

from __future__ import annotations

BLOCK = 32
CHUNK = 256
PAD = 16
