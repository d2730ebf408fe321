"""The published site's files: tiles decoded and coloured by a plain transcription of the page's
rule (conftest.page_colours) against ``attndyn color``'s colours of the same fields
(:func:`attndyn.pictures.coloring.color_array`), the quantisation's bound against the store's
values, resuming, and refusals."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from attndyn.model.errors import UserError
from attndyn.pictures.coloring import ColorOptions, color_array, options_colormap
from attndyn.publish import publish_store

CASES = [
    ("binary", None, False, False),
    ("binary", None, False, True),
    ("clusters", None, False, False),
    ("clusters", "tab20", True, True),
    ("log-delta", None, False, False),
    ("log-delta", "viridis", True, False),
    ("log-delta", None, False, True),
    ("sync-step", None, False, False),
    ("sync-step", "twilight_shifted", False, True),
]
EXACT = ("binary", "clusters")  # exact codes: the same colours, pixel for pixel
# Fields in bins: at most this fraction of pixels one colormap index off (measured: see
# docs/publish.md).
MOST_DIFFERING = {False: 0.005, True: 0.03}


@pytest.mark.parametrize(("coloring", "cmap", "invert", "equalize"), CASES)
def test_full_zoom_colours_equal_attndyn_color(
    store, site, transcription, coloring, cmap, invert, equalize
):
    t = transcription
    manifest = t.read_manifest(site)
    field = {"binary": "labels", "clusters": "clusters", "log-delta": "delta"}.get(
        coloring, "sync_step"
    )
    q = t.level_codes(site, manifest, manifest["max_zoom"], field)
    assert q.shape == store.spec.shape
    ours = t.page_colours(manifest, q, coloring, cmap, invert, equalize)
    options = ColorOptions(coloring, cmap, invert, equalize)
    theirs = np.flipud(color_array(store.read(), store.spec, options))  # row 0 at the bottom
    table = t.lut(manifest, cmap or t.DEFAULT_CMAPS[coloring], invert)
    result = t.compare(ours, theirs, table)
    if coloring in EXACT:
        assert result.count == 0
    else:
        assert result.adjacent, "a colour differs by more than one step of the colormap"
        assert result.fraction <= MOST_DIFFERING[equalize], result
    # the manifest's table is matplotlib's own
    expected = options_colormap(options)(np.arange(len(table)), bytes=True)[:, :3]
    assert np.array_equal(table, expected)


@pytest.mark.parametrize("coloring", ["log-delta", "sync-step", "clusters"])
def test_zoomed_out_tiles_are_every_other_pixel_coloured_with_the_whole_picture(
    store, site, transcription, coloring
):
    """Zoom z shows every 2^(3 - z)-th pixel of level 0, coloured with level 0's range and
    histogram (as 'attndyn export' colours the whole picture); zooms 0 and 1 come from levels
    the store lacks."""
    t = transcription
    manifest = t.read_manifest(site)
    fields = store.read()
    field = {"clusters": "clusters", "log-delta": "delta"}.get(coloring, "sync_step")
    for zoom in range(manifest["max_zoom"]):
        step = 2 ** (manifest["full_zoom"] - zoom)
        q = t.level_codes(site, manifest, zoom, field)
        for equalize in (False, True):
            options = ColorOptions(coloring, None, False, equalize)
            decimated = type(fields)(
                **{name: values[::step, ::step] for name, values in fields.arrays().items()}
            )
            theirs = np.flipud(color_array(decimated, store.spec, options, reference=fields))
            ours = t.page_colours(manifest, q, coloring, None, False, equalize)
            result = t.compare(ours, theirs, t.lut(manifest, t.DEFAULT_CMAPS[coloring], False))
            assert result.adjacent and result.fraction <= MOST_DIFFERING[equalize], (zoom, result)


def test_binned_codes_keep_the_values_order_and_stay_within_a_bin(store, site, transcription):
    """A code's value (the manifest's mean) is within the widest bin, (hi - lo) / 32767, of
    every value given that code; larger values never get smaller codes; a value many pixels
    share (a plateau) is its own code's value."""
    t = transcription
    manifest = t.read_manifest(site)
    fields = store.read()
    expected = {
        "delta": np.log10(np.maximum(fields.delta.astype(np.float64), 1e-12)),
        "sync_step": fields.sync_step.astype(np.float64),
    }
    for name, values in expected.items():
        entry = manifest["fields"][name]
        assert entry["bits"] == 16 and entry["kind"] == "bins" and entry["codes"] <= 65535
        q = t.level_codes(site, manifest, manifest["max_zoom"], name)
        finite = np.isfinite(values)
        assert np.array_equal(q == 0, ~finite)
        assert entry["lo"] == values[finite].min() and entry["hi"] == values[finite].max()
        widest = (entry["hi"] - entry["lo"]) / 32767
        decoded = t.means(entry)[q[finite]]
        assert np.abs(decoded - values[finite]).max() <= widest * (1 + 1e-9)
        order = np.argsort(values[finite], kind="stable")
        assert (np.diff(q[finite][order]) >= 0).all()
        assert entry["count"] == finite.sum()
        common, count = np.unique(values[finite], return_counts=True)
        plateau = common[count.argmax()]
        if count.max() > finite.sum() / 1000:
            codes = np.unique(q[finite][values[finite] == plateau])
            assert len(codes) == 1 and t.means(entry)[codes[0]] == plateau


