"""attndyn dimension: reads render --save files, prints the estimate, writes the plot."""

import csv

import numpy as np
import pytest
from PIL import Image

from attndyn.cli import main
from attndyn.dimension import estimate_dimension
from attndyn.store import load_landscape


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def fields(tmp_path_factory):
    path = tmp_path_factory.mktemp("dim") / "f.npz"
    assert run("render", "--preset", "art1679700", "--size", "96", "--save", path, "-q") == 0
    return path


def test_dimension_prints_the_estimate_and_writes_plot_and_csv(fields, tmp_path, capsys):
    plot, table = tmp_path / "d.png", tmp_path / "d.csv"
    assert run("dimension", fields, "-o", plot, "--csv", table) == 0
    out = capsys.readouterr().out
    expected = estimate_dimension(load_landscape(fields).labels)
    assert f"dimension {expected.dimension:.4f} (95% interval" in out
    assert Image.open(plot).size[0] > 300
    with open(table, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["box_size"]) for r in rows] == expected.sizes.tolist()
    assert [int(r["count"]) for r in rows] == expected.counts.tolist()
    assert run("dimension", fields, "-o", plot, "-q", "--confidence", "0.5") == 0
    assert capsys.readouterr().out.strip() == f"{expected.dimension:.4f}"
    assert 1.0 < expected.dimension < 2.0 and np.isfinite(expected.stderr)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--field", "delta"], "--field 'delta' is unknown; choose one of labels, clusters"),
        (["--min-box", "64"], "leaves 0 box sizes"),
        (["--confidence", "1.5"], "--confidence 1.5 must lie in (0, 1)"),
        (["-o", "d.jpg"], "must end in .png"),
    ],
)
def test_dimension_errors_are_one_line(fields, tmp_path, monkeypatch, capsys, argv, fragment):
    monkeypatch.chdir(tmp_path)
    assert run("dimension", fields, *argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_dimension_refuses_files_that_are_not_fields(tmp_path, capsys):
    (tmp_path / "p.npz").write_bytes(b"not a zip")
    assert run("dimension", tmp_path / "p.npz", "-o", tmp_path / "d.png") == 2
    assert "is not a fields file" in capsys.readouterr().err
    assert not (tmp_path / "d.png").exists()
