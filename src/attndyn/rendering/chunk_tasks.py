"""The work of one chunk of a store render, wherever it runs: here, or as a Dask task.

:func:`render_chunk` computes one level-0 chunk (:func:`attndyn.rendering.render.compute_chunk`)
and writes it straight into the store; :func:`build_level_chunk` makes one chunk of a pyramid
level from the level below. Each returns only the chunk's
:class:`~attndyn.rendering.store.manifest.ChunkRecord` (its checksums), which the driver
(:mod:`attndyn.rendering.distributed`) appends to the manifest. A process opens each store and
each engine once, and makes one engine call at a time.

Cores. The numba engine's thread count in a task is the host's cores divided among the worker
processes on that host (:func:`engine_threads_by_worker`), so Dask's task threads and numba's
threads do not oversubscribe the cores: a local cluster of N workers has one task thread each
and ``cores // N`` numba threads each.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from attndyn.engines import Engine, get_engine
from attndyn.model.errors import UserError
from attndyn.model.job import Job
from attndyn.rendering.render import compute_chunk
from attndyn.rendering.store.manifest import ChunkRecord
from attndyn.rendering.store.zarr_store import ZarrStore

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["build_level_chunk", "engine_threads_by_worker", "render_chunk"]

_engine_lock = threading.Lock()  # one engine call at a time in a process (see the module docstring)
_worker_stores: dict[tuple[str, str], ZarrStore] = {}
_worker_engines: dict[tuple[str, str], Engine] = {}


def _store_in_this_process(path: str, uid: str) -> ZarrStore:
    """The store at ``path`` opened once per process; refuses one made again meanwhile."""
    key = (path, uid)
    if key not in _worker_stores:
        store = ZarrStore.load(path, mode="r+")
        if store.uid != uid:
            raise UserError(f"store {path!r} was replaced by another one during the render")
        _worker_stores[key] = store
    return _worker_stores[key]


def _engine_in_this_process(engine: str | Engine, device: str) -> Engine:
    if not isinstance(engine, str):
        return engine
    key = (engine, device)
    if key not in _worker_engines:
        _worker_engines[key] = get_engine(engine, device)
    return _worker_engines[key]


@contextlib.contextmanager
def _numba_threads(threads: int | None) -> Iterator[None]:
    """Run with numba's thread count set to ``threads`` (clipped to what numba has)."""
    if threads is None:
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def render_chunk(
    job: Job,
    path: str,
    uid: str,
    index: tuple[int, int],
    engine: str | Engine,
    device: str,
    threads: int | dict[str, int] | None,
) -> ChunkRecord:
    """Compute level-0 chunk ``index`` of the store at ``path`` and write it there; returns
    its record for the manifest (a Dask task, or a step of the in-process loop)."""
    store = _store_in_this_process(path, uid)
    tile = store.tiling.tile(*index)
    if isinstance(threads, dict):
        threads = threads.get(_worker_address(), _default_threads())
    engine_object = _engine_in_this_process(engine, device)
    with _engine_lock, _numba_threads(threads if engine_object.name == "numba" else None):
        fields = compute_chunk(job, engine_object, tile)
    return store.write_tile(tile, fields)


def build_level_chunk(path: str, uid: str, level: int, index: tuple[int, int]) -> ChunkRecord:
    """Make chunk ``index`` of pyramid level ``level`` from the level below; its record."""
    store = _store_in_this_process(path, uid)
    return store.write_level_tile(level, store.level_tiling(level).tile(*index))


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


def _default_threads() -> int:
    """numba threads for a worker that joined after the count was made: its cores divided
    by its task threads."""
    try:
        from distributed import get_worker

        nthreads = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        nthreads = 1
    return max(1, (os.cpu_count() or 1) // max(1, nthreads))


def engine_threads_by_worker(client: Client) -> dict[str, int]:
    """numba threads for each worker of ``client``'s cluster: the cores of the worker's host
    divided by the worker processes on that host (each makes one engine call at a time)."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    cores = client.run(os.cpu_count)
    per_host: dict[str, int] = {}
    for info in workers.values():
        per_host[info["host"]] = per_host.get(info["host"], 0) + 1
    return {
        address: max(1, (cores.get(address) or 1) // per_host[info["host"]])
        for address, info in workers.items()
    }
