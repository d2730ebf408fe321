"""Rendering a whole landscape: tiles through an engine into a store, with progress and resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from attndyn.engines import Engine, get_engine
from attndyn.engines.warmup import compile_first
from attndyn.model.fields import Fields
from attndyn.model.job import Job
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile, TileAddress, Tiling
from attndyn.rendering.store import Landscape, LandscapeStore, NpzStore

__all__ = [
    "DEFAULT_PIXELS_PER_TILE",
    "Landscape",
    "RenderInterrupted",
    "compute_chunk",
    "compute_tile",
    "render_into",
    "render_landscape",
    "render_tile",
]

DEFAULT_PIXELS_PER_TILE = 32_768


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


def compute_chunk(
    job: Job, engine: Engine, tile: Tile, pixels_per_call: int | None = None
) -> Fields:
    """:func:`compute_tile` for a tile of any size: computed in pieces of about
    ``pixels_per_call`` pixels (default: the engine's ``tile_pixels``) over all samples, so the
    engine's memory stays bounded however large the tile (a chunk of a Zarr store) is.

    Results do not depend on the pieces: every pixel's fields depend only on the pixel.
    """
    budget = pixels_per_call or getattr(engine, "tile_pixels", DEFAULT_PIXELS_PER_TILE)
    budget = max(1, budget // job.spec.samples)
    if tile.size <= budget:
        return compute_tile(job, engine, tile)
    fields = Fields.empty(*tile.shape, probability=job.spec.samples > 1)
    for part in Tiling.for_pixels(tile.shape, budget):
        piece = Tile(tile.row0 + part.row0, tile.row0 + part.row1, tile.col0 + part.col0,
                     tile.col0 + part.col1)  # fmt: skip
        fields.put(*part.slices, compute_tile(job, engine, piece))
    return fields


def render_tile(
    job: Job | LandscapeSpec, address: TileAddress, engine: str | Engine = "auto"
) -> Fields:
    """The fields of tile ``address`` = (zoom, x, y) of the fixed quadtree over the job's grid.

    Tile (0, 0, 0) is the spec's own picture (``spec.shape`` pixels); every tile has that many
    pixels, at the exact pixel centres of :class:`attndyn.model.tiles.Quadtree`, and with
    ``init = independent`` its points depend only on the seed and the address
    (:func:`attndyn.model.tiles.tile_seed`), so the same tile is the same picture whoever computes
    it. This is what a deep-zoom viewer asks for: a 256 x 256 spec over the whole window, then
    tiles on demand. Raises :class:`~attndyn.model.errors.UserError` for a tile the spec's precision
    cannot resolve.

    Examples
    --------
    >>> from attndyn import LandscapeSpec
    >>> from attndyn.model.tiles import TileAddress
    >>> spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=8, height=8, steps=10)
    >>> render_tile(spec, TileAddress(3, 5, 2), "numpy").labels.shape
    (8, 8)
    """
    if isinstance(job, LandscapeSpec):
        job = Job(job)
    if isinstance(engine, str):
        engine = get_engine(engine)
    rows, cols = job.spec.shape
    return compute_tile(job.for_tile(address), engine, Tile(0, rows, 0, cols))


class _NoProgress:
    """The part of tqdm's bar that :func:`render_into` uses, doing nothing."""

    def update(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(progress: bool, *, total: int, initial: int) -> Any:
    """A pixel-counting tqdm bar on stderr (shown once the render has taken a second), or,
    without ``progress``, one that does nothing: tqdm is then not imported, which saves about
    60 ms of a command's start-up (most of it tqdm's lookup of its own version)."""
    if not progress:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="px",
        unit_scale=True,
        delay=1.0,
        leave=False,
        desc="render",
    )


class RenderInterrupted(Exception):
    """Raised when a render is interrupted; finished tiles are in the store's file, if any.

    ``tiles_done`` of ``tiles_total`` tiles are done; ``rows_done`` counts the grid rows
    all of whose tiles are done, of ``rows_total``; ``checkpoint`` is the store's path.
    """

    def __init__(
        self,
        tiles_done: int,
        tiles_total: int,
        rows_done: int,
        rows_total: int,
        checkpoint: Path | None,
    ) -> None:
        super().__init__(f"interrupted after {tiles_done} of {tiles_total} tiles")
        self.tiles_done = tiles_done
        self.tiles_total = tiles_total
        self.rows_done = rows_done
        self.rows_total = rows_total
        self.checkpoint = checkpoint


def _interrupted(store: LandscapeStore) -> RenderInterrupted:
    done, tiling = store.done(), store.tiling
    full_rows = sum(tiling.tile(i, 0).shape[0] for i in range(done.shape[0]) if done[i].all())
    return RenderInterrupted(int(done.sum()), done.size, full_rows, tiling.shape[0], store.path)


def render_into(job: Job, engine: Engine, store: LandscapeStore, *, progress: bool = False) -> None:
    """Compute every tile of ``store.tiling`` that the store has not marked done.

    With ``progress``, kernels that still need their first compile are compiled first, under a
    notice on stderr (:func:`attndyn.engines.warmup.compile_first`), so that the bar's rate and ETA
    count the render only. Each tile is written, then marked done. On Ctrl-C the store is
    flushed and :class:`RenderInterrupted` raised, so running this again on the reopened store
    computes only the missing tiles.
    """
    spec = job.spec
    done = store.done()
    tiles = [tile for tile in store.tiling if not done[store.tiling.index(tile)]]
    rows, cols = spec.shape
    remaining = sum(tile.size for tile in tiles)
    if progress and tiles:  # the kernels' first compile, said and done before the bar starts
        compile_first(engine, (spec,))
    bar = _progress_bar(progress, total=rows * cols, initial=rows * cols - remaining)
    try:
        for tile in tiles:
            receipt = store.write_tile(tile, compute_tile(job, engine, tile))
            store.mark_done(tile, receipt)
            bar.update(tile.size)
    except KeyboardInterrupt:
        store.flush()
        raise _interrupted(store) from None
    finally:
        bar.close()


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
        A :class:`~attndyn.model.job.Job`, or a spec whose initial points are seeded.
    engine
        An engine name ("auto", "numpy") or an engine object.
    pixels_per_tile
        Work unit: tiles of about this many pixels, full-width bands while a row fits
        (default: the engine's ``tile_pixels``, else 32768; see
        :meth:`attndyn.model.tiles.Tiling.for_pixels`). Results do not depend on it.
    progress
        Show a progress bar (on stderr) when the render takes more than a second.
    checkpoint
        Path of a resume file (:class:`attndyn.rendering.store.NpzStore`): finished tiles are saved
        there while rendering and on interruption, picked up by the next render of the same spec
        (in that file's tiling), and the file is deleted at the end. A file of another spec is
        ignored and replaced.

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
    tiling = Tiling.for_pixels(spec.shape, max(1, pixels_per_tile // spec.samples))
    store = NpzStore.open(checkpoint, spec, tiling)
    render_into(job, engine, store, progress=progress)
    store.finalize()
    return Landscape(spec=spec, fields=store.read())
