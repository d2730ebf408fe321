"""``attndyn warmup``, and the compile notice of every command that may compile.

The commands that compile cold run in a subprocess with an empty NUMBA_CACHE_DIR and are
killed as soon as their notice is read: none of these tests waits for a compile.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from attndyn.cli.main import main
from attndyn.engines import warmup

NOTICE = re.compile(
    r"^attndyn: compiling the (float32|float64) (residual )?kernels for this CPU, once "
    r"\(about \d+ s\)$"
)


def test_warmup_says_the_kernels_are_loaded_when_they_are_compiled_already(capsys):
    for precision in warmup.PRECISIONS:
        warmup.warm_up(precision)
    assert main(["warmup"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["float32", "float64"]
    for line in lines:
        assert re.fullmatch(r"float(32|64): already compiled \(loaded in \d+\.\d s\)", line)
    assert main(["warmup", "--precision", " float64,float64 "]) == 0
    assert capsys.readouterr().err.splitlines()[0].startswith("float64: already compiled")
    assert main(["warmup", "-q"]) == 0
    assert capsys.readouterr() == ("", "")


def test_warmup_announces_a_compile_then_says_how_long_it_took(monkeypatch, capsys):
    from attndyn.cli import warmup as command

    asked: list[tuple[str, bool]] = []
    monkeypatch.setattr(command, "kernels_ready", lambda precision, residual=False: False)

    def warm_up(precision, residual=False):
        asked.append((precision, residual))
        return 41.4

    monkeypatch.setattr(command, "warm_up", warm_up)
    assert main(["warmup", "--precision", "float64,float32"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert [bool(NOTICE.match(line)) for line in lines] == [True, False, True, False]
    assert lines[1::2] == ["float64: compiled in 41 s", "float32: compiled in 41 s"]
    assert "float64" in lines[0] and "float32" in lines[2]
    assert asked == [("float64", False), ("float32", False)]
    assert main(["warmup", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    asked.clear()
    assert main(["warmup", "--precision", "float32", "--residual"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert "float32 residual kernels" in lines[2]
    assert lines[1::2] == ["float32: compiled in 41 s", "float32 residual: compiled in 41 s"]
    assert asked == [("float32", False), ("float32", True)]


@pytest.mark.parametrize(
    ("value", "named"),
    [("float16", "'float16'"), ("float32,", "'float32,'"), ("", "''"), ("f32,half", "'f32'")],
)
def test_a_bad_precision_is_one_line_and_exit_2(value, named, capsys):
    assert main(["warmup", "--precision", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"attndyn: error: --precision {named} ")
    assert err.rstrip().endswith(" of float32, float64")


def test_warmup_help_ends_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["warmup", "--help"])
    tail = capsys.readouterr().out.rstrip().split("examples:")[1]
    assert len(re.findall(r"^  attndyn warmup", tail, re.MULTILINE)) >= 2


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize(
    "argv",
    [
        ["warmup", "--precision", "float32"],
        ["render", "--size", "8", "-o", "x.png"],
        ["render", "--size", "8", "--precision", "float64", "-o", "x.png"],
        ["render", "--size", "8", "--residual", "0.5", "-o", "x.png"],
        ["render", "--size", "8", "--store", "x.zarr"],
        ["gallery", "--size", "8", "--only", "art1679700", "-o", "gallery"],
        [
            "movie",
            "zoom",
            "--size",
            "8",
            "--center",
            "0,0",
            "--end-width",
            "1",
            "--frames",
            "2",
            "-o",
            "z.gif",
        ],
    ],
    ids=lambda argv: (
        "-".join(argv[:2])
        + ("-store" if "--store" in argv else "")
        + ("-residual" if "--residual" in argv else "")
    ),
)
def test_a_command_that_must_compile_says_so_at_once(argv, tmp_path):
    # An empty numba cache: the command's first line on stderr is the notice, and it comes
    # after at most 1 s of the command's CPU time (its wall time on a quiet machine; a loaded
    # machine stretches the wall time, so that is bounded loosely). The process is killed
    # there, by its pid, before the compile gets far. Measured on the loaded 2-core machine:
    # 0.5-0.7 s of CPU, 0.6-0.9 s for --store, which imports Dask and Zarr first.
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "attndyn.cli.main", *argv],
        cwd=tmp_path,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started = time.monotonic()
    text, cpu = b"", None
    try:
        while b"\n" not in text and time.monotonic() - started < 30:
            ready, _, _ = select.select([process.stderr], [], [], 0.05)
            if ready:
                chunk = os.read(process.stderr.fileno(), 4096)
                if not chunk:
                    break
                text += chunk
        if b"\n" in text:
            cpu = _cpu_seconds(process.pid)
        wall = time.monotonic() - started
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stderr.close()
    first = text.decode().split("\n")[0]
    assert NOTICE.match(first), text
    assert ("float64" if "float64" in argv else "float32") in first
    assert ("residual" in first) == ("--residual" in argv)
    assert cpu is not None and cpu <= (1.5 if "--store" in argv else 1.0), cpu
    assert wall <= 10, wall
