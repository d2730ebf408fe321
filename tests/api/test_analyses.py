"""attndyn.trace and attndyn.dimension: the files and lines of the ``trace`` and ``dimension``
commands, the rendered landscape's own delta at the traced pixel, a
straight boundary's dimension of 1, and errors that name the keyword."""

from __future__ import annotations

import io
from contextlib import chdir
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import attndyn as ad
from attndyn.api.landscapes import Landscape
from attndyn.model.fields import Fields

from helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


def attndyn_command(folder: Path, capsys, *argv: str) -> str:
    """``attndyn ARGV`` run in ``folder`` (in this process: the command's own code path); its
    stdout."""
    with chdir(folder):
        capsys.readouterr()
        assert run_cli(*argv) == 0
        return capsys.readouterr().out


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def test_a_trace_writes_what_the_command_writes_and_says_what_it_says(tmp_path, capsys):
    cli, api = tmp_path / "cli", tmp_path / "api"
    cli.mkdir(), api.mkdir()
    shown = attndyn_command(cli, capsys, "trace", "--pixel", "10,20", "--size", "64", "-o", "t.csv",
                            "--plot", "t.png")  # fmt: skip
    run = ad.trace(pixel=(10, 20), size=64, output=api / "t.csv", plot=str(api / "t.png"))
    assert (api / "t.csv").read_bytes() == (cli / "t.csv").read_bytes()
    assert (api / "t.png").read_bytes() == (cli / "t.png").read_bytes()
    assert run.summary + "\n" == shown
    assert run.written == (api / "t.csv", api / "t.png")
    assert run._repr_png_() == (cli / "t.png").read_bytes()  # the notebook shows the plot
    assert "row 10, col 20" in run._repr_html_()


def test_the_last_delta_of_a_trace_is_the_rendered_pixels_delta():
    landscape = ad.render(size=24, steps=40, init="independent", engine="numpy", quiet=True)
    for row, col in ((0, 0), (5, 17), (23, 23)):
        run = ad.trace(pixel=(row, col), size=24, steps=40, init="independent")
        assert run.delta.shape == (41,) and run.points.shape[0] == 41
        assert run.delta[-1] == landscape.fields.delta[row, col]
        assert run.label == landscape.fields.labels[row, col]
        x, y = landscape.spec.x_values()[col], landscape.spec.y_values()[row]
        nearest = ad.trace(at=(float(x), float(y)), size=24, steps=40, init="independent")
        assert (nearest.row, nearest.col) == (row, col)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"pixel": (10, 64), "size": 64}, "pixel 10,64 is outside the grid; rows are 0..63"),
        ({"size": 64}, "trace needs one of pixel ROW,COL or at X,Y (not both)"),
        ({"pixel": (1, 2), "at": (0, 0)}, "trace needs one of pixel ROW,COL or at X,Y"),
        ({"pixel": "1", "size": 8}, "pixel '1' is not ROW,COL"),
        ({"pixel": (1, 2), "fps": 0, "size": 8}, "fps 0.0 must be a finite number > 0"),
        ({"pixel": (1, 2), "output": "t.txt", "size": 8}, "output path 't.txt' must end in .csv"),
        ({"pixel": (1, 2), "animation": "a.png"}, "animation path 'a.png' must end in .gif or"),
        ({"pixel": (1, 2), "x_param": "wq22"}, "x_param"),
        ({"pixel": (1, 2), "sise": 8}, "trace() got an unknown keyword sise (did you mean size?)"),
    ],
)
def test_a_bad_trace_keyword_is_a_value_error_naming_it(keywords, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ad.OptionError) as refused:
        ad.trace(**keywords)
    assert isinstance(refused.value, ValueError)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # refused before anything was written


def test_a_dimension_measures_what_the_command_measures(tmp_path, capsys):
    attndyn_command(tmp_path, capsys, "render", "--size", "96", "--save", "r.npz", "--quiet")
    shown = attndyn_command(
        tmp_path, capsys, "dimension", "r.npz", "-o", "cli.csv", "--plot", "cli.png"
    )
    fields = str(tmp_path / "r.npz")
    fit = ad.dimension(fields, output=tmp_path / "api.csv", plot=tmp_path / "api.png")
    assert (tmp_path / "api.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert fit.summary.replace(fields, "r.npz") + "\n" == shown
    assert png_size(fit._repr_png_()) == png_size((tmp_path / "cli.png").read_bytes())
    same = ad.dimension(ad.load(fields))  # a Landscape as well as a path
    assert (same.dimension, same.interval) == (fit.dimension, fit.interval)
    clusters = ad.dimension(fields, field="clusters", min_box=2, max_box=5, confidence=0.9)
    quiet = attndyn_command(tmp_path, capsys, "dimension", "r.npz", "--field", "clusters",
                            "--min-box", "2", "--max-box", "5", "--confidence", "0.9",
                            "--quiet")  # fmt: skip
    assert f"{clusters.dimension:.4f}\n" == quiet
    assert list(clusters.sizes) == [2, 3, 4, 5]


def test_a_straight_boundary_has_dimension_one():
    labels = np.zeros((128, 128), dtype=np.uint8)
    labels[:, 50:] = 1  # one vertical line of edges: N(s) = ceil(128 / s) boxes, or one more
    spec = ad.render(size=8, steps=2, engine="numpy", quiet=True).spec
    landscape = Landscape(spec, Fields(delta=labels.astype(np.float32), labels=labels))
    fit = ad.dimension(landscape, min_box=2, max_box=16)
    assert abs(fit.dimension - 1) < 0.05
    assert list(fit.counts) == [-(-128 // s) for s in fit.sizes]


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"field": "lables"}, "field 'lables' is unknown (did you mean 'labels'?); choose one of"),
        ({"min_box": 1.5}, "min_box '1.5' is not an integer"),
        ({"min_box": 2, "max_box": 3}, "min_box 2 to max_box 3 leaves 2 box sizes"),
        ({"confidence": 1.5}, "confidence 1.5 must lie in (0, 1)"),
        ({"plot": "p.jpg"}, "plot path 'p.jpg' must end in .png"),
        ({"field": "probability"}, "field 'probability' is unknown"),
    ],
)
def test_a_bad_dimension_keyword_is_a_value_error_naming_it(keywords, message, tmp_path):
    labels = np.zeros((64, 64), dtype=np.uint8)
    labels[:, 20:] = 1
    spec = ad.render(size=8, steps=2, engine="numpy", quiet=True).spec
    landscape = Landscape(spec, Fields(delta=labels.astype(np.float32), labels=labels))
    with pytest.raises(ad.OptionError) as refused:
        ad.dimension(landscape, **keywords)
    assert str(refused.value).startswith(message), str(refused.value)
    with pytest.raises(ad.OptionError, match=r"^fields=.*does not exist"):
        ad.dimension(tmp_path / "missing.npz")


def test_the_module_examples_run():
    import doctest

    import attndyn.api.analyses

    result = doctest.testmod(attndyn.api.analyses, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0
