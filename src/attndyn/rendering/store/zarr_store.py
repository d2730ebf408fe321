"""The Zarr backend: a landscape's fields in a Zarr v3 store on disk, chunk by chunk.

Layout of ``OUT.zarr`` (a directory every worker of a distributed render can reach)::

    zarr.json                 the group; attributes["attndyn"] holds the spec JSON, the
                              store format, the chunk shape and the pyramid's level shapes,
                              and the consolidated metadata of every array below
    delta/, labels/, sync_step/, clusters/ [, probability/]
                              one OME-Zarr image per field (its zarr.json holds the
                              multiscales, below), with the arrays
        0                     level 0, of the grid's shape ``spec.shape``, chunked as the
                              store's tiling (one tile = one chunk, or one shard), fill
                              values nan / 0
        1, 2, ... K           pyramid level K >= 1 (see below), chunked alike
    manifest.jsonl            the done manifest (:mod:`attndyn.rendering.store.manifest`)

Stores of the first format (``attndyn.zarr/1``, before OME-Zarr) hold level 0 of each field
at ``<field>`` and level K at ``levels/K/<field>``; they open, resume and read as before.

A chunk is done only once its record is in the manifest, with the sha256 of every field's
values there; :meth:`ZarrStore.verify` reads chunks back and drops those whose values no
longer match, so a render run again recomputes them.

The pyramid. Level K has shape ``ceil(rows / 2**K), ceil(cols / 2**K)`` and holds the
level-0 pixel ``(2**K i, 2**K j)`` at ``(i, j)``: every field decimated, values exactly as
rendered, so any colouring of level 0 applies to every level, and a tile server colours a
zoomed-out view of a finished render from a few chunks without recomputing anything. Levels
are added until both sides are at most ``pyramid_min_side`` (default 256) pixels; level K's
chunk (a, b) is made from at most 2 x 2 chunks of level K - 1 (:meth:`write_level_tile`).

What other tools read. Each field's group is an OME-Zarr (NGFF) 0.5 image, the NGFF version
that goes with Zarr v3 (:func:`ome_attributes`): ``OUT.zarr/labels`` opens in napari's
OME-Zarr plugin, ome-zarr-py or any NGFF 0.5 reader as a multiscale image whose level K has
the scale ``2**K`` (level K's pixel i is level 0's pixel ``2**K i``), on axes ``y`` (rows,
lowest first) and ``x``; the multiscale's own scale and translation map a pixel to the
swept parameters' values. The arrays' metadata is consolidated into the root ``zarr.json``,
so a reader over a network learns the whole store from one object.

Sharding. With ``shard=N`` (``render --shard N``) each array's chunks of ``chunk`` x
``chunk`` are stored N x N to a shard (one file or object per shard, Zarr v3's sharding
codec), for posters whose chunk count would swamp a file system or an object store. The
unit of work (a store tile, a manifest record, a Dask task) is then the shard: a shard is
written whole by one writer, never merged from two.
"""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path

import numpy as np

from attndyn.model.errors import UserError
from attndyn.model.fields import Fields
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile, Tiling
from attndyn.rendering.store.base import FIELD_NAMES, OnForeign
from attndyn.rendering.store.identity import FIELDS_FORMAT, identity_mismatch
from attndyn.rendering.store.locations import StoreLocation, is_url
from attndyn.rendering.store.manifest import ChunkKey, ChunkRecord, Manifest, digest, record_for
from attndyn.rendering.store.object_manifest import ObjectManifest

try:
    import zarr
except ImportError:  # the 'big' extra is not installed
    zarr = None

STORE_FORMAT = "attndyn.zarr/2"  # /2: a group per field, an OME-Zarr image
STORE_FORMATS = ("attndyn.zarr/1", STORE_FORMAT)  # /1: before OME-Zarr; read and resumed
ATTRIBUTE = "attndyn"
MANIFEST_NAME = "manifest.jsonl"
PYRAMID_MIN_SIDE = 256
OME_ATTRIBUTE = "ome"
NGFF_VERSION = "0.5"
AXES = ("y", "x")  # rows (lowest y first), columns
FIELD_DTYPES = {
    "delta": np.dtype(np.float32),
    "labels": np.dtype(np.uint8),
    "sync_step": np.dtype(np.float32),
    "clusters": np.dtype(np.uint16),
    "probability": np.dtype(np.float32),
}
FIELD_FILLS = {"delta": np.nan, "labels": 0, "sync_step": np.nan, "clusters": 0, "probability": 0}


