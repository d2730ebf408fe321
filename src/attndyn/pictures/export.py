"""Pictures and fields files from a finished Zarr store: posters larger than memory.

:func:`export_store` colours a store chunk by chunk (:class:`~attndyn.pictures.store_coloring.
StoreColoring`) into a PNG, streamed row by row, or a tiled pyramidal BigTIFF
(:mod:`attndyn.pictures.image_streams`); both carry the spec and the colouring. Every colouring
option of ``render`` and ``color`` applies, with the same colours as the in-memory picture;
``depth=16`` writes 16-bit grey. Resizing needs the whole picture at once, so it is done in
memory, for pictures whose fields fit in :data:`IN_MEMORY_BYTES`; so is an ``.npz`` of the
fields (:func:`store_landscape`). Beyond that the caller is told to export without them.

Scratch files live beside the output and go when the export ends, whether it succeeds or
fails; what an export killed midway leaves is removed by the next export to the same file
(:func:`remove_scratch`).

A store is exported only when every chunk is done, and every chunk read is checked against
the manifest's checksum: a corrupt chunk stops the export with a message that says how to
have it recomputed.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attndyn.model.errors import UserError
from attndyn.model.fields import Fields
from attndyn.model.spec import LandscapeSpec
from attndyn.pictures.coloring import ColorOptions, picture
from attndyn.pictures.image_streams import (
    DEFAULT_DPI,
    picture_text,
    write_png_bands,
    write_tiff_bands,
)
from attndyn.pictures.images import COLORING_CHUNK, SPEC_CHUNK, write_png
from attndyn.pictures.store_coloring import StoreColoring
from attndyn.rendering.estimate import format_bytes
from attndyn.rendering.store.base import Landscape
from attndyn.rendering.store.zarr_store import FIELD_DTYPES, CorruptChunk, ZarrStore

IN_MEMORY_BYTES = 2 * 1024**3
PICTURE_SUFFIXES = (".png", ".tif", ".tiff")


@dataclass(frozen=True)
class Exported:
    """What :func:`export_store` wrote: the file, the picture's (width, height) and mode."""

    path: Path
    size: tuple[int, int]
    mode: str


def in_memory_bytes(spec: LandscapeSpec) -> int:
    """Bytes of every field of ``spec``'s grid held at once (plus its picture)."""
    rows, cols = spec.shape
    per_pixel = sum(FIELD_DTYPES[name].itemsize for name in FIELD_DTYPES) + 3
    return rows * cols * per_pixel


def check_fits_in_memory(spec: LandscapeSpec, what: str) -> None:
    """Refuse ``what`` (e.g. "--save") for a picture whose fields do not fit in memory."""
    need = in_memory_bytes(spec)
    if need > IN_MEMORY_BYTES:
        raise UserError(
            f"{what} needs the whole {spec.width}x{spec.height} picture in memory "
            f"({format_bytes(need)}, limit {format_bytes(IN_MEMORY_BYTES)}); keep the store "
            "and use 'attndyn export STORE -o poster.tif' (or .png) without it"
        )


def finished_store(location: str | Path | ZarrStore) -> ZarrStore:
    """The store at ``location``, refused in one line unless every chunk of it is done."""
    store = location if isinstance(location, ZarrStore) else ZarrStore.load(location)
    missing = sum(len(store.missing(level)) for level in range(store.levels))
    if missing:
        total = sum(len(store.level_tiling(level)) for level in range(store.levels))
        raise UserError(
            f"store {store.location!r} is not finished: {missing} of {total} chunks are "
            "missing; run the render command that made it again to finish it"
        )
    return store


def _corrupt(store: ZarrStore, failure: CorruptChunk) -> UserError:
    return UserError(
        f"store {store.location!r}: {failure}; run the render command that made it again "
        "to recompute it"
    )


