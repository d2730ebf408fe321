"""The command line: outputs, the independent Appendix A check, and every error path."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from attndyn import LandscapeSpec
from attndyn.cli.main import main
from attndyn.pictures.images import read_png_spec

from appendix_a import appendix_a_numpy, to_seed_order
from helpers import APPENDIX_B, random_unit_points


def run(*argv):
    return main([str(a) for a in argv])


def matrix_text(values):
    return ",".join(repr(v) for v in values)


def test_render_writes_png_and_npz_with_the_spec(tmp_path, capsys):
    png, npz = tmp_path / "a.png", tmp_path / "a.npz"
    code = run("render", "--size", "12x7", "--steps", "10", "--seed", "3", "-o", png, "--save", npz)
    assert code == 0
    spec = LandscapeSpec.from_json(read_png_spec(png))
    assert (spec.width, spec.height, spec.steps, spec.seed) == (12, 7, 10, 3)
    with np.load(npz) as data:
        assert data["labels"].dtype == np.uint8 and data["labels"].shape == (7, 12)
        assert data["delta"].dtype == np.float32
        assert LandscapeSpec.from_json(str(data["spec"])) == spec
        picture = np.asarray(Image.open(png).convert("L"))
        np.testing.assert_array_equal(picture, np.flipud(data["labels"]) * 255)
    assert "12x7" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "a.png"]


def test_seeded_matrices_are_the_same_on_every_run(tmp_path):
    for name in ("a", "b"):
        assert (
            run(
                "render",
                "--size",
                "4",
                "--steps",
                "1",
                "--seed",
                "77",
                "-q",
                "-o",
                tmp_path / f"{name}.png",
            )
            == 0
        )
    first, second = (json.loads(read_png_spec(tmp_path / f"{n}.png")) for n in "ab")
    assert first["wq"] == second["wq"] and first["wv"] == second["wv"]


def test_negative_numbers_may_follow_an_option_with_a_space(tmp_path):
    png = tmp_path / "n.png"
    assert (
        run(
            "render",
            "--size",
            "3",
            "--steps",
            "1",
            "--range",
            "-2,-1",
            "--wq",
            "-1,0,0,-1",
            "-q",
            "-o",
            png,
        )
        == 0
    )
    spec = json.loads(read_png_spec(png))
    assert spec["x_range"] == [-2.0, -1.0] and spec["wq"] == [-1.0, 0.0, 0.0, -1.0]


def test_agrees_with_a_transcription_of_appendix_a(tmp_path):
    """The seed's own formulation, same matrices and per-pixel points, 64 x 64 grid."""
    size = 64
    wq, wv = APPENDIX_B[1679700]
    x0 = random_unit_points((size, size, 20), seed=2024).astype(np.float32)
    np.save(tmp_path / "x0.npy", x0)
    npz = tmp_path / "out.npz"
    assert (
        run(
            "render",
            "--x0",
            tmp_path / "x0.npy",
            "--wq",
            matrix_text(wq),
            "--wv",
            matrix_text(wv),
            "--save",
            npz,
            "-q",
        )
        == 0
    )
    labels_grid, _ = appendix_a_numpy(
        np.reshape(wq, (2, 2)), np.reshape(wv, (2, 2)), to_seed_order(x0), size
    )
    with np.load(npz) as data:
        ours = data["labels"]
    agreement = (ours == labels_grid.T).mean()
    assert agreement >= 0.999, agreement
    assert 0.05 < ours.mean() < 0.95  # a picture with both colors, not a trivial one


def test_a_bare_render_builds_the_gallerys_art1679700_with_shared_points():
    from attndyn.cli.common import render_options
    from attndyn.cli.main import _build_parser
    from attndyn.model.options import build_job

    wq, wv = APPENDIX_B[1679700]
    spec = build_job(render_options(_build_parser().parse_args(["render"]))).spec
    assert spec == LandscapeSpec(wq=wq, wv=wv, seed=1679700, init="shared")
    assert (spec.width, spec.height, spec.n_points, spec.steps) == (512, 512, 20, 100)


