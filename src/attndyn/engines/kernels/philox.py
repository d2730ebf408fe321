"""Philox4x32-10 in the kernels (:func:`attndyn.model.rng.philox4x32`), one source for the CPU and
CUDA targets.

A round maps the counter (c0, c1, c2, c3) under the round key (k0, k1) to

    (hi(M1 c2) ^ c1 ^ k0,  lo(M1 c2),  hi(M0 c0) ^ c3 ^ k1,  lo(M0 c0)),

hi and lo being the upper and lower 32 bits of the 64-bit product, and the key is bumped by
(W0, W1) mod 2^32 after every round; ten rounds. The 32-bit values are held in uint64, where a
32 x 32 product fits. The initial points of both engines come from these words, so the
functions are compiled per target (:mod:`~attndyn.engines.kernels.targets`):
:func:`compile_philox`; this module's own names are the CPU's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from attndyn.engines.kernels.targets import CPU, Target

_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)
_SHIFT32 = _U64(32)
_M0 = _U64(0xD2511F53)
_M1 = _U64(0xCD9E8D57)
_W0 = _U64(0x9E3779B9)
_W1 = _U64(0xBB67AE85)


class Philox(NamedTuple):
    """The Philox functions compiled for one target."""

    philox_round: Callable[..., Any]
    bump_key: Callable[..., Any]
    philox: Callable[..., Any]


def compile_philox(target: Target) -> Philox:
    """:func:`philox_round`, :func:`bump_key` and :func:`philox` compiled for ``target``."""

    @target.inline
    def philox_round(c0, c1, c2, c3, k0, k1):
        """One round of the counter (c0, c1, c2, c3) under the round key (k0, k1)."""
        p0 = _M0 * c0
        p1 = _M1 * c2
        return (p1 >> _SHIFT32) ^ c1 ^ k0, p1 & _MASK32, (p0 >> _SHIFT32) ^ c3 ^ k1, p0 & _MASK32

    @target.inline
    def bump_key(k0, k1):
        """The next round's key."""
        return (k0 + _W0) & _MASK32, (k1 + _W1) & _MASK32

    @target.inline
    def philox(c0, c1, c2, c3, k0, k1):
        """The four words of Philox4x32-10 for the counter (c0, c1, c2, c3) under the key
        (k0, k1), all uint64 holding 32-bit values."""
        for _ in range(10):
            c0, c1, c2, c3 = philox_round(c0, c1, c2, c3, k0, k1)
            k0, k1 = bump_key(k0, k1)
        return c0, c1, c2, c3

    return Philox(philox_round, bump_key, philox)


philox_round, bump_key, philox = compile_philox(CPU)
