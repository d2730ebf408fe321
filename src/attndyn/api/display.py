"""How landscapes and pictures show themselves in a notebook: a small PNG and a short table.

Jupyter (and IPython's other front ends) call an object's ``_repr_png_`` and ``_repr_html_``
to display it. A picture is shown at most :data:`DISPLAY_PIXELS` pixels on its long side
(shrunk with the same bicubic filter as ``--resize``, never enlarged), so a poster does not
put megabytes into the notebook; the HTML form adds the spec's key values in the command
line's option names.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

    from attndyn.model.spec import LandscapeSpec

DISPLAY_PIXELS = 512


def display_size(size: tuple[int, int], limit: int = DISPLAY_PIXELS) -> tuple[int, int]:
    """``size`` (width, height) shrunk to at most ``limit`` on its long side, aspect kept.

    >>> display_size((2048, 1024)), display_size((300, 200)), display_size((5000, 1))
    ((512, 256), (300, 200), (512, 1))
    """
    width, height = size
    longest = max(width, height)
    if longest <= limit:
        return size
    return max(1, round(width * limit / longest)), max(1, round(height * limit / longest))


def display_png(image: Image.Image, limit: int = DISPLAY_PIXELS) -> bytes:
    """PNG bytes of ``image`` shrunk to :func:`display_size` (no text chunks)."""
    from PIL import Image

    size = display_size(image.size, limit)
    if size != image.size:
        if image.mode == "1":  # a 1-bit picture shrinks to grey, not to dithered speckle
            image = image.convert("L")
        image = image.resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _numbers(values: Iterable[float]) -> str:
    return ",".join(f"{v:g}" for v in values)


def spec_rows(spec: LandscapeSpec) -> list[tuple[str, str]]:
    """The spec's key values as (option name, text) rows, in the ``render`` command's words."""
    rows = [
        ("size", f"{spec.width}x{spec.height}"),
        ("x-param", f"{spec.x_param} in [{_numbers(spec.x_range)}]"),
        ("y-param", f"{spec.y_param} in [{_numbers(spec.y_range)}]"),
        ("wq", _numbers(spec.wq)),
        ("wv", _numbers(spec.wv)),
        ("wk", _numbers(spec.wk)),
        ("beta", f"{spec.beta:g}"),
        ("seed", str(spec.seed)),
        ("init", spec.init),
        ("points", str(spec.n_points)),
        ("steps", str(spec.steps)),
        ("precision", spec.dtype),
    ]
    if spec.samples > 1:
        rows.append(("samples", str(spec.samples)))
    if spec.supersample > 1:
        rows.append(("supersample", str(spec.supersample)))
    return rows


def html_figure(png: bytes, rows: Iterable[tuple[str, str]], title: str) -> str:
    """A short HTML block: the PNG inline (base64) beside a two-column table of ``rows``."""
    cells = "".join(
        f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
        f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
        for name, value in rows
    )
    data = base64.b64encode(png).decode("ascii")
    return (
        "<div style='display:flex;gap:1em;align-items:flex-start;flex-wrap:wrap'>"
        f"<img src='data:image/png;base64,{data}' alt='{html.escape(title)}'/>"
        f"<table><caption style='text-align:left'>{html.escape(title)}</caption>{cells}</table>"
        "</div>"
    )
