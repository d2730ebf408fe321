"""The kernel profile: numba's mangled names read back, and a real profile where perf runs."""

import shutil
import subprocess

import pytest

from profile_kernel import main, readable


def test_mangled_names_read_as_dotted_python_names():
    # numba's mangling: length-prefixed parts, then B and the ABI tags and argument types.
    mangled = "_ZN7attndyn7engines7kernels6blocks11block_stepsB3v56B76c8tJTIeFIjxB2IK"
    assert readable(mangled) == "attndyn.engines.kernels.blocks.block_steps"
    nested = (
        "_ZN7attndyn7engines7kernels8clusters16compile_clusters12_3clocals_3e14count_clustersB3v74"
    )
    assert (
        readable(nested)
        == "attndyn.engines.kernels.clusters.compile_clusters.<locals>.count_clusters"
    )
    assert readable("cfunc." + mangled) == "cfunc.attndyn.engines.kernels.blocks.block_steps"
    assert readable("NRT_decref") == "NRT_decref"


def _perf_records() -> bool:
    if shutil.which("perf") is None or shutil.which("nm") is None:
        return False
    probe = subprocess.run(
        ["perf", "record", "-q", "-e", "cpu-clock", "-o", "/dev/null", "true"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _perf_records(), reason="perf cannot record here")
def test_a_profile_charges_the_samples_to_the_kernels_functions(capsys):
    assert main(["--size", "256", "--repeat", "4", "--steps", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("job: --preset=art1679700 --size=256 --steps=30;")
    shares = {line[14:]: float(line[:12]) for line in lines[2:]}
    # Every sample is charged somewhere, and the 8 block steps of every pixel are sampled.
    # (each share is printed to 0.1, so the printed ones may be off by 0.05 each)
    assert sum(shares.values()) == pytest.approx(100.0, abs=0.05 * len(shares) + 1e-9)
    assert shares.get("attndyn.engines.kernels.blocks.block_steps", 0.0) > 0.0


def test_a_bad_option_gets_one_line_and_exit_2_before_perf_starts(capsys):
    assert main(["--precision", "float16"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "profile_kernel.py: error: --precision 'float16' is unknown (did you mean 'float64'?); "
        "choose one of float32, float64"
    ]
