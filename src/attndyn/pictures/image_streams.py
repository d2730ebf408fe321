"""Writing pictures larger than memory, from bands of rows: PNG and tiled pyramidal BigTIFF.

Both take the picture as an iterator of bands, top first, each an array of (rows, width)
pixels, or (rows, width, 3) for RGB, in the modes of
:class:`attndyn.pictures.store_coloring.PictureMode`: "1" (bool, white = True), "L" (uint8), "RGB"
(uint8) and "I;16" (uint16). Both write to a temporary file renamed into place at the end, so a
reader never sees half a picture.

PNG (:func:`write_png_bands`)
    Rows go through one zlib stream as they come (filter type 0), so memory holds one band.
    The spec and the colouring go in the iTXt chunks ``attndyn-spec`` and
    ``attndyn-coloring`` that :func:`attndyn.pictures.images.read_png_text` reads, as in every PNG
    attndyn writes. Modes map to PNG grey 1-bit, grey 8-bit, truecolour 8-bit and grey 16-bit.

BigTIFF (:func:`write_tiff_bands`, with tifffile), an OME-TIFF
    Tiles of 256 x 256, deflate-compressed. The ImageDescription holds OME-XML (OME 2016-06, as
    Bio-Formats, QuPath and napari read it): one image of the picture's size, whose
    ``MapAnnotation`` carries ``attndyn-spec`` and ``attndyn-coloring``, the texts a PNG carries
    (:func:`attndyn.model.picture_metadata.stored_text` reads them back without the pixels). The
    print resolution is in the ResolutionUnit/XResolution/YResolution tags (inches, ``dpi``,
    300 by default) and, as the same pixel size in µm, in OME's PhysicalSizeX/Y; a reduced
    level's resolution is scaled with it. The full resolution is the first page; reduced levels
    follow as its SubIFDs, each the 2 x 2 mean of the level above (rounded; an odd last row or
    column averages what it has), until both sides are at most 256. While level 0 is written,
    each level's rows are made from the level above's and kept in a temporary raw file beside
    the output; then each level is written from its file, a band at a time. 1-bit pictures
    are written as 8-bit grey (0 and 255).
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from attndyn import __version__
from attndyn.model.errors import UserError
from attndyn.model.outputs import atomic_file
from attndyn.pictures.images import COLORING_CHUNK, SPEC_CHUNK

TIFF_TILE = 256
DEFAULT_DPI = 300.0
MICROMETRES_PER_INCH = 25_400.0
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_FORMAT = {"1": (1, 0), "L": (8, 0), "RGB": (8, 2), "I;16": (16, 0)}  # depth, colour type
_IDAT_BYTES = 1 << 20


def _png_chunk(stream: BinaryIO, kind: bytes, data: bytes) -> None:
    stream.write(struct.pack(">I", len(data)) + kind + data)
    stream.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png_row_bytes(band: np.ndarray, mode: str) -> bytes:
    """A band's rows as PNG scanlines, each preceded by filter type 0."""
    if mode == "1":
        packed = np.packbits(band.astype(bool), axis=1)
    elif mode == "I;16":
        packed = band.astype(">u2").view(np.uint8).reshape(band.shape[0], -1)
    else:
        packed = np.ascontiguousarray(band, dtype=np.uint8).reshape(band.shape[0], -1)
    rows = np.zeros((packed.shape[0], packed.shape[1] + 1), dtype=np.uint8)
    rows[:, 1:] = packed
    return rows.tobytes()


