"""Seeded initial points and seeded matrices.

Every seeded draw is a pure function of ``(seed, stream, row, col, sample)`` through the
Philox4x32-10 counter ``(block, col, row, stream + 16 * sample)`` with key = seed (see
:mod:`attndyn.model.rng`). So the same pixel gets the same points whatever the tiling, chunk size,
engine or machine.

Initial points (d = 2). Point i of a configuration takes the 32-bit word ``w_i`` (word
``i mod 4`` of block ``i // 4``), the uniform ``u_i = (w_i + 1/2) / 2**32`` and the angle
``theta_i = 2 pi u_i``; then ``x_i = (cos theta_i, sin theta_i)``, computed in float64 and
rounded to the working precision. A uniform angle is exactly the law of a normalised
standard Gaussian in R^2, which is what the seed's ``randn`` then ``/ norm`` draws.

Matrices. ``W_Q`` and ``W_V`` are eight standard normals from the Box-Muller transform of
the eight words of blocks 0 and 1 of the matrix stream: for each word pair (w, w'),
``r = sqrt(-2 ln u)``, ``z = (r cos 2 pi u', r sin 2 pi u')``. ``W_Q`` takes the first four
row-major, ``W_V`` the next four, rounded to float32.
"""

from __future__ import annotations

import numpy as np

from attndyn.model.rng import open_unit_interval, philox4x32, seed_key

STREAM_PIXEL_POINTS = 0
STREAM_MATRICES = 1
STREAM_SHARED_POINTS = 2
_SAMPLE_STRIDE = 16


def stream_word(stream: int, sample: int) -> int:
    """Counter word c3 of ``stream``'s draws for ``sample``: stream + 16 * sample."""
    if sample < 0 or sample >= 2**28:
        raise ValueError(f"sample index {sample} is outside [0, 2**28)")
    return stream + _SAMPLE_STRIDE * sample


def _words_for_configurations(
    seed: int, rows: np.ndarray, cols: np.ndarray, n_words: int, stream_counter: int
) -> np.ndarray:
    """Return uint32 words of shape ``(P, n_words)`` for P (row, col) coordinates."""
    rows = np.asarray(rows, dtype=np.uint64).ravel()
    cols = np.asarray(cols, dtype=np.uint64).ravel()
    n_blocks = -(-n_words // 4)
    blocks = np.arange(n_blocks, dtype=np.uint64)
    shape = (rows.size, n_blocks)
    counter = np.empty((4, *shape), dtype=np.uint64)
    counter[0] = blocks[None, :]
    counter[1] = cols[:, None]
    counter[2] = rows[:, None]
    counter[3] = stream_counter
    out = philox4x32(counter, seed_key(seed))  # (4, P, n_blocks)
    words = np.moveaxis(out, 0, -1).reshape(rows.size, n_blocks * 4)
    return words[:, :n_words]


def _angles_to_points(words: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return points_from_angles(2.0 * np.pi * open_unit_interval(words), dtype)


def points_from_angles(theta: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """The points (cos theta, sin theta) of the float64 angles ``theta`` (shape (..., n)),
    computed in float64 and rounded to ``dtype``: shape (..., n, 2)."""
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1).astype(dtype, copy=False)


def pixel_points(
    seed: int,
    rows: np.ndarray,
    cols: np.ndarray,
    n_points: int,
    *,
    sample: int = 0,
    dtype: np.dtype | type = np.float32,
) -> np.ndarray:
    """Independent initial configurations for pixels ``(rows[k], cols[k])``.

    Returns an array of shape ``(P, n_points, 2)`` of unit vectors, P = ``rows.size``.
    ``sample`` selects one of many independent configurations of the same pixel.
    """
    words = _words_for_configurations(
        seed, rows, cols, n_points, stream_word(STREAM_PIXEL_POINTS, sample)
    )
    return _angles_to_points(words, np.dtype(dtype))


def shared_points(
    seed: int, n_points: int, *, sample: int = 0, dtype: np.dtype | type = np.float32
) -> np.ndarray:
    """One configuration of ``n_points`` unit vectors, shape ``(n_points, 2)``, for all pixels."""
    words = _words_for_configurations(
        seed, np.zeros(1), np.zeros(1), n_points, stream_word(STREAM_SHARED_POINTS, sample)
    )
    return _angles_to_points(words, np.dtype(dtype))[0]


def seeded_matrices(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal ``(W_Q, W_V)``, each 2x2 float32, drawn from ``seed``."""
    words = _words_for_configurations(
        seed, np.zeros(1), np.zeros(1), 8, stream_word(STREAM_MATRICES, 0)
    )[0]
    u = open_unit_interval(words)
    radius = np.sqrt(-2.0 * np.log(u[0::2]))
    angle = 2.0 * np.pi * u[1::2]
    normals = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1).ravel()
    normals = normals.astype(np.float32)
    return normals[:4].reshape(2, 2), normals[4:].reshape(2, 2)