def test_a_bare_render_is_the_seeds_map_from_one_shared_configuration(tmp_path, monkeypatch):
    """The default picture (at 24x24 here) against the transcription of Appendix A, every
    pixel starting from the same 20 points."""
    from attndyn.model.initial import shared_points

    monkeypatch.chdir(tmp_path)
    size = 24
    assert run("render", "--size", size, "--engine", "numpy", "--save", "f.npz", "-q") == 0
    assert run("render", "--size", size, "--engine", "numpy", "-q") == 0  # no --save: a PNG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.npz", "landscape.png"]
    wq, wv = APPENDIX_B[1679700]
    points = shared_points(1679700, 20, dtype=np.float32)
    labels_grid, _ = appendix_a_numpy(
        np.reshape(wq, (2, 2)), np.reshape(wv, (2, 2)), np.tile(points, (size * size, 1, 1)), size
    )
    with np.load(tmp_path / "f.npz") as data:
        ours = data["labels"]
    assert (ours == labels_grid.T).mean() >= 0.99
    assert 0.05 < ours.mean() < 0.5  # a white band on black, not the old default's 94% speckle
    spec = LandscapeSpec.from_json(read_png_spec(tmp_path / "landscape.png"))
    assert (spec.seed, spec.init, spec.width) == (1679700, "shared", size)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--steps", "0"], "--steps 0 is too few; give an integer >= 1"),
        (["--points", "1"], "--points 1 is too few; give an integer >= 2"),
    ],
)
def test_degenerate_counts_are_refused_with_one_line_and_no_file(tmp_path, argv, fragment):
    command = shutil.which("attndyn") or str(Path(sys.executable).parent / "attndyn")
    done = subprocess.run(
        [command, "render", *argv, "-o", tmp_path / "x.png"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("attndyn: error: " + fragment), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


def test_the_installed_command_exits_2_with_one_line(tmp_path):
    command = shutil.which("attndyn") or str(Path(sys.executable).parent / "attndyn")
    done = subprocess.run(
        [command, "render", "--size", "0", "-o", tmp_path / "x.png"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--size '0'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--wq", "1,2,3"], "--wq '1,2,3' has 3 numbers; give 4"),
        (["--wv", "1,a,0,1"], "--wv '1,a,0,1' is not 4 comma-separated numbers"),
        (["--wq", "1,0,0,nan"], "non-finite"),
        (["--wk", "inf,0,0,1"], "non-finite"),
        (["--size", "0"], "--size '0' must be at least 1"),
        (["--size", "-5"], "--size '-5' must be at least 1"),
        (["--size", "10x0"], "--size '10x0' must be at least 1"),
        (["--size", "big"], "--size 'big' is not R or WxH"),
        (["--steps", "-1"], "--steps -1 is too few; give an integer >= 1"),
        (["--steps", "0"], "--steps 0 is too few; give an integer >= 1 (with no step"),
        (["--tol", "0"], "--tol 0.0 must be a finite number > 0"),
        (["--tol", "-1e-5"], "--tol -1e-05 must be"),
        (["--range", "3,1"], "lo must be less than hi"),
        (["--x-range", "1,2,3"], "--x-range '1,2,3' has 3 numbers; give 2"),
        (["--x-param", "wk22"], "unknown parameter 'wk22'; choose one of wq00"),
        (["--size", "200000", "--steps", "100"], "pass --force"),
        (["--points", "0"], "--points 0 is too few; give an integer >= 2"),
        (["--points", "1"], "--points 1 is too few; give an integer >= 2 (a single point"),
        (["--width", "0", "--center", "0,0"], "--width 0.0 must be a finite number > 0"),
        (["--supersample", "0"], "--supersample 0 is too small; it must be >= 1"),
        (["--samples", "0"], "--samples 0 is too small; it must be >= 1"),
        (["--eps", "-1"], "--eps -1.0 must be a finite number >= 0"),
        (["--resize", "0"], "--resize '0' must be at least 1 pixel"),
        (["--x-param", "wk1"], "(did you mean 'wk10' or 'wk11'?)"),
        (["--seed", "-3"], "--seed -3 is outside"),
        (["--normalize-x0"], "--normalize-x0 needs --x0"),
    ],
)
def test_bad_values_get_one_line_and_exit_2(tmp_path, capsys, argv, fragment):
    png = tmp_path / "x.png"
    assert run("render", *argv, "-o", png) == 2
    err = capsys.readouterr().err
    assert fragment in err, err
    assert err.startswith("attndyn: error: ") and err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_bad_x0_files(tmp_path, capsys):
    bad_shape = tmp_path / "shape.npy"
    np.save(bad_shape, np.ones((4, 3)))
    not_unit = tmp_path / "norm.npy"
    np.save(not_unit, np.full((4, 2), 0.5))
    png = tmp_path / "x.png"
    assert run("render", "--x0", bad_shape, "-o", png) == 2
    assert "shape (4, 3); allowed shapes are (n, 2) or (H, W, n, 2)" in capsys.readouterr().err
    assert run("render", "--x0", not_unit, "-o", png) == 2
    assert "not 1" in capsys.readouterr().err
    assert run("render", "--x0", not_unit, "--normalize-x0", "--points", "5", "-o", png) == 2
    assert "--points 5 disagrees with --x0" in capsys.readouterr().err
    per_pixel = tmp_path / "pp.npy"
    np.save(per_pixel, random_unit_points((3, 4, 2), seed=0))
    assert run("render", "--x0", per_pixel, "--size", "5", "-o", png) == 2
    assert "disagrees with --x0, which is for a 4x3 grid" in capsys.readouterr().err
    assert run("render", "--x0", per_pixel, "--init", "shared", "-o", png) == 2
    assert "give one" in capsys.readouterr().err
    assert not png.exists()
    assert (
        run(
            "render",
            "--x0",
            not_unit,
            "--normalize-x0",
            "--steps",
            "2",
            "--size",
            "3",
            "-q",
            "-o",
            png,
        )
        == 0
    )


def test_unwritable_outputs_are_refused_before_any_work(tmp_path, capsys):
    assert run("render", "-o", tmp_path / "nowhere" / "a.png") == 2
    assert "does not exist" in capsys.readouterr().err
    assert run("render", "-o", tmp_path / "a.jpg") == 2
    assert "must end in .png" in capsys.readouterr().err
    assert run("render", "--save", tmp_path) == 2
    assert "is a directory" in capsys.readouterr().err


def test_usage_errors_are_one_line_with_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["render", "--init", "sometimes"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'sometimes'" in err


def test_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    text = capsys.readouterr().out
    for option in (
        "--wq",
        "--wv",
        "--seed",
        "--points",
        "--steps",
        "--tol",
        "--size",
        "--range",
        "--x-range",
        "--y-range",
        "--init",
        "--x0",
        "--output",
        "--save",
        "--quiet",
        "--force",
    ):
        assert option in text


def _render_pair(tmp_path, u, size, x_range, y_range):
    np.save(tmp_path / "pair.npy", np.array([u, [-v for v in u]]))
    png = tmp_path / "o.png"
    argv = ["render", "--x0", tmp_path / "pair.npy", "--size", size, "--steps", "5", "-q"]
    argv += ["--wq", "1,0,0,1", "--wv", "1,0,0,1", f"--x-range={x_range}", f"--y-range={y_range}"]
    assert run(*argv, "-o", png) == 0
    return np.asarray(Image.open(png).convert("L")) // 255


def test_known_a_and_b_land_in_the_right_place(tmp_path):
    """An antipodal pair u, -u with W_Q = W_V = I synchronises exactly where a u0^2 + b u1^2 = 0.

    The scores are k [[1, -1], [-1, 1]] with k = a u0^2 + b u1^2: for k != 0 the pair maps to
    sign(k) (u, -u) and stays apart for ever (delta = 2 |u0|); for k = 0 the weights are
    uniform, both points become 0 and delta = 0.
    """
    # u = e1: white exactly on a = 0. a (up) = -4, 0, 4, 8, 12 -> row 1 = picture row 3.
    picture = _render_pair(tmp_path, [1.0, 0.0], "7x5", "-6,12", "-4,12")
    expected = np.zeros((5, 7), dtype=np.uint8)
    expected[3, :] = 1
    np.testing.assert_array_equal(picture, expected)
    # u = (1, 1)/sqrt 2: white exactly on a = -b. b (across) = -12, -9, ..., 12 (9 columns),
    # a (up) = -6, -3, 0, 3, 6 (5 rows): row r (a = 3r - 6) meets column 6 - r (b = 6 - 3r).
    h = float(np.sqrt(0.5))
    picture = _render_pair(tmp_path, [h, h], "9x5", "-12,12", "-6,6")
    expected = np.zeros((5, 9), dtype=np.uint8)
    for row in range(5):
        expected[4 - row, 6 - row] = 1  # picture rows count from the top
    np.testing.assert_array_equal(picture, expected)


def test_per_pixel_x0_is_row_a_then_column_b(tmp_path):
    """Only pixel [row 0, col 4] starts synchronised: it is the bottom-right pixel."""
    x0 = np.tile(np.array([[1.0, 0.0], [-1.0, 0.0]]), (3, 5, 1, 1))
    x0[0, 4] = [0.6, 0.8]
    np.save(tmp_path / "x0.npy", x0)
    png = tmp_path / "o.png"
    argv = ["render", "--x0", tmp_path / "x0.npy", "--wq", "1,0,0,1", "--wv", "1,0,0,1"]
    assert run(*argv, "--range", "1,2", "--steps", "3", "-q", "-o", png) == 0
    picture = np.asarray(Image.open(png).convert("L")) // 255
    assert picture.shape == (3, 5) and picture.sum() == 1 and picture[2, 4] == 1


def test_experiment_list_names_every_figure(capsys):
    assert run("experiment", "--list") == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == [f"fig{k}" for k in range(1, 8)] + [
        "animations",
        "maxsplit",
        "sphere-densities",
        "phase",
    ]


def test_experiment_runs_by_alias_and_writes_csv_and_png(tmp_path):
    assert run("experiment", "tanh-ratio", "--quick", "--quiet", "-o", tmp_path / "r") == 0
    header = (tmp_path / "r" / "fig4.csv").read_text().splitlines()[0]
    assert "," in header and not header[0].isdigit()
    assert Image.open(tmp_path / "r" / "fig4.png").size[0] > 100


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["experiment", "fig9"], "unknown experiment 'fig9'; choose one of: fig1"),
        (["experiment", "fgi2"], "unknown experiment 'fgi2' (did you mean 'fig2'?); choose"),
        (["experiment", "tanh_ratoi"], "(did you mean 'tanh-ratio'?)"),
        (["experiment"], "experiment needs a name"),
        (["experiment", "fig1", "--seed", "-1"], "--seed -1 is negative"),
        (["experiment", "fig1", "--view", "rotate"], "--view does not apply to experiment 'fig1'"),
        (["experiment", "animations", "--view", "spin"], "--view 'spin' is unknown; choose one"),
    ],
)
def test_experiment_errors_are_one_line(capsys, argv, fragment):
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