def write_png_bands(
    path: str | Path,
    size: tuple[int, int],
    mode: str,
    bands: Iterable[np.ndarray],
    text: dict[str, str],
    *,
    level: int = 6,
) -> None:
    """Write a PNG of ``size`` (width, height) from ``bands`` (see the module docstring);
    ``text``: iTXt chunks (key -> text), e.g. ``{"attndyn-spec": spec_json}``."""
    width, height = size
    depth, colour_type = _PNG_FORMAT[mode]
    try:
        with atomic_file(path) as stream:
            stream.write(_PNG_SIGNATURE)
            header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
            _png_chunk(stream, b"IHDR", header)
            for key, value in text.items():
                _png_chunk(stream, b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode())
            _png_chunk(stream, b"tEXt", b"Software\0" + f"attndyn {__version__}".encode())
            compressor = zlib.compressobj(level)
            pending = bytearray()
            rows = 0
            for band in bands:
                rows += band.shape[0]
                if band.shape[1] != width or rows > height:
                    raise ValueError(f"band of shape {band.shape} for a {width}x{height} picture")
                pending += compressor.compress(_png_row_bytes(band, mode))
                while len(pending) >= _IDAT_BYTES:
                    _png_chunk(stream, b"IDAT", bytes(pending[:_IDAT_BYTES]))
                    del pending[:_IDAT_BYTES]
            if rows != height:
                raise ValueError(f"{rows} rows for a picture {height} high")
            pending += compressor.flush()
            for start in range(0, len(pending), _IDAT_BYTES):
                _png_chunk(stream, b"IDAT", bytes(pending[start : start + _IDAT_BYTES]))
            _png_chunk(stream, b"IEND", b"")
    except OSError as error:
        raise UserError(f"cannot write {str(path)!r}: {error.strerror or error}") from None


def picture_text(spec_json: str, coloring_json: str | None) -> dict[str, str]:
    """The text chunks every attndyn picture carries."""
    text = {SPEC_CHUNK: spec_json}
    if coloring_json is not None:
        text[COLORING_CHUNK] = coloring_json
    return text


