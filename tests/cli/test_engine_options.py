"""--engine and --device on the command line (shared by render, gallery and movie)."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from attndyn.cli.main import main
from attndyn.engines import nvidia_gpu_present

SMALL = ["--preset", "art1679700", "--size", "12x10", "--steps", "30", "-q"]
HAS_TORCH = importlib.util.find_spec("torch") is not None


def run(*argv):
    return main([str(a) for a in argv])


def labels(path):
    with np.load(path) as data:
        return data["labels"]


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_torch_on_the_cpu_renders_the_reference_picture(tmp_path):
    torch_argv = ["--engine", "torch", "--device", "cpu", "--save", tmp_path / "t.npz"]
    assert run("render", *SMALL, *torch_argv, "-o", tmp_path / "t.png") == 0
    assert run("render", *SMALL, "--engine", "numpy", "--save", tmp_path / "n.npz") == 0
    assert (tmp_path / "t.png").stat().st_size > 0
    ours, theirs = labels(tmp_path / "t.npz"), labels(tmp_path / "n.npz")
    assert ours.shape == (10, 12) and 0 < theirs.mean() < 1
    assert (ours == theirs).mean() >= 0.99


@pytest.mark.parametrize(
    "argv",
    [
        ["render", *SMALL, "-o", "a.png"],
        ["gallery", "--size", "8", "--only", "art1679700", "-q", "-o", "out"],
        ["movie", "zoom", *SMALL, "--center=-3,-1.8", "--end-width", "1", "--frames", "3"],
    ],
    ids=["render", "gallery", "movie"],
)
def test_a_cpu_engine_on_cuda_is_a_one_line_usage_error(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)  # movie writes zoom.mp4 here by default
    assert run(*argv, "--engine", "numba", "--device", "cuda") == 2
    err = capsys.readouterr().err
    assert err.startswith("attndyn: error: engine 'numba' runs on the CPU only")
    assert err.count("\n") == 1
    assert not any(path.is_file() for path in tmp_path.rglob("*"))  # nothing was rendered


def test_an_unknown_device_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        run("render", *SMALL, "--device", "tpu")
    assert exit_.value.code == 2
    assert "--device" in capsys.readouterr().err


def test_the_cuda_kernel_renders_the_reference_picture(tmp_path):
    # On a machine without a GPU this runs numba's CUDA simulator (tests/conftest.py).
    assert run("render", *SMALL, "--engine", "cuda", "--save", tmp_path / "c.npz") == 0
    assert run("render", *SMALL, "--engine", "numpy", "--save", tmp_path / "n.npz") == 0
    ours, theirs = labels(tmp_path / "c.npz"), labels(tmp_path / "n.npz")
    assert ours.shape == (10, 12) and (ours == theirs).mean() >= 0.99


@pytest.mark.skipif(nvidia_gpu_present(), reason="this machine has an NVIDIA GPU")
def test_cuda_without_a_gpu_is_a_one_line_usage_error(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    command = shutil.which("attndyn") or str(Path(sys.executable).parent / "attndyn")
    out = tmp_path / "x.png"
    for engine in ("cuda", "auto"):
        done = subprocess.run(
            [command, "render", *SMALL, "-o", out, "--engine", engine, "--device", "cuda"],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "GPU" in done.stderr
    assert not (tmp_path / "x.png").exists()
