"""What a store of rendered landscapes promises, whatever keeps the bytes.

A render fills a store tile by tile. The store knows the spec it was made for, the
:class:`~attndyn.model.tiles.Tiling` of its grid, and which tiles are done (one flag per 2-D
tile). The render loop (:func:`attndyn.rendering.render.render_into`) is the same for every backend:

    store = Backend.open(location, spec, tiling)   # resumes a store made for this spec
    for tile in the tiles not done:
        receipt = store.write_tile(tile, fields)    # the arrays first ...
        store.mark_done(tile, receipt)              # ... then the flag, so a crash in between
    store.flush()  (on interruption)                #     only costs that tile again
    store.finalize()                                # once every tile is done

A tile counts as done only once marked: after a crash or Ctrl-C the tiles written but not
marked, and those half-written, are computed again. ``flush`` makes everything marked so far
durable (the npz backend rewrites its file atomically; a chunked store may already be).

``write_tile`` returns a receipt for ``mark_done``: None for the npz backend, the chunk's
checksums for the Zarr backend (:class:`attndyn.rendering.store.manifest.ChunkRecord`). The receipt
is what lets the arrays be written in one process (a worker) and the tile be marked done in
another (the client that keeps the manifest); ``mark_done`` without one works out what it
needs itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, Self

import numpy as np

from attndyn.model.fields import Fields
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile, Tiling

FIELD_NAMES = ("delta", "labels", "sync_step", "clusters", "probability")
OnForeign = Literal["replace", "refuse"]


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


class LandscapeStore(Protocol):
    """The interface every store of rendered fields implements (:class:`NpzStore`, and
    :class:`attndyn.rendering.store.zarr_store.ZarrStore` with the 'big' extra)."""

    @classmethod
    def open(
        cls,
        location: str | Path | None,
        spec: LandscapeSpec,
        tiling: Tiling,
        *,
        on_foreign: OnForeign = "replace",
    ) -> Self:
        """The store at ``location`` for ``spec``, with the tiles it already holds done.

        A store made for this spec (compared as JSON) resumes, and keeps *its own* tiling
        (``tiling`` applies to a new store only). A store made for another spec, or one that
        cannot be read, is replaced (``on_foreign="replace"``: a resume file) or refused with a
        :class:`~attndyn.model.errors.UserError` (``"refuse"``: a store the user named).
        """
        ...

    @property
    def spec(self) -> LandscapeSpec:
        """The spec the store was made for."""
        ...

    @property
    def tiling(self) -> Tiling:
        """How the grid ``spec.shape`` is cut into the tiles that are marked done."""
        ...

    @property
    def path(self) -> Path | None:
        """Where the store lives on disk (None for one held only in memory)."""
        ...

    def done(self) -> np.ndarray:
        """A bool array of ``tiling.counts``: True for every tile marked done (a copy)."""
        ...

    def write_tile(self, tile: Tile, fields: Fields) -> Any:
        """Put ``fields`` (arrays of ``tile.shape``) at ``tile``; it is not done yet. Returns
        the receipt that :meth:`mark_done` takes (None when the store needs none)."""
        ...

    def mark_done(self, tile: Tile, receipt: Any = None) -> None:
        """Record that ``tile``, a tile of ``tiling``, holds its final fields (``receipt``:
        what :meth:`write_tile` returned for it, or None)."""
        ...

    def read(self, window: Tile | None = None) -> Fields:
        """The fields of ``window`` (default: the whole grid); tiles not done hold junk."""
        ...

    def flush(self) -> None:
        """Make every tile marked done so far survive a crash."""
        ...

    def finalize(self) -> None:
        """Every tile is done: give the store its final form (ValueError if one is not)."""
        ...
