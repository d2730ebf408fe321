"""The engines' benchmark runs and times the views it says (what it prints, not how fast)."""

from attndyn.model.options import window_around
from bench_engines import BOUNDARY_CENTER, BOUNDARY_WIDTH, Case, cases, main, view_ranges


def test_the_boundary_view_is_the_commands_window():
    x_range, y_range = window_around(BOUNDARY_CENTER, BOUNDARY_WIDTH, (512, 512))
    assert view_ranges("boundary") == {"x_range": x_range, "y_range": y_range}
    assert view_ranges("whole") == {}


def test_float64_rows_are_the_default_picture_and_the_boundary_view():
    run = cases(
        ["whole", "boundary"], ["float32", "float64"], [1, 2], ["independent", "shared"], 9, 7
    )
    whole32 = [c for c in run if c.view == "whole" and c.dtype == "float32"]
    assert [(c.seed, c.init) for c in whole32] == [
        (1, "independent"), (1, "shared"), (2, "independent"), (2, "shared"),
    ]  # fmt: skip
    assert Case("whole", "float64", 1, "independent", 9) in run
    assert len([c for c in run if c.dtype == "float64"]) == 2
    assert [c for c in run if c.view == "boundary"] == [
        Case("boundary", dtype, 1679700, "shared", 7) for dtype in ("float32", "float64")
    ]


def test_a_run_prints_a_row_per_case_and_the_precision_ratio(capsys):
    main(
        ["--size", "8", "--engines", "numba", "--views", "boundary", "--boundary-size", "8",
         "--dtypes", "float32,float64", "--repeat", "1"]
    )  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["engine", "tree", "view", "dtype"]
    rows = [line.split() for line in lines[2:4]]
    assert [row[:7] for row in rows] == [
        ["numba", "-", "boundary", dtype, "1679700", "shared", "8"]
        for dtype in ("float32", "float64")
    ]
    assert "float64 time / float32 time, same view:" in lines
    assert lines[-1].strip().startswith("numba - boundary seed 1679700 shared 8^2:")
