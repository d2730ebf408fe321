"""The fast CPU engine: numba kernels, exact shortcuts, SIMD across pixels.

What it computes is :mod:`attndyn.engines.numpy_ref`'s map, per pixel: points x_1..x_n,
q_i = W_Q x_i, k_j = W_K x_j, v_j = W_V x_j, S_ij = beta q_i . k_j, A = softmax by rows,
y_i = sum_j A_ij v_j, x_i <- y_i / (|y_i| + eps), ``steps`` times; then delta =
max_i |x_i0 - x_00|, label = delta < tol, sync_step and clusters (:mod:`attndyn.model.fields`).
This module is the engine around the kernels of :mod:`attndyn.engines.kernels`, which state
the math and argue the exactness of each shortcut:

  * groups of equal points, which stay equal for ever, and the exact exits (one group, a
    fixed point, period 2, nan): :mod:`~attndyn.engines.kernels.groups`;
  * the first steps of 32 pixels side by side, and then the steps of those whose points are
    all distinct: :mod:`~attndyn.engines.kernels.blocks`;
  * pixels with two groups in SIMD lanes: :mod:`~attndyn.engines.kernels.lanes`;
  * the sync tracker behind ``sync_step`` and the cluster count, shared with the GPU engine:
    :mod:`~attndyn.engines.kernels.tracker`, :mod:`~attndyn.engines.kernels.clusters`;
  * exp, sin/cos and the Philox initial points, vectorised:
    :mod:`~attndyn.engines.kernels.exp`, ``sincos``, ``points``;
  * a tile, in float32 and in float64: :mod:`~attndyn.engines.kernels.tile`.

float32 specs take all of them; float64 specs (deep zooms) take the distinct block steps, the
groups and max-free pair lanes, each the group path's step bit for bit and without fused
multiply-adds, so that every float64 pixel is what the group path alone gives; they start
from the reference's own initial points. A residual spec (``spec.residual_map``, the skip
connection X <- normalize(X + h A V)) takes none of them: its own kernel,
:mod:`~attndyn.engines.kernels.residual`, runs every step of every pixel, 32 pixels side by
side. What the kernels are given (the swept parameters and where
the initial points come from) is made by :mod:`attndyn.engines.inputs`. The module imports
numba; it is imported only when the engine is asked for (``attndyn.engines.get_engine``).
Kernels are compiled with ``cache=True``, so a warm start loads them from ``__pycache__``.

Agreement with the reference is limited by float32, not by the engine. Labels: on the
Appendix B pictures at 512 x 512 at most 9 of 262144 pixels differ, every one a chaotic
pixel. sync_step: the gaps Δ_{t0-1} and Δ_{t0} around the crossing of tol are rounded
differently by any change in the order of sums, by a few percent when they are within a few
hundred ulps of 0, and the smoothed fraction follows their logarithms; with the floor
tol * 1e-2 of :mod:`attndyn.model.fields`, measured at 64 x 64 on the six gallery maps,
|difference| <= 1e-2 steps on 76-98% of the pixels where the labels agree and are 1; t0
differs only on chaotic pixels; clusters agree on 99.95-100%. In float64: labels, clusters and
delta (as float32) equal to the reference's on every pixel measured. The dated measurements
of speed and agreement are in benchmarks/LOG.md.
"""

from __future__ import annotations

import threading
import time

import numba
import numpy as np

from attndyn.engines.contract import EngineDiagnostics
from attndyn.engines.inputs import MODE_INDEPENDENT, MODE_PER_PIXEL, point_source, swept_parameters
from attndyn.engines.kernels.lanes import MAX_PAIR_STEPS
from attndyn.engines.kernels.layout import BLOCK
from attndyn.engines.kernels.points import lane_drawing
from attndyn.engines.kernels.residual import residual_parameters, run_residual_tile
from attndyn.engines.kernels.tile import run_tile, tile_kernel, tile_kernel_exact
from attndyn.model.fields import Fields, fields_from_tracker
from attndyn.model.initial import STREAM_PIXEL_POINTS, stream_word
from attndyn.model.job import Job
from attndyn.model.rng import seed_key
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile

