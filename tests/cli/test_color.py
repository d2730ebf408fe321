import numpy as np
import pytest
from PIL import Image

from attndyn.cli.main import main
from attndyn.pictures.coloring import ColorOptions, picture
from attndyn.pictures.images import read_png_text
from attndyn.rendering.store import load_landscape


def run(*argv):
    return main([str(a) for a in argv])


def test_recoloring_a_saved_file_needs_no_engine(tmp_path):
    assert (
        run(
            "render",
            "--preset",
            "art1679700",
            "--size",
            "16",
            "--steps",
            "20",
            "-q",
            "--save",
            tmp_path / "f.npz",
        )
        == 0
    )
    landscape = load_landscape(tmp_path / "f.npz")
    assert (
        run(
            "color",
            tmp_path / "f.npz",
            "-o",
            tmp_path / "c.png",
            "--coloring",
            "log-delta",
            "--cmap",
            "plasma",
            "--equalize",
            "-q",
        )
        == 0
    )
    options = ColorOptions("log-delta", "plasma", False, True)
    expected = np.asarray(picture(landscape.fields, landscape.spec, options))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "c.png")), expected)
    assert ColorOptions.from_json(read_png_text(tmp_path / "c.png", "coloring")) == options


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("missing", "does not exist"),
        ("text", "is not a fields file saved by 'render --save'"),
        ("foreign", "lacks ['labels', 'delta']"),
        ("picture", "is a picture, not a fields file saved by 'render --save'"),
    ],
)
def test_bad_fields_files(tmp_path, capsys, setup, fragment):
    path = tmp_path / "f.npz"
    if setup == "text":
        path.write_text("hello")
    elif setup == "picture":
        # A PNG that attndyn itself wrote: the user means 'render --from', and is told so.
        path = tmp_path / "p.png"
        assert run("render", "--size", "4", "--steps", "1", "-q", "-o", path) == 0
    elif setup == "foreign":
        np.savez(path, spec=np.array("{}"))
    assert run("color", path, "-o", tmp_path / "c.png") == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    if setup in ("text", "picture"):
        assert "render --from" in err
    assert not (tmp_path / "c.png").exists()
