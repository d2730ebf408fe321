"""PNG pictures of fields, carrying their spec.

The picture has one pixel per grid point. Row 0 of a field (the lowest y value) is the
*bottom* row of the picture, so arrays are flipped vertically on the way out. The spec is
stored as JSON in the PNG text chunk ``attndyn-spec``; :func:`read_picture_text` reads it back
from a PNG, or from a TIFF that ``attndyn export`` wrote, without decoding the pixels.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from attndyn import __version__
from attndyn.model.errors import UserError
from attndyn.model.outputs import write_atomic
from attndyn.model.picture_metadata import read_picture_text

SPEC_CHUNK = "attndyn-spec"
COLORING_CHUNK = "attndyn-coloring"


def binary_picture(labels: np.ndarray) -> Image.Image:
    """A 1-bit picture: white where label is 1, black elsewhere; lowest row at the bottom."""
    return Image.fromarray(np.ascontiguousarray(np.flipud(labels != 0)))


def png_bytes(picture: Image.Image, spec_json: str, *, coloring_json: str | None = None) -> bytes:
    """``picture`` as PNG file bytes, with the spec (and coloring) in text chunks."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt(SPEC_CHUNK, spec_json)
    if coloring_json is not None:
        info.add_itxt(COLORING_CHUNK, coloring_json)
    info.add_text("Software", f"attndyn {__version__}")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", pnginfo=info)  # optimize=True costs seconds
    return buffer.getvalue()


def write_png(
    path: str | Path, picture: Image.Image, spec_json: str, *, coloring_json: str | None = None
) -> None:
    """Write ``picture`` to ``path`` atomically, with the spec (and coloring) in text chunks."""
    data = png_bytes(picture, spec_json, coloring_json=coloring_json)
    write_atomic(path, lambda stream: stream.write(data))


def read_picture_spec(path: str | Path) -> str:
    """The spec JSON stored in a PNG or TIFF written by attndyn."""
    text = read_picture_text(path, "spec")
    assert text is not None
    return text


# The names from before TIFFs were read too; both kinds of file work through either.
read_png_text = read_picture_text
read_png_spec = read_picture_spec


def read_picture(path: str | Path) -> Image.Image:
    """A picture file, fully loaded (the file is closed again); one-line error if unreadable."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read picture {str(path)!r}: {error}") from None
