"""Save PNG's jobs: one computation for the same picture, failed and expired exports
removed, and 503s that name the limit reached (the exports' own or the compute queue's)."""

from __future__ import annotations

import threading
import time
import warnings
from urllib.parse import urlencode

import pytest

from attndyn.engines import get_engine
from attndyn.explorer.exports import Exports
from attndyn.explorer.pool import ComputePool, PoolFull
from attndyn.explorer.views import View
from attndyn.model.errors import UserError

VIEW = {"preset": "art1679700", "init": "shared", "steps": "2"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingNumpy:
    """The numpy engine, counting its calls; ``fail`` makes every call raise."""

    name, tile_pixels, supports_float64, last_diagnostics = "counting", 1 << 20, True, None

    def __init__(self, fail: bool = False, gate: threading.Event | None = None) -> None:
        self.inner = get_engine("numpy")
        self.fail, self.gate, self.calls = fail, gate, 0

    def compute(self, job, tile):
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(30)
        if self.fail:
            raise RuntimeError("the engine broke")
        return self.inner.compute(job, tile)

    def pixels_per_second(self, spec):
        return 1e6


def job_of(size: str = "8x8", **query):
    view = View.from_query({**VIEW, **query, "size": size})
    return view.export_job(), view.colors


def wait_finished(exports: Exports, export_id: str) -> str:
    for _ in range(600):  # bounded: 30 s
        state = exports.get(export_id).state
        if state in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError("the export did not finish")


def test_the_same_picture_is_one_export_with_one_computation():
    engine, pool = CountingNumpy(), ComputePool(1, 8)
    exports = Exports(engine, pool)
    job, colors = job_of()
    first = exports.start(job, colors)
    second = exports.start(*job_of())  # made again from the same query: equal, not identical
    assert second is first
    assert wait_finished(exports, first.id) == "done"
    calls = engine.calls
    assert exports.start(*job_of()) is first  # done and kept: still that one
    assert engine.calls == calls
    other = exports.start(*job_of(coloring="clusters"))  # other colours: another picture
    assert other is not first
    assert wait_finished(exports, other.id) == "done"
    pool.close()


def test_failed_exports_are_removed_after_a_while_and_not_reused():
    clock = Clock()
    engine, pool = CountingNumpy(fail=True), ComputePool(1, 8)
    exports = Exports(engine, pool, failed_seconds=120, clock=clock)
    export = exports.start(*job_of())
    assert wait_finished(exports, export.id) == "failed"
    assert "the engine broke" in exports.get(export.id).error
    retry = exports.start(*job_of())  # a failed export is not the answer to asking again
    assert retry is not export
    wait_finished(exports, retry.id)
    clock.now += 121
    with pytest.raises(UserError, match=f"export '{export.id}' is unknown"):
        exports.get(export.id)
    assert len(exports) == 0
    pool.close()


def test_done_exports_expire():
    clock = Clock()
    pool = ComputePool(1, 8)
    exports = Exports(CountingNumpy(), pool, keep_seconds=600, clock=clock)
    export = exports.start(*job_of())
    assert wait_finished(exports, export.id) == "done"
    clock.now += 599
    assert exports.get(export.id).png is not None
    clock.now += 2
    with pytest.raises(UserError):
        exports.get(export.id)
    pool.close()


def test_the_export_limit_names_itself():
    gate = threading.Event()
    pool = ComputePool(1, 8)
    exports = Exports(CountingNumpy(gate=gate), pool, max_running=2)
    exports.start(*job_of("8x8"))
    exports.start(*job_of("9x9"))
    with pytest.raises(PoolFull) as full:
        exports.start(*job_of("10x10"))
    message = str(full.value)
    assert "2 exports are running" in message and "max_running 2" in message
    assert "compute queue" not in message
    assert full.value.retry_after == 5
    assert exports.start(*job_of("9x9")).job.spec.width == 9  # the same picture: no limit
    gate.set()
    pool.close()


def test_the_servers_503s_say_which_limit():
    """Over HTTP: a third export gets 503 naming the exports' limit, a tile over a full
    queue 503 naming the queue's; a repeated export request answers 200 with the same id."""
    pytest.importorskip("fastapi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from attndyn.explorer.app import ExplorerConfig, create_app

    gate = threading.Event()
    engine = CountingNumpy(gate=gate)
    app = create_app(ExplorerConfig(first_view=VIEW, engine=engine, warm_up=False, max_queued=1))
    page = {"Origin": "http://127.0.0.1"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        first = client.post(f"/api/export?{urlencode({**VIEW, 'size': '8x8'})}", headers=page)
        again = client.post(f"/api/export?{urlencode({**VIEW, 'size': '8x8'})}", headers=page)
        assert (first.status_code, again.status_code) == (202, 200)
        assert first.json()["id"] == again.json()["id"]
        second = client.post(f"/api/export?{urlencode({**VIEW, 'size': '9x9'})}", headers=page)
        assert second.status_code == 202
        third = client.post(f"/api/export?{urlencode({**VIEW, 'size': '7x7'})}", headers=page)
        assert third.status_code == 503
        assert "exports are running" in third.json()["detail"]
        assert third.headers["retry-after"] == "5"
        # the first export's band runs (held at the gate), the second's waits: the queue
        # (max_queued 1) is full, and a tile is refused naming it
        for _ in range(200):
            if app.state.pool.stats()["queued"] >= 1:
                break
            time.sleep(0.01)
        tile = client.get(f"/tiles/3/0/0.png?{urlencode(VIEW)}")
        assert tile.status_code == 503
        detail = tile.json()["detail"]
        assert "compute queue is full" in detail and "max_queued 1" in detail
        status = client.get("/api/status").json()
        assert status["exports_running"] == 2 and status["exports_limit"] == 2
        assert (status["in_flight"], status["queued"], status["capacity"]) == (1, 1, 1)
        gate.set()