def test_the_site_is_self_contained(site):
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    page_files = ("index.html", "gallery.js", "gallery.css", "manifest.js", "manifest.json")
    page_files += ("tables.js", "tables.json")
    assert {*page_files, ".nojekyll"} <= names
    assert "leaflet/leaflet.js" in names and "leaflet/leaflet.css" in names
    assert any(name.startswith("leaflet/images/") for name in names)
    page = (site / "index.html").read_text()
    for reference in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert reference.startswith("data:") or (site / reference).is_file(), reference
    for name in ("index.html", "gallery.js", "gallery.css"):
        assert not re.search(r"https?://", (site / name).read_text()), name
    assert not any(name.endswith(".tmp") for name in names)


def test_an_interrupted_publish_resumes_with_the_same_tiles(store, site, tmp_path):
    copy = tmp_path / "site"
    publish_store(store, copy, tile_size=64, title="a small test")
    tiles = sorted((copy / "tiles").rglob("*.js"))
    assert len(tiles) == len(list((site / "tiles").rglob("*.js")))
    lost = tiles[::3]
    before = {path: path.read_bytes() for path in lost}
    kept = {path: path.stat().st_mtime_ns for path in tiles if path not in before}
    for path in lost:
        path.unlink()
    report = publish_store(store, copy, tile_size=64, title="a small test")
    assert report.written == len(lost)
    assert all(path.read_bytes() == data for path, data in before.items())
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items())


def test_a_site_made_otherwise_or_a_foreign_folder_is_refused(store, site, tmp_path):
    with pytest.raises(UserError, match="another store or with other settings"):
        publish_store(store, site, tile_size=64, max_zoom=1)
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="is not an attndyn site"):
        publish_store(store, folder)
    with pytest.raises(UserError, match=r"--max-zoom 4 is not allowed; give 0 to 3"):
        publish_store(store, tmp_path / "new", tile_size=64, max_zoom=4)
    assert not os.path.exists(tmp_path / "new")


def test_max_zoom_stops_the_pyramid_early(store, tmp_path):
    report = publish_store(store, tmp_path / "site", tile_size=64, max_zoom=1)
    assert report.max_zoom == 1
    assert sorted(p.name for p in (tmp_path / "site" / "tiles").iterdir()) == ["0", "1"]
    # zoom 0 shows level 3 (38 x 25 pixels): one tile; zoom 1 level 2 (75 x 50): 2 x 1 tiles
    assert report.tiles == 1 + 2


def test_probability_is_coded_exactly(tmp_path, transcription):
    """With K samples the probability k / K is stored as k + 1: the colours are attndyn
    color's, pixel for pixel, plain and equalised."""
    from attndyn.model.spec import LandscapeSpec
    from attndyn.rendering.distributed import render_store

    spec = LandscapeSpec(
        wq=(1.0, -0.5, 0.3, 0.8), wv=(0.9, 0.2, -0.4, 1.1), width=30, height=20,
        n_points=5, steps=15, samples=3, x_range=(-6.0, 6.0), y_range=(-4.0, 4.0),
    )  # fmt: skip
    store = render_store(spec, tmp_path / "p.zarr", None, chunk=16, engine="numpy").store
    publish_store(store, tmp_path / "site", tile_size=16)
    t = transcription
    manifest = t.read_manifest(tmp_path / "site")
    entry = manifest["fields"]["probability"]
    assert entry["bits"] == 8 and entry["denominator"] == 3
    q = t.level_codes(tmp_path / "site", manifest, manifest["max_zoom"], "probability")
    values = store.read().probability
    assert set(np.unique(values * 3).round(6)) <= {0.0, 1.0, 2.0, 3.0}
    for equalize in (False, True):
        ours = t.page_colours(manifest, q, "probability", "viridis", False, equalize)
        options = ColorOptions("probability", "viridis", False, equalize)
        theirs = np.flipud(color_array(store.read(), store.spec, options))
        assert np.array_equal(ours, theirs)
