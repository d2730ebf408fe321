"""The npz backend: fields in memory, saved to ``.npz`` files, always atomically.

Two layouts, both written through a temporary file renamed into place
(:func:`attndyn.model.outputs.save_npz`), so a reader never sees half a file and an interrupted
write leaves the previous file as it was.

A landscape file (``render --save``; :func:`save_landscape`, :func:`load_landscape`)
    ``spec`` (the spec JSON, a 0-d unicode array) and one array per field present: ``delta``
    (float32), ``labels`` (uint8), ``sync_step`` (float32), ``clusters`` (uint16) and, when
    ``spec.samples > 1``, ``probability`` (float32), each of shape ``spec.shape``; compressed.

A resume file (:class:`NpzStore`)
    The same keys, uncompressed (speed matters more than size for a file that lives minutes),
    plus ``tiles_done`` (bool, one flag per tile of the tiling) and ``tile_shape`` (int64
    [rows, cols]). Files of the earlier layout, which held a per-row ``rows_done`` mask for
    full-width bands, resume too: a tile is done when all its rows were.
"""

from __future__ import annotations

import contextlib
import time
import zipfile
from dataclasses import fields as dataclass_fields
from pathlib import Path

import numpy as np

from attndyn.model.errors import UserError
from attndyn.model.fields import Fields
from attndyn.model.outputs import save_npz
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile, Tiling
from attndyn.rendering.store.base import FIELD_NAMES, Landscape, OnForeign

_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_SIGNATURE = b"PK\x03\x04"  # every .npz is a zip archive


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def save_landscape(path: str | Path, landscape: Landscape) -> None:
    """Write ``render --save``'s file: the spec JSON and every field present, compressed."""
    save_npz(path, spec=np.array(landscape.spec.to_json()), **landscape.fields.arrays())


def load_landscape(path: str | Path) -> Landscape:
    """A landscape saved by ``render --save``: its spec and every field it holds.

    Raises :class:`~attndyn.model.errors.UserError` for a missing or unreadable file, one without
    ``spec``, ``labels`` and ``delta``, arrays of the wrong shape, or an unfinished render's
    resume file.
    """
    try:
        with open(path, "rb") as file:
            head = file.read(len(_PNG_SIGNATURE))
    except FileNotFoundError:
        raise UserError(f"fields file {str(path)!r} does not exist") from None
    except OSError as error:
        raise UserError(f"fields file {str(path)!r} cannot be read: {error}") from None
    if head == _PNG_SIGNATURE:
        raise UserError(
            f"{str(path)!r} is a picture, not a fields file saved by 'render --save'; to "
            f"re-render a picture made by attndyn use 'attndyn render --from {path}'"
        )
    if not head.startswith(_ZIP_SIGNATURE):
        raise UserError(
            f"{str(path)!r} is not a fields file saved by 'render --save' (an .npz archive); "
            "for a picture made by attndyn use 'attndyn render --from PICTURE.png'"
        )
    try:
        arrays = _read_npz(Path(path))
    except _UNREADABLE as error:
        raise UserError(f"fields file {str(path)!r} is not a readable .npz: {error}") from None
    missing = [name for name in ("spec", "labels", "delta") if name not in arrays]
    if missing:
        raise UserError(
            f"fields file {str(path)!r} lacks {missing}; was it made by 'render --save'?"
        )
    for mask in ("tiles_done", "rows_done"):
        if mask in arrays and not arrays[mask].all():
            raise UserError(
                f"fields file {str(path)!r} is an unfinished render's resume file; run that "
                "render again to finish it"
            )
    spec = LandscapeSpec.from_json(str(arrays.pop("spec")))
    fields = Fields(**{name: array for name, array in arrays.items() if name in FIELD_NAMES})
    if fields.labels.shape != spec.shape:
        raise UserError(
            f"fields file {str(path)!r} holds arrays of shape {fields.labels.shape}, "
            f"not {spec.shape}"
        )
    return Landscape(spec=spec, fields=fields)


