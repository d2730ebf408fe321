"""The explorer's engine room: tiles' fields computed once, coloured as often as asked.

A tile is computed by the engine (through the bounded :class:`~attndyn.explorer.pool.
ComputePool`) into its :class:`~attndyn.model.fields.Fields`, which a byte-bounded cache keeps
under (the tile's spec as JSON, its address). Its picture is coloured from those fields
(:func:`attndyn.pictures.coloring.picture`, with the view's reference tile for the colour range) and
kept in a second cache under the tile, the colour options and the reference. So changing
the coloring, cmap, invert or equalize costs a colouring, never a computation; the engine's
call count (:attr:`CountingEngine.calls`) shows it.

A tile is computed in :data:`TILE_BANDS` bands of rows, one task of the pool; between two
bands the quicker tasks queued meanwhile (previews, the inspector) run, so they wait for a
band rather than a tile, and nothing computes twice at once.

Previews. A tile's preview is a quick coarse picture of its window
(:func:`attndyn.explorer.views.preview_job`: 64² pixels, 1/16 of the work or less), computed
before the tiles waiting in the pool (a lower priority number), coloured like the tile and
upscaled to the tile's size. It is its own job, so its fields and PNG are kept under its own
keys, never under the tile's.

Everything here is synchronous; :mod:`attndyn.explorer.app` awaits the tickets.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Hashable

from PIL import Image

from attndyn.engines import Engine
from attndyn.explorer.cache import ByteCache, fields_bytes
from attndyn.explorer.kernels import Kernels, kernel_key
from attndyn.explorer.pool import ComputePool, Ticket
from attndyn.explorer.views import View
from attndyn.model.fields import Fields
from attndyn.model.job import Job
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import ROOT, Tile
from attndyn.pictures.coloring import picture
from attndyn.rendering.render import compute_tile, render_tile

DEFAULT_FIELDS_CACHE_BYTES = 512 * 1024**2
DEFAULT_PNG_CACHE_BYTES = 64 * 1024**2
TILE_PRIORITY = 0
TILE_BANDS = 4  # a tile is computed in bands; between two, queued previews run
PREVIEW_PRIORITY = -1  # previews and the point inspector go before tiles: they are quick


class CountingEngine:
    """An engine that counts its ``compute`` calls (and otherwise is ``engine``).

    With ``kernels`` set, each compute first waits for its precision's kernels
    (:meth:`attndyn.explorer.kernels.Kernels.ensure`: the one background compile, never a
    second), so exports and tiles alike wait rather than compile on their own.
    """

    def __init__(self, engine: Engine | None = None, *, make: Callable[[], Engine] | None = None):
        """``engine``, or ``make`` to make it when first used (so that a server can listen
        before numba is imported)."""
        if (engine is None) == (make is None):
            raise ValueError("give an engine or a function that makes one")
        self._engine = engine
        self._make = make
        self.calls = 0
        self.kernels: Kernels | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine (made now if it was given as ``make``)."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    assert self._make is not None
                    self._engine = self._make()
        return self._engine

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def tile_pixels(self) -> int:
        return self.engine.tile_pixels

    @property
    def supports_float64(self) -> bool:
        return self.engine.supports_float64

    @property
    def last_diagnostics(self):
        return self.engine.last_diagnostics

    def compute(self, job: Job, tile: Tile) -> Fields:
        if self.kernels is not None:
            self.kernels.ensure(kernel_key(job.spec))
        with self._lock:
            self.calls += 1
        return self.engine.compute(job, tile)

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        return self.engine.pixels_per_second(spec)


def tile_key(job: Job) -> Hashable:
    """The cache key of a tile's fields: its spec (as JSON) and its address."""
    return ("fields", job.spec.to_json(), job.address)


