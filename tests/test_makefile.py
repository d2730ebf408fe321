"""The README's two commands: `make run` installs what rendering needs, `make test` the rest.

Read from the Makefile with `make -n` (print the recipes, run nothing) in a scratch copy whose
stamps are absent, so every install step shows.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def dry_run(tmp_path: Path, target: str) -> str:
    for name in ("Makefile", "pyproject.toml", "package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(
        ["make", "-n", target, "CHROMIUM=/nonexistent/chromium"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_only_what_rendering_needs(tmp_path):
    recipe = dry_run(tmp_path, "run")
    installs = [line for line in recipe.splitlines() if "pip install" in line]
    assert any(line.rstrip().endswith("-e .") for line in installs)
    for heavy in ("[dev", "torch", "explore", "big]", "[docs", "npm", "apt-get"):
        assert heavy not in recipe, heavy
    assert "attndyn render" in recipe


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_adds_the_dev_tools_torch_leaflet_and_chromium(tmp_path):
    recipe = dry_run(tmp_path, "test")
    assert "-e '.[dev,explore,big]'" in recipe
    assert "torch==2.13.0" in recipe  # the CPU build on local disk, never an unpinned torch
    assert "npm ci" in recipe
    assert "apt-get install -y chromium" in recipe
    assert "ruff check" in recipe and "pytest" in recipe


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_and_explore_compile_the_kernels_first_with_attndyn_warmup(tmp_path):
    # The compile is announced by `attndyn warmup` before anything else uses the kernels:
    # make run needs float32's, make explore both (the deep zooms are float64).
    run = dry_run(tmp_path, "run").splitlines()
    warmups = [i for i, line in enumerate(run) if "attndyn warmup" in line]
    renders = [i for i, line in enumerate(run) if "attndyn render" in line]
    assert len(warmups) == 1 and renders and warmups[0] < renders[0]
    assert run[warmups[0]].split("attndyn warmup")[1].split() == ["--precision", "float32"]
    explore = [line for line in dry_run(tmp_path, "explore").splitlines() if "bin/attndyn" in line]
    assert [line.split("bin/attndyn ")[1].split()[0] for line in explore] == ["warmup", "explore"]
    assert explore[0].rstrip().endswith("attndyn warmup")  # both precisions, the default
