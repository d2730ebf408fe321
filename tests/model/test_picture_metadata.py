"""The text of PNGs and TIFFs read from their structure: other writers' files, damaged files,
posters past PIL's decompression-bomb limit, and exported OME-TIFFs that ``--from`` re-renders."""

import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from attndyn import UserError
from attndyn.cli.main import main
from attndyn.model.fields import Fields
from attndyn.model.options import RenderOptions, build_job
from attndyn.model.picture_metadata import PictureMetadataError, stored_text
from attndyn.pictures.coloring import ColorOptions
from attndyn.pictures.image_streams import picture_text, write_png_bands
from attndyn.pictures.images import read_picture_spec, read_picture_text

from helpers import appendix_b

SPEC = appendix_b(1679700, width=12, height=8, steps=10, n_points=4)


def chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk, by the specification's layout (length, type, data, CRC of type + data)."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png(*extra: bytes, after_data: bytes = b"") -> bytes:
    """A 1x1 grey PNG with ``extra`` chunks before its image data and ``after_data`` after."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    data = chunk(b"IDAT", zlib.compress(b"\0\x80"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra) + data + after_data + chunk(b"IEND", b"")


def test_pils_text_chunks_of_every_kind_are_read(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("plain", "latin-1 \xe9")
    info.add_text("squeezed", "z" * 500, zip=True)
    info.add_itxt("attndyn-spec", '{"a": "\u00e9\u2192"}')
    info.add_itxt("attndyn-coloring", "[1, 2]" * 100, zip=True)
    Image.new("L", (3, 2)).save(tmp_path / "p.png", pnginfo=info)
    assert stored_text(tmp_path / "p.png") == {
        "plain": "latin-1 \xe9",
        "squeezed": "z" * 500,
        "attndyn-spec": '{"a": "\u00e9\u2192"}',
        "attndyn-coloring": "[1, 2]" * 100,
    }


def test_a_text_chunk_after_the_image_data_is_found(tmp_path):
    itxt = chunk(b"iTXt", b"attndyn-spec\0\0\0\0\0{}")
    (tmp_path / "p.png").write_bytes(tiny_png(after_data=itxt))
    with Image.open(tmp_path / "p.png") as image:  # a valid PNG to another reader
        image.load()
        assert image.size == (1, 1)
    assert read_picture_text(tmp_path / "p.png", "spec") == "{}"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GIF89a...", "not a PNG or TIFF file"),
        (tiny_png()[:40], "ends before its IEND chunk"),
        (tiny_png(chunk(b"tEXt", b"attndyn-spec\0{}")[:-1] + b"\0"), "fails its CRC"),
        (tiny_png(chunk(b"zTXt", b"attndyn-spec\0\0not zlib")), "does not inflate"),
        (b"II*\0" + struct.pack("<I", 4000), "ends before its first IFD"),
    ],
)
def test_a_damaged_or_foreign_file_is_refused_in_one_line(tmp_path, data, reason):
    (tmp_path / "p.png").write_bytes(data)
    with pytest.raises(PictureMetadataError, match=reason):
        stored_text(tmp_path / "p.png")
    with pytest.raises(UserError, match=f"cannot read picture .*p.png.*: .*{reason}"):
        read_picture_spec(tmp_path / "p.png")


def test_a_picture_without_the_spec_says_so(tmp_path):
    (tmp_path / "p.png").write_bytes(tiny_png(chunk(b"tEXt", b"Software\0other")))
    assert read_picture_text(tmp_path / "p.png", "spec", required=False) is None
    with pytest.raises(UserError, match=r"carries no 'attndyn-spec' text.*not made by attndyn"):
        read_picture_spec(tmp_path / "p.png")
    with pytest.raises(UserError, match=r"cannot read picture .*: No such file"):
        read_picture_spec(tmp_path / "none.png")


tifffile = pytest.importorskip("tifffile")


@pytest.mark.parametrize("bigtiff", [False, True])
@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_the_image_description_of_tiffs_by_tifffile(tmp_path, bigtiff, byteorder):
    text = {"attndyn-spec": SPEC.to_json(), "attndyn-coloring": "{}"}
    tifffile.imwrite(
        tmp_path / "p.tif",
        np.zeros((5, 7), np.uint8),
        description=json.dumps(text),
        bigtiff=bigtiff,
        byteorder=byteorder,
        metadata=None,
    )
    assert stored_text(tmp_path / "p.tif") == text
    tifffile.imwrite(tmp_path / "q.tif", np.zeros((5, 7), np.uint8), metadata=None)
    assert stored_text(tmp_path / "q.tif") == {}  # no description at all


def test_a_png_past_pils_bomb_limit_gives_its_spec_without_decoding(tmp_path, capsys):
    side = 16384  # 268 million pixels: PIL refuses to open it (over twice MAX_IMAGE_PIXELS)
    spec = appendix_b(1679700, width=side, height=side, steps=10, n_points=4)
    zeros = np.zeros((1024, side), dtype=bool)
    path = tmp_path / "poster.png"
    bands = (zeros for _ in range(side // 1024))
    write_png_bands(path, (side, side), "1", bands, picture_text(spec.to_json(), "{}"))
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
    assert build_job(RenderOptions(from_picture=str(path))).spec == spec
    # the command gets as far as the cost of rendering it again (8.6 GiB: refused, no --force)
    assert main(["render", "--from", str(path), "-o", str(tmp_path / "again.png")]) == 2
    assert "job is huge" in capsys.readouterr().err


def exported_tiff(tmp_path, spec, options: ColorOptions):
    """An OME-TIFF exported from a finished store of ``spec`` whose fields are a checkerboard
    written directly (the export is real; the fields are not rendered, to keep this fast)."""
    pytest.importorskip("zarr")
    from attndyn.model.tiles import Tiling
    from attndyn.pictures.export import export_store
    from attndyn.rendering.store.zarr_store import ZarrStore

    side = max(spec.shape)
    store = ZarrStore.open(
        tmp_path / "s.zarr", spec, Tiling(spec.shape, (2048, 2048)), pyramid_min_side=side
    )
    for tile in store.tiling:
        fields = Fields.empty(*tile.shape)
        rows, cols = np.indices(tile.shape)
        fields.labels[...] = (rows // 64 + cols // 64) % 2
        fields.delta[...], fields.sync_step[...], fields.clusters[...] = 0.5, 3, 1
        store.mark_done(tile, store.write_tile(tile, fields))
    store.finalize()
    export_store(store, tmp_path / "poster.tif", options)
    return tmp_path / "poster.tif"


def test_an_exported_4096_tiff_gives_its_spec_and_colouring(tmp_path):
    spec = appendix_b(1679700, width=4096, height=4096, steps=10, n_points=4)
    options = ColorOptions("log-delta", "magma")
    path = exported_tiff(tmp_path, spec, options)
    with tifffile.TiffFile(path) as tif:
        assert tif.is_ome and tif.pages[0].shape[:2] == (4096, 4096)
        assert len(tif.series[0].levels) == 5  # 4096 down to 256
    assert build_job(RenderOptions(from_picture=str(path))).spec == spec
    assert ColorOptions.from_picture(path) == options


def test_render_from_an_exported_tiff_renders_its_spec_in_its_colouring(tmp_path):
    small = appendix_b(1679700, width=12, height=8, steps=10, n_points=4)
    path = exported_tiff(tmp_path, small, ColorOptions("sync-step", "viridis"))
    out = tmp_path / "again.png"
    assert main(["render", "--from", str(path), "--engine", "numpy", "-o", str(out)]) == 0
    assert read_picture_spec(out) == small.to_json()
    assert ColorOptions.from_picture(out) == ColorOptions("sync-step", "viridis")
