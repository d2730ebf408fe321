"""Test-session set-up: without an NVIDIA GPU, the CUDA kernel runs in numba's simulator;
and the fixtures the browser tests share (one Chromium per module, a screenshots folder).

numba reads NUMBA_ENABLE_CUDASIM when numba.cuda is first imported, which no test module
does before this file runs. On a machine with a GPU the CUDA tests run on the device.
"""

import os
from pathlib import Path

import pytest

from attndyn.engines import nvidia_gpu_present

if not nvidia_gpu_present():
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright (tests/local_servers.py), one per test module; a
    module that calls ``require_browser()`` first is skipped where it cannot run."""
    from local_servers import chromium

    yield from chromium()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where a browser test's screenshots go: ``$ATTNDYN_SCREENSHOTS`` when set (to look at
    them), else ``tmp_path``."""
    where = os.environ.get("ATTNDYN_SCREENSHOTS")
    folder = Path(where) if where else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder
