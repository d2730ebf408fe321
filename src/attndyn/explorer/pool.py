"""A bounded compute pool: tiles queue rather than fight, and tiles nobody wants are dropped.

The fast engine already uses every core for one tile, so the explorer computes one task at
a time (``workers`` = 1) and queues the rest. The queue is bounded: a submit beyond
``max_queued`` waiting tasks raises :class:`PoolFull` (the server answers 503 with
Retry-After), so memory never grows with the number of requests.

A long task may call :meth:`ComputePool.run_urgent` between its parts to run, in its own
thread, the tasks of a lower priority number queued meanwhile (a tile's bands let previews
through), so quick tasks never wait for a whole long one and two never compute at once.

Tasks are keyed: a second request for a task already queued or running waits on the same
task (one computation, several answers). Each request holds a :class:`Ticket`; a request
that goes away (the browser cancelled the tile) releases its ticket, and a queued task whose
tickets are all released is cancelled before it starts. Lower ``priority`` runs first
(tiles 0, exports 1), then first come, first served.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


class PoolFull(Exception):
    """A limit of the server is reached; try again after ``retry_after`` seconds.

    The message names the limit (the server answers 503 with it): the compute queue's
    ``max_queued`` here, the exports' own limit in :mod:`attndyn.explorer.exports`."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @classmethod
    def queue(cls, waiting: int, limit: int) -> PoolFull:
        return cls(
            f"the compute queue is full: {waiting} tasks wait, its limit (max_queued "
            f"{limit}); retry shortly"
        )


@dataclass(eq=False)
class _Task:
    key: Hashable
    run: Callable[[], Any]
    priority: int
    future: Future = field(default_factory=Future)
    waiters: int = 0
    started: bool = False
    cancelled: bool = False


class Ticket:
    """One request's claim on a task: ``future`` gives the result; :meth:`release` lets go."""

    def __init__(self, pool: ComputePool, task: _Task) -> None:
        self._pool = pool
        self._task = task
        self._released = False
        self.future: Future = task.future

    def release(self) -> None:
        """This request no longer wants the result (idempotent)."""
        if not self._released:
            self._released = True
            self._pool._release(self._task)


class ComputePool:
    """``workers`` threads running keyed tasks from a bounded priority queue."""

    def __init__(self, workers: int = 1, max_queued: int = 64) -> None:
        if workers < 1 or max_queued < 1:
            raise ValueError("a pool needs workers >= 1 and max_queued >= 1")
        self.max_queued = max_queued
        self._lock = threading.Condition()
        self._heap: list[tuple[int, int, _Task]] = []
        self._tasks: dict[Hashable, _Task] = {}
        self._order = itertools.count()
        self._closed = False
        self.completed = 0
        self.cancelled = 0
        self.running = 0
        self._threads = [
            threading.Thread(target=self._work, name=f"attndyn-compute-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def queued(self) -> int:
        """Tasks waiting to start (cancelled ones not counted)."""
        with self._lock:
            return sum(1 for task in self._tasks.values() if not task.started)

    def submit(self, key: Hashable, run: Callable[[], Any], priority: int = 0) -> Ticket:
        """A ticket for task ``key``: the one queued or running under that key, or a new one
        that calls ``run()``. Raises :class:`PoolFull` when a new task does not fit."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the compute pool is closed")
            task = self._tasks.get(key)
            if task is None:
                waiting = sum(1 for t in self._tasks.values() if not t.started)
                if waiting >= self.max_queued:
                    raise PoolFull.queue(waiting, self.max_queued)
                task = _Task(key, run, priority)
                self._tasks[key] = task
                heapq.heappush(self._heap, (priority, next(self._order), task))
                self._lock.notify()
            task.waiters += 1
            return Ticket(self, task)

    def _release(self, task: _Task) -> None:
        with self._lock:
            task.waiters -= 1
            if task.waiters > 0 or task.started or task.cancelled:
                return
            task.cancelled = True  # its heap entry is skipped when it comes up
            if self._tasks.get(task.key) is task:
                del self._tasks[task.key]
            self.cancelled += 1
        task.future.cancel()

    def _next(self) -> _Task | None:
        with self._lock:
            while True:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if self._heap:
                    task = heapq.heappop(self._heap)[2]
                    task.started = True
                    self.running += 1
                    return task
                if self._closed:
                    return None
                self._lock.wait()

    def _work(self) -> None:
        while (task := self._next()) is not None:
            self._execute(task)

    def _execute(self, task: _Task) -> None:
        if not task.future.set_running_or_notify_cancel():
            self._finish(task)
            return
        try:
            result = task.run()
        except BaseException as error:  # handed to the waiters
            task.future.set_exception(error)
        else:
            task.future.set_result(result)
        self._finish(task)

    def run_urgent(self, priority: int) -> int:
        """Run here and now the queued tasks of a lower priority number than ``priority``,
        and say how many ran. A long task calls it between its parts (a tile between its
        bands), so that quick tasks queued meanwhile (previews, the inspector) wait for a
        part, not for the whole task, without a second computation at the same time."""
        ran = 0
        while True:
            with self._lock:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap or self._heap[0][0] >= priority:
                    return ran
                task = heapq.heappop(self._heap)[2]
                task.started = True
                self.running += 1
            self._execute(task)
            ran += 1

    def _finish(self, task: _Task) -> None:
        with self._lock:
            self.running -= 1
            self.completed += 1
            if self._tasks.get(task.key) is task:
                del self._tasks[task.key]

    def close(self) -> None:
        """Cancel what is queued, let running tasks finish, and stop the threads."""
        with self._lock:
            self._closed = True
            queued = [task for task in self._tasks.values() if not task.started]
            for task in queued:
                task.cancelled = True
                del self._tasks[task.key]
            self._lock.notify_all()
        for task in queued:
            task.future.cancel()
        for thread in self._threads:
            thread.join(timeout=60)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "queued": sum(1 for t in self._tasks.values() if not t.started),
                "running": self.running,
                "completed": self.completed,
                "cancelled": self.cancelled,
                "max_queued": self.max_queued,
            }
