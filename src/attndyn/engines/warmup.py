"""The numba CPU kernels' one-time compile: whether it is needed, doing it ahead, saying so.

The numba engine's kernels are compiled for the CPU they run on the first time they are used
(about 17-20 s of CPU per precision on the 2-core development machine, a few seconds more
or less for the kernels a picture adds or leaves out: see :data:`KernelSet`) and cached on
disk by numba (``cache=True``, under the source stamp of
:mod:`attndyn.engines.kernels.caching`); every later process loads them from the cache in
a fraction of a second. This module lets a front end know and say which of the two happens:

  * :func:`kernels_ready` tells, without compiling, whether a precision's kernels are loaded
    in this process or in numba's disk cache for this CPU and these sources;
  * :func:`warm_up` compiles them (or loads them), by running the engine itself on a tiny
    picture, so the compile is the one a real render needs, with the same type signature;
  * :func:`compile_notice` says on stderr that the compile is running, with the elapsed time;
  * :func:`compile_first` puts those together for a render: called before a progress bar
    starts, so that the bar's rate and ETA count the render only. It compiles only the
    kernels the render's specs need (:func:`kernel_set`): a first picture from shared points
    does not compile the drawing of independent ones.

``attndyn warmup`` (:mod:`attndyn.cli.warmup`) is the command around :func:`warm_up`.
Nothing here imports numba until a function is called.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from attndyn.model.errors import FieldError
from attndyn.model.parsing import did_you_mean

if TYPE_CHECKING:
    from attndyn.model.spec import LandscapeSpec

__all__ = [
    "PRECISIONS",
    "KernelSet",
    "check_precision",
    "compile_first",
    "compile_notice",
    "expected_compile_seconds",
    "kernel_set",
    "kernels_ready",
    "warm_up",
]

PRECISIONS: tuple[str, ...] = ("float32", "float64")


class KernelSet(NamedTuple):
    """The numba kernels a render compiles: those of ``precision``, for the residual map
    (``residual``) or the seed's map, with the drawing of independent initial points
    (``independent``) or without it (shared points, or an x0 file)."""

    precision: str
    independent: bool = True
    residual: bool = False

    def describe(self) -> str:
        """How the compile notice names it: "float32 kernels", "float64 residual kernels"."""
        return f"{self.precision} {'residual ' if self.residual else ''}kernels"

    @property
    def draws_float32_points(self) -> bool:
        """Whether its independent points are drawn in float32 by the lanes
        (:func:`~attndyn.engines.kernels.points.lane_points_kernel`: the seed's float32 map);
        otherwise their angles are made in float64
        (:func:`~attndyn.engines.kernels.points.pixel_angles_kernel`)."""
        return self.precision == "float32" and not self.residual


def kernel_set(spec: LandscapeSpec) -> KernelSet:
    """The kernels a render of ``spec`` with the numba engine needs."""
    return KernelSet(spec.dtype, spec.init == "independent", spec.residual_map)


# The wall seconds of a cold compile of a kernel set (empty NUMBA_CACHE_DIR) on the 2-core
# development machine, as measured by benchmarks/bench_startup.py, by (precision, residual);
# the independent points' kernel adds _POINTS_SECONDS, by the precision it makes them in: the
# float32 drawing (lane_points_kernel) for the seed's float32 map, the float64 angles
# (pixel_angles_kernel) for float64 and the residual map (KernelSet.draws_float32_points).
_COMPILE_SECONDS = {  # (2026-12-06, evening: 14.6-17.5, 15.7-16.0, 4.4 and 4.6 s)
    ("float32", False): 17.0,
    ("float64", False): 16.0,
    ("float32", True): 4.0,
    ("float64", True): 4.0,
}
_POINTS_SECONDS = {"float32": 2.0, "float64": 1.0}

_locks: dict[KernelSet, threading.Lock] = {}
_locks_lock = threading.Lock()


def check_precision(precision: str) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`; else a one-line
    :class:`~attndyn.model.errors.FieldError` naming it and the allowed values (and the one it most
    likely meant, :func:`attndyn.model.parsing.did_you_mean`)."""
    if precision in PRECISIONS:
        return precision
    hint = did_you_mean(str(precision), PRECISIONS)
    raise FieldError(
        lambda n: (
            f"{n('precision')} {precision!r} is unknown{hint}; choose one of "
            f"{', '.join(PRECISIONS)}"
        )
    )


def expected_compile_seconds(
    precision: str, *, independent: bool = True, residual: bool = False
) -> float:
    """The wall seconds a cold compile of a :class:`KernelSet` takes on the 2-core
    development machine (measured by ``benchmarks/bench_startup.py``): what the compile
    notice announces. A faster or slower machine takes proportionally less or more."""
    seconds = _COMPILE_SECONDS[check_precision(precision), residual]
    return seconds + (
        _points_seconds(KernelSet(precision, independent, residual)) if independent else 0.0
    )


def _points_seconds(kernels: KernelSet) -> float:
    """The expected seconds of its independent points' kernel alone: the float32 drawing's or
    the float64 angles' (:attr:`KernelSet.draws_float32_points`)."""
    return _POINTS_SECONDS["float32" if kernels.draws_float32_points else "float64"]


def _kernels(kernels: KernelSet) -> list[Any]:
    """The numba dispatchers a render of a :class:`KernelSet` calls (importing numba): the
    tile kernel of its precision (or the residual map's), and for independent points the
    kernel that draws them (float32, :func:`~attndyn.engines.kernels.points.lane_points_kernel`)
    or their angles (float64 and the residual map,
    :func:`attndyn.engines.inputs.independent_angles`)."""
    from attndyn.engines.kernels import points, residual, tile

    if kernels.residual:
        found = [residual.residual_kernels[kernels.precision]]
    else:
        found = [tile.tile_kernel if kernels.precision == "float32" else tile.tile_kernel_exact]
    if kernels.independent:
        drawn = kernels.draws_float32_points
        found.append(points.lane_points_kernel if drawn else points.pixel_angles_kernel)
    return found


def _on_disk(dispatcher: Any) -> bool:
    """Whether numba's disk cache holds machine code of ``dispatcher`` for this CPU and these
    sources, read from numba's own index of the function, as numba reads it before loading.

    numba keys an entry by (signature, the codegen's magic tuple: target triple, CPU name and
    features, the hash of the function's bytecode); the index itself is dropped when its
    source stamp (every kernel module, :mod:`attndyn.engines.kernels.caching`) or numba's
    version differs. An entry counts when everything but the signature matches and its data
    file exists: the engine calls each kernel with one signature per precision
    (:func:`attndyn.engines.inputs.point_source` makes every array fresh, writable and
    C-contiguous for that reason; tests/test_warmup.py checks it), so an entry for this CPU is
    that signature's. Anything unexpected in numba's internals reads as "not cached".
    """
    try:
        cache = dispatcher._cache
        cache_file = cache._cache_file
        codegen = dispatcher.targetctx.codegen()
        _, magic, code = cache._index_key((), codegen)
        index = cache_file._load_index()
        return any(
            isinstance(key, tuple)
            and len(key) == 3
            and key[1] == magic
            and key[2] == code
            and os.path.isfile(os.path.join(cache.cache_path, name))
            for key, name in index.items()
        )
    except Exception:
        return False


def kernels_ready(precision: str, *, independent: bool = True, residual: bool = False) -> bool:
    """True when using the numba CPU kernels of ``KernelSet(precision, independent,
    residual)`` needs no compile: they are loaded in this process, or in numba's disk cache
    for this CPU and these sources. The defaults are every kernel of the seed's map in that
    precision.

    Never compiles. The first call in a process imports numba and the kernels' modules
    (about half a second, which any use of the engine pays anyway); later calls take well
    under a millisecond. Raises :class:`~attndyn.model.errors.UserError` for an unknown precision.
    """
    check_precision(precision)
    return all(
        not hasattr(kernel, "overloads")  # NUMBA_DISABLE_JIT: plain Python, nothing to compile
        or kernel.overloads
        or _on_disk(kernel)
        for kernel in _kernels(KernelSet(precision, independent, residual))
    )


def _tiny_render(kernels: KernelSet) -> None:
    """Run the numba engine on a 2 x 2 picture that takes ``kernels``: the kernel calls,
    argument types included, are those of any render (the tile kernel's signature is the same
    for every kind of starting points; independent points add their own kernel)."""
    from attndyn.engines.numba_cpu import NumbaCpuEngine
    from attndyn.model.job import Job
    from attndyn.model.spec import LandscapeSpec
    from attndyn.model.tiles import Tile

    spec = LandscapeSpec(
        wq=(1.0, 0.0, 0.0, 1.0),
        wv=(1.0, 0.0, 0.0, 1.0),
        width=2,
        height=2,
        n_points=3,
        steps=2,
        dtype=kernels.precision,
        init="independent" if kernels.independent else "shared",
        residual=0.5 if kernels.residual else None,
    )
    NumbaCpuEngine().compute(Job(spec), Tile(0, 2, 0, 2))


def warm_up(precision: str, *, independent: bool = True, residual: bool = False) -> float:
    """Compile the numba CPU kernels of ``KernelSet(precision, independent, residual)`` (by
    default every kernel of the seed's map in ``precision``), or load them from numba's disk
    cache, into this process; returns the wall seconds it took.

    Thread-safe: a second caller for the same kernels waits for the first, then finds them
    loaded. Idempotent: once loaded, a call costs a 2 x 2 render (about a millisecond).
    Raises :class:`~attndyn.model.errors.UserError` for an unknown precision.
    """
    kernels = KernelSet(check_precision(precision), independent, residual)
    started = time.perf_counter()
    with _locks_lock:
        lock = _locks.setdefault(kernels, threading.Lock())
    with lock:
        _tiny_render(kernels)
    return time.perf_counter() - started


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _fit(message: str, clock: str, stream: TextIO) -> str:
    """``message clock``, the message cut short to keep the line within the terminal's width:
    a line that wraps cannot be rewritten in place by a carriage return."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    room = (columns or 80) - 2 - len(clock)  # a terminal of unknown width (0 columns): 80
    if len(message) > room:
        message = message[: max(0, room - 3)].rsplit(" ", 1)[0] + "..."
    return f"{message} {clock}"


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def compile_notice(
    precision: str,
    stream: TextIO | None = None,
    *,
    summary: bool = True,
    independent: bool = True,
    residual: bool = False,
    expected: float | None = None,
) -> Iterator[None]:
    """Say on ``stream`` (default: stderr) that the kernels of ``KernelSet(precision,
    independent, residual)`` are being compiled, for as long as the ``with`` block runs,
    announcing ``expected`` seconds (default :func:`expected_compile_seconds`).

    On a terminal the line ``attndyn: compiling the float32 kernels for this CPU, once (about
    17 s) 0:12`` is rewritten every second with the elapsed time; off a terminal it is
    written once, without the clock. When the block ends, ``summary`` adds the line
    ``attndyn: ...compiled in 74 s`` (a front end that reports the time itself turns it off;
    on a terminal the ticking line is then cleared). An exception (Ctrl-C) ends the line and
    says nothing more.
    """
    out = sys.stderr if stream is None else stream
    kernels = KernelSet(precision, independent, residual)
    if expected is None:
        expected = expected_compile_seconds(precision, independent=independent, residual=residual)
    about = round(expected)
    message = f"attndyn: compiling the {kernels.describe()} for this CPU, once (about {about} s)"
    tty = _is_tty(out)
    started = time.perf_counter()
    stop = threading.Event()
    ticker = None

    def write(text: str) -> None:
        try:
            out.write(text)
            out.flush()
        except (OSError, ValueError):  # a closed stream: the compile goes on regardless
            pass

    if tty:

        def tick() -> None:
            while True:
                write(f"\r{_fit(message, _clock(time.perf_counter() - started), out)}")
                if stop.wait(1.0 - (time.perf_counter() - started) % 1.0):
                    return

        ticker = threading.Thread(target=tick, name="attndyn-compile-notice", daemon=True)
        ticker.start()
    else:
        write(message + "\n")
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        stop.set()
        if ticker is not None:
            ticker.join()
        seconds = time.perf_counter() - started
        if tty:
            write("\n" if failed or summary else "\r\033[K")
        if summary and not failed:
            write(f"attndyn: ...compiled in {seconds:.0f} s\n")


def compile_first(
    engine: Any,
    specs: Iterable[LandscapeSpec],
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Before a render of ``specs`` with ``engine``: when it is the numba engine and the
    kernels one of them needs (:func:`kernel_set`) are not ready (:func:`kernels_ready`),
    compile them now, under a :func:`compile_notice` unless ``quiet``, so that a progress bar
    started afterwards counts the render only. Only those kernels: a picture from shared
    points does not compile the drawing of independent ones, nor a seed's map the residual
    map's. Costs nothing measurable when the kernels are ready or the engine is another."""
    if getattr(engine, "name", engine) != "numba":
        return
    wanted = {kernel_set(spec) for spec in specs}
    # Without independent points, a set is part of the same set with them.
    wanted -= {kernels._replace(independent=False) for kernels in wanted if kernels.independent}
    for kernels in sorted(wanted, key=_compile_order):
        precision, independent, residual = kernels
        if kernels_ready(precision, independent=independent, residual=residual):
            continue
        if quiet:
            warm_up(precision, independent=independent, residual=residual)
            continue
        expected = None
        if independent and kernels_ready(precision, independent=False, residual=residual):
            expected = _points_seconds(kernels)  # only the points' kernel is missing
        with compile_notice(
            precision, stream, independent=independent, residual=residual, expected=expected
        ):
            warm_up(precision, independent=independent, residual=residual)


def _compile_order(kernels: KernelSet) -> tuple[int, bool, bool]:
    return (PRECISIONS.index(kernels.precision), kernels.residual, kernels.independent)