# Measured ~1.0-1.6M px/s for n = 20, T = 100 (benchmarks/LOG.md); a conservative estimate
# that scales like the reference (n^2 T), which the group shortcuts beat.
_PIXELS_PER_SECOND_N20_T100 = 400_000.0
BLOCK_STEPS = 6
# The blocks go on while at least this many of their BLOCK pixels have n distinct points.
DISTINCT_KEEP = 12
# The group blocks go on while at least this many of their pixels have 3 or more groups.
GROUP_KEEP = 12
# float64: the boundary view ran at ~90k px/s and the default window at ~185k px/s on the
# loaded development machine (benchmarks/LOG.md, 2026-12-01); a conservative estimate.
_FLOAT64_PIXELS_PER_SECOND_N20_T100 = 40_000.0
# The residual map takes every step (no shortcuts): about 20k (float32) and 5.7k (float64)
# px/s per core of CPU time on the development machine (docs/engines.md); conservative.
_RESIDUAL_PIXELS_PER_SECOND_N20_T100 = {"float32": 15_000.0, "float64": 4_000.0}


_scratch = threading.local()


def _points_buffer(shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array of ``shape`` for a tile's drawn points, the memory of this thread's
    earlier ones: 160 bytes a pixel, 42 MB for a tile of 256k pixels, whose fresh pages cost
    more than the drawing on the first tiles (650 against 120-150 ns a pixel, measured).
    Nothing else holds it: a tile's fields are written to arrays of their own."""
    size = int(np.prod(shape))
    buffer = getattr(_scratch, "points", None)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size, np.float32)
        _scratch.points = buffer
    return buffer[:size].reshape(shape)


