"""The experiments' timing script runs (what it prints, not how fast anything is)."""

import pytest

from bench_experiments import main


def test_bench_experiments_prints_a_row_and_flags_a_run_over_its_target(capsys):
    assert main(["fig7", "--target", "0"]) == 1  # any run takes more than 0 s
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["experiment", "quick", "run", "(s)"]
    assert len(lines) == 2
    name, seconds, *flag = lines[1].split()
    assert name == "fig7" and float(seconds) > 0
    assert " ".join(flag) == "over the 0 s target"


def test_bench_experiments_passes_parameters_and_refuses_bad_ones(capsys):
    assert main(["fig7", "--param", "d_count=3", "--param", "starts=1"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[0] == "fig7"
    with pytest.raises(SystemExit) as info:
        main(["fig7", "--param", "stpes=3"])
    assert info.value.code == 2
    assert "fig7 has no parameter 'stpes' (did you mean 'steps'?)" in capsys.readouterr().err
