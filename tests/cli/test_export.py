"""``attndyn export``: a store to a poster, and the stores it refuses."""

import numpy as np
import pytest
from PIL import Image

from attndyn.pictures.coloring import ColorOptions, picture
from attndyn.rendering.store import load_landscape

from helpers import one_line_error
from helpers import run_cli as run

pytest.importorskip("zarr")
tifffile = pytest.importorskip("tifffile")

PICTURE = ["--preset", "art5227590", "--size", "12x9", "--steps", "20", "--points", "6",
           "--engine", "numpy", "-q"]  # fmt: skip


def test_export_takes_the_colour_options_of_color(tmp_path):
    assert run("render", *PICTURE, "--store", tmp_path / "s.zarr", "--chunk", 4,
               "--save", tmp_path / "f.npz") == 0  # fmt: skip
    colour = ["--coloring", "sync-step", "--cmap", "twilight_shifted", "--equalize", "--invert"]
    assert run("export", tmp_path / "s.zarr", "-o", tmp_path / "p.tif", *colour, "-q") == 0
    assert run("color", tmp_path / "f.npz", "-o", tmp_path / "c.png", *colour, "-q") == 0
    with tifffile.TiffFile(tmp_path / "p.tif") as tif, Image.open(tmp_path / "c.png") as c:
        assert (tif.pages[0].asarray() == np.asarray(c)).all()
    landscape = load_landscape(tmp_path / "f.npz")
    options = ColorOptions("sync-step", "twilight_shifted", True, True)
    expected = picture(landscape.fields, landscape.spec, options)
    assert (np.asarray(Image.open(tmp_path / "c.png")) == np.asarray(expected)).all()


def test_export_of_an_unfinished_or_foreign_store_is_refused(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    assert run("export", tmp_path / "plain", "-o", tmp_path / "p.png") == 2
    one_line_error(capsys, "is not an attndyn Zarr store (made by render --store)")
    assert run("export", tmp_path / "none.zarr", "-o", tmp_path / "p.png") == 2
    one_line_error(capsys, "does not exist")

    from attndyn.model.options import RenderOptions, build_job
    from attndyn.model.tiles import Tiling
    from attndyn.rendering.store.zarr_store import ZarrStore

    spec = build_job(RenderOptions(preset="art5227590", size=(12, 9))).spec
    ZarrStore.open(tmp_path / "u.zarr", spec, Tiling(spec.shape, (4, 4))).close()
    assert run("export", tmp_path / "u.zarr", "-o", tmp_path / "p.png") == 2
    one_line_error(capsys, "is not finished: 9 of 9 chunks are missing; run the render")
    assert run("export", tmp_path / "u.zarr", "-o", tmp_path / "p.jpg") == 2
    one_line_error(capsys, "must end in .png, .tif or .tiff")
    assert not (tmp_path / "p.png").exists()


def test_the_tiff_has_the_print_resolution_asked_for(tmp_path, capsys):
    from xml.etree import ElementTree

    assert run("render", *PICTURE, "--store", tmp_path / "s.zarr", "--chunk", 4) == 0
    assert run("export", tmp_path / "s.zarr", "-o", tmp_path / "p.tif", "--dpi", 600, "-q") == 0
    with tifffile.TiffFile(tmp_path / "p.tif") as tif:
        tags = tif.pages[0].tags
        assert tags["XResolution"].value == tags["YResolution"].value == (600, 1)
        assert tags["ResolutionUnit"].value == tifffile.RESUNIT.INCH
        ome = ElementTree.fromstring(tif.ome_metadata)
    pixels = next(ome.iter("{http://www.openmicroscopy.org/Schemas/OME/2016-06}Pixels"))
    assert float(pixels.get("PhysicalSizeX")) == pytest.approx(25_400 / 600)  # µm a pixel
    for dpi, fragment in (("0", "must be a positive number"), ("x", "--dpi 'x' is not a number")):
        assert run("export", tmp_path / "s.zarr", "-o", tmp_path / "q.tif", "--dpi", dpi) == 2
        one_line_error(capsys, fragment)
    assert run("export", tmp_path / "s.zarr", "-o", tmp_path / "q.png", "--dpi", 600) == 2
    one_line_error(capsys, "--dpi sets a TIFF's print resolution")
    # a poster given where the store goes: render --from renders it again
    assert run("export", tmp_path / "p.tif", "-o", tmp_path / "q.png") == 2
    one_line_error(capsys, "is a picture, not a store; 'attndyn render --from")
