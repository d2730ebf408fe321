"""The kernels' one-time compile: kernels_ready, warm_up, the compile notice, compile_first.

No test here compiles the kernels cold: a cold cache is an empty NUMBA_CACHE_DIR in a
subprocess that only asks whether the kernels are ready. The warm tests use the package's
own cache (__pycache__), as every engine test does.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec
from attndyn.engines import get_engine, warmup
from attndyn.model.errors import UserError
from attndyn.rendering.render import render_landscape

from helpers import random_unit_points

TESTS = Path(__file__).resolve().parent


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    """``code`` run by a fresh interpreter with ``env`` added to this one's environment."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path]), **env}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_an_empty_cache_is_not_ready_and_asking_compiles_nothing(tmp_path):
    # Asking about both precisions in a cold cache answers False quickly, loads no machine
    # code (no overload in the process) and writes nothing into the cache.
    code = """
import time
from attndyn.engines import warmup
from attndyn.engines.numba_cpu import tile_kernel, tile_kernel_exact
started = time.perf_counter()
ready = [warmup.kernels_ready(p) for p in warmup.PRECISIONS]
seconds = time.perf_counter() - started
print(ready, len(tile_kernel.overloads), len(tile_kernel_exact.overloads), seconds)
"""
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    ready, float32, float64, seconds = python(code, NUMBA_CACHE_DIR=str(cache)).stdout.rsplit(
        maxsplit=3
    )
    assert ready == "[False, False]"
    assert (float32, float64) == ("0", "0")
    assert float(seconds) < 0.5
    assert [path for path in cache.rglob("*") if path.is_file()] == []


@pytest.mark.parametrize("precision", warmup.PRECISIONS)
def test_after_warm_up_a_fresh_process_finds_the_kernels_on_disk_and_loads_them(precision):
    # After warm_up here, a new process (same cache) says ready before touching the kernels,
    # and numba itself then loads the render's kernels from its cache: no cache miss.
    warmup.warm_up(precision)
    assert warmup.kernels_ready(precision)
    code = f"""
from attndyn import LandscapeSpec, render_landscape
from attndyn.engines import warmup
from attndyn.engines.numba_cpu import tile_kernel, tile_kernel_exact
from attndyn.engines.kernels.points import lane_points_kernel, pixel_angles_kernel
if {precision!r} == "float32":
    kernels = [tile_kernel, lane_points_kernel]
else:
    kernels = [tile_kernel_exact, pixel_angles_kernel]
ready = warmup.kernels_ready({precision!r})
loaded = sum(len(kernel.overloads) for kernel in kernels)
spec = LandscapeSpec(wq=(1, 0.3, 0, 1), wv=(1, 0, 0.5, 1), width=5, height=4, steps=9,
                     dtype={precision!r}, init="independent")
render_landscape(spec, "numba")
hits = sum(sum(kernel.stats.cache_hits.values()) for kernel in kernels)
misses = sum(sum(kernel.stats.cache_misses.values()) for kernel in kernels)
print(ready, loaded, hits, misses)
"""
    assert python(code).stdout.split() == ["True", "0", "2", "0"]


def test_a_picture_from_shared_points_neither_needs_nor_loads_the_drawing_of_points():
    # What compile_first compiles for a render of shared points (kernel_set) is what such a
    # render calls: in a fresh process, it loads the tile kernel alone, and the kernels that
    # make independent points stay untouched; a residual render loads its own kernel only.
    for precision in warmup.PRECISIONS:
        warmup.warm_up(precision, independent=False)
        warmup.warm_up(precision, independent=False, residual=True)
    code = """
from attndyn import LandscapeSpec, render_landscape
from attndyn.engines import warmup
from attndyn.engines.kernels import points, residual, tile
for precision in warmup.PRECISIONS:
    for h in (None, 0.5):
        spec = LandscapeSpec(wq=(1, 0.3, 0, 1), wv=(1, 0, 0.5, 1), width=5, height=4, steps=9,
                             dtype=precision, init="shared", residual=h)
        needs = warmup.kernel_set(spec)
        print(needs.precision, needs.independent, needs.residual)
        render_landscape(spec, "numba")
kernels = (tile.tile_kernel, tile.tile_kernel_exact, *residual.residual_kernels.values(),
           points.lane_points_kernel, points.pixel_angles_kernel)
print([sum(kernel.stats.cache_hits.values()) for kernel in kernels])
print([len(kernel.overloads) for kernel in kernels])
"""
    lines = python(code).stdout.splitlines()
    assert lines[:4] == [
        "float32 False False", "float32 False True", "float64 False False", "float64 False True"
    ]  # fmt: skip
    assert lines[4:] == ["[1, 1, 1, 1, 0, 0]", "[1, 1, 1, 1, 0, 0]"]


