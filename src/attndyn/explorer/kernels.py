"""The engine's compiled kernels, made ready in the background so the server answers at once.

The numba engine's kernels are compiled the first time they run on a machine (then loaded
from numba's disk cache). The explorer's server listens first and compiles afterwards, in a
background thread (:mod:`attndyn.engines.warmup` does the work: thread-safe, idempotent), so the
page can open at once and say why its tiles wait. Each set of kernels has a state: those of
each precision for the seed's map ("float32", "float64") and for the residual map ("float32
residual", "float64 residual", :func:`kernel_key`):

``waiting``
    nothing started yet (float64 and the residual map's are compiled when the first tile that
    needs them is asked for);
``starting``
    the background thread is finding out whether it must compile (importing numba);
``compiling``
    compiling now (numba's disk cache had nothing for this machine);
``loading``
    loading from numba's disk cache (a second or two);
``ready``
    loaded; tiles compute at once;
``failed``
    the compile raised (the message is kept; the tiles that needed it answer 500).

A tile request that finds its kernels not ready waits for the one compile, never starts
a second. Engines without compiled kernels (numpy, torch) are ready from the start.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

PRECISIONS = ("float32", "float64")
RESIDUAL = " residual"
# The sets of kernels a tile may need, each compiled on its own (its precision, the seed's map
# or the residual map's): the keys of /api/health's "kernels".
KERNEL_KEYS = (*PRECISIONS, *(precision + RESIDUAL for precision in PRECISIONS))
WAIT_POLL_SECONDS = 0.1
COMPILING_ENGINES = ("numba",)


class Backend(Protocol):
    """What compiles the kernels: :mod:`attndyn.engines.warmup`'s functions (tests give fakes)."""

    def kernels_ready(self, precision: str, **kernels: bool) -> bool: ...

    def warm_up(self, precision: str, **kernels: bool) -> float: ...

    def expected_compile_seconds(self, precision: str, **kernels: bool) -> float: ...


class KernelsFailed(RuntimeError):
    """A set of kernels could not be compiled (the message says why)."""


def kernel_key(spec: Any) -> str:
    """The kernels a spec's tiles need: its precision, and " residual" for the residual map."""
    return spec.dtype + (RESIDUAL if spec.residual_map else "")


def _backend_arguments(key: str) -> tuple[str, dict[str, bool]]:
    """The backend's arguments for a key: the precision, and residual=True for the residual
    map's kernels (the seed's map passes none, the backend's default)."""
    precision, residual, _ = key.partition(RESIDUAL)
    return precision, ({"residual": True} if residual else {})


@dataclass
class _State:
    state: str = "waiting"
    started: float | None = None
    finished: float | None = None
    expected_s: float | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


def _warmup_module() -> ModuleType:
    from attndyn.engines import warmup

    return warmup


