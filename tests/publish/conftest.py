"""A small store and its published site, shared by the publish tests, and a plain numpy
transcription of how the page colours a tile (docs/publish.md), to check the tiles and the
page against ``attndyn color``'s colours.

The store: 300 x 200 pixels (not powers of two: tiles at the top and right edges are short),
numpy engine, 6 points, 30 steps; published with 64-pixel tiles, so the site has zooms 0..3,
of which 0 and 1 come from levels the store lacks (its pyramid stops at 150 x 100).
"""

from __future__ import annotations

import base64
import io
import json
import re
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from attndyn.model.spec import LandscapeSpec

SPEC = dict(
    wq=(1.0, -0.5, 0.3, 0.8),
    wv=(0.9, 0.2, -0.4, 1.1),
    width=300,
    height=200,
    n_points=6,
    steps=30,
    x_range=(-6.0, 6.0),
    y_range=(-4.0, 4.0),
    init="shared",
)
TILE = 64
DEFAULT_CMAPS = {  # docs/colorings.md
    "binary": "gray",
    "log-delta": "magma",
    "sync-step": "inferno",
    "probability": "gray",
    "clusters": "tab10",
}
FIELD_OF = {
    "binary": "labels",
    "log-delta": "delta",
    "sync-step": "sync_step",
    "clusters": "clusters",
    "probability": "probability",
}


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    from attndyn.rendering.distributed import render_store

    path = tmp_path_factory.mktemp("publish") / "small.zarr"
    report = render_store(LandscapeSpec(**SPEC), path, None, chunk=128, engine="numpy")
    return report.store


@pytest.fixture(scope="session")
def site(store, tmp_path_factory):
    from attndyn.publish import publish_store

    path = tmp_path_factory.mktemp("publish") / "site"
    publish_store(store, path, tile_size=TILE, title="a small test")
    return path


def read_manifest(site: Path) -> dict:
    """The manifest with the tables merged in (each field's, and the colormaps')."""
    manifest = json.loads((site / "manifest.json").read_text())
    tables = json.loads((site / "tables.json").read_text())
    for name, entry in tables["fields"].items():
        manifest["fields"][name].update(entry)
    manifest["luts"] = tables["luts"]
    return manifest


def tile_pngs(path: Path) -> dict[str, bytes]:
    """The PNG bytes per field of a tile file: attndynTile("z/x/y",{field: base64, ...});"""
    match = re.fullmatch(r'attndynTile\("[0-9/]+",(\{.*\})\);\s*', path.read_text())
    assert match, path
    return {name: base64.b64decode(text) for name, text in json.loads(match.group(1)).items()}


def codes(png: bytes, bits: int) -> np.ndarray:
    """A field tile's codes: 8-bit grey, or the high byte in red and the low byte in green."""
    image = Image.open(io.BytesIO(png))
    array = np.asarray(image).astype(np.int64)
    if bits == 8:
        assert image.mode == "L"
        return array
    assert image.mode == "RGB" and not array[..., 2].any()
    return array[..., 0] * 256 + array[..., 1]


def level_codes(site: Path, manifest: dict, zoom: int, field: str) -> np.ndarray:
    """A zoom's codes of ``field`` put together from its tiles, row 0 at the bottom."""
    level = manifest["levels"][zoom]
    rows, cols = level["rows"], level["cols"]
    out = np.full((rows, cols), -1, dtype=np.int64)
    size = manifest["tile_size"]
    for path in (site / "tiles" / str(zoom)).glob("*/*.js"):
        x, y = int(path.parent.name), int(path.stem)
        yb = 2**zoom - 1 - y
        tile = codes(tile_pngs(path)[field], manifest["fields"][field]["bits"])
        h, w = tile.shape
        assert h == min(size, rows - yb * size) and w == min(size, cols - x * size)
        out[yb * size : yb * size + h, x * size : x * size + w] = np.flipud(tile)
    assert (out >= 0).all(), "a tile is missing"
    return out


def ranks(entry: dict) -> np.ndarray:
    steps = np.frombuffer(zlib.decompress(base64.b64decode(entry["ranks_deflate"])), "<u4")
    return np.cumsum(steps.astype(np.int64))


def means(entry: dict) -> np.ndarray:
    """Each code's value, for fields coded in bins."""
    return np.frombuffer(zlib.decompress(base64.b64decode(entry["means_deflate"])), "<f8")


def lut(manifest: dict, name: str, invert: bool) -> np.ndarray:
    table = manifest["luts"][name]["rgb_r" if invert else "rgb"]
    return np.frombuffer(base64.b64decode(table), np.uint8).reshape(-1, 3)


def page_colours(manifest, q, coloring, cmap=None, invert=False, equalize=False):
    """The colours of codes ``q`` as docs/publish.md states the page computes them."""
    field = manifest["fields"][FIELD_OF[coloring]]
    q = np.asarray(q, dtype=np.int64)
    if equalize:
        unit = ranks(field)[q] / field["count"]
    elif coloring == "binary":
        unit = (q - 1).astype(float)
    elif coloring == "probability":
        unit = ((q - 1) / field["denominator"]).astype(np.float32).astype(float)
    elif coloring == "clusters":
        unit = ((q - 1) / 9) % 1.0
    else:
        span = field["hi"] - field["lo"]
        unit = (means(field)[q] - field["lo"]) / span if span > 0 else np.full(q.shape, 0.5)
    table = lut(manifest, cmap or DEFAULT_CMAPS[coloring], invert)
    n = len(table)
    index = np.minimum(np.floor(unit * n), n - 1).astype(np.int64)
    out = table[np.clip(index, 0, n - 1)].copy()
    out[q == 0] = 0
    return out


def compare(site_rgb: np.ndarray, own_rgb: np.ndarray, table: np.ndarray) -> SimpleNamespace:
    """Where two pictures differ, and whether every difference is between neighbouring
    entries of the colormap's table (one index off)."""
    differ = (site_rgb != own_rgb).any(axis=-1)
    neighbours = {
        (tuple(int(v) for v in table[k]), tuple(int(v) for v in table[k + 1]))
        for k in range(len(table) - 1)
    }
    neighbours |= {(b, a) for a, b in neighbours}
    ours, theirs = site_rgb[differ].tolist(), own_rgb[differ].tolist()
    pairs = zip(map(tuple, ours), map(tuple, theirs), strict=True)
    adjacent = all(pair in neighbours for pair in pairs)
    error = int(np.abs(site_rgb.astype(int) - own_rgb.astype(int)).max()) if differ.any() else 0
    return SimpleNamespace(
        fraction=float(differ.mean()), count=int(differ.sum()), adjacent=adjacent, error=error
    )


@pytest.fixture(scope="session")
def transcription():
    return SimpleNamespace(
        read_manifest=read_manifest,
        tile_pngs=tile_pngs,
        codes=codes,
        level_codes=level_codes,
        page_colours=page_colours,
        lut=lut,
        means=means,
        compare=compare,
        TILE=TILE,
        DEFAULT_CMAPS=DEFAULT_CMAPS,
    )
