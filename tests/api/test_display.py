"""A notebook's view of a picture: bounded in size, a 1-bit picture shrunk to grey."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from attndyn.api.display import DISPLAY_PIXELS, display_png, display_size, html_figure


def decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


def test_the_long_side_is_bounded_and_the_aspect_kept():
    assert display_size((1024, 512)) == (512, 256)
    assert display_size((512, 2048)) == (128, 512)
    assert display_size((10, 10)) == (10, 10)  # never enlarged
    assert display_size((100000, 3)) == (512, 1)  # never 0 pixels


def test_a_striped_1_bit_picture_shrinks_to_its_mean_grey():
    stripes = np.zeros((1024, 1024), dtype=bool)
    stripes[:, ::2] = True  # half white
    shown = decoded(display_png(Image.fromarray(stripes)))
    assert shown.size == (DISPLAY_PIXELS, DISPLAY_PIXELS) and shown.mode == "L"
    inner = np.asarray(shown)[8:-8, 8:-8].astype(float)
    assert abs(inner.mean() - 127.5) < 2 and inner.std() < 2


def test_a_small_picture_is_shown_as_it_is():
    rgb = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(decoded(display_png(Image.fromarray(rgb)))), rgb)


def test_the_html_escapes_its_text():
    html = html_figure(b"png", [("a<b", "c&d")], "<title>")
    assert "a&lt;b" in html and "c&amp;d" in html and "&lt;title&gt;" in html
    assert "data:image/png;base64,cG5n" in html
