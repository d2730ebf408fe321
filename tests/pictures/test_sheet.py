import numpy as np
import pytest
from PIL import Image

from attndyn.pictures.sheet import SheetItem, contact_sheet, write_sheet


def solid(width, height, value):
    return Image.fromarray(np.full((height, width, 3), value, np.uint8))


def test_pictures_sit_in_a_grid_of_three_with_text_below():
    # Five 32 x 20 pictures of distinct grey levels: two rows, three columns.
    items = [SheetItem(solid(32, 20, 40 * k + 20), f"picture {k}", "a caption") for k in range(5)]
    sheet = np.asarray(contact_sheet(items))
    margin = 4  # max(4, 32 // 16)
    cell = 32 + 2 * margin
    assert sheet.shape[1] == 3 * cell
    rows = [0]  # top of each row of cells: where a picture's grey block begins, minus margin
    for k in range(len(items)):
        r, c = divmod(k, 3)
        left = c * cell + margin
        if r == 1 and len(rows) == 1:
            # The second row starts below the first row's pictures and their text.
            column = sheet[:, left + 16, 0]
            starts = np.flatnonzero(column == 40 * k + 20)
            rows.append(starts[0] - margin)
        top = rows[r] + margin
        block = sheet[top : top + 20, left : left + 32]
        assert (block == 40 * k + 20).all(), k
        # Text under the picture: some dark pixels in the band below it, within the cell.
        band = sheet[top + 20 : top + 20 + 30, c * cell : (c + 1) * cell]
        assert (band < 128).any(), k
    assert rows[1] > margin + 20 + 10  # the second row clears the first row's captions


def test_a_narrower_picture_is_centred_in_its_cell():
    items = [SheetItem(solid(64, 10, 0), "wide"), SheetItem(solid(32, 10, 0), "narrow")]
    sheet = np.asarray(contact_sheet(items, columns=2))
    margin = 64 // 16
    cell = 64 + 2 * margin
    row = sheet[margin + 5, cell : 2 * cell, 0]
    dark = np.flatnonzero(row == 0)
    assert dark[0] == margin + 16 and dark[-1] == margin + 16 + 31


def test_a_long_caption_is_cut_to_three_lines(tmp_path):
    long = " ".join(["word"] * 200)
    short = contact_sheet([SheetItem(solid(64, 8, 255), "t", "one line")])
    cut = contact_sheet([SheetItem(solid(64, 8, 255), "t", long)])
    line = max(10, 64 // 18) + max(10, 64 // 18) // 3
    assert cut.height - short.height == 2 * line  # two more lines, not two hundred words
    write_sheet(tmp_path / "s.png", cut)
    assert Image.open(tmp_path / "s.png").size == cut.size
    assert not list(tmp_path.glob("*.tmp*"))


def test_nothing_to_lay_out_is_refused():
    with pytest.raises(ValueError, match="at least one picture"):
        contact_sheet([])