def store_landscape(location: str | Path | ZarrStore) -> Landscape:
    """Every field of a finished store in memory, each chunk checked against its checksum."""
    store = finished_store(location)
    check_fits_in_memory(store.spec, "reading the whole store")
    fields = Fields.empty(*store.spec.shape, probability="probability" in store.field_names)
    for tile in store.tiling:
        try:
            arrays = store.read_verified(tile)
        except CorruptChunk as failure:
            raise _corrupt(store, failure) from None
        fields.put(*tile.slices, Fields(**arrays))
    return Landscape(spec=store.spec, fields=fields)


def export_store(
    location: str | Path | ZarrStore,
    output: str | Path,
    options: ColorOptions | None = None,
    *,
    depth: int = 8,
    size: tuple[int, int] | None = None,
    dpi: float = DEFAULT_DPI,
) -> Exported:
    """Colour a finished store into ``output`` (.png, or .tif/.tiff for a pyramidal BigTIFF).

    ``options``: the colouring (default binary); ``depth``: 8, or 16 for 16-bit grey;
    ``size``: (width, height) to resize to (in memory; see the module docstring); ``dpi``:
    a TIFF's print resolution (:func:`attndyn.pictures.image_streams.write_tiff_bands`).
    """
    options = options or ColorOptions()
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in PICTURE_SUFFIXES:
        raise UserError(f"export file {str(output)!r} must end in .png, .tif or .tiff (BigTIFF)")
    store = finished_store(location)
    remove_scratch(output)
    spec = store.spec
    spec_json = spec.to_json()
    if size is not None and size != (spec.width, spec.height):
        if depth != 8:
            raise UserError("resizing makes 8-bit pictures; drop --resize or the 16-bit depth")
        check_fits_in_memory(spec, "--resize")
        landscape = store_landscape(store)
        image = picture(landscape.fields, spec, options, size=size)
        if suffix == ".png":
            write_png(output, image, spec_json, coloring_json=options.to_json())
        else:
            mode = "RGB" if image.mode == "RGB" else ("1" if image.mode == "1" else "L")
            array = np.asarray(image)
            write_tiff_bands(
                output, image.size, mode, [array], _description(spec_json, options), dpi=dpi
            )
        return Exported(output, image.size, image.mode)
    try:
        coloring = StoreColoring(store, options, depth=depth)
        if suffix == ".png":
            write_png_bands(
                output,
                coloring.size,
                coloring.mode.name,
                coloring.bands(),
                picture_text(spec_json, options.to_json()),
            )
        else:
            write_tiff_bands(
                output,
                coloring.size,
                coloring.mode.name,
                coloring.bands(),
                _description(spec_json, options),
                dpi=dpi,
            )
    except CorruptChunk as failure:
        raise _corrupt(store, failure) from None
    return Exported(output, coloring.size, coloring.mode.name)


def scratch_left(output: str | Path) -> list[Path]:
    """What an export to ``output`` killed before it finished left beside it: the scratch
    folder of a BigTIFF (``.NAME.XXXXXXXX/``, :func:`tempfile.TemporaryDirectory`) and the
    temporary file of a PNG (``.NAME.XXXXXXXX.tmp``, :func:`attndyn.model.outputs.atomic_file`)."""
    output = Path(output)
    pattern = re.compile(rf"\.{re.escape(output.name)}\.[a-z0-9_]{{8}}(\.tmp)?")
    try:
        entries = list(output.parent.iterdir())
    except OSError:
        return []
    return sorted(entry for entry in entries if pattern.fullmatch(entry.name))


def remove_scratch(output: str | Path) -> None:
    """Remove :func:`scratch_left` by earlier exports to ``output`` (one that ends normally
    or fails removes its own; a killed one cannot)."""
    for entry in scratch_left(output):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


def _description(spec_json: str, options: ColorOptions) -> dict[str, str]:
    return {SPEC_CHUNK: spec_json, COLORING_CHUNK: options.to_json()}
