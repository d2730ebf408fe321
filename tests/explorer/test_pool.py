"""The bounded compute pool: one computation per key, a bounded queue, tasks nobody wants
are dropped before they start, lower priority first."""

from __future__ import annotations

import threading

import pytest

from attndyn.explorer.pool import ComputePool, PoolFull


def blocked_pool(max_queued: int = 4):
    """A pool whose one worker is held by a task until the returned event is set."""
    pool = ComputePool(workers=1, max_queued=max_queued)
    gate, started = threading.Event(), threading.Event()

    def hold() -> str:
        started.set()
        gate.wait(30)
        return "held"

    ticket = pool.submit("hold", hold)
    assert started.wait(30)
    return pool, gate, ticket


def test_one_computation_per_key():
    pool, gate, _ = blocked_pool()
    runs = []
    first = pool.submit("a", lambda: runs.append("a") or 1)
    second = pool.submit("a", lambda: runs.append("again") or 2)
    gate.set()
    assert first.future.result(30) == second.future.result(30) == 1
    assert runs == ["a"]
    pool.close()


def test_queue_is_bounded():
    pool, gate, _ = blocked_pool(max_queued=2)
    pool.submit("a", lambda: 1)
    pool.submit("b", lambda: 2)
    with pytest.raises(PoolFull) as full:
        pool.submit("c", lambda: 3)
    assert full.value.retry_after >= 1
    pool.submit("a", lambda: 1)  # joining a queued task takes no room
    gate.set()
    pool.close()


def test_a_task_nobody_wants_is_never_run():
    pool, gate, _ = blocked_pool()
    runs = []
    dropped = pool.submit("dropped", lambda: runs.append("dropped"))
    kept = pool.submit("kept", lambda: runs.append("kept"))
    shared_one = pool.submit("shared", lambda: runs.append("shared"))
    shared_two = pool.submit("shared", lambda: None)
    dropped.release()
    shared_one.release()  # one of two waiters leaves: still wanted
    assert dropped.future.cancelled()
    assert pool.stats()["cancelled"] == 1
    gate.set()
    kept.future.result(30)
    shared_two.future.result(30)
    pool.close()
    assert runs == ["kept", "shared"]


def test_lower_priority_value_runs_first():
    pool, gate, _ = blocked_pool()
    order = []
    late = pool.submit("export", lambda: order.append("export"), priority=1)
    early = pool.submit("tile", lambda: order.append("tile"), priority=0)
    gate.set()
    late.future.result(30)
    early.future.result(30)
    pool.close()
    assert order == ["tile", "export"]


def test_errors_reach_every_waiter():
    pool = ComputePool()

    def fail():
        raise ValueError("boom")

    ticket = pool.submit("x", fail)
    with pytest.raises(ValueError, match="boom"):
        ticket.future.result(30)
    pool.close()


def test_a_long_task_lets_quicker_ones_run_between_its_parts():
    """A tile (priority 0) computed in parts calls run_urgent between them: a preview
    (priority -1) queued meanwhile runs after the first part, not after the whole tile;
    a task of the same or a later priority waits for the tile."""
    pool = ComputePool(workers=1, max_queued=8)
    order: list[str] = []
    first_part, go_on = threading.Event(), threading.Event()

    def tile() -> str:
        order.append("part 1")
        first_part.set()
        assert go_on.wait(30)
        ran = pool.run_urgent(0)
        order.append(f"part 2 after {ran}")
        return "tile"

    tile_ticket = pool.submit("tile", tile, 0)
    assert first_part.wait(30)
    other_tile = pool.submit("other tile", lambda: order.append("other tile"), 0)
    preview = pool.submit("preview", lambda: order.append("preview") or "small", -1)
    dropped = pool.submit("dropped preview", lambda: order.append("dropped"), -1)
    dropped.release()
    go_on.set()
    assert tile_ticket.future.result(30) == "tile"
    assert preview.future.result(30) == "small"
    other_tile.future.result(30)
    assert order == ["part 1", "preview", "part 2 after 1", "other tile"]
    stats = pool.stats()
    assert stats["running"] == 0 and stats["queued"] == 0 and stats["completed"] == 3
    pool.close()
