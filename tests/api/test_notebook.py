"""In a notebook (a real kernel, run by nbclient), a landscape cell and a trace cell show PNGs:
the landscape's pixels are those of the picture ``attndyn render`` writes with the same
options, and the trace's plot is the file ``attndyn trace --plot`` writes. The kernel's start
and every cell are bounded in time."""

from __future__ import annotations

import base64
import io
from contextlib import chdir
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import run_cli

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

KERNEL_START_SECONDS = 60
CELL_SECONDS = 180


def attndyn_command(folder: Path, *argv: str) -> None:
    """``attndyn ARGV`` run in ``folder`` (in this process: the command's own code path)."""
    with chdir(folder):
        assert run_cli(*argv) == 0


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"))


def png_of(cell) -> bytes:
    shown = [out for out in cell.outputs if "image/png" in out.get("data", {})]
    assert len(shown) == 1, [out.get("output_type") for out in cell.outputs]
    return base64.b64decode(shown[0]["data"]["image/png"])


def test_a_landscape_cell_and_a_trace_cell_show_pngs(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(
        cells=[
            new_code_cell(
                'import attndyn as ad; ad.render(preset="art1679700", init="shared", size=64)'
            ),
            new_code_cell("ad.trace(pixel=(10, 20), size=64)"),
        ]
    )
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_SECONDS,
        startup_timeout=KERNEL_START_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    attndyn_command(tmp_path, "render", "--preset", "art1679700", "--init", "shared",
                    "--size", "64", "-o", "cli.png", "--quiet")  # fmt: skip
    attndyn_command(tmp_path, "trace", "--pixel", "10,20", "--size", "64", "--plot", "t.png",
                    "--quiet")  # fmt: skip
    landscape = png_of(notebook.cells[0])
    assert pixels(landscape).shape == (64, 64)
    assert np.array_equal(pixels(landscape), pixels((tmp_path / "cli.png").read_bytes()))
    assert png_of(notebook.cells[1]) == (tmp_path / "t.png").read_bytes()