class Kernels:
    """The state of each set of kernels (:data:`KERNEL_KEYS`), and the one background compile
    of each.

    ``compiles`` is False for an engine without compiled kernels: every set is ready;
    it may be a function, asked in the background thread (it may make the engine, importing
    numba) before the first compile. ``backend`` defaults to :mod:`attndyn.engines.warmup`, imported
    in that thread too (so the server does not wait for numba's import to listen).
    ``notify`` is told, in a line, when a compile (not a load) starts and when it ends.
    """

    def __init__(
        self,
        compiles: bool | Callable[[], bool] = True,
        backend: Backend | ModuleType | None = None,
        clock: Callable[[], float] = time.monotonic,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self._notify = notify
        self._compiles = compiles
        self._backend = backend
        self._clock = clock
        self._lock = threading.Lock()
        self._sets = {name: _State() for name in KERNEL_KEYS}
        if compiles is False:
            self._nothing_to_compile()

    def _nothing_to_compile(self) -> None:
        with self._lock:
            self._compiles = False
            for entry in self._sets.values():
                if not entry.done.is_set():
                    entry.state = "ready"
                    entry.done.set()

    def compiles(self) -> bool:
        """Whether the engine has kernels to compile (asking makes the engine)."""
        if callable(self._compiles):
            if not self._compiles():
                self._nothing_to_compile()
            else:
                self._compiles = True
        return bool(self._compiles)

    @property
    def backend(self) -> Backend | ModuleType:
        if self._backend is None:
            self._backend = _warmup_module()
        return self._backend

    def _entry(self, key: str) -> _State:
        if key not in self._sets:
            raise ValueError(f"kernels {key!r} are not one of {', '.join(KERNEL_KEYS)}")
        return self._sets[key]

    def start(self, key: str) -> None:
        """Make the ``key`` kernels ready in a background thread, unless already begun."""
        entry = self._entry(key)
        with self._lock:
            if entry.state != "waiting":
                return
            entry.state = "starting"
            entry.started = self._clock()
        thread = threading.Thread(
            target=self._run,
            args=(key,),
            name=f"attndyn-kernels-{key.replace(' ', '-')}",
            daemon=True,
        )
        thread.start()

    def _run(self, key: str) -> None:
        entry = self._sets[key]
        try:
            if not self.compiles():
                return
            backend = self.backend
            name, kind = _backend_arguments(key)
            expected = float(backend.expected_compile_seconds(name, **kind))
            cached = bool(backend.kernels_ready(name, **kind))
            with self._lock:
                entry.expected_s = expected
                entry.state = "loading" if cached else "compiling"
            if not cached:
                self._say(
                    f"compiling the {key} kernels for this machine, once (about "
                    f"{expected:.0f} s); tiles wait for it, the page says so"
                )
            backend.warm_up(name, **kind)
        except BaseException as error:  # kept for the tiles that wait on it
            with self._lock:
                entry.state = "failed"
                entry.error = f"{type(error).__name__}: {error}"
                entry.finished = self._clock()
        else:
            with self._lock:
                compiled = entry.state == "compiling"
                entry.state = "ready"
                entry.finished = self._clock()
            if compiled:
                assert entry.started is not None
                self._say(f"{key} kernels compiled in {entry.finished - entry.started:.0f} s")
        finally:
            entry.done.set()
        if entry.state == "failed":
            self._say(f"the {key} kernels failed to compile: {entry.error}")

    def _say(self, line: str) -> None:
        if self._notify is not None:
            try:
                self._notify(line)
            except Exception:  # a closed stream never stops the compile
                pass

    def ready(self, key: str) -> bool:
        return self._entry(key).state == "ready"

    def _raise_if_failed(self, key: str) -> None:
        entry = self._sets[key]
        if entry.state == "failed":
            raise KernelsFailed(f"the {key} kernels failed to compile: {entry.error}")

    def ensure(self, key: str, timeout: float | None = None) -> None:
        """Block until the ``key`` kernels are ready, starting them if need be.

        Raises :class:`KernelsFailed` if their compile failed, TimeoutError after
        ``timeout`` seconds.
        """
        entry = self._entry(key)
        if not entry.done.is_set():
            self.start(key)
            if not entry.done.wait(timeout):
                raise TimeoutError(f"the {key} kernels are still compiling")
        self._raise_if_failed(key)

    async def wait(self, key: str, gone: Callable[[], Awaitable[bool]] | None = None) -> bool:
        """Wait, without blocking the event loop, until the ``key`` kernels are ready.

        ``gone()`` is asked every :data:`WAIT_POLL_SECONDS`; when it says True (the browser
        cancelled the request) this returns False at once. Returns True when ready; raises
        :class:`KernelsFailed` if the compile failed.
        """
        entry = self._entry(key)
        if not entry.done.is_set():
            self.start(key)
            while not entry.done.is_set():
                await asyncio.sleep(WAIT_POLL_SECONDS)
                if not entry.done.is_set() and gone is not None and await gone():
                    return False
        self._raise_if_failed(key)
        return True

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Each key's state, seconds since its start, and the expected compile time."""
        now = self._clock()
        out: dict[str, dict[str, Any]] = {}
        with self._lock:
            for name, entry in self._sets.items():
                elapsed = None
                if entry.started is not None:
                    end = entry.finished if entry.finished is not None else now
                    elapsed = round(end - entry.started, 1)
                item: dict[str, Any] = {
                    "state": entry.state,
                    "elapsed_s": elapsed,
                    "expected_s": None if entry.expected_s is None else round(entry.expected_s),
                }
                if entry.error is not None:
                    item["error"] = entry.error
                out[name] = item
        return out
