"""Philox4x32-10, the counter-based generator behind every seeded draw in attndyn.

Philox (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC'11) maps a 128-bit counter ``c = (c0, c1, c2, c3)`` and a 64-bit key ``k = (k0, k1)``
to four 32-bit words through ten rounds of

    (hi0, lo0) = M0 * c0,   (hi1, lo1) = M1 * c2          (32x32 -> 64-bit products)
    c <- (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
    k <- (k0 + W0, k1 + W1)  (mod 2**32, between rounds)

with M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85.

Because the output is a pure function of (counter, key), a pixel's random numbers depend
only on its coordinates and the seed: tiling, chunk size, engine and machine cannot change
them. This is the same generator that cuRAND, JAX and Triton use, so a GPU engine can draw
the same numbers on the device. numpy's own ``Philox`` is the 4x64 variant and is built per
stream, which is far too slow to build once per pixel; this vectorised 4x32 version
evaluates millions of independent counters in one call.
"""

from __future__ import annotations

import numpy as np

PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85
PHILOX_ROUNDS = 10
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)

TWO_POW_32 = 4294967296.0


def philox4x32(counter: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Apply Philox4x32-10 to many counters at once.

    Parameters
    ----------
    counter
        Array of shape ``(4, ...)`` holding the counter words ``c0..c3`` (values < 2**32).
    key
        The two 32-bit key words ``(k0, k1)``.

    Returns
    -------
    numpy.ndarray
        uint32 array of the same shape as ``counter``: the four output words.
    """
    c = np.asarray(counter, dtype=np.uint64)
    if c.shape[0] != 4:
        raise ValueError(f"counter must have 4 words on axis 0, got shape {c.shape}")
    c0, c1, c2, c3 = (c[i].copy() for i in range(4))
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    m0, m1 = np.uint64(PHILOX_M0), np.uint64(PHILOX_M1)
    for round_index in range(PHILOX_ROUNDS):
        if round_index:
            k0 = (k0 + PHILOX_W0) & 0xFFFFFFFF
            k1 = (k1 + PHILOX_W1) & 0xFFFFFFFF
        p0 = m0 * c0
        p1 = m1 * c2
        c0, c1, c2, c3 = (
            (p1 >> _SHIFT32) ^ c1 ^ np.uint64(k0),
            p1 & _MASK32,
            (p0 >> _SHIFT32) ^ c3 ^ np.uint64(k1),
            p0 & _MASK32,
        )
    return np.stack([c0, c1, c2, c3]).astype(np.uint32)


def seed_key(seed: int) -> tuple[int, int]:
    """Split a seed in ``[0, 2**64)`` into the two 32-bit Philox key words (low, high)."""
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed {seed} is outside [0, 2**64)")
    return seed & 0xFFFFFFFF, seed >> 32


def open_unit_interval(words: np.ndarray) -> np.ndarray:
    """Map uint32 words ``w`` to float64 uniforms ``(w + 1/2) / 2**32`` in the open (0, 1)."""
    return (words.astype(np.float64) + 0.5) / TWO_POW_32
