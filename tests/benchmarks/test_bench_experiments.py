"""The experiments' timing script runs (what it prints, not how fast anything is)."""

from bench_experiments import main


def test_bench_experiments_prints_a_row_and_flags_a_run_over_its_target(capsys):
    assert main(["fig7", "--target", "0"]) == 1  # any run takes more than 0 s
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["experiment", "quick", "run", "(s)"]
    assert len(lines) == 2
    name, seconds, *flag = lines[1].split()
    assert name == "fig7" and float(seconds) > 0
    assert " ".join(flag) == "over the 0 s target"