def test_kernels_cached_for_another_cpu_or_other_sources_are_not_ready():
    # The package's cache holds float32 kernels for this CPU (warm_up). numba compiling for a
    # generic CPU (another magic tuple), or a cache index stamped for other kernel sources
    # (as after an edit), would compile again: not ready.
    warmup.warm_up("float32")
    code = "from attndyn.engines import warmup; print(warmup.kernels_ready('float32'))"
    assert python(code, NUMBA_CPU_NAME="generic").stdout.strip() == "False"
    edited = """
from attndyn.engines import warmup
from attndyn.engines.numba_cpu import tile_kernel
print(warmup.kernels_ready('float32'))
tile_kernel._cache._cache_file._source_stamp = "the stamp of other sources"
print(warmup.kernels_ready('float32'))
"""
    assert python(edited).stdout.split() == ["True", "False"]


def test_a_render_calls_each_kernel_with_one_signature_whatever_its_points():
    # kernels_ready accepts any cached signature of this CPU and these sources; that is the
    # render's only if every kind of render calls a kernel with the one signature of warm_up.
    from attndyn.engines.kernels.points import lane_points_kernel, pixel_angles_kernel
    from attndyn.engines.kernels.residual import residual_kernels
    from attndyn.engines.numba_cpu import tile_kernel, tile_kernel_exact

    kernels = (
        tile_kernel, tile_kernel_exact, lane_points_kernel, pixel_angles_kernel,
        *residual_kernels.values(),
    )  # fmt: skip
    for precision in warmup.PRECISIONS:
        warmup.warm_up(precision)
        warmup.warm_up(precision, residual=True)
    before = [set(k.signatures) for k in kernels]
    assert [len(signatures) for signatures in before] == [1] * 6
    engine = get_engine("numba")
    for precision in warmup.PRECISIONS:
        spec = LandscapeSpec(
            wq=(1, 0.3, 0, 1), wv=(1, 0, 0.5, 1), width=7, height=3, steps=12, dtype=precision
        )
        for residual in (None, 0.5):
            for init in ("independent", "shared"):
                render_landscape(replace(spec, init=init, residual=residual), engine)
            with_residual = replace(spec, residual=residual)
            render_landscape(Job.with_x0(with_residual, random_unit_points((3, 7, 4), 5)), engine)
            render_landscape(Job.with_x0(with_residual, random_unit_points((4,), 6)), engine)
    after = [set(k.signatures) for k in kernels]
    assert after == before


