"""attndyn dimension: reads render --save files, prints the estimate, writes the plot."""

import csv

import numpy as np
import pytest
from PIL import Image

from attndyn.analysis.dimension import estimate_dimension
from attndyn.cli.main import main
from attndyn.rendering.store import load_landscape


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def fields(tmp_path_factory):
    path = tmp_path_factory.mktemp("dim") / "f.npz"
    assert run("render", "--preset", "art1679700", "--size", "96", "--save", path, "-q") == 0
    return path


def test_dimension_prints_the_estimate_and_writes_plot_and_csv(fields, tmp_path, capsys):
    plot, table = tmp_path / "d.png", tmp_path / "d.csv"
    assert run("dimension", fields, "--plot", plot, "-o", table) == 0
    out = capsys.readouterr().out
    expected = estimate_dimension(load_landscape(fields).labels)
    low, high = expected.reported_interval
    first, last = expected.range_spread
    assert f"dimension {expected.dimension:.4f} (95% interval {low:.4f} .. {high:.4f}" in out
    assert f"the box ranges' {first:.4f} .. {last:.4f}" in out
    assert Image.open(plot).size[0] > 300
    with open(table, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["box_size"]) for r in rows] == expected.sizes.tolist()
    assert [int(r["count"]) for r in rows] == expected.counts.tolist()
    windows = [float(r["window_slope_from_here"]) for r in rows]
    assert np.allclose(windows[: len(expected.window_slopes)], expected.window_slopes)
    assert np.isnan(windows[len(expected.window_slopes) :]).all()
    assert run("dimension", fields, "--plot", plot, "-q", "--confidence", "0.5") == 0
    assert capsys.readouterr().out.strip() == f"{expected.dimension:.4f}"
    assert 1.0 < expected.dimension < 2.0 and np.isfinite(expected.stderr)


def test_dimension_writes_only_what_is_named_and_the_plot_by_default(
    fields, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert run("dimension", fields, "-o", "counts.csv", "-q") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts.csv"]
    assert run("dimension", fields, "-q") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts.csv", "dimension.png"]


def test_dimension_old_spellings_still_work_with_one_warning_each(fields, tmp_path, capsys):
    # -o OUT.png was the plot, and --csv the counts, before -o/--output became the counts
    plot, table = tmp_path / "old.png", tmp_path / "old.csv"
    assert run("dimension", fields, "-o", plot, "--csv", table, "-q") == 0
    assert capsys.readouterr().err.splitlines() == [
        "attndyn: warning: --csv is deprecated, use -o/--output",
        "attndyn: warning: -o OUT.png for the plot is deprecated, use --plot OUT.png",
    ]
    assert Image.open(plot).size[0] > 300 and table.read_text().startswith("box_size,count")
    assert run("dimension", fields, "-o", tmp_path / "a.png", "--plot", tmp_path / "b.png") == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "attndyn: error: -o OUT.png and --plot both name the plot; give --plot"
    )


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--field", "delta"], "--field 'delta' is unknown; choose one of labels, clusters"),
        (["--min-box", "64"], "leaves 0 box sizes"),
        (["--confidence", "1.5"], "--confidence 1.5 must lie in (0, 1)"),
        (["--plot", "d.jpg"], "must end in .png"),
        (["-o", "d.txt"], "must end in .csv"),
        (["--field", "lables"], "--field 'lables' is unknown (did you mean 'labels'?)"),
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
