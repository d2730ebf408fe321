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