# -- BigTIFF ----------------------------------------------------------------------------------
def _halve(rows: np.ndarray) -> np.ndarray:
    """Rows of the next level from 2m rows (or one last odd row) of this one: means of 2 x 2
    pixels (an odd last column averages its own pixels), rounded to the dtype."""
    out = []
    step = 128  # rows at a time, to bound the float64 copy
    for start in range(0, rows.shape[0], step):
        part = rows[start : start + step].astype(np.float64)
        pairs = part.shape[0] // 2
        part = part.reshape(pairs, 2, *part.shape[1:]).mean(axis=1) if pairs else part
        cols = part.shape[1]
        even = part[:, : cols - cols % 2]
        even = even.reshape(part.shape[0], cols // 2, 2, *part.shape[2:]).mean(axis=2)
        if cols % 2:
            even = np.concatenate([even, part[:, -1:]], axis=1)
        out.append(np.rint(even).astype(rows.dtype))
    return np.concatenate(out)


def level_shapes(width: int, height: int) -> list[tuple[int, int]]:
    """(height, width) of the TIFF's levels: halved (rounding up) until both are <= a tile."""
    shapes = [(height, width)]
    while max(shapes[-1]) > TIFF_TILE:
        rows, cols = shapes[-1]
        shapes.append((-(-rows // 2), -(-cols // 2)))
    return shapes


class _Reducer:
    """Makes a level's rows from the level above's as they come, into a raw file."""

    def __init__(self, file: BinaryIO, below: _Reducer | None) -> None:
        self.file = file
        self.below = below
        self.carry: np.ndarray | None = None

    def feed(self, rows: np.ndarray) -> None:
        if self.carry is not None:
            rows = np.concatenate([self.carry, rows])
            self.carry = None
        pairs = rows.shape[0] // 2 * 2
        if rows.shape[0] > pairs:
            self.carry = rows[pairs:]
        if pairs:
            self._emit(_halve(rows[:pairs]))

    def close(self) -> None:
        """The last, odd row (if any), then the levels below."""
        if self.carry is not None:
            self._emit(_halve(self.carry))
            self.carry = None
        if self.below is not None:
            self.below.close()

    def _emit(self, rows: np.ndarray) -> None:
        self.file.write(np.ascontiguousarray(rows).tobytes())
        if self.below is not None:
            self.below.feed(rows)


def _tiles(bands: Iterable[np.ndarray], fed: _Reducer | None = None) -> Iterator[np.ndarray]:
    """Tiles of TIFF_TILE rows and columns in row-major order, from bands of any height."""
    buffer: np.ndarray | None = None

    def cut(rows: np.ndarray) -> Iterator[np.ndarray]:
        for col in range(0, rows.shape[1], TIFF_TILE):
            yield rows[:, col : col + TIFF_TILE]

    for band in bands:
        if fed is not None:
            fed.feed(band)  # before its tiles: the last tile may be the last thing asked for
        buffer = band if buffer is None else np.concatenate([buffer, band])
        while buffer.shape[0] >= TIFF_TILE:
            yield from cut(buffer[:TIFF_TILE])
            buffer = buffer[TIFF_TILE:]
    if buffer is not None and buffer.shape[0]:
        yield from cut(buffer)


def _raw_bands(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> Iterator[np.ndarray]:
    row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
    rows_per_band = max(1, (64 << 20) // max(row_bytes, 1))
    with open(path, "rb") as file:
        for row in range(0, shape[0], rows_per_band):
            count = min(rows_per_band, shape[0] - row)
            data = np.frombuffer(file.read(count * row_bytes), dtype=dtype)
            yield data.reshape(count, *shape[1:])


def ome_metadata(mode: str, text: dict[str, str], dpi: float) -> dict:
    """tifffile's OME metadata for a picture of ``mode``: axes, name, creator, the pixel size
    of ``dpi`` in µm, and ``text`` (e.g. the spec) as a MapAnnotation."""
    pixel = MICROMETRES_PER_INCH / dpi
    return {
        "axes": "YXS" if mode == "RGB" else "YX",
        "Name": "attndyn landscape",
        "Creator": f"attndyn {__version__}",
        "PhysicalSizeX": pixel,
        "PhysicalSizeXUnit": "µm",
        "PhysicalSizeY": pixel,
        "PhysicalSizeYUnit": "µm",
        "MapAnnotation": dict(text),
    }


def write_tiff_bands(
    path: str | Path,
    size: tuple[int, int],
    mode: str,
    bands: Iterable[np.ndarray],
    description: dict[str, str],
    *,
    dpi: float = DEFAULT_DPI,
) -> None:
    """Write a tiled pyramidal OME-TIFF (BigTIFF) of ``size`` from ``bands`` (see the module
    docstring); ``description``: the texts (key -> text) its OME-XML carries; ``dpi``: the
    print resolution of the full-resolution level."""
    import tifffile

    if not (np.isfinite(dpi) and dpi > 0):
        raise UserError(f"dpi {dpi} is not a positive number")

    width, height = size
    dtype = np.dtype(np.uint16 if mode == "I;16" else np.uint8)
    channels = 3 if mode == "RGB" else 1
    photometric = "rgb" if channels == 3 else "minisblack"
    extra = (3,) if channels == 3 else ()
    shapes = level_shapes(width, height)
    if mode == "1":
        bands = (np.where(band, np.uint8(255), np.uint8(0)) for band in bands)
    path = Path(path)
    options = dict(
        dtype=dtype,
        tile=(TIFF_TILE, TIFF_TILE),
        photometric=photometric,
        compression="zlib",
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as scratch,
            contextlib.ExitStack() as files,
        ):
            partial = Path(scratch) / "picture.tif"  # renamed into place once complete
            raws = [Path(scratch) / f"level{level}.raw" for level in range(1, len(shapes))]
            reducer = None
            for raw in reversed(raws):
                reducer = _Reducer(files.enter_context(open(raw, "wb")), reducer)
            with tifffile.TiffWriter(partial, bigtiff=True, ome=True) as tif:
                tif.write(
                    _tiles(bands, reducer),
                    shape=(height, width, *extra),
                    subifds=len(raws),
                    software=f"attndyn {__version__}",
                    resolution=(dpi, dpi),
                    resolutionunit="INCH",
                    **options,
                    metadata=ome_metadata(mode, description, dpi),
                )
                if reducer is not None:
                    reducer.close()
                files.close()
                for raw, shape in zip(raws, shapes[1:], strict=True):
                    full = (*shape, *extra)
                    level_dpi = (dpi * shape[1] / width, dpi * shape[0] / height)
                    tif.write(
                        _tiles(_raw_bands(raw, full, dtype)),
                        shape=full,
                        subfiletype=1,
                        resolution=level_dpi,
                        resolutionunit="INCH",
                        **options,
                    )
                    os.unlink(raw)
            os.chmod(partial, 0o644)
            os.replace(partial, path)
    except OSError as error:
        raise UserError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
