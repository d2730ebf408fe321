"""bench_lanes: the table it prints, and the competing process it starts is stopped."""

import sys

import bench_lanes


def test_a_small_run_prints_each_machine_and_lane_count_and_stops_its_spinner(monkeypatch, capsys):
    started = []
    real_popen = bench_lanes.subprocess.Popen

    def recording_popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(bench_lanes.subprocess, "Popen", recording_popen)
    argv = ["bench_lanes", "--size", "16", "--lanes", "2", "--repeat", "1", "--reference-rows", "1"]
    monkeypatch.setattr(sys, "argv", argv)
    bench_lanes.main()
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line[:1] in "qC"]
    assert [(row[0], row[-5]) for row in rows][:2] == [("quiet", "1"), ("quiet", "2")]
    assert len(rows) == 4 and all(row[-3].replace(",", "").isdigit() for row in rows)
    (spinner,) = started  # one spinner, for the busy rows, killed and reaped once main returns
    assert spinner.returncode is not None
