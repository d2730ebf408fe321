"""The reference engine: the seed's formulation, line by line, in NumPy.

For a chunk of P pixels with per-pixel matrices, in the working precision:

    Q = X W_Q^T               (P, n, 2)
    K = X W_K^T               (P, n, 2)
    V = X W_V^T               (P, n, 2)
    S = beta * Q K^T          (P, n, n)
    A = softmax(S) by rows    (max subtracted first, as torch.softmax does)
    X = A V
    X = X / (||X||_2 by rows + eps)

repeated ``steps`` times. The residual map (``spec.residual`` h, or a swept ``residual``) has
the skip connection of a transformer layer:

    X = X + h * (A V)
    X = X / (||X||_2 by rows + eps)

with h per pixel in the working precision (:func:`residual_step`); everything else is the
same. The gap Δ_t of every state (t = 0..steps) is recorded, which
gives ``delta`` (Δ_T), ``labels`` and ``sync_step``; the final points give ``clusters`` (see
:mod:`attndyn.model.fields` for the definitions and
:func:`~attndyn.model.fields.sync_step_from_gaps`,
:func:`~attndyn.model.fields.count_clusters` for their transcriptions). The chunk bounds memory: a
chunk holds P n^2 scores and P (steps + 1) gaps, never those of the whole picture.
The swept values come from ``job.x_values()`` / ``job.y_values()``, the grid's (times
``supersample``), indexed by the tile's grid rows and columns.
"""

from __future__ import annotations

import time

import numpy as np

from attndyn.engines.contract import EngineDiagnostics
from attndyn.model.fields import (
    Fields,
    count_clusters,
    fields_from_chunks,
    sync_step_from_gaps,
    synchronisation_gap,
)
from attndyn.model.job import Job
from attndyn.model.params import parse_parameter, pixel_matrices, pixel_residuals
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile

DEFAULT_CHUNK_PIXELS = 2048
DEFAULT_TILE_PIXELS = 32_768
# Measured on the 2-core development machine for n = 20, T = 100 (see benchmarks/); halved
# so that the refusal of huge jobs errs towards asking.
_REFERENCE_PIXELS_PER_SECOND_N20_T100 = 4_000.0


def attention(
    X: np.ndarray, WQ: np.ndarray, WK: np.ndarray, WV: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """A V for a batch: X (P, n, 2), matrices (P, 2, 2), beta (P,); shape (P, n, 2)."""
    Q = X @ WQ.transpose(0, 2, 1)
    K = X @ WK.transpose(0, 2, 1)
    V = X @ WV.transpose(0, 2, 1)
    S = beta[:, None, None] * (Q @ K.transpose(0, 2, 1))
    S = S - S.max(axis=-1, keepdims=True)
    E = np.exp(S)
    A = E / E.sum(axis=-1, keepdims=True)
    return A @ V


def normalize_rows(X: np.ndarray, eps: float) -> np.ndarray:
    """x_i / (||x_i||_2 + eps) for every row (point) of X."""
    return X / (np.linalg.norm(X, axis=-1, keepdims=True) + X.dtype.type(eps))


def attention_step(
    X: np.ndarray,
    WQ: np.ndarray,
    WK: np.ndarray,
    WV: np.ndarray,
    beta: np.ndarray,
    eps: float,
) -> np.ndarray:
    """One step of the seed's map for a batch: X (P, n, 2), matrices (P, 2, 2), beta (P,)."""
    return normalize_rows(attention(X, WQ, WK, WV, beta), eps)


def residual_step(
    X: np.ndarray,
    WQ: np.ndarray,
    WK: np.ndarray,
    WV: np.ndarray,
    beta: np.ndarray,
    h: np.ndarray,
    eps: float,
) -> np.ndarray:
    """One step of the residual map, normalize_rows(X + h A V), with h (P,) per pixel."""
    return normalize_rows(X + h[:, None, None] * attention(X, WQ, WK, WV, beta), eps)


class NumpyReferenceEngine:
    """Readable, chunked NumPy engine; the definition the fast engines are checked against."""

    name = "numpy"
    tile_pixels = DEFAULT_TILE_PIXELS
    supports_float64 = True

    def __init__(self, chunk_pixels: int = DEFAULT_CHUNK_PIXELS) -> None:
        if chunk_pixels < 1:
            raise ValueError(f"chunk_pixels {chunk_pixels} must be >= 1")
        self.chunk_pixels = chunk_pixels
        self.last_diagnostics: EngineDiagnostics | None = None

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        work = spec.n_points**2 * max(spec.steps, 1)
        return _REFERENCE_PIXELS_PER_SECOND_N20_T100 * (20**2 * 100) / work

    def compute(self, job: Job, tile: Tile) -> Fields:
        started = time.perf_counter()
        spec = job.spec
        dtype = spec.np_dtype
        rows, cols = tile.pixel_coordinates()
        x_values, y_values = job.x_values(), job.y_values()
        base = {name: spec.matrix(name) for name in ("wq", "wk", "wv")}
        x_param, y_param = parse_parameter(spec.x_param), parse_parameter(spec.y_param)
        delta = np.empty(tile.size, dtype=dtype)
        sync_step = np.empty(tile.size, dtype=np.float32)
        clusters = np.empty(tile.size, dtype=np.uint16)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, tile.size, self.chunk_pixels):
                stop = min(start + self.chunk_pixels, tile.size)
                r, c = rows[start:stop], cols[start:stop]
                sweeps = [(x_param, x_values[c]), (y_param, y_values[r])]
                WQ, WK, WV, beta = pixel_matrices(base, spec.beta, sweeps, dtype)
                h = pixel_residuals(spec.residual, sweeps, stop - start, dtype)
                X = np.array(job.initial_points(r, c), dtype=dtype)
                gaps = np.empty((stop - start, spec.steps + 1), dtype=dtype)
                gaps[:, 0] = synchronisation_gap(X)
                for t in range(1, spec.steps + 1):
                    if h is None:
                        X = attention_step(X, WQ, WK, WV, beta, spec.eps)
                    else:
                        X = residual_step(X, WQ, WK, WV, beta, h, spec.eps)
                    gaps[:, t] = synchronisation_gap(X)
                delta[start:stop] = gaps[:, -1]
                sync_step[start:stop] = sync_step_from_gaps(gaps, spec.tol)
                clusters[start:stop] = count_clusters(X)
        fields = fields_from_chunks(delta, sync_step, clusters, tile.shape, spec.tol)
        self.last_diagnostics = EngineDiagnostics(
            pixels=tile.size, seconds=time.perf_counter() - started
        )
        return fields