class NumbaCpuEngine:
    """The fast CPU engine (see the module docstring).

    ``threads`` sets how many lanes of work a tile is split into (default: numba's thread
    count); results do not depend on it. ``pairs=False`` turns off the SIMD pair lanes (the
    two-group pixels then run on the generic group path), ``block_steps`` sets how many
    first float32 steps run side by side without groups, and ``distinct_blocks=False`` turns
    off the block steps of pixels whose points are all distinct, ``group_blocks=False`` those
    of pixels with three or more groups; all four are for tests (``pairs``,
    ``distinct_blocks`` and ``group_blocks`` change no float64 field, the last two no float32
    field either). After each compute,
    ``last_diagnostics`` holds the kernel's time, its step counts and the per-pixel sync
    tracker.
    """

    name = "numba"
    # Bands of 256k pixels: fewer kernel launches and end-of-tile waits than the default
    # 32k, while a band still takes well under a second.
    tile_pixels = 262_144
    supports_float64 = True

    def __init__(
        self,
        threads: int | None = None,
        *,
        pairs: bool = True,
        block_steps: int = BLOCK_STEPS,
        distinct_blocks: bool = True,
        group_blocks: bool = True,
    ) -> None:
        self.threads = threads
        self.pairs = pairs
        self.block_steps = block_steps
        self.distinct_blocks = distinct_blocks
        self.group_blocks = group_blocks
        self.last_diagnostics: EngineDiagnostics | None = None

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        rate = _PIXELS_PER_SECOND_N20_T100
        if spec.dtype != "float32":
            rate = _FLOAT64_PIXELS_PER_SECOND_N20_T100
        if spec.residual_map:
            rate = _RESIDUAL_PIXELS_PER_SECOND_N20_T100[spec.dtype]
        work = spec.n_points**2 * max(spec.steps, 1)
        return rate * (20**2 * 100) / work

    def compute(self, job: Job, tile: Tile) -> Fields:
        if job.spec.residual_map:
            return self._compute_residual(job, tile)
        started = time.perf_counter()
        spec = job.spec
        float32 = spec.dtype == "float32"
        dtype = np.dtype(np.float32 if float32 else spec.np_dtype)
        height, width = tile.shape
        n = spec.n_points
        xv, yv, base, xi, yi = swept_parameters(job, tile, dtype)
        mode, x0_shared, x0_pixels = point_source(job, tile, dtype)
        lanes = self.threads or numba.get_num_threads()
        out = np.empty((3, height * width), dtype)  # delta, Δ_{t0-1}, Δ_{t0}
        t0s = np.empty(height * width, np.int64)
        clusters = np.empty(height * width, np.uint16)
        stats = np.zeros((lanes, 4), np.int64)
        kernel_started = time.perf_counter()
        pairs = self.pairs and spec.steps < MAX_PAIR_STEPS
        keep = DISTINCT_KEEP if self.distinct_blocks else BLOCK + 1
        group_keep = GROUP_KEEP if self.group_blocks else BLOCK + 1
        head = min(self.block_steps, spec.steps) if float32 else 0
        kernel = tile_kernel if float32 else tile_kernel_exact
        draw = None
        if mode == MODE_INDEPENDENT:  # float32: each lane draws its pixels' points, then runs
            x0_pixels = _points_buffer((height, width, n, 2))
            stream = stream_word(STREAM_PIXEL_POINTS, job.sample)
            draw = lane_drawing(
                tile.row0, tile.col0, width, tile.size, n, seed_key(job.points_seed), stream,
                x0_pixels,
            )  # fmt: skip
            mode = MODE_PER_PIXEL
        args = (
            width, xv, yv, base, xi, yi, n, spec.steps, dtype.type(spec.eps),
            dtype.type(spec.tol), mode, x0_shared, x0_pixels, pairs, head, keep, group_keep,
            out, t0s, clusters,
        )  # fmt: skip
        run_tile(kernel, lanes, height * width, args, stats, draw)
        kernel_seconds = time.perf_counter() - kernel_started
        shape = (height, width)
        t0s, before, after = t0s.reshape(shape), *out[1:].reshape(2, height, width)
        fields = fields_from_tracker(
            out[0].reshape(shape), t0s, before, after, clusters.reshape(shape), spec.tol
        )
        group_steps, pair_steps, skipped_steps, safe_pixels = (int(s) for s in stats.sum(axis=0))
        self.last_diagnostics = EngineDiagnostics(
            pixels=tile.size,
            seconds=time.perf_counter() - started,
            kernel_seconds=kernel_seconds,
            group_steps=group_steps,
            pair_steps=pair_steps,
            skipped_steps=skipped_steps,
            safe_pixels=safe_pixels,
            sync_tracker=(t0s, before, after),
        )
        return fields

    def _compute_residual(self, job: Job, tile: Tile) -> Fields:
        """Fields of a residual spec's tile (:mod:`attndyn.engines.kernels.residual`)."""
        started = time.perf_counter()
        dtype = np.dtype(job.spec.np_dtype)
        args = residual_parameters(job, tile, dtype)
        out = np.empty((3, tile.size), dtype)  # delta, Δ_{t0-1}, Δ_{t0}
        t0s = np.empty(tile.size, np.int64)
        clusters = np.empty(tile.size, np.uint16)
        kernel_started = time.perf_counter()
        lanes = self.threads or numba.get_num_threads()
        run_residual_tile(lanes, tile.size, (*args, out, t0s, clusters))
        kernel_seconds = time.perf_counter() - kernel_started
        delta, before, after = out.reshape(3, *tile.shape)
        t0s = t0s.reshape(tile.shape)
        fields = fields_from_tracker(
            delta, t0s, before, after, clusters.reshape(tile.shape), job.spec.tol
        )
        self.last_diagnostics = EngineDiagnostics(
            pixels=tile.size,
            seconds=time.perf_counter() - started,
            kernel_seconds=kernel_seconds,
            sync_tracker=(t0s, before, after),
        )
        return fields
