import numpy as np
from PIL import Image

from attndyn.model.fields import Fields
from attndyn.model.spec import LandscapeSpec
from attndyn.pictures.coloring import ColorOptions
from attndyn.pictures.images import read_png_text
from attndyn.pictures.landscape_files import carries_spec, write_landscape
from attndyn.rendering.render import Landscape

SPEC = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=3, height=2)


def landscape():
    labels = np.array([[1, 0, 0], [1, 1, 0]], dtype=np.uint8)  # row 0 = the bottom row
    return Landscape(SPEC, Fields(labels=labels, delta=np.zeros((2, 3), dtype=np.float32)))


def test_the_picture_and_the_fields_carry_the_spec(tmp_path):
    png, npz = tmp_path / "a.png", tmp_path / "a.npz"
    options = ColorOptions("binary")
    image = write_landscape(landscape(), options, png=png, npz=npz)
    assert image is not None and image.size == (3, 2)
    white = np.asarray(Image.open(png).convert("L")) == 255
    np.testing.assert_array_equal(white, [[True, True, False], [True, False, False]])
    assert read_png_text(png, "spec") == SPEC.to_json()
    assert ColorOptions.from_json(read_png_text(png, "coloring")) == options
    with np.load(npz) as data:
        assert str(data["spec"]) == SPEC.to_json()
        np.testing.assert_array_equal(data["labels"], landscape().labels)
    assert write_landscape(landscape(), options, png=None, npz=tmp_path / "b.npz") is None
    assert not (tmp_path / "b.png").exists()


def test_carries_spec_says_whether_a_picture_is_of_this_spec(tmp_path):
    png = tmp_path / "a.png"
    assert not carries_spec(png, SPEC.to_json())
    write_landscape(landscape(), ColorOptions(), png=png, npz=None)
    assert carries_spec(png, SPEC.to_json())
    other = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=3, height=2, steps=5)
    assert not carries_spec(png, other.to_json())
    (tmp_path / "junk.png").write_bytes(b"not a png")
    assert not carries_spec(tmp_path / "junk.png", SPEC.to_json())
