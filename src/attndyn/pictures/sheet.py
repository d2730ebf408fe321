"""Contact sheets: pictures laid out in a grid, each with its title and caption underneath.

The seed's Figure 1 shows its gallery as a 3 x 2 sheet; ``attndyn gallery --sheet`` makes
the same kind of sheet from the pictures it rendered. Cell k (row-major from the top left)
holds picture k at its own size, centred horizontally in a cell as wide as the widest
picture, with the title and the caption (word-wrapped to the cell's width) below it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from attndyn.model.outputs import write_atomic

DEFAULT_COLUMNS = 3
_MAX_CAPTION_LINES = 3


@dataclass(frozen=True)
class SheetItem:
    """One cell of a sheet: the picture, a one-line title and a longer caption."""

    picture: Image.Image
    title: str
    caption: str = ""


def _wrap(text: str, font: ImageFont.ImageFont, width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` pixels; at most three,
    the third ending in " ..." when the text goes on."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > _MAX_CAPTION_LINES:
        lines = lines[:_MAX_CAPTION_LINES]
        words = lines[-1].split()
        while len(words) > 1 and draw.textlength(" ".join(words) + " ...", font=font) > width:
            words.pop()
        lines[-1] = " ".join(words) + " ..."
    return lines


def contact_sheet(
    items: Sequence[SheetItem], *, columns: int = DEFAULT_COLUMNS, background: str = "white"
) -> Image.Image:
    """The sheet of ``items``, ``columns`` to a row, as an RGB picture.

    Cells are ``w + 2 m`` wide, with ``w`` the widest picture and the margin ``m = w / 16``
    (at least 4 pixels); the text under each picture uses a font of ``max(10, w / 18)``
    pixels. Rows are as tall as their tallest cell.
    """
    if not items:
        raise ValueError("a contact sheet needs at least one picture")
    if columns < 1:
        raise ValueError(f"columns {columns} must be >= 1")
    width = max(item.picture.width for item in items)
    margin = max(4, width // 16)
    size = max(10, width // 18)
    title_font = ImageFont.load_default(size=size)
    caption_font = ImageFont.load_default(size=max(8, size * 4 // 5))
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    line = size + size // 3
    texts = [
        ([item.title], _wrap(item.caption, caption_font, width, scratch) if item.caption else [])
        for item in items
    ]
    heights = [
        item.picture.height + margin // 2 + line * (len(title) + len(caption))
        for item, (title, caption) in zip(items, texts, strict=True)
    ]
    rows = -(-len(items) // columns)
    row_heights = [max(heights[r * columns : (r + 1) * columns]) + margin for r in range(rows)]
    cell_width = width + 2 * margin
    sheet = Image.new("RGB", (cell_width * min(columns, len(items)), sum(row_heights)), background)
    draw = ImageDraw.Draw(sheet)
    top = 0
    for r in range(rows):
        for c in range(columns):
            k = r * columns + c
            if k >= len(items):
                break
            item = items[k]
            left = c * cell_width + margin + (width - item.picture.width) // 2
            sheet.paste(item.picture.convert("RGB"), (left, top + margin))
            y = top + margin + item.picture.height + margin // 2
            title, caption = texts[k]
            for text, font in [(t, title_font) for t in title] + [
                (t, caption_font) for t in caption
            ]:
                draw.text((c * cell_width + margin, y), text, fill="black", font=font)
                y += line
        top += row_heights[r]
    return sheet


def write_sheet(path: str | Path, sheet: Image.Image) -> None:
    """Write a sheet as PNG, atomically (a temporary file renamed into place)."""
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    write_atomic(path, lambda stream: stream.write(buffer.getvalue()))
