import itertools

import numpy as np
import pytest
from PIL import Image

from attndyn.pictures.image_streams import level_shapes, picture_text, write_png_bands
from attndyn.pictures.images import read_png_text


def bands_of(picture: np.ndarray, heights):
    """The picture cut into bands of the given heights, repeated until it is used up."""
    row, index = 0, 0
    while row < picture.shape[0]:
        height = heights[index % len(heights)]
        yield picture[row : row + height]
        row, index = row + height, index + 1


def synthetic(mode: str, shape=(37, 29)) -> np.ndarray:
    rng = np.random.default_rng(5)
    if mode == "1":
        return rng.random(shape) < 0.4
    if mode == "I;16":
        return rng.integers(0, 65536, shape, dtype=np.uint16)
    if mode == "RGB":
        return rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    return rng.integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("mode", ["1", "L", "RGB", "I;16"])
def test_a_png_written_in_bands_reads_back_as_the_picture(tmp_path, mode):
    picture = synthetic(mode)
    path = tmp_path / "p.png"
    write_png_bands(path, (29, 37), mode, bands_of(picture, [5, 1, 13]), picture_text("{}", "[]"))
    with Image.open(path) as image:
        image.load()
        assert image.size == (29, 37)
        back = np.asarray(image)
    if mode == "I;16":
        assert image.mode in ("I;16", "I;16B", "I")
    else:
        assert image.mode == mode
    assert (back.astype(np.int64) == picture.astype(np.int64)).all()
    assert read_png_text(path, "spec") == "{}" and read_png_text(path, "coloring") == "[]"


def test_a_png_with_the_wrong_number_of_rows_is_not_left_behind(tmp_path):
    picture = synthetic("L")
    with pytest.raises(ValueError, match="rows for a picture"):
        write_png_bands(tmp_path / "p.png", (29, 40), "L", bands_of(picture, [8]), {})
    assert list(tmp_path.iterdir()) == []


def halved(level: np.ndarray) -> np.ndarray:
    """2 x 2 means, rounded; an odd last row or column averages the pixels it has."""
    rows, cols = level.shape[:2]
    out = np.zeros(((rows + 1) // 2, (cols + 1) // 2, *level.shape[2:]))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = (
                level[2 * r : 2 * r + 2, 2 * c : 2 * c + 2]
                .reshape(-1, *level.shape[2:])
                .mean(axis=0)
            )
    return np.rint(out).astype(level.dtype)


@pytest.mark.parametrize("mode", ["RGB", "I;16", "1"])
def test_a_bigtiff_has_the_picture_tiled_and_each_level_the_2x2_mean_of_the_one_above(
    tmp_path, mode
):
    tifffile = pytest.importorskip("tifffile")
    from attndyn.pictures.image_streams import write_tiff_bands

    shape = (601, 299)  # two levels below the full resolution
    picture = synthetic(mode, shape)
    path = tmp_path / "p.tif"
    write_tiff_bands(path, (299, 601), mode, bands_of(picture, [100, 57]), {"attndyn-spec": "{}"})
    expected = np.where(picture, 255, 0).astype(np.uint8) if mode == "1" else picture
    with tifffile.TiffFile(path) as tif:
        assert tif.is_bigtiff and tif.pages[0].is_tiled and tif.pages[0].tile == (256, 256)
        assert tif.is_ome and '<M K="attndyn-spec">{}</M>' in tif.pages[0].description
        levels = [level.asarray() for level in tif.series[0].levels]
        # 300 dpi at full resolution; a level's pixels are larger by its sides' ratios
        resolutions = [
            (page.tags["XResolution"].value, page.tags["YResolution"].value, page.tags[296].value)
            for page in (tif.pages[0], *tif.pages[0].pages)
        ]
    x, y = [r[0][0] / r[0][1] for r in resolutions], [r[1][0] / r[1][1] for r in resolutions]
    assert x == pytest.approx([300, 300 * 150 / 299, 300 * 75 / 299], rel=1e-6)
    assert y == pytest.approx([300, 300 * 301 / 601, 300 * 151 / 601], rel=1e-6)
    assert {r[2] for r in resolutions} == {2}  # ResolutionUnit: inch
    assert [level.shape[:2] for level in levels] == level_shapes(299, 601) == [
        (601, 299), (301, 150), (151, 75),
    ]  # fmt: skip
    assert (levels[0] == expected).all()
    for above, below in itertools.pairwise(levels):
        assert (below == halved(above)).all()