def require_zarr() -> None:
    """Refuse in one line when zarr (the 'big' extra) is not installed."""
    if zarr is None:
        raise UserError(
            "Zarr stores need the 'big' extra (zarr, dask, tifffile); install it with "
            "pip install 'attndyn[big]'"
        )


def pyramid_shapes(shape: tuple[int, int], min_side: int) -> list[tuple[int, int]]:
    """Shapes of levels 0, 1, ...: halved (rounding up) until both sides are <= min_side."""
    shapes = [shape]
    while max(shapes[-1]) > min_side:
        rows, cols = shapes[-1]
        shapes.append((-(-rows // 2), -(-cols // 2)))
    return shapes


def ome_attributes(spec: LandscapeSpec, name: str, levels: int) -> dict:
    """The OME-Zarr 0.5 ``ome`` attributes of field ``name``'s group in a store of ``spec``
    with ``levels`` levels (see the module docstring)."""
    # Level 0's pixel (i, j) sits at the grid's values y[i], x[j] (linspace, as in the spec).
    grid = [spec.y_values().astype(float), spec.x_values().astype(float)]
    steps = [float(v[-1] - v[0]) / (len(v) - 1) if len(v) > 1 else 1.0 for v in grid]
    multiscale = {
        "name": name,
        "axes": [{"name": axis, "type": "space"} for axis in AXES],
        "datasets": [
            {
                "path": str(level),
                "coordinateTransformations": [
                    {"type": "scale", "scale": [float(2**level), float(2**level)]}
                ],
            }
            for level in range(levels)
        ],
        "coordinateTransformations": [
            {"type": "scale", "scale": steps},
            {"type": "translation", "translation": [float(v[0]) for v in grid]},
        ],
    }
    return {"version": NGFF_VERSION, "multiscales": [multiscale]}


def field_names(spec: LandscapeSpec) -> tuple[str, ...]:
    """The fields a store of ``spec`` holds: all but probability unless samples > 1."""
    return tuple(n for n in FIELD_NAMES if n != "probability" or spec.samples > 1)


class CorruptChunk(Exception):
    """A done chunk whose values no longer match the manifest's checksum (or cannot be read)."""

    def __init__(self, key: ChunkKey, name: str, reason: str) -> None:
        level, i, j = key
        super().__init__(f"chunk ({i}, {j}) of field {name!r} at level {level} {reason}")
        self.key = key
        self.name = name


class ZarrStore:
    """A landscape's fields in a Zarr v3 directory, with a done manifest and a pyramid.

    Implements :class:`attndyn.rendering.store.LandscapeStore`; tiles are the store's chunks. Make
    one with :meth:`open` (create or resume for a spec) or :meth:`load` (an existing store,
    whatever its spec, to read or export it).
    """

    def __init__(self, where: StoreLocation, group, manifest: Manifest | ObjectManifest) -> None:
        info = group.attrs[ATTRIBUTE]
        self._where = where
        self._group = group
        self._manifest = manifest
        self._spec = LandscapeSpec.from_json(info["spec"])
        self._spec_json = info["spec"]
        self.uid: str = info["uid"]
        self.field_names: tuple[str, ...] = tuple(info["fields"])
        self.level_shapes: list[tuple[int, int]] = [tuple(s) for s in info["levels"]]  # type: ignore[misc]
        chunk = tuple(int(v) for v in info["chunk"])
        self._tilings = [Tiling(shape, chunk) for shape in self.level_shapes]  # type: ignore[arg-type]
        self.format: str = info["format"]
        self.shard: int | None = info.get("shard")  # chunks a shard side; None: not sharded
        per = self.shard or 1
        self.chunk_shape: tuple[int, int] = (chunk[0] // per, chunk[1] // per)  # zarr's chunks
        self._records = manifest.load([tiling.counts for tiling in self._tilings])
        self.skipped_records: list[str] = list(manifest.skipped)  # bad manifest lines
        self._arrays: dict[tuple[int, str], object] = {}
        self.resumed_tiles = int(self.done().sum())

    # -- making and finding stores ------------------------------------------------------------
    @classmethod
    def open(
        cls,
        location: str | Path | None,
        spec: LandscapeSpec,
        tiling: Tiling,
        *,
        on_foreign: OnForeign = "refuse",
        pyramid_min_side: int = PYRAMID_MIN_SIDE,
        shard: int | None = None,
    ) -> ZarrStore:
        """The store at ``location`` for ``spec``: created with ``tiling`` (one chunk a tile)
        if there is none, resumed (in its own tiling) if it was made for this spec.

        ``shard``: N to store the chunks of ``tiling`` N x N to a shard; the store's tiles
        (its :attr:`tiling`) are then the shards. A resumed store keeps its own sharding.

        A store of another spec, or a directory that is not an attndyn store, is refused
        with a :class:`~attndyn.model.errors.UserError` (``on_foreign="refuse"``, the default); with
        ``"replace"`` an attndyn store of another spec is deleted and made again (any other
        directory is still refused). Nothing is verified here: see :meth:`verify`.
        """
        require_zarr()
        if location is None:
            raise UserError("a Zarr store needs a path")
        if tiling.shape != spec.shape:
            raise ValueError(f"tiling of {tiling.shape} for a grid of {spec.shape}")
        if shard is not None and shard < 1:
            raise UserError(f"shard {shard} is not allowed; give 1 or more chunks a side")
        if shard == 1:
            shard = None  # a chunk a shard: plain chunks
        where = StoreLocation.parse(location)
        where.check_writable()
        given = where.given
        if where.exists():
            info = _store_info(where)
            if info is None:
                raise UserError(
                    f"store path {given!r} exists and is not an attndyn Zarr store; "
                    "choose another path"
                )
            mismatch = identity_mismatch(info, spec)
            if mismatch is None:
                return cls._opened(where, "r+")
            if on_foreign == "refuse":
                raise UserError(
                    f"store {given!r} was made for another spec ({mismatch}); remove it or "
                    "choose another path"
                )
            where.remove()
        return cls._create(where, spec, tiling, pyramid_min_side, shard)

    @classmethod
    def load(cls, location: str | Path, *, mode: str = "r") -> ZarrStore:
        """An existing attndyn store, whatever its spec (UserError if there is none)."""
        require_zarr()
        where = StoreLocation.parse(location)
        if not where.exists():
            raise UserError(f"store {where.given!r} does not exist")
        if _store_info(where) is None:
            raise UserError(
                f"{where.given!r} is not an attndyn Zarr store (made by render --store)"
            )
        return cls._opened(where, mode)

    @classmethod
    def _opened(cls, where: StoreLocation, mode: str) -> ZarrStore:
        group = zarr.open_group(store=where.zarr_target(), mode=mode, zarr_format=3)
        return cls(where, group, _manifest(where))

    @classmethod
    def _create(
        cls,
        where: StoreLocation,
        spec: LandscapeSpec,
        tiling: Tiling,
        pyramid_min_side: int,
        shard: int | None = None,
    ) -> ZarrStore:
        try:
            group = zarr.open_group(store=where.zarr_target(), mode="w-", zarr_format=3)
        except (OSError, FileExistsError) as error:
            raise UserError(f"cannot create store {where.given!r}: {error}") from None
        names = field_names(spec)
        shapes = pyramid_shapes(spec.shape, max(1, pyramid_min_side))
        inner = tiling.tile_shape
        unit = inner if shard is None else (inner[0] * shard, inner[1] * shard)
        images = {
            name: group.create_group(
                name, attributes={OME_ATTRIBUTE: ome_attributes(spec, name, len(shapes))}
            )
            for name in names
        }
        for level, shape in enumerate(shapes):
            chunks = tuple(min(c, s) for c, s in zip(inner, shape, strict=True))
            # A side no longer than a chunk is one chunk, and one shard; else N chunks a shard.
            shards = tuple(
                c if s <= i else u for c, s, i, u in zip(chunks, shape, inner, unit, strict=True)
            )
            for name in names:
                images[name].create_array(
                    str(level),
                    shape=shape,
                    chunks=chunks,
                    shards=None if shard is None else shards,
                    dtype=FIELD_DTYPES[name],
                    fill_value=FIELD_FILLS[name],
                    dimension_names=AXES,  # NGFF 0.5: the arrays name the image's axes
                )
        # The attributes last: a store without them is one whose creation did not finish.
        info = {
            "format": STORE_FORMAT,
            "spec": spec.to_json(),
            "fields_format": FIELDS_FORMAT,
            "uid": uuid.uuid4().hex,
            "fields": list(names),
            "chunk": list(unit),
            "levels": [list(s) for s in shapes],
        }
        if shard is not None:
            info["shard"] = shard  # "chunk" is then the shard's shape, N x N zarr chunks
        group.attrs[ATTRIBUTE] = info
        _consolidate(group.store)
        return cls(where, group, _manifest(where))

    # -- the LandscapeStore interface ---------------------------------------------------------
    @property
    def spec(self) -> LandscapeSpec:
        return self._spec

    @property
    def tiling(self) -> Tiling:
        return self._tilings[0]

    @property
    def path(self) -> Path | None:
        """The store's directory; None for a store at a URL (see :attr:`location`)."""
        return self._where.path

    @property
    def location(self) -> str:
        """The store's place as the user gave it (a path or a URL), for messages."""
        return self._where.given

    @property
    def where(self) -> StoreLocation:
        return self._where

    @property
    def levels(self) -> int:
        """How many levels the store has, full resolution included."""
        return len(self.level_shapes)

    def level_tiling(self, level: int) -> Tiling:
        """The chunks of pyramid level ``level`` (0: full resolution)."""
        return self._tilings[level]

    def done(self, level: int = 0) -> np.ndarray:
        """A bool array of the level's chunk counts: True for every chunk in the manifest."""
        mask = np.zeros(self._tilings[level].counts, dtype=bool)
        for lev, i, j in self._records:
            if lev == level and i < mask.shape[0] and j < mask.shape[1]:
                mask[i, j] = True
        return mask

    def missing(self, level: int = 0) -> list[Tile]:
        """The level's chunks not yet done, row-major from the bottom-left."""
        done = self.done(level)
        tiling = self._tilings[level]
        return [tile for tile in tiling if not done[tiling.index(tile)]]

    @property
    def complete(self) -> bool:
        """Whether every chunk of every level is done."""
        return all(self.done(level).all() for level in range(self.levels))

    def write_tile(self, tile: Tile, fields: Fields) -> ChunkRecord:
        """Write ``fields`` into level 0's chunk ``tile``; returns the record that
        :meth:`mark_done` takes (computed from ``fields``, before they are encoded)."""
        arrays = fields.arrays()
        missing = [name for name in self.field_names if name not in arrays]
        if missing:
            raise ValueError(f"fields {missing} are missing; this store holds {self.field_names}")
        return self._write(0, tile, {name: arrays[name] for name in self.field_names})

    def mark_done(self, tile: Tile, record: ChunkRecord | None = None, level: int = 0) -> None:
        """Record that ``tile`` (a chunk of ``level``) holds its final fields, durably.

        ``record`` is what :meth:`write_tile` returned (perhaps in another process); without
        one the chunk is read back and hashed.
        """
        index = self._tilings[level].index(tile)
        if record is None:
            record = record_for(level, index, self._read_chunk(level, tile))
        if record.key != (level, *index):
            raise ValueError(f"record of chunk {record.key} given for {(level, *index)}")
        self._manifest.append(record)
        self._records[record.key] = record

    def read(self, window: Tile | None = None, level: int = 0) -> Fields:
        """The fields of ``window`` at ``level`` (default: the whole level); chunks not done
        hold the fill values."""
        rows, cols = self.level_shapes[level]
        window = window or Tile(0, rows, 0, cols)
        return Fields(
            **{name: self._array(level, name)[window.slices] for name in self.field_names}
        )

    def flush(self) -> None:
        """Nothing to do: every record is fsync'ed as it is marked, every chunk written whole."""

    def finalize(self) -> None:
        """Every level-0 chunk is done: make the pyramid's missing chunks (here, in this
        process); ValueError if a level-0 chunk is not done."""
        missing = int((~self.done(0)).sum())
        if missing:
            raise ValueError(f"{missing} of {len(self.tiling)} chunks are not done")
        for level in range(1, self.levels):
            for tile in self.missing(level):
                self.mark_done(tile, self.write_level_tile(level, tile), level)
        self.close()

    def close(self) -> None:
        self._manifest.close()

    # -- the pyramid --------------------------------------------------------------------------
    def write_level_tile(self, level: int, tile: Tile) -> ChunkRecord:
        """Write chunk ``tile`` of pyramid level ``level`` >= 1 from level ``level - 1``
        (every other row and column); returns its record."""
        if level < 1:
            raise ValueError("level 0 is rendered, not made from another level")
        below_rows, below_cols = self.level_shapes[level - 1]
        source = Tile(
            2 * tile.row0,
            min(2 * tile.row1, below_rows),
            2 * tile.col0,
            min(2 * tile.col1, below_cols),
        )
        arrays = {
            name: np.asarray(self._array(level - 1, name)[source.slices])[::2, ::2]
            for name in self.field_names
        }
        return self._write(level, tile, arrays)

    # -- checksums ----------------------------------------------------------------------------
    def read_verified(self, tile: Tile, names: tuple[str, ...] | None = None, level: int = 0):
        """The arrays of done chunk ``tile`` (field name -> values), each checked against the
        manifest; raises :class:`CorruptChunk` on a mismatch or a chunk that cannot be read,
        ValueError for a chunk not done."""
        index = self._tilings[level].index(tile)
        record = self._records.get((level, *index))
        if record is None:
            raise ValueError(f"chunk {index} at level {level} is not done")
        out = {}
        for name in names or self.field_names:
            try:
                values = np.asarray(self._array(level, name)[tile.slices])
            except Exception as error:  # a damaged chunk fails to decode in many ways
                raise CorruptChunk(record.key, name, f"cannot be read: {error}") from None
            if digest(values) != record.sha256.get(name):
                raise CorruptChunk(record.key, name, "does not match its checksum")
            out[name] = values
        return out

    def verify(self, levels: tuple[int, ...] | None = None) -> list[CorruptChunk]:
        """Check every done chunk of ``levels`` (default all) against its checksums.

        Chunks that fail are dropped from the manifest (rewritten atomically), so they count
        as not done and a render run again recomputes them; a pyramid chunk built from a
        dropped chunk is dropped with it. Returns what failed.
        """
        failures: list[CorruptChunk] = []
        for level in levels if levels is not None else range(self.levels):
            tiling = self._tilings[level]
            for lev, i, j in sorted(self._records):
                if lev != level:
                    continue
                try:
                    self.read_verified(tiling.tile(i, j), level=level)
                except CorruptChunk as failure:
                    failures.append(failure)
        if failures:
            bad = {failure.key for failure in failures}
            lowest = min(level for level, _, _ in bad)
            for key in list(self._records):
                if key in bad or key[0] > lowest:  # a level above was made from what failed
                    del self._records[key]
            self._manifest.rewrite(self._records[key] for key in sorted(self._records))
        return failures

    # -- inside -------------------------------------------------------------------------------
    def _array_path(self, level: int, name: str) -> str:
        """Where field ``name``'s level ``level`` is in the group, in this store's format."""
        if self.format == "attndyn.zarr/1":
            return name if level == 0 else f"levels/{level}/{name}"
        return f"{name}/{level}"

    def _array(self, level: int, name: str):
        key = (level, name)
        if key not in self._arrays:
            self._arrays[key] = self._group[self._array_path(level, name)]
        return self._arrays[key]

    def _read_chunk(self, level: int, tile: Tile) -> dict[str, np.ndarray]:
        return {
            name: np.asarray(self._array(level, name)[tile.slices]) for name in self.field_names
        }

    def _write(self, level: int, tile: Tile, arrays: dict[str, np.ndarray]) -> ChunkRecord:
        index = self._tilings[level].index(tile)
        checked = {}
        for name, values in arrays.items():
            values = np.ascontiguousarray(values, dtype=FIELD_DTYPES[name])
            if values.shape != tile.shape:
                raise ValueError(f"field {name!r} of shape {values.shape} for a tile {tile.shape}")
            self._array(level, name)[tile.slices] = values
            checked[name] = values
        return record_for(level, index, checked)


def _consolidate(store) -> None:
    """Write the consolidated metadata of every array into the group's ``zarr.json``."""
    with warnings.catch_warnings():  # zarr notes that v3 has no standard for it yet; NGFF 0.5
        warnings.filterwarnings("ignore", message="Consolidated metadata", category=UserWarning)
        zarr.consolidate_metadata(store, zarr_format=3)


def _manifest(where: StoreLocation) -> Manifest | ObjectManifest:
    """The done manifest: a JSON-lines file in a directory, an object per chunk at a URL."""
    if where.path is not None:
        return Manifest(where.path / MANIFEST_NAME)
    return ObjectManifest(*where.filesystem())


def _store_info(where: StoreLocation) -> dict | None:
    """The attndyn attributes of the Zarr group at ``where``, or None if it is not one."""
    document = where.read_json("zarr.json")
    info = document.get("attributes", {}).get(ATTRIBUTE) if isinstance(document, dict) else None
    if not isinstance(info, dict) or info.get("format") not in STORE_FORMATS:
        return None
    return info


def check_store_location(location: str | Path) -> str | Path:
    """The store's location as given (a Path for a plain path, else the URL), refused in one
    line if a store cannot be made or written there (:class:`StoreLocation`)."""
    where = StoreLocation.parse(location)
    where.check_writable()
    return where.path if not is_url(where.given) and where.path is not None else where.given
