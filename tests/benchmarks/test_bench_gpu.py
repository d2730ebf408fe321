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
SESSION = SCRIPT.with_name("gpu_session.sh")
SMALL = ["--torch-size", "4", "--agreement-size", "4", "--big-size", "6"]


def _session(tmp_path, size, inits):
    """benchmarks/gpu_session.sh in numba's CUDA simulator, with tiny sizes and only the
    known-answer tests: its exit and its three logs."""
    environment = {
        **os.environ,
        "NUMBA_ENABLE_CUDASIM": "1",
        "OUT": str(tmp_path),
        "PYTHON": sys.executable,
    }
    command = [
        "bash", str(SESSION), *SMALL, "--size", size, "--repeat", "1", "--seeds", "1679700",
        "--inits", inits, "--", "-k", "known_answers",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    logs = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert sorted(logs) == ["bench.log", "environment.log", "tests.log"]
    assert " passed" in logs["tests.log"] and "failed" not in logs["tests.log"]
    assert "numba" in logs["environment.log"]
    return done, logs


@pytest.mark.skipif(nvidia_gpu_present(), reason="with a GPU, run the session script itself")
def test_gpu_session_runs_every_part_and_the_benchmark_prints_every_section(tmp_path):
    # One run of the benchmark (about 20 s in the simulator) serves both: the session passes
    # its options on, and bench_gpu.py prints each section.
    done, logs = _session(tmp_path, "4", "independent")
    assert done.returncode == 0, done.stdout + done.stderr
    out = logs["bench.log"]
    for fragment in ("device:", "time to first picture:", "1679700 independent", "sweep,", "6x6:"):
        assert fragment in out, out
    for init in ("shared", "independent"):  # float64: the deep zoom, equal to the reference
        line = next(line for line in out.splitlines() if line.strip().startswith(init))
        assert "0 of 4 labels differ" in line, out
    sweep = out[out.index("sweep,") :].splitlines()[2:11]
    assert len(sweep) == 9 and all(float(line.split()[-1]) > 0 for line in sweep)
    row = out[out.index("1679700 independent") :].splitlines()[0].split()
    assert 0.0 <= float(row[-2]) <= 100.0  # the kernel's labels against the reference
    torch_agreement = float(row[-1])  # the torch engine's: nan without torch on CUDA
    assert 0.0 <= torch_agreement <= 100.0 or torch_agreement != torch_agreement


@pytest.mark.skipif(nvidia_gpu_present(), reason="with a GPU, run the session script itself")
def test_gpu_session_runs_every_part_and_returns_the_first_failure(tmp_path):
    # bench_gpu.py refuses --size four (argparse: exit 2) after the tests ran
    done, logs = _session(tmp_path, "four", "shared")
    assert done.returncode == 2
    assert "invalid int value: 'four'" in logs["bench.log"]
