"""Writing a rendered landscape: its picture (PNG carrying spec and coloring) and its fields.

The PNG carries the spec (``attndyn render --from`` reproduces it) and the color options
(``--from`` colors it the same way); the fields file is an ``.npz`` of every field plus the
spec as JSON, which ``attndyn color`` re-colors without recomputing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from attndyn.model.errors import UserError
from attndyn.pictures.coloring import ColorOptions, picture
from attndyn.pictures.images import read_picture_text, write_png
from attndyn.rendering.store import save_landscape

if TYPE_CHECKING:
    from attndyn.rendering.render import Landscape


def write_landscape(
    landscape: Landscape,
    options: ColorOptions,
    *,
    png: Path | None,
    npz: Path | None,
    size: tuple[int, int] | None = None,
) -> Image.Image | None:
    """Write the fields file (``npz``) and/or the picture (``png``, colored by ``options`` and
    resized to ``size`` = (width, height) if given); returns the picture, if one was written."""
    spec_json = landscape.spec.to_json()
    if npz is not None:
        save_landscape(npz, landscape)
    if png is None:
        return None
    image = picture(landscape.fields, landscape.spec, options, size=size)
    write_png(png, image, spec_json, coloring_json=options.to_json())
    return image


def carries_spec(png: str | Path, spec_json: str) -> bool:
    """Whether ``png`` exists and is a picture of exactly this spec (so need not be redone)."""
    if not Path(png).exists():
        return False
    try:
        return read_picture_text(png, "spec", required=False) == spec_json
    except UserError:
        return False
