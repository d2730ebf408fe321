"""Exported pictures of a store against the in-memory picture of the same fields."""

from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

from attndyn import UserError, render_landscape
from attndyn.pictures.coloring import ColorOptions, picture
from attndyn.pictures.images import read_png_text

from helpers import SlowEngine, appendix_b

pytest.importorskip("zarr")
tifffile = pytest.importorskip("tifffile")
from attndyn.model.tiles import Tiling  # noqa: E402
from attndyn.pictures.export import export_store, store_landscape  # noqa: E402
from attndyn.pictures.store_coloring import key_values, order_keys  # noqa: E402
from attndyn.rendering.distributed import render_store  # noqa: E402
from attndyn.rendering.store.zarr_store import ZarrStore  # noqa: E402

SPEC = appendix_b(5227590, width=13, height=9, steps=20, n_points=6, supersample=2, samples=2)
OME = "{http://www.openmicroscopy.org/Schemas/OME/2016-06}"
PLAIN = appendix_b(1679700, width=21, height=11, steps=20, n_points=6)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stores")
    made = {}
    for name, spec in (("super", SPEC), ("plain", PLAIN)):
        render_store(spec, folder / f"{name}.zarr", chunk=4, engine=SlowEngine())
        made[name] = (ZarrStore.load(folder / f"{name}.zarr"), render_landscape(spec, "numpy"))
    return made


OPTIONS = [
    ("plain", ColorOptions()),
    ("plain", ColorOptions("log-delta", "magma")),
    ("plain", ColorOptions("sync-step", "twilight_shifted", equalize=True)),
    ("plain", ColorOptions("log-delta", "viridis", invert=True, equalize=True)),
    ("plain", ColorOptions("binary", equalize=True)),
    ("super", ColorOptions()),
    ("super", ColorOptions("probability")),
    ("super", ColorOptions("clusters", invert=True)),
    ("super", ColorOptions("sync-step", equalize=True)),
]


@pytest.mark.parametrize(("store", "options"), OPTIONS)
def test_the_exported_png_has_the_in_memory_pictures_pixels(tmp_path, stores, store, options):
    zarr_store, landscape = stores[store]
    expected = picture(landscape.fields, landscape.spec, options)
    done = export_store(zarr_store, tmp_path / "p.png", options)
    with Image.open(tmp_path / "p.png") as image:
        image.load()
        assert image.mode == expected.mode == done.mode
        assert (np.asarray(image) == np.asarray(expected)).all()
    assert read_png_text(tmp_path / "p.png", "spec") == landscape.spec.to_json()
    assert read_png_text(tmp_path / "p.png", "coloring") == options.to_json()


def test_the_bigtiff_carries_the_same_pixels_and_the_spec(tmp_path, stores):
    zarr_store, landscape = stores["super"]
    options = ColorOptions("log-delta", "magma")
    export_store(zarr_store, tmp_path / "p.tif", options)
    expected = np.asarray(picture(landscape.fields, landscape.spec, options))
    with tifffile.TiffFile(tmp_path / "p.tif") as tif:
        assert (tif.pages[0].asarray() == expected).all()
        # an OME-TIFF: the spec and the colouring in the OME-XML's MapAnnotation, 300 dpi
        assert tif.is_ome
        ome = ElementTree.fromstring(tif.ome_metadata)
        pairs = {m.get("K"): m.text for m in ome.iter(f"{OME}M")}
        assert pairs == {
            "attndyn-spec": landscape.spec.to_json(),
            "attndyn-coloring": options.to_json(),
        }
        pixels = next(ome.iter(f"{OME}Pixels"))
        assert float(pixels.get("PhysicalSizeX")) == pytest.approx(25_400 / 300)
        assert pixels.get("PhysicalSizeXUnit") == "µm"
        tags = tif.pages[0].tags
        assert tags["ResolutionUnit"].value == tifffile.RESUNIT.INCH
        assert tags["XResolution"].value == tags["YResolution"].value == (300, 1)


