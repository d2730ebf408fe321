"""The GPU benchmark script runs end to end (in numba's CUDA simulator when there is no GPU).

The next session with a GPU depends on this script; this keeps it from rotting on machines
without one. It checks what the script prints, not how fast anything is.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from attndyn.engines import nvidia_gpu_present

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gpu.py"


@pytest.mark.skipif(nvidia_gpu_present(), reason="with a GPU, run the benchmark itself")
def test_bench_gpu_prints_every_section():
    environment = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    command = [
        sys.executable, str(SCRIPT), "--size", "4", "--torch-size", "4", "--agreement-size",
        "4", "--big-size", "6", "--repeat", "1", "--seeds", "1679700", "--inits",
        "independent", "--sweep",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for fragment in ("device:", "time to first picture:", "1679700 independent", "sweep,", "6x6:"):
        assert fragment in out, out
    sweep = out[out.index("sweep,") :].splitlines()[2:11]
    assert len(sweep) == 9 and all(float(line.split()[-1]) > 0 for line in sweep)
    agreement = float(out[out.index("1679700 independent") :].splitlines()[0].split()[-1])
    assert 0.0 <= agreement <= 100.0
