"""bench_startup: a child's own CPU seconds, and the render it times is a valid command."""

import sys

import pytest

import bench_startup
from attndyn.cli.main import _build_parser


def test_run_child_counts_the_childs_own_cpu_time():
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    run = bench_startup.run_child([sys.executable, "-c", burn], {})
    assert 0.3 <= run.cpu <= run.wall + 0.5  # at least the 0.3 s it burned, within its life
    assert run.peak_mib > 1


def test_a_failing_child_stops_the_benchmark_with_its_stderr():
    with pytest.raises(SystemExit, match="boom"):
        bench_startup.run_child([sys.executable, "-c", "raise SystemExit('boom')"], {})


@pytest.mark.parametrize("precision", bench_startup.PRECISIONS)
def test_the_render_it_times_is_the_default_picture_at_8x8(tmp_path, precision):
    command = bench_startup.render_command(precision, tmp_path / "x.png")
    assert command[1:3] == ["-m", "attndyn.cli.main"]
    args = _build_parser().parse_args(command[3:])
    assert (args.preset, args.init, args.size, args.precision) == (
        "art1679700",
        "shared",
        "8",
        precision,
    )