def png_of(image: Image.Image) -> bytes:
    """A tile picture as PNG bytes (fast compression: tiles are made on demand)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class TileService:
    """Fields and pictures of tiles, cached; computations go through ``pool``."""

    def __init__(
        self,
        engine: Engine,
        pool: ComputePool,
        *,
        fields_cache_bytes: int = DEFAULT_FIELDS_CACHE_BYTES,
        png_cache_bytes: int = DEFAULT_PNG_CACHE_BYTES,
        kernels: Kernels | None = None,
    ) -> None:
        self.engine = engine if isinstance(engine, CountingEngine) else CountingEngine(engine)
        if kernels is not None:
            self.engine.kernels = kernels
        self.pool = pool
        self.fields_cache: ByteCache[Fields] = ByteCache(fields_cache_bytes, fields_bytes)
        self.png_cache: ByteCache[bytes] = ByteCache(png_cache_bytes, len)
        self.tiles_computed = 0

    # -- fields -----------------------------------------------------------------------------
    def cached_fields(self, job: Job) -> Fields | None:
        """The tile's fields if they are cached."""
        return self.fields_cache.get(tile_key(job))

    def compute_ticket(self, job: Job, priority: int = TILE_PRIORITY) -> Ticket:
        """A ticket for the tile's fields, computed in the pool (or found in the cache by
        the time the task runs). Raises :class:`~attndyn.explorer.pool.PoolFull`."""
        key = tile_key(job)

        def run() -> Fields:
            fields = self.fields_cache.get(key)
            if fields is None:
                if priority == TILE_PRIORITY:
                    fields = self._banded(job)
                else:
                    fields = render_tile(job, job.address or ROOT, self.engine)
                self.tiles_computed += 1
                self.fields_cache.put(key, fields)
            return fields

        return self.pool.submit(key, run, priority)

    def _banded(self, job: Job) -> Fields:
        """The tile's fields, computed in :data:`TILE_BANDS` bands of rows, running the
        quicker tasks queued meanwhile between two (:meth:`ComputePool.run_urgent`). Every
        pixel depends only on itself, so the bands give the tile's fields exactly."""
        tile_job = job.for_tile(job.address or ROOT)
        rows, cols = job.spec.shape
        fields = Fields.empty(rows, cols, probability=job.spec.samples > 1)
        step = -(-rows // TILE_BANDS)
        for row0 in range(0, rows, step):
            band = Tile(row0, min(rows, row0 + step), 0, cols)
            fields.put(*band.slices, compute_tile(tile_job, self.engine, band))
            if band.row1 < rows:
                self.pool.run_urgent(TILE_PRIORITY)
        return fields

    def fields_now(self, job: Job) -> Fields:
        """The tile's fields, computing them in the pool and waiting (for scripts and tests)."""
        cached = self.cached_fields(job)
        if cached is not None:
            return cached
        return self.compute_ticket(job).future.result()

    # -- pictures ---------------------------------------------------------------------------
    def png_key(self, view: View, job: Job) -> Hashable:
        """The cache key of a tile's picture: the tile, the colours and the reference."""
        reference = view.tile_job(view.ref_address) if view.needs_reference else None
        return (
            "png",
            tile_key(job),
            view.colors.to_json(),
            None if reference is None else tile_key(reference),
        )

    def paint(self, view: View, job: Job, fields: Fields, reference: Fields | None) -> bytes:
        """The tile's PNG, coloured by the view (cached under :meth:`png_key`)."""
        key = self.png_key(view, job)
        cached = self.png_cache.get(key)
        if cached is not None:
            return cached
        image = picture(fields, job.spec, view.colors, reference=reference)
        data = png_of(image)
        self.png_cache.put(key, data)
        return data

    def paint_preview(
        self,
        view: View,
        preview: Job,
        fields: Fields,
        reference: tuple[Job, Fields] | None,
        side: int,
    ) -> bytes:
        """A preview's PNG: its picture (coloured by the view, the colour range from the
        ``reference`` job's fields: the reference tile's, or its preview's while the tile is
        not computed) upscaled to ``side``² by repeating pixels, so each coarse pixel shows
        as the block it stands for."""
        reference_key = None if reference is None else tile_key(reference[0])
        key = ("preview", tile_key(preview), view.colors.to_json(), reference_key)
        cached = self.png_cache.get(key)
        if cached is not None:
            return cached
        image = picture(
            fields, preview.spec, view.colors, reference=None if reference is None else reference[1]
        )
        data = png_of(image.resize((side, side), Image.Resampling.NEAREST))
        self.png_cache.put(key, data)
        return data

    def stats(self) -> dict[str, object]:
        return {
            "engine_calls": self.engine.calls,
            "tiles_computed": self.tiles_computed,
            "fields_cache": self.fields_cache.stats(),
            "png_cache": self.png_cache.stats(),
            "pool": self.pool.stats(),
        }
