"""The site's tile pyramid: which store level each zoom shows, where a tile's pixels come
from, and a tile's file.

Geometry. With tiles of T x T pixels and a grid of W x H (columns x rows), the full
resolution is zoom ``Z = ceil(log2(max(W, H) / T))`` (0 when the grid fits one tile). Zoom z
shows pyramid level ``L = Z - z`` (level L holds level 0's pixel ``(2^L i, 2^L j)`` at
``(i, j)``, as the store's levels do; levels the store lacks are decimated from its top one).
The world at zoom z is ``2^z x 2^z`` tiles; the grid sits in its bottom-left corner, row 0
(the lowest y) at the bottom, so every level lines up with level 0 whatever the sides.
Tile ``(z, x, y)`` (y counted from the top, as Leaflet does) holds the level's rows
``[yb T, (yb + 1) T)`` from the bottom, ``yb = 2^z - 1 - y``, and columns ``[x T, (x + 1) T)``,
clipped to the level; its image is that window upside down (top row first), so a tile at the
top or right edge is smaller than T x T and sits in the bottom-left of its square.

A tile's file. ``tiles/z/x/y.js`` calls ``attndynTile("z/x/y", {field: PNG as base64, ...})``:
one request gives every field, so changing the colouring fetches nothing, and a script loads
from ``file://`` where ``fetch`` does not. Each field is a PNG of its codes
(:mod:`attndyn.publish.quantise`): 8-bit grey for 8-bit codes, else RGB with the code's high
byte in red and its low byte in green (blue 0); no alpha, so no premultiplication can touch
the values when the page reads them back from a canvas.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from attndyn.model.tiles import Tile

TILE_SIZE = 256
# zlib level 6: a 1024² store's full-zoom tile takes 0.07 s to encode for 51 kB of PNGs; level 9
# 0.54 s for 48 kB (benchmarks/bench_publish.py)
PNG_COMPRESS_LEVEL = 6


def full_zoom(shape: tuple[int, int], tile_size: int = TILE_SIZE) -> int:
    """The zoom at which one tile pixel is one grid pixel, for a grid of ``shape`` (rows,
    cols)."""
    side = max(shape)
    return max(0, math.ceil(math.log2(side / tile_size))) if side > tile_size else 0


def level_shape(shape: tuple[int, int], level: int) -> tuple[int, int]:
    """The shape of pyramid level ``level`` of a grid of ``shape``."""
    return -(-shape[0] // 2**level), -(-shape[1] // 2**level)


@dataclass(frozen=True)
class TileKey:
    zoom: int
    x: int
    y: int  # from the top

    @property
    def name(self) -> str:
        return f"{self.zoom}/{self.x}/{self.y}"

    def path(self, site: Path) -> Path:
        return site / "tiles" / str(self.zoom) / str(self.x) / f"{self.y}.js"


def tiles_of_zoom(shape: tuple[int, int], zoom: int, level: int, tile_size: int) -> list[TileKey]:
    """The tiles of ``zoom`` that hold part of the grid (level ``level`` of ``shape``)."""
    rows, cols = level_shape(shape, level)
    bottom = 2**zoom - 1
    return [
        TileKey(zoom, x, bottom - yb)
        for yb in range(-(-rows // tile_size))
        for x in range(-(-cols // tile_size))
    ]


def tile_window(key: TileKey, level_rows: int, level_cols: int, tile_size: int) -> Tile:
    """The window of the level (rows from the bottom) that tile ``key`` shows."""
    yb = 2**key.zoom - 1 - key.y
    return Tile(
        yb * tile_size,
        min((yb + 1) * tile_size, level_rows),
        key.x * tile_size,
        min((key.x + 1) * tile_size, level_cols),
    )


def png_of_codes(codes: np.ndarray, bits: int) -> bytes:
    """A field tile's PNG: ``codes`` (rows top first) as 8-bit grey, or 16 bits in red and
    green."""
    if bits == 8:
        image = Image.fromarray(codes.astype(np.uint8), "L")
    else:
        rgb = np.zeros((*codes.shape, 3), dtype=np.uint8)
        rgb[..., 0] = codes >> 8
        rgb[..., 1] = codes & 0xFF
        image = Image.fromarray(rgb, "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def codes_of_png(data: bytes, bits: int) -> np.ndarray:
    """The codes of a field tile's PNG (the inverse of :func:`png_of_codes`)."""
    array = np.asarray(Image.open(io.BytesIO(data)))
    if bits == 8:
        return array.astype(np.uint16)
    return (array[..., 0].astype(np.uint16) << 8) | array[..., 1]


def tile_script(key: TileKey, pngs: dict[str, bytes]) -> bytes:
    """The text of a tile's ``.js`` file."""
    payload = {name: base64.b64encode(data).decode("ascii") for name, data in pngs.items()}
    return f"attndynTile({json.dumps(key.name)},{json.dumps(payload)});\n".encode("ascii")


def read_tile_script(path: Path) -> tuple[str, dict[str, bytes]]:
    """The key and the PNG bytes per field of a tile's ``.js`` file."""
    text = path.read_text(encoding="ascii").strip()
    prefix, suffix = "attndynTile(", ");"
    if not (text.startswith(prefix) and text.endswith(suffix)):
        raise ValueError(f"{path} is not a tile script")
    key, _, payload = text[len(prefix) : -len(suffix)].partition(",")
    return json.loads(key), {k: base64.b64decode(v) for k, v in json.loads(payload).items()}


def write_file_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file renamed into place);
    not fsync'ed: a tile lost to a crash is written again by the next run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
