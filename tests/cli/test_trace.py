"""attndyn trace: the CSV's last delta is render's delta for that pixel; outputs and errors."""

import csv

import numpy as np
import pytest
from PIL import Image

from attndyn.cli.main import main
from attndyn.rendering.store import load_landscape


def run(*argv):
    return main([str(a) for a in argv])


SPEC = ["--preset", "art1679700", "--size", "9x6", "--steps", "30", "--x-range=-4,-1"]


def test_trace_csv_ends_at_the_rendered_delta(tmp_path, capsys):
    assert run("render", *SPEC, "--save", tmp_path / "f.npz", "--engine", "numpy", "-q") == 0
    fields = load_landscape(tmp_path / "f.npz").fields
    outputs = ["--csv", tmp_path / "t.csv", "--plot", tmp_path / "t.png"]
    assert run("trace", *SPEC, "--pixel", "4,7", *outputs, "--animation", tmp_path / "t.gif") == 0
    out = capsys.readouterr().out
    assert "pixel row 4, col 7" in out
    with open(tmp_path / "t.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["step", "delta", "clusters"]
    assert [int(r["step"]) for r in rows] == list(range(31))
    assert np.float32(float(rows[-1]["delta"])) == fields.delta[4, 7]
    assert int(rows[-1]["clusters"]) == fields.clusters[4, 7]
    assert Image.open(tmp_path / "t.png").size[0] > 300
    with Image.open(tmp_path / "t.gif") as gif:
        assert gif.n_frames == 31


def test_trace_at_parameter_values_picks_the_nearest_pixel(capsys):
    # columns of wk11 in [-4, -1] are 3/8 apart: -2.6 is nearest column 4 (-2.5); rows of wk00
    # in [-8, 8] are 3.2 apart: 1.7 is nearest row 3 (1.6)
    assert run("trace", *SPEC, "--at=-2.6,1.7") == 0
    assert "pixel row 3, col 4" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "trace needs one of --pixel ROW,COL or --at X,Y"),
        (["--pixel", "1,2", "--at", "0,0"], "trace needs one of"),
        (["--pixel", "6,0"], "--pixel 6,0 is outside the grid"),
        (["--pixel", "1"], "--pixel '1' is not ROW,COL"),
        (["--at", "9,0"], "outside the window"),
        (["--pixel", "1,1", "--animation", "t.avi"], "must end in .gif or .mp4"),
        (["--pixel", "1,1", "--steps", "-1"], "--steps -1 is too few; give an integer >= 1"),
    ],
)
def test_trace_errors_are_one_line(tmp_path, monkeypatch, capsys, argv, fragment):
    monkeypatch.chdir(tmp_path)
    assert run("trace", *SPEC, *argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
