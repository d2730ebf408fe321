"""Rendering a whole landscape: tiles through an engine, with progress and resume."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from attndyn.checkpoint import Checkpoint
from attndyn.engines import Engine, get_engine
from attndyn.fields import Fields
from attndyn.job import Job
from attndyn.spec import LandscapeSpec
from attndyn.tiles import Tile, row_bands

DEFAULT_PIXELS_PER_TILE = 32_768


@dataclass
class Landscape:
    """A rendered landscape: its spec and its fields, indexed [row, col] (row 0 = lowest y).

    The arrays have the grid's shape, ``spec.shape`` (the picture's, times ``supersample``).
    """

    spec: LandscapeSpec
    fields: Fields

    @property
    def labels(self) -> np.ndarray:
        return self.fields.labels

    @property
    def delta(self) -> np.ndarray:
        return self.fields.delta


def compute_tile(job: Job, engine: Engine, tile: Tile) -> Fields:
    """The fields of one tile: sample 0's, plus the label average over ``spec.samples``."""
    fields = engine.compute(job, tile)
    samples = job.spec.samples
    if samples > 1:
        total = fields.labels.astype(np.float32)
        for sample in range(1, samples):
            total += engine.compute(job.for_sample(sample), tile).labels
        fields.probability = total / np.float32(samples)
    return fields


class RenderInterrupted(Exception):
    """Raised when a render is interrupted; finished rows are in the checkpoint, if any."""

    def __init__(self, rows_done: int, rows_total: int, checkpoint: Path | None) -> None:
        super().__init__(f"interrupted after {rows_done} of {rows_total} rows")
        self.rows_done = rows_done
        self.rows_total = rows_total
        self.checkpoint = checkpoint


def render_landscape(
    job: Job | LandscapeSpec,
    engine: str | Engine = "auto",
    *,
    pixels_per_tile: int | None = None,
    progress: bool = False,
    checkpoint: str | Path | None = None,
) -> Landscape:
    """Compute the labels and delta of every pixel.

    Parameters
    ----------
    job
        A :class:`~attndyn.job.Job`, or a spec whose initial points are seeded.
    engine
        An engine name ("auto", "numpy") or an engine object.
    pixels_per_tile
        Work unit: full-width bands of about this many pixels (default: the engine's
        ``tile_pixels``, else 32768). Results do not depend on it.
    progress
        Show a progress bar (on stderr) when the render takes more than a second.
    checkpoint
        Path of a resume file: finished rows are saved there while rendering and on
        interruption, picked up by the next render of the same spec, and deleted at the end.

    Examples
    --------
    >>> from attndyn import LandscapeSpec, render_landscape
    >>> spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=8, height=8, steps=10)
    >>> render_landscape(spec).labels.shape
    (8, 8)
    """
    if isinstance(job, LandscapeSpec):
        job = Job(job)
    if isinstance(engine, str):
        engine = get_engine(engine)
    spec = job.spec
    if pixels_per_tile is None:
        pixels_per_tile = getattr(engine, "tile_pixels", DEFAULT_PIXELS_PER_TILE)
    state = Checkpoint(spec, checkpoint)
    rows, cols = spec.shape
    tiles = [
        tile
        for tile in row_bands(rows, cols, max(1, pixels_per_tile // spec.samples))
        if not state.rows_done[tile.row0 : tile.row1].all()
    ]
    remaining = sum(tile.size for tile in tiles)
    bar = tqdm(
        total=rows * cols,
        initial=rows * cols - remaining,
        unit="px",
        unit_scale=True,
        disable=not progress,
        delay=1.0,
        leave=False,
        desc="render",
    )
    try:
        for tile in tiles:
            state.record(*tile.slices, compute_tile(job, engine, tile))
            bar.update(tile.size)
    except KeyboardInterrupt:
        state.save()
        raise RenderInterrupted(int(state.rows_done.sum()), rows, state.path) from None
    finally:
        bar.close()
    state.remove()
    return Landscape(spec=spec, fields=state.fields)