def test_warm_up_is_idempotent_and_a_second_caller_waits_for_the_first():
    from attndyn.engines.numba_cpu import tile_kernel

    times: list[float] = []
    threads = [
        threading.Thread(target=lambda: times.append(warmup.warm_up("float32"))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(times) == 3 and all(seconds >= 0 for seconds in times)
    assert len(tile_kernel.overloads) == 1
    assert warmup.warm_up("float32") < 0.5  # loaded: a 2 x 2 render


@pytest.mark.parametrize("function", [warmup.kernels_ready, warmup.warm_up,
                                      warmup.expected_compile_seconds])  # fmt: skip
def test_a_bad_precision_is_a_one_line_error_naming_it_and_the_allowed_ones(function):
    with pytest.raises(UserError) as error:
        function("float16")
    message = str(error.value)
    assert "\n" not in message
    assert "'float16'" in message and "float32, float64" in message


def test_the_expected_compile_time_is_a_figure_per_kernel_set():
    for precision in warmup.PRECISIONS:
        for residual in (False, True):
            given = warmup.expected_compile_seconds(precision, independent=False, residual=residual)
            drawn = warmup.expected_compile_seconds(precision, residual=residual)
            assert 1 <= given < drawn <= 600


class Terminal(io.StringIO):
    """A stream that says it is a terminal 60 columns wide."""

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("no file")


def test_off_a_terminal_the_notice_is_a_line_before_and_a_line_after():
    stream = io.StringIO()
    with warmup.compile_notice("float64", stream):
        time.sleep(0.05)
    about = round(warmup.expected_compile_seconds("float64"))
    assert stream.getvalue() == (
        f"attndyn: compiling the float64 kernels for this CPU, once (about {about} s)\n"
        "attndyn: ...compiled in 0 s\n"
    )


def test_on_a_terminal_the_notice_ticks_every_second_in_place():
    stream = Terminal()
    with warmup.compile_notice("float32", stream):
        time.sleep(2.3)
    text = stream.getvalue()
    ticks = [tick.split("\n")[0] for tick in text.split("\r")[1:]]
    clocks = [tick.rsplit(" ", 1)[1] for tick in ticks]
    # One tick a second from 0:00 (three in 2.3 s; a loaded machine may delay one).
    assert clocks[0] == "0:00" and clocks == sorted(clocks) and 2 <= len(clocks) <= 3
    assert clocks[-1] in ("0:01", "0:02")
    assert all(tick.startswith("attndyn: compiling the float32 kernels") for tick in ticks)
    assert all(len(tick) <= 79 for tick in ticks)  # never wraps in 80 columns
    assert re.search(r"\nattndyn: \.\.\.compiled in [23] s\n$", text)


def test_on_a_narrow_terminal_the_ticking_line_is_cut_short_to_stay_on_one_line(monkeypatch):
    # A line that wraps cannot be rewritten in place; a terminal that reports 0 columns (a
    # pseudo-terminal with no size set) counts as 80.
    class SizedTerminal(Terminal):
        def fileno(self) -> int:
            return 99  # os.get_terminal_size is the test's

    for columns, longest in ((40, 39), (0, 79)):
        size = os.terminal_size((columns, 24))
        monkeypatch.setattr(os, "get_terminal_size", lambda fd, size=size: size)
        stream = SizedTerminal()
        with warmup.compile_notice("float64", stream, summary=False):
            time.sleep(0.05)
        tick = stream.getvalue().split("\r")[1]
        assert tick.startswith("attndyn: compiling the float64") and tick.endswith(" 0:00")
        assert len(tick) <= longest
    assert tick.startswith("attndyn: compiling the float64 kernels for this CPU, once (about")


def test_the_notice_without_summary_clears_its_line_and_an_error_ends_the_line():
    stream = Terminal()
    with warmup.compile_notice("float32", stream, summary=False):
        pass
    assert stream.getvalue().endswith("\r\033[K")
    stream = Terminal()
    with pytest.raises(KeyboardInterrupt), warmup.compile_notice("float32", stream):
        raise KeyboardInterrupt
    assert stream.getvalue().endswith("\n") and "compiled in" not in stream.getvalue()
    assert not [t for t in threading.enumerate() if t.name == "attndyn-compile-notice"]


def test_compile_first_is_silent_when_the_kernels_are_ready_or_the_engine_is_another(
    monkeypatch,
):
    warmup.warm_up("float32")
    float32 = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), init="independent")
    float64 = replace(float32, dtype="float64")
    stream = io.StringIO()
    warmup.compile_first(get_engine("numba"), [float32], stream=stream)
    warmup.compile_first(get_engine("numpy"), [float32, float64], stream=stream)
    assert stream.getvalue() == ""
    # Not ready: the notice, then the compile (here a load), in PRECISIONS order.
    done: list[str] = []
    monkeypatch.setattr(warmup, "kernels_ready", lambda precision, **kinds: False)
    monkeypatch.setattr(warmup, "warm_up", lambda precision, **kinds: done.append(precision) or 0)
    warmup.compile_first(get_engine("numba"), [float64, float32], stream=stream)
    lines = stream.getvalue().splitlines()
    assert [line.split()[3] for line in lines[::2]] == ["float32", "float64"]
    assert done == ["float32", "float64"]
    warmup.compile_first(get_engine("numba"), [float32], quiet=True, stream=stream)
    assert done[-1] == "float32" and len(stream.getvalue().splitlines()) == 4


