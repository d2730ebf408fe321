"""The kernels' background compile: one compile per precision however many wait, the states
the page reads, failures handed to the waiters, and engines with nothing to compile.

The backend is a fake whose ``warm_up`` waits on a gate, so no test pays numba's compile."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

import pytest

from attndyn.explorer.kernels import Kernels, KernelsFailed, kernel_key
from attndyn.model.presets import builtin_presets


class GatedBackend:
    """:mod:`attndyn.engines.warmup`'s three functions; ``warm_up`` holds until ``gate`` is set."""

    def __init__(self, cached: bool = False, error: Exception | None = None) -> None:
        self.cached = cached
        self.error = error
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def kernels_ready(self, precision: str, **kernels: bool) -> bool:
        return self.cached

    def expected_compile_seconds(self, precision: str, **kernels: bool) -> float:
        if kernels.get("residual"):
            return 5.0
        return {"float32": 75.4, "float64": 90.0}[precision]

    def warm_up(self, precision: str, **kernels: bool) -> float:
        with self._lock:
            self.calls.append(precision if not kernels else (precision, kernels))
        self.entered.set()
        assert self.gate.wait(30), "the test never opened the gate"
        if self.error is not None:
            raise self.error
        return 1.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_states_elapsed_and_expected_while_compiling():
    backend, clock, lines = GatedBackend(), FakeClock(), []
    kernels = Kernels(backend=backend, clock=clock, notify=lines.append)
    assert kernels.to_dict()["float32"] == {
        "state": "waiting",
        "elapsed_s": None,
        "expected_s": None,
    }
    kernels.start("float32")
    assert backend.entered.wait(10)
    clock.now += 12.34
    assert kernels.to_dict()["float32"] == {
        "state": "compiling",
        "elapsed_s": 12.3,
        "expected_s": 75,
    }
    assert kernels.to_dict()["float64"]["state"] == "waiting"  # compiled when first needed
    assert lines == [
        "compiling the float32 kernels for this machine, once (about 75 s); tiles wait for it, "
        "the page says so"
    ]
    clock.now += 30.0
    backend.gate.set()
    kernels.ensure("float32", timeout=10)
    clock.now += 100.0  # elapsed stops at the end of the compile
    assert kernels.to_dict()["float32"] == {"state": "ready", "elapsed_s": 42.3, "expected_s": 75}
    assert lines[-1] == "float32 kernels compiled in 42 s"
    assert backend.calls == ["float32"]


def test_one_compile_however_many_wait():
    backend = GatedBackend()
    kernels = Kernels(backend=backend)
    done: list[str] = []

    def tile() -> None:
        kernels.ensure("float64", timeout=20)
        done.append("tile")

    threads = [threading.Thread(target=tile) for _ in range(5)]
    for thread in threads:
        thread.start()
    assert backend.entered.wait(10)

    async def page_request() -> bool:
        return await kernels.wait("float64")

    async def both() -> list[bool]:
        waiting = asyncio.ensure_future(page_request())
        await asyncio.sleep(0.3)
        assert not waiting.done() and done == []  # everyone waits for the one compile
        backend.gate.set()
        return [await waiting]

    assert asyncio.run(both()) == [True]
    for thread in threads:
        thread.join(10)
    assert done == ["tile"] * 5
    assert backend.calls == ["float64"]
    kernels.ensure("float64")  # ready: no second compile
    assert backend.calls == ["float64"]


def test_a_request_that_goes_away_stops_waiting():
    backend = GatedBackend()
    kernels = Kernels(backend=backend)
    asks = []

    async def gone() -> bool:
        asks.append(1)
        return len(asks) >= 3

    assert asyncio.run(kernels.wait("float32", gone)) is False
    assert len(asks) == 3
    assert kernels.to_dict()["float32"]["state"] == "compiling"  # the compile goes on
    backend.gate.set()
    kernels.ensure("float32", timeout=10)


def test_a_failed_compile_is_handed_to_every_waiter():
    backend, lines = GatedBackend(error=OSError("disk full")), []
    kernels = Kernels(backend=backend, notify=lines.append)
    backend.gate.set()
    with pytest.raises(
        KernelsFailed, match="float32 kernels failed to compile: OSError: disk full"
    ):
        kernels.ensure("float32", timeout=10)
    with pytest.raises(KernelsFailed):
        asyncio.run(kernels.wait("float32"))
    assert kernels.to_dict()["float32"]["state"] == "failed"
    assert kernels.to_dict()["float32"]["error"] == "OSError: disk full"
    assert lines[-1] == "the float32 kernels failed to compile: OSError: disk full"
    assert backend.calls == ["float32"]  # not retried behind the page's back


def test_cached_kernels_load_without_a_compile_notice():
    backend, lines = GatedBackend(cached=True), []
    kernels = Kernels(backend=backend, notify=lines.append)
    kernels.start("float32")
    assert backend.entered.wait(10)
    assert kernels.to_dict()["float32"]["state"] == "loading"
    backend.gate.set()
    kernels.ensure("float32", timeout=10)
    assert kernels.ready("float32") and lines == []


def test_engines_without_kernels_are_ready_at_once():
    backend = GatedBackend()
    plain = Kernels(compiles=False, backend=backend)
    assert all(item["state"] == "ready" for item in plain.to_dict().values())
    plain.ensure("float64", timeout=1)

    asked = []
    later = Kernels(compiles=lambda: asked.append(1) or False, backend=backend)
    assert later.to_dict()["float32"]["state"] == "waiting"  # the engine is not made yet
    later.ensure("float32", timeout=10)
    assert asked == [1]
    assert all(item["state"] == "ready" for item in later.to_dict().values())
    assert backend.calls == []


def test_an_unknown_set_of_kernels_is_refused():
    known = "float32, float64, float32 residual, float64 residual"
    with pytest.raises(ValueError, match=f"'float16' are not one of {known}"):
        Kernels(backend=GatedBackend()).start("float16")


def test_a_spec_needs_its_precisions_kernels_or_the_residual_maps():
    seeds_map = builtin_presets()["art1679700"].spec(width=4, height=4)
    assert kernel_key(seeds_map) == "float32"
    assert kernel_key(replace(seeds_map, dtype="float64")) == "float64"
    assert kernel_key(replace(seeds_map, residual=0.5)) == "float32 residual"
    assert kernel_key(replace(seeds_map, dtype="float64", residual=2.0)) == "float64 residual"


def test_the_residual_maps_kernels_compile_on_their_own():
    # The backend is asked about and compiles the residual kernels (residual=True), apart
    # from the seed's map's of the same precision, which stay waiting.
    backend = GatedBackend()
    backend.gate.set()
    kernels = Kernels(backend=backend)
    kernels.ensure("float64 residual", timeout=10)
    states = kernels.to_dict()
    assert states["float64 residual"]["state"] == "ready"
    assert states["float64 residual"]["expected_s"] == 5
    assert states["float64"]["state"] == "waiting"
    assert backend.calls == [("float64", {"residual": True})]
