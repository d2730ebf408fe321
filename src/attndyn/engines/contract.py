"""The engine contract: what every engine declares, computes and reports.

An engine computes the fields of one tile of a job at a time (``compute``), with memory
bounded by the tile, and declares how it likes to be driven: the tile size it prefers
(``tile_pixels``, pixels per tile, used by the renderer unless told otherwise), whether it
computes in float64 (``supports_float64``; otherwise only float32 specs), and a conservative
throughput estimate (``pixels_per_second``, used to refuse huge jobs before they start).

After each ``compute`` it reports what it measured in ``last_diagnostics``, one
:class:`EngineDiagnostics` for every engine: the same names and types everywhere, with None
for what an engine does not measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from attndyn.model.fields import Fields
from attndyn.model.job import Job
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile


@dataclass(frozen=True)
class EngineDiagnostics:
    """What an engine measured in its last ``compute`` (one tile); None where it has none.

    ``seconds``: the whole call, wall clock. ``kernel_seconds``: in the compiled kernel (on a
    GPU, device time from CUDA events); ``transfer_seconds``: the rest of the call on a GPU
    engine (transfers and host set-up). The step counts are the numba engine's, in pixel
    steps: ``group_steps`` computed on the group path (the block steps included),
    ``pair_steps`` in the two-group SIMD lanes, ``skipped_steps`` made unnecessary by an
    exact exit; ``safe_pixels`` the pixels on the max-subtracted (safe) softmax path.
    ``sync_tracker`` is the per-pixel (t0, Δ_{t0-1}, Δ_{t0}) that ``sync_step`` is made of
    (see :func:`attndyn.model.fields.fields_from_tracker`), arrays of the tile's shape, from the
    engines that keep it.
    """

    pixels: int
    seconds: float
    kernel_seconds: float | None = None
    transfer_seconds: float | None = None
    group_steps: int | None = None
    pair_steps: int | None = None
    skipped_steps: int | None = None
    safe_pixels: int | None = None
    sync_tracker: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


class Engine(Protocol):
    """What every engine declares and does (see the module docstring)."""

    name: str
    tile_pixels: int
    supports_float64: bool
    last_diagnostics: EngineDiagnostics | None

    def compute(self, job: Job, tile: Tile) -> Fields:
        """Fields for the pixels of ``tile``, arrays of shape ``tile.shape``; sets
        ``last_diagnostics``."""
        ...

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        """A conservative throughput estimate for this spec, used to refuse huge jobs."""
        ...