def test_compile_first_compiles_the_kernels_its_specs_need_and_no_others(monkeypatch):
    # Each spec's kernel set: the points' drawing only for independent points (and then the
    # set without it is part of it), the residual map's kernel for a residual spec; the
    # notice names the set and, when only the points' kernel is missing, its own time.
    ready: set[tuple[str, bool, bool]] = set()
    done: list[tuple[str, bool, bool]] = []

    def kernels_ready(precision, *, independent=True, residual=False):
        return (precision, independent, residual) in ready

    def warm_up(precision, *, independent=True, residual=False):
        done.append((precision, independent, residual))
        return 0.0

    monkeypatch.setattr(warmup, "kernels_ready", kernels_ready)
    monkeypatch.setattr(warmup, "warm_up", warm_up)
    shared = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), init="shared")
    independent = replace(shared, init="independent")
    engine = get_engine("numba")
    stream = io.StringIO()
    warmup.compile_first(engine, [shared], stream=stream)
    assert done == [("float32", False, False)]
    done.clear()
    warmup.compile_first(engine, [shared, independent, replace(shared, dtype="float64")],
                         stream=stream)  # fmt: skip
    assert done == [("float32", True, False), ("float64", False, False)]
    done.clear()
    warmup.compile_first(engine, [replace(shared, residual=0.5)], stream=io.StringIO())
    assert done == [("float32", False, True)]
    stream = io.StringIO()
    ready.add(("float32", False, False))
    warmup.compile_first(engine, [independent, shared], stream=stream)
    points = round(warmup._POINTS_SECONDS["float32"])
    assert stream.getvalue().splitlines()[0] == (
        f"attndyn: compiling the float32 kernels for this CPU, once (about {points} s)"
    )
    stream = io.StringIO()
    warmup.compile_first(engine, [replace(shared, residual=2.0)], stream=stream)
    about = round(warmup.expected_compile_seconds("float32", independent=False, residual=True))
    assert stream.getvalue().splitlines()[0] == (
        f"attndyn: compiling the float32 residual kernels for this CPU, once (about {about} s)"
    )
    # A residual map's independent points are float64 angles, whatever the precision: with
    # only that kernel missing the notice gives its time, float64's, not the float32 drawing's.
    stream = io.StringIO()
    ready.add(("float32", False, True))
    warmup.compile_first(engine, [replace(independent, residual=2.0)], stream=stream)
    angles = round(warmup._POINTS_SECONDS["float64"])
    assert angles != round(warmup._POINTS_SECONDS["float32"])
    assert stream.getvalue().splitlines()[0] == (
        f"attndyn: compiling the float32 residual kernels for this CPU, once (about {angles} s)"
    )


def test_a_render_with_progress_compiles_before_its_bar_starts(monkeypatch, capsys):
    # The bar's clock (tqdm's start) must start after the compile, so its rate and ETA count
    # the render only.
    import tqdm.auto

    events: list[str] = []
    real = tqdm.auto.tqdm

    def bar(*args, **kwargs):
        events.append("bar")
        return real(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", bar)
    monkeypatch.setattr(warmup, "kernels_ready", lambda precision, **kinds: False)
    monkeypatch.setattr(warmup, "warm_up", lambda precision, **kinds: events.append(precision))
    spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=4, height=4, steps=5)
    render_landscape(spec, "numba", progress=True)
    assert events == ["float32", "bar"]
    assert "compiling the float32 kernels" in capsys.readouterr().err
    events.clear()
    render_landscape(spec, "numba")  # no progress, no notice: the first tile compiles
    assert events == []
    assert np.all(render_landscape(spec, "numpy", progress=True).labels >= 0)
    assert events == ["bar"]  # another engine compiles nothing