class NpzStore:
    """A picture's fields in memory, with an optional resume file (see the module docstring).

    The resume file is rewritten every ``save_every_seconds`` (when a tile is marked done)
    and by :meth:`flush`; :meth:`finalize` deletes it. With ``path=None`` nothing touches
    the disk.
    """

    def __init__(
        self,
        spec: LandscapeSpec,
        tiling: Tiling,
        path: str | Path | None = None,
        *,
        save_every_seconds: float = 10.0,
    ) -> None:
        if tiling.shape != spec.shape:
            raise ValueError(f"tiling of {tiling.shape} for a grid of {spec.shape}")
        self._spec = spec
        self._tiling = tiling
        self._path = Path(path) if path is not None else None
        self.save_every_seconds = save_every_seconds
        self.fields = Fields.empty(*spec.shape, probability=spec.samples > 1)
        self._done = np.zeros(tiling.counts, dtype=bool)
        self._last_save = time.monotonic()
        self.resumed_tiles = 0

    @classmethod
    def open(
        cls,
        location: str | Path | None,
        spec: LandscapeSpec,
        tiling: Tiling,
        *,
        on_foreign: OnForeign = "replace",
        save_every_seconds: float = 10.0,
    ) -> NpzStore:
        """A store for ``spec`` at ``location``, resuming the file there if it is this spec's
        (see :meth:`attndyn.rendering.store.LandscapeStore.open`)."""
        store = cls(spec, tiling, location, save_every_seconds=save_every_seconds)
        if store._path is not None and store._path.exists():
            problem = store._resume()
            if problem is not None and on_foreign == "refuse":
                raise UserError(
                    f"store {str(store._path)!r} {problem}; remove it or choose another path"
                )
        return store

    def _resume(self) -> str | None:
        """Take the tiles done from the file at ``path``; the reason it cannot, if any."""
        assert self._path is not None
        try:
            arrays = _read_npz(self._path)
        except _UNREADABLE:
            return "is not a readable .npz"
        if "spec" not in arrays or str(arrays["spec"]) != self._spec.to_json():
            return "was made for another spec"
        tiling, done = self._done_mask(arrays)
        if done is None or tiling is None:
            return "has no valid done mask"
        expected = self.fields.arrays()
        for name in FIELD_NAMES:
            if name in arrays and (
                name not in expected
                or arrays[name].shape != expected[name].shape
                or arrays[name].dtype != expected[name].dtype
            ):
                return f"holds a field {name!r} of the wrong shape or type"
        if "labels" not in arrays or "delta" not in arrays:
            return "lacks labels or delta"
        for name in expected:
            setattr(self.fields, name, arrays.get(name))
        self._tiling, self._done = tiling, done
        self.resumed_tiles = int(done.sum())
        return None

    def _done_mask(self, arrays: dict[str, np.ndarray]) -> tuple[Tiling | None, np.ndarray | None]:
        if "tiles_done" in arrays and "tile_shape" in arrays:
            tile_shape = arrays["tile_shape"]
            if tile_shape.shape != (2,) or not (tile_shape >= 1).all():
                return None, None
            tiling = Tiling(self._spec.shape, (int(tile_shape[0]), int(tile_shape[1])))
            done = arrays["tiles_done"]
            if done.dtype != bool or done.shape != tiling.counts:
                return None, None
            return tiling, done.copy()
        rows_done = arrays.get("rows_done")  # the earlier layout: full-width bands
        if rows_done is None or rows_done.shape != (self._spec.shape[0],):
            return None, None
        done = np.zeros(self._tiling.counts, dtype=bool)
        for tile in self._tiling:
            done[self._tiling.index(tile)] = bool(rows_done[tile.row0 : tile.row1].all())
        return self._tiling, done

    # -- the LandscapeStore interface ---------------------------------------------------------
    @property
    def spec(self) -> LandscapeSpec:
        return self._spec

    @property
    def tiling(self) -> Tiling:
        return self._tiling

    @property
    def path(self) -> Path | None:
        return self._path

    def done(self) -> np.ndarray:
        return self._done.copy()

    def write_tile(self, tile: Tile, fields: Fields) -> None:
        self.fields.put(*tile.slices, fields)

    def mark_done(self, tile: Tile, receipt: object = None) -> None:
        self._done[self._tiling.index(tile)] = True
        if time.monotonic() - self._last_save >= self.save_every_seconds:
            self.flush()

    def read(self, window: Tile | None = None) -> Fields:
        """The fields of ``window``; views of the store's arrays, not copies."""
        if window is None:
            return self.fields
        parts = {f.name: getattr(self.fields, f.name) for f in dataclass_fields(self.fields)}
        return Fields(
            **{name: None if a is None else a[window.slices] for name, a in parts.items()}
        )

    def flush(self) -> None:
        """Rewrite the resume file (atomically) with every field and the done mask."""
        if self._path is None:
            return
        save_npz(
            self._path,
            compress=False,
            spec=np.array(self._spec.to_json()),
            tiles_done=self._done,
            tile_shape=np.array(self._tiling.tile_shape, dtype=np.int64),
            **self.fields.arrays(),
        )
        self._last_save = time.monotonic()

    def finalize(self) -> None:
        """Every tile is done: delete the resume file; the fields stay readable."""
        missing = int((~self._done).sum())
        if missing:
            raise ValueError(f"{missing} of {self._done.size} tiles are not done")
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
