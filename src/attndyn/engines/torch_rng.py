"""Philox4x32-10 and the seeded initial points in torch, so a GPU can draw them itself.

The same maps as :mod:`attndyn.model.rng` and :mod:`attndyn.model.initial`, written with torch
integer tensors so that they run on whatever device holds them. torch has no unsigned 32-bit
multiply with a high word, so each word lives in an int64 and the 32x32 -> 64-bit product
``a * M`` of a round is split at the constant's 16th bit:

    a M = (a M_hi) 2^16 + a M_lo                         (M = M_hi 2^16 + M_lo)
    t   = a M_hi + floor(a M_lo / 2^16)                  (= floor(a M / 2^16), < 2^49)
    hi  = floor(t / 2^16),  lo = (t mod 2^16) 2^16 + (a M_lo mod 2^16)

Every intermediate is below 2^49, so int64 holds it exactly, and the words equal
:func:`attndyn.model.rng.philox4x32`'s bit for bit on any device (tested).

Points follow :func:`attndyn.model.initial.pixel_points`: ``u = (w + 1/2) / 2^32`` and
``theta = (2 pi) u`` in float64, one rounding per operation as in NumPy, then ``cos`` and
``sin`` in float64, rounded to the working precision. Those two are the only operations whose
last bits depend on the library: NumPy uses the C library's, torch its own (SLEEF on the
CPU, CUDA's on the GPU, within 2 ulps). Rounded to float32 they almost never differ: a
float64 result a few ulps from a float32 rounding boundary is needed, about one value in
10^8 (none of 1.6 x 10^7 values tested on the CPU). In float64 they differ by an ulp in
about 0.14% of the values on the CPU, which is why
:class:`~attndyn.engines.torch_engine.TorchEngine` draws float64 points with NumPy.
"""

from __future__ import annotations

import math

import torch

from attndyn.model.initial import STREAM_PIXEL_POINTS, stream_word
from attndyn.model.rng import (
    PHILOX_M0,
    PHILOX_M1,
    PHILOX_ROUNDS,
    PHILOX_W0,
    PHILOX_W1,
    TWO_POW_32,
    seed_key,
)

_LOW16 = 0xFFFF
_LOW32 = 0xFFFFFFFF


def _multiply_high_low(a: torch.Tensor, multiplier: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The high and low 32-bit words of ``a * multiplier`` (a < 2^32 in int64), exactly."""
    product_low = a * (multiplier & _LOW16)
    shifted = a * (multiplier >> 16) + (product_low >> 16)
    return shifted >> 16, ((shifted & _LOW16) << 16) | (product_low & _LOW16)


def torch_philox4x32(
    counter: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], key: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Philox4x32-10 of the counter words ``(c0, c1, c2, c3)`` (int64 tensors, values < 2^32).

    The tensors broadcast against each other; the four output words come back as int64
    tensors of the broadcast shape, values in [0, 2^32).
    """
    c0, c1, c2, c3 = counter
    k0, k1 = int(key[0]) & _LOW32, int(key[1]) & _LOW32
    for round_index in range(PHILOX_ROUNDS):
        if round_index:
            k0 = (k0 + PHILOX_W0) & _LOW32
            k1 = (k1 + PHILOX_W1) & _LOW32
        high0, low0 = _multiply_high_low(c0, PHILOX_M0)
        high1, low1 = _multiply_high_low(c2, PHILOX_M1)
        c0, c1, c2, c3 = high1 ^ c1 ^ k0, low1, high0 ^ c3 ^ k1, low0
    return c0, c1, c2, c3


def torch_pixel_points(
    seed: int,
    rows: torch.Tensor,
    cols: torch.Tensor,
    n_points: int,
    *,
    sample: int = 0,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """:func:`attndyn.model.initial.pixel_points` on ``rows``' device: shape (P, n_points, 2).

    ``rows`` and ``cols`` are integer tensors of P pixel coordinates on one device.
    """
    rows = rows.reshape(-1, 1).to(torch.int64)
    cols = cols.reshape(-1, 1).to(torch.int64)
    n_blocks = -(-n_points // 4)
    blocks = torch.arange(n_blocks, dtype=torch.int64, device=rows.device).reshape(1, -1)
    stream = torch.full((1, 1), stream_word(STREAM_PIXEL_POINTS, sample), device=rows.device)
    words = torch_philox4x32((blocks, cols, rows, stream), seed_key(seed))
    # Word i of a configuration is word i mod 4 of block i // 4: (P, n_blocks, 4) row-major.
    words = torch.stack(torch.broadcast_tensors(*words), dim=-1).reshape(rows.shape[0], -1)
    uniform = (words[:, :n_points].to(torch.float64) + 0.5) / TWO_POW_32
    theta = (2.0 * math.pi) * uniform
    return torch.stack([torch.cos(theta), torch.sin(theta)], dim=-1).to(dtype)
