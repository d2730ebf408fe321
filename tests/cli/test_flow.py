"""attndyn flow: outputs, the recorded series, and one-line errors before any file is written."""

import csv
import json

import numpy as np
import pytest
from PIL import Image

from attndyn.cli.flow import _movie_frames
from attndyn.cli.main import main
from attndyn.particles.simulate import FlowSetup, simulate


def run(*argv):
    return main([str(a) for a in argv])


def test_flow_writes_trajectories_csv_and_animation(tmp_path, capsys):
    argv = ["flow", "--D", "diag(1,3,4)", "-n", "10", "--steps", "40", "--record-every", "10"]
    outputs = ["-o", tmp_path / "f.npz", "--csv", tmp_path / "f.csv"]
    movie = ["--animation", tmp_path / "f.gif", "--frames", "3"]
    assert run(*argv, *outputs, *movie) == 0
    assert "wrote" in capsys.readouterr().err
    with np.load(tmp_path / "f.npz") as data:
        points, steps = data["points"], data["steps"]
        setup = json.loads(str(data["setup"]))
        assert points.shape == (5, 10, 3) and steps.tolist() == [0, 10, 20, 30, 40]
        assert np.allclose(data["times"], 0.1 * steps)
    assert setup["D"] == np.diag([1.0, 3.0, 4.0]).tolist() and setup["direction"] == "ascent"
    # the library run with the same setup gives the same points (same seed)
    again = simulate(FlowSetup(points=10, D=np.diag([1.0, 3.0, 4.0]), steps=40, record_every=10))
    assert np.array_equal(again.points, points)
    with open(tmp_path / "f.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["step", "time", "energy", "clusters"]
    assert [int(r["step"]) for r in rows] == [0, 10, 20, 30, 40]
    assert np.allclose([float(r["energy"]) for r in rows], again.energy)
    with Image.open(tmp_path / "f.gif") as gif:
        assert gif.n_frames == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "f.gif", "f.npz"]


def test_flow_defaults_to_npz_energy_csv_and_plot_and_runs_the_sa_flow_on_the_circle(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert (
        run("flow", "--flow", "sa", "-d", "2", "-n", "6", "--method", "rk4", "-T", "5", "-q") == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "flow-energy.csv",
        "flow-energy.png",
        "flow.npz",
    ]
    with np.load(tmp_path / "flow.npz") as data:
        points, step_energy = data["points"], data["step_energy"]
        assert points.shape == (6, 6, 2)
        assert json.loads(str(data["setup"]))["Q"] == np.eye(2).tolist()
    with open(tmp_path / "flow-energy.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["step", "time", "energy"]
    assert [int(r["step"]) for r in rows] == [0, 1, 2, 3, 4, 5]
    assert np.allclose([float(r["time"]) for r in rows], 0.1 * np.arange(6))
    energies = np.array([float(r["energy"]) for r in rows])
    assert np.array_equal(energies, step_energy)
    # E = (1/n²) Σ_ij exp(<x_i, x_j>) (Q = K = I, β = 1), by plain loops on each step's points
    for k in range(6):
        x = points[k]
        by_hand = sum(np.exp(x[i] @ x[j]) for i in range(6) for j in range(6)) / 36
        assert np.isclose(energies[k], by_hand, rtol=1e-13)
    with Image.open(tmp_path / "flow-energy.png") as image:
        assert image.size[0] > image.size[1] > 300


def test_flow_runs_in_a_dimension_above_the_old_cap_with_a_value_matrix(tmp_path):
    npz = tmp_path / "f.npz"
    assert run("flow", "-d", "70", "-n", "3", "--steps", "2", "--V=-I", "-o", npz, "-q") == 0
    with np.load(npz) as data:
        assert data["points"].shape == (3, 3, 70)
        assert json.loads(str(data["setup"]))["V"] == (-np.eye(70)).tolist()
    assert [p.name for p in tmp_path.iterdir()] == ["f.npz"]


def test_flow_without_a_dimension_or_matrices_runs_in_three_dimensions(tmp_path):
    # --help: "dimension d >= 2 of the ambient space (default: the matrices' size, else 3)"
    assert run("flow", "-n", "4", "--steps", "1", "-o", tmp_path / "f.npz", "-q") == 0
    with np.load(tmp_path / "f.npz") as data:
        assert data["points"].shape == (2, 4, 3)
        assert np.allclose(np.linalg.norm(data["points"], axis=-1), 1.0)  # on the sphere S^2
        assert json.loads(str(data["setup"]))["dimension"] == 3


@pytest.mark.parametrize(
    ("records", "wanted", "frames"),
    [
        # linspace(0, 4, 4) = 0, 4/3, 8/3, 4, rounded to the nearest record: 0, 1, 3, 4
        (5, 4, [0, 1, 3, 4]),
        # linspace(0, 9, 4) = 0, 3, 6, 9: whole already
        (10, 4, [0, 3, 6, 9]),
        # linspace(0, 6, 5) = 0, 1.5, 3, 4.5, 6: halves go to the even record (numpy's round)
        (7, 5, [0, 2, 3, 4, 6]),
        # more frames wanted than records: every record once
        (3, 120, [0, 1, 2]),
    ],
)
def test_movie_frames_are_the_nearest_records_to_an_even_spread(records, wanted, frames):
    assert _movie_frames(records, wanted).tolist() == frames


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--D", "1,2"], "--D has 2 numbers, not d*d"),
        (["--flow", "sa", "--D", "I", "-d", "3"], "--D is not used by the SA flow"),
        (["-d", "5", "--animation", "x.gif"], "not d = 5"),
        (["--animation", "x.avi"], "must end in .gif or .mp4"),
        (["--csv", "x.txt"], "must end in .csv"),
        (["--energy-csv", "x.txt"], "must end in .csv"),
        (["--plot", "x.gif"], "must end in .png"),
        (
            ["-d", "1000000", "-n", "100"],
            "--dimension 1000000 with --points 100 and 501 records needs about",
        ),
        (["--V", "diag(1,2)", "-d", "3"], "--V is 2x2, but d = 3"),
        (["--noise-decay", "2"], "--noise-decay 2.0 must lie in [0, 1]"),
        (["--method", "rk5"], "--method 'rk5' is unknown"),
        (["--points", "0"], "--points 0 is too small"),
        (["--steps", "x"], "--steps 'x' is not an integer"),
        (["--steps", "0"], "--steps 0 is too few; give an integer >= 1"),
        (["--cluster-distance", "0"], "--cluster-distance 0.0 must be a finite number > 0"),
        (["--cluster-distance", "nan"], "--cluster-distance nan must be a finite number > 0"),
        (["-o", "missing/dir/f.npz"], "does not exist"),
    ],
)
def test_flow_errors_are_one_line_and_write_nothing(tmp_path, monkeypatch, capsys, argv, fragment):
    monkeypatch.chdir(tmp_path)
    assert run("flow", *argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and err.startswith("attndyn: error:")
    assert list(tmp_path.iterdir()) == []