# The console script (cli.run): main(), then an exit without Python's finalisation when
# nothing else runs. A module-level object's __del__ runs at finalisation only, so it tells
# whether finalisation happened; an exit handler and the outputs must survive either way.
_CONSOLE = """
import atexit, sys, threading, time
from pathlib import Path
from attndyn.cli import main as cli

folder = Path(sys.argv[1])

class Finalised:
    def __del__(self):
        (folder / "finalised").write_text("yes")

witness = Finalised()
atexit.register((folder / "handler").write_text, "ran")
if sys.argv[2] == "thread":
    def late():
        time.sleep(0.3)
        (folder / "thread").write_text("done")
    threading.Thread(target=late).start()
sys.argv = ["attndyn", *sys.argv[3:]]
cli.run()
"""


def console(folder, mode, *argv):
    return subprocess.run(
        [sys.executable, "-c", _CONSOLE, str(folder), mode, *map(str, argv)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_console_script_skips_finalisation_and_keeps_outputs_and_exit_handlers(tmp_path):
    png = tmp_path / "a.png"
    done = console(tmp_path, "alone", "render", "--size", "6", "--steps", "5", "-o", png)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr  # the streams were flushed
    assert Image.open(png).size == (6, 6)
    assert (tmp_path / "handler").read_text() == "ran"
    assert not (tmp_path / "finalised").exists()


def test_console_script_flushes_stdout_into_a_pipe(tmp_path, capsys):
    assert main(["presets"]) == 0
    listed = capsys.readouterr().out
    done = console(tmp_path, "alone", "presets")  # a pipe: stdout is block-buffered
    assert done.returncode == 0, done.stderr
    assert done.stdout == listed and "art1679700 " in listed


def test_console_script_exits_as_usual_while_another_thread_runs(tmp_path):
    done = console(tmp_path, "thread", "presets")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "thread").read_text() == "done"  # Python waited for the thread
    assert (tmp_path / "finalised").read_text() == "yes"
    assert (tmp_path / "handler").read_text() == "ran"


def test_console_script_keeps_the_exit_code_and_one_line_of_a_user_error(tmp_path):
    done = console(tmp_path, "alone", "render", "--size", "0", "-o", tmp_path / "b.png")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "attndyn: error: --size '0' must be at least 1 pixel in each direction"
    ]
    assert not (tmp_path / "b.png").exists()
    assert (tmp_path / "handler").read_text() == "ran"
