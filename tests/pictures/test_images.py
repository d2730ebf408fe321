import numpy as np
from PIL import Image

from attndyn import LandscapeSpec
from attndyn.pictures.images import binary_picture, read_png_spec, write_png


def test_row_zero_is_the_bottom_of_the_picture(tmp_path):
    labels = np.zeros((3, 4), dtype=np.uint8)
    labels[0, 3] = 1  # lowest y, highest x: bottom right
    path = tmp_path / "p.png"
    spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=4, height=3)
    write_png(path, binary_picture(labels), spec.to_json())
    pixels = np.asarray(Image.open(path).convert("L"))
    assert pixels.shape == (3, 4)
    assert pixels[2, 3] == 255 and pixels.sum() == 255
    assert LandscapeSpec.from_json(read_png_spec(path)) == spec


def test_write_leaves_no_temporary_files(tmp_path):
    write_png(tmp_path / "a.png", binary_picture(np.ones((2, 2), dtype=np.uint8)), "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