def test_16_bit_grey_is_the_colour_scale_value_times_65535(tmp_path, stores):
    zarr_store, landscape = stores["plain"]
    export_store(zarr_store, tmp_path / "g.png", ColorOptions("log-delta"), depth=16)
    values = np.log10(np.maximum(landscape.fields.delta.astype(np.float64), 1e-12))
    lo, hi = np.nanmin(values), np.nanmax(values)
    expected = np.flipud(np.rint(np.nan_to_num((values - lo) / (hi - lo)) * 65535))
    with Image.open(tmp_path / "g.png") as image:
        assert image.mode.startswith("I")
        assert (np.asarray(image).astype(np.int64) == expected.astype(np.int64)).all()
    with pytest.raises(UserError, match="takes no colormap"):
        export_store(zarr_store, tmp_path / "x.png", ColorOptions("log-delta", "magma"), depth=16)


def test_resize_and_the_fields_come_from_memory_with_checked_chunks(tmp_path, stores):
    zarr_store, landscape = stores["plain"]
    options = ColorOptions("sync-step")
    export_store(zarr_store, tmp_path / "r.png", options, size=(10, 6))
    expected = picture(landscape.fields, landscape.spec, options, size=(10, 6))
    with Image.open(tmp_path / "r.png") as image:
        assert (np.asarray(image) == np.asarray(expected)).all()
    loaded = store_landscape(zarr_store)
    for name, array in landscape.fields.arrays().items():
        assert getattr(loaded.fields, name).tobytes() == array.tobytes()


def test_an_unfinished_store_or_a_bad_suffix_is_refused(tmp_path):
    store = ZarrStore.open(
        tmp_path / "u.zarr",
        PLAIN,
        Tiling(PLAIN.shape, (4, 4)),
    )
    with pytest.raises(UserError, match="is not finished: 18 of 18 chunks are missing"):
        export_store(store, tmp_path / "p.png")
    with pytest.raises(UserError, match=r"must end in \.png, \.tif or \.tiff"):
        export_store(store, tmp_path / "p.jpg")


def test_order_keys_sort_as_the_values_do():
    values = np.array([3.5, -0.0, 0.0, -1e-300, 1e-300, -7.25, np.finfo(float).max, -np.inf, 2.0])
    keys = order_keys(values)
    assert (np.argsort(keys, kind="stable") == np.argsort(values + 0.0, kind="stable")).all()
    assert keys[1] == keys[2]  # -0.0 and 0.0 are one value
    assert (key_values(keys) == values).all()


def test_scratch_is_removed_on_success_on_failure_and_at_the_next_run(
    tmp_path, stores, monkeypatch
):
    from attndyn.pictures.export import scratch_left

    zarr_store, _ = stores["plain"]
    killed_tiff = tmp_path / ".p.tif.k3j_9x2a"  # what a killed export leaves
    killed_tiff.mkdir()
    (killed_tiff / "picture.tif").write_bytes(b"half a picture")
    killed_png = tmp_path / ".p.tif.abcd1234.tmp"
    killed_png.write_bytes(b"half a png")
    others = [tmp_path / ".p.tif.notmine", tmp_path / ".q.tif.abcdefgh", tmp_path / "p.tif.x"]
    for other in others:
        other.mkdir()
    assert scratch_left(tmp_path / "p.tif") == [killed_png, killed_tiff]
    export_store(zarr_store, tmp_path / "p.tif")
    assert scratch_left(tmp_path / "p.tif") == [] and (tmp_path / "p.tif").is_file()
    assert all(other.is_dir() for other in others)  # only an export's own scratch goes

    seen = []

    def full_disk(self, *args, **kwargs):  # the disk fills up as the picture is written
        seen.extend(scratch_left(tmp_path / "q.tif"))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tifffile.TiffWriter, "write", full_disk)
    with pytest.raises(UserError, match=r"cannot write '.*q\.tif': No space left on device"):
        export_store(zarr_store, tmp_path / "q.tif")
    assert len(seen) == 1 and seen[0].name.startswith(".q.tif.")  # there while it wrote
    assert scratch_left(tmp_path / "q.tif") == [] and not (tmp_path / "q.tif").exists()
