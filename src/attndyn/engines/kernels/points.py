"""Initial points in the kernels: :func:`attndyn.model.initial.pixel_points`, bit for bit.

"independent" points are drawn in the kernel with a numba Philox4x32-10: point i of pixel
(row, col) takes word i % 4 of the counter (i // 4, col, row, stream) under the seed's key,
the float64 angle theta = 2 pi (w + 1/2) / 2^32 and (cos theta, sin theta) rounded to
float32. The Philox words and the angles are integer and float64 arithmetic done as in
:mod:`attndyn.model.rng`, so they are identical.

Two ways, equal bit for bit (tested against :func:`~attndyn.model.initial.pixel_points`):
  * one pixel (:func:`pixel_points_into`), with libm's cos and sin, as NumPy's;
  * BLOCK pixels side by side (:func:`block_pixel_points`), Philox and sin/cos vectorised
    over the pixels with the lanes loop innermost. The vectorised float64 sin/cos
    (:mod:`~attndyn.engines.kernels.sincos`) are within a few ulps of libm's, so they round
    to the same float32 except within 2^-48 of a float32 rounding boundary, where libm's
    value is used instead (tested on 15M values).

float64 (:func:`pixel_angles_kernel`): the angles only, bit for bit; the float64 engine
takes their cos and sin from NumPy on the host, as the reference does
(:func:`attndyn.engines.inputs.point_source`).

"shared" and "file" points come from the host (:func:`attndyn.engines.inputs.point_source`);
:func:`initial_points` is the kernel side of that choice, by its mode code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numba import njit, prange

from attndyn.engines.inputs import MODE_INDEPENDENT, MODE_SHARED
from attndyn.engines.kernels.layout import BLOCK, CHUNK, own_lines
from attndyn.engines.kernels.philox import bump_key, philox, philox_round
from attndyn.engines.kernels.sincos import rounds_safely, sin_cos
from attndyn.engines.kernels.targets import CPU, Target
from attndyn.engines.kernels.work_queue import take

_U64 = np.uint64
_TWO_PI = 2.0 * np.pi
_TWO_POW_32 = 4294967296.0
_NAN = np.float32(np.nan)


@njit(inline="always", cache=True, error_model="numpy")
def philox_block(block, col, row, stream, k0, k1):
    """The four words of Philox4x32-10 for the counter (block, col, row, stream) under the key
    (k0, k1), as :func:`attndyn.model.rng.philox4x32` (uint64 holding 32-bit values)."""
    return philox(_U64(block), _U64(col), _U64(row), _U64(stream), k0, k1)


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def pixel_angles_kernel(rows, cols, n, k0, k1, stream, theta):
    """The angles theta (P, n) of initial.pixel_points for pixels (rows[k], cols[k]), float64
    bit for bit: point i takes word i % 4 of block i // 4, theta = 2 pi (w + 1/2) / 2^32.
    (The float64 engine takes cos and sin of them from NumPy, as the reference does.)

    One thread: a tile's angles take a few hundredths of the float64 kernel's time on it, and
    a parallel loop would add numba's gufunc wrappers to the first float64 compile."""
    for p in range(rows.size):
        for block in range((n + 3) // 4):
            words = philox_block(block, cols[p], rows[p], stream, k0, k1)
            for word in range(4):
                i = 4 * block + word
                if i < n:
                    w = np.float64(words[word])
                    theta[p, i] = _TWO_PI * ((w + 0.5) / _TWO_POW_32)


class InitialPoints(NamedTuple):
    """The per-pixel point functions compiled for one target."""

    pixel_points_into: Callable[..., Any]
    initial_points: Callable[..., Any]


def compile_points(target: Target, philox_words: Callable[..., Any]) -> InitialPoints:
    """:func:`pixel_points_into` and :func:`initial_points` for ``target``, drawing with
    ``philox_words`` (``philox`` of :mod:`attndyn.engines.kernels.philox`, compiled for the same
    target): the CPU and GPU engines start every pixel from the same points."""

    @target.inline
    def point_from_word(w, gx, gy, i):
        """Point i from the Philox word w: theta = 2 pi (w + 1/2) / 2^32, cos and sin of it
        rounded to float32."""
        theta = _TWO_PI * ((np.float64(w) + 0.5) / _TWO_POW_32)
        gx[i] = np.float32(math.cos(theta))
        gy[i] = np.float32(math.sin(theta))

    @target.inline
    def pixel_points_into(row, col, n, k0, k1, stream, gx, gy):
        """initial.pixel_points for one pixel, written into gx, gy (float32): point i from
        word i % 4 of block i // 4 of the counter (block, col, row, stream)."""
        for block in range((n + 3) // 4):
            w0, w1, w2, w3 = philox_words(_U64(block), _U64(col), _U64(row), _U64(stream), k0, k1)
            i = 4 * block
            point_from_word(w0, gx, gy, i)
            if i + 1 < n:
                point_from_word(w1, gx, gy, i + 1)
            if i + 2 < n:
                point_from_word(w2, gx, gy, i + 2)
            if i + 3 < n:
                point_from_word(w3, gx, gy, i + 3)

    @target.inline
    def initial_points(mode, row, col, n, k0, k1, stream, x0_shared, x0_pixels, r, c, gx, gy):
        """Pixel (row, col)'s initial points into gx, gy, by the mode code of point_source:
        drawn here, the one shared configuration, or the pixel's (r, c in the tile) from
        x0_pixels."""
        if mode == MODE_INDEPENDENT:
            pixel_points_into(row, col, n, k0, k1, stream, gx, gy)
        elif mode == MODE_SHARED:
            for i in range(n):
                gx[i] = x0_shared[i, 0]
                gy[i] = x0_shared[i, 1]
        else:
            for i in range(n):
                gx[i] = x0_pixels[r, c, i, 0]
                gy[i] = x0_pixels[r, c, i, 1]

    return InitialPoints(pixel_points_into, initial_points)


pixel_points_into, initial_points = compile_points(CPU, philox)


@njit(parallel=True, cache=True, error_model="numpy", no_cfunc_wrapper=True)
def pixel_points_kernel(rows, cols, n, k0, k1, stream, out):
    """pixel_points_into over many pixels, into out (P, n, 2) (for tests)."""
    for p in prange(rows.size):
        pixel_points_into(rows[p], cols[p], n, k0, k1, stream, out[p, :, 0], out[p, :, 1])


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def block_pixel_points(count, n, rows, cols, k0, k1, stream, ctr, theta, st):
    """initial.pixel_points for ``count`` pixels side by side, bit for bit, into st.

    Every one of the BLOCK lanes is computed (rows and cols hold BLOCK entries; lanes past
    ``count`` hold any valid indices and are not used): a constant trip count vectorises
    without remainder loops.

    Philox and sin/cos run vectorised over the pixels. The float64 sin/cos here are within a
    few ulps of libm's, so their float32 roundings agree unless a value lies within 2^-48 of
    a float32 rounding boundary; those rare values are recomputed with libm (math.cos/sin,
    what numpy gives too).
    """
    b = BLOCK
    s = _U64(stream)
    # The Philox state of every lane lives in ctr (rows c0..c3), the rounds loop outside the
    # lanes loop, so that the lanes loop is innermost and vectorises; the key schedule is the
    # same for every lane.
    for block in range((n + 3) // 4):
        first = 4 * block
        for q in range(BLOCK):
            ctr[q] = _U64(block)
            ctr[b + q] = _U64(cols[q])
            ctr[2 * b + q] = _U64(rows[q])
            ctr[3 * b + q] = s
        kk0 = k0
        kk1 = k1
        for _ in range(10):
            for q in range(BLOCK):
                ctr[q], ctr[b + q], ctr[2 * b + q], ctr[3 * b + q] = philox_round(
                    ctr[q], ctr[b + q], ctr[2 * b + q], ctr[3 * b + q], kk0, kk1
                )
            kk0, kk1 = bump_key(kk0, kk1)
        for word in range(4):
            for q in range(BLOCK):
                w = np.float64(ctr[word * b + q])
                theta[(first + word) * b + q] = _TWO_PI * ((w + 0.5) / _TWO_POW_32)
    hard = 0
    for i in range(n):
        for q in range(BLOCK):
            sin, cos = sin_cos(theta[i * b + q])
            ok = rounds_safely(sin) & rounds_safely(cos)
            hard += not ok
            st[i * b + q] = np.float32(cos) if ok else _NAN
            st[(n + i) * b + q] = np.float32(sin)
    if hard:
        for i in range(n):
            for q in range(BLOCK):
                if st[i * b + q] != st[i * b + q]:
                    st[i * b + q] = np.float32(math.cos(theta[i * b + q]))
                    st[(n + i) * b + q] = np.float32(math.sin(theta[i * b + q]))


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, nogil=True, fastmath={"contract"})
def lane_points_kernel(
    queue, pixels, row0, col0, width, n, k0, k1, stream, rows, cols, ctr, theta, st, out
):  # fmt: skip
    """A lane's share of the float32 independent points of a tile, into out (h, w, n, 2):
    chunk after chunk [first, first + CHUNK), each taken from ``queue``
    (:func:`~attndyn.engines.kernels.work_queue.take`) until none is left, BLOCK pixels at a
    time by :func:`block_pixel_points` (pixel p of the tile is row p // width, column p %
    width, at (row0, col0) of the picture). ``rows``, ``cols`` (BLOCK int64), ``ctr`` (4 BLOCK
    uint64), ``theta`` (BLOCK times n rounded up to 4, float64) and ``st`` (2 n BLOCK float32)
    are the lane's scratch. ``nogil``: the lanes of a tile draw side by side, each on its
    thread, before any runs its chunks (:func:`~attndyn.engines.kernels.tile.run_tile`).

    The fastmath "contract" the tile kernel gave :func:`block_pixel_points` when it drew the
    points itself (numba's flag inheritance: the function has none of its own)."""
    while True:
        first = take(queue, CHUNK)
        if first >= pixels:
            break
        last = min(pixels, first + CHUNK)
        for start in range(first, last, BLOCK):
            stop = min(last, start + BLOCK)
            for p in range(start, stop):
                r = p // width
                rows[p - start] = row0 + r
                cols[p - start] = col0 + p - r * width
            block_pixel_points(stop - start, n, rows, cols, k0, k1, stream, ctr, theta, st)
            for p in range(start, stop):
                q = p - start
                r = p // width
                c = p - r * width
                for i in range(n):
                    out[r, c, i, 0] = st[i * BLOCK + q]
                    out[r, c, i, 1] = st[(n + i) * BLOCK + q]


def lane_drawing(
    row0: int, col0: int, width: int, pixels: int, n: int, key: tuple[int, int], stream: int,
    out: np.ndarray,
) -> Callable[[np.ndarray], None]:  # fmt: skip
    """``draw(queue)`` for :func:`~attndyn.engines.kernels.tile.run_tile`: a lane's share of the
    float32 independent points of a tile of ``pixels`` pixels, ``width`` wide at (row0, col0)
    of the picture, into out (h, w, n, 2), the chunks taken from ``queue``, by
    :func:`lane_points_kernel` with the seed's Philox ``key`` and ``stream`` word; each call
    has scratch of its own (a few KiB, on cache lines of its own:
    :func:`~attndyn.engines.kernels.layout.own_lines`)."""
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    word = np.uint64(stream)

    def draw(queue: np.ndarray) -> None:
        rows = own_lines(BLOCK, np.int64)
        cols = own_lines(BLOCK, np.int64)
        ctr = own_lines(4 * BLOCK, np.uint64)
        theta = own_lines((n + 3) // 4 * 4 * BLOCK, np.float64)
        st = own_lines(2 * n * BLOCK, np.float32)
        lane_points_kernel(
            queue, pixels, row0, col0, width, n, k0, k1, word, rows, cols, ctr, theta, st, out
        )  # fmt: skip

    return draw


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, fastmath={"contract"})
def block_points_kernel(rows, cols, n, k0, k1, stream, out):
    """block_pixel_points over many pixels, into out (P, n, 2) (for tests)."""
    theta = np.empty(((n + 3) // 4 * 4) * BLOCK, np.float64)
    ctr = np.empty(4 * BLOCK, np.uint64)
    st = np.empty(2 * n * BLOCK, np.float32)
    block_rows = np.zeros(BLOCK, np.int64)
    block_cols = np.zeros(BLOCK, np.int64)
    for start in range(0, rows.size, BLOCK):
        count = min(BLOCK, rows.size - start)
        block_rows[:count] = rows[start : start + count]
        block_cols[:count] = cols[start : start + count]
        block_pixel_points(count, n, block_rows, block_cols, k0, k1, stream, ctr, theta, st)
        for q in range(count):
            for i in range(n):
                out[start + q, i, 0] = st[i * BLOCK + q]
                out[start + q, i, 1] = st[(n + i) * BLOCK + q]
