"""Rendering into a Zarr store, in this process or on a Dask cluster, resumable after any crash.

:func:`render_store` renders a job into a :class:`~attndyn.store.zarr_store.ZarrStore`, one
chunk at a time, then builds the store's pyramid. Where it runs:

* in this process (``client=None``): chunks one after the other, the engine using its own
  threads;
* on a Dask cluster (``client``): one task per chunk. The task runs on a worker, computes the
  chunk (:func:`attndyn.render.compute_chunk`) and writes it straight into the store, which
  must be at a path every worker can reach; it returns only the chunk's
  :class:`~attndyn.store.manifest.ChunkRecord` (its checksums), and the client appends that
  to the manifest. :func:`dask_client` makes a client: a local cluster of N worker processes,
  or a connection to an existing scheduler (``dask scheduler`` and ``dask worker`` started on
  other machines).

Resuming. Only chunks in the manifest count as done, and a record is written after its
chunk, so whatever is killed (the client with kill -9, a worker mid-chunk, Ctrl-C), running
the same render again computes exactly the chunks missing from the manifest. Chunks done
before are first read back and checked against their checksums (``verify``); one that fails
is dropped from the manifest and computed again. A worker that dies mid-chunk has its task
rerun by Dask on another worker. Every pixel's fields depend only on the pixel, so the
result is the same bytes however the work was cut, interrupted or spread.

Cores. A worker process makes one engine call at a time (a lock in the task), and the numba
engine's thread count in a task is the host's cores divided among the worker processes on
that host (:func:`engine_threads_by_worker`), so Dask's task threads and numba's threads do
not oversubscribe the cores: a local cluster of N workers has one task thread each and
``cores // N`` numba threads each. ``engine_threads`` fixes the number instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tqdm.auto import tqdm

from attndyn.engines import Engine, get_engine
from attndyn.errors import UserError
from attndyn.job import Job
from attndyn.render import RenderInterrupted, compute_chunk
from attndyn.spec import LandscapeSpec
from attndyn.store.manifest import ChunkRecord
from attndyn.store.zarr_store import PYRAMID_MIN_SIDE, CorruptChunk, ZarrStore, require_zarr
from attndyn.tiles import Tile, Tiling
from attndyn.warmup import compile_first

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "DEFAULT_CHUNK",
    "StoreRender",
    "chunk_tiling",
    "dask_client",
    "engine_threads_by_worker",
    "render_store",
]

DEFAULT_CHUNK = 2048
CONNECT_TIMEOUT_SECONDS = 10.0


@dataclass
class StoreRender:
    """What :func:`render_store` did: the store, and how many chunks it computed, found done
    before, or found corrupt (and so computed again)."""

    store: ZarrStore
    computed: int = 0
    resumed: int = 0
    corrupt: list[CorruptChunk] = field(default_factory=list)
    seconds: float = 0.0
    where: str = "this process"


def chunk_tiling(spec: LandscapeSpec, chunk: int) -> Tiling:
    """Square chunks of side ``chunk`` rounded down to a multiple of ``spec.supersample`` (at
    least one), so that a chunk holds whole output pixels and pictures can be coloured from
    rows of chunks."""
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise UserError(f"chunk {chunk!r} must be an integer >= 1")
    k = spec.supersample
    side = max(k, chunk // k * k)
    return Tiling(spec.shape, (side, side))


# -- the work of one chunk, wherever it runs --------------------------------------------------
_engine_lock = threading.Lock()  # one engine call at a time in a process (see module docstring)
_worker_stores: dict[tuple[str, str], ZarrStore] = {}
_worker_engines: dict[tuple[str, str], Engine] = {}


def _store_in_this_process(path: str, uid: str) -> ZarrStore:
    """The store at ``path`` opened once per process; refuses one made again meanwhile."""
    key = (path, uid)
    if key not in _worker_stores:
        store = ZarrStore.load(path, mode="r+")
        if store.uid != uid:
            raise RuntimeError(f"store {path!r} was replaced during the render")
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


# -- the driver -------------------------------------------------------------------------------
Step = tuple[Tile, int, Callable[..., ChunkRecord], tuple[Any, ...]]


def render_store(
    job: Job | LandscapeSpec,
    path: str | Path,
    client: Client | None = None,
    *,
    chunk: int = DEFAULT_CHUNK,
    engine: str | Engine = "auto",
    device: str = "auto",
    engine_threads: int | None = None,
    progress: bool = False,
    verify: bool = True,
    pyramid_min_side: int = PYRAMID_MIN_SIDE,
) -> StoreRender:
    """Render ``job`` into the Zarr store at ``path``, on ``client``'s Dask cluster if given.

    The store is created, or resumed if it was made for this spec (a store of another spec
    is refused with a :class:`~attndyn.errors.UserError`); chunks already done are checked
    against their checksums first (``verify``). Chunks are ``chunk`` x ``chunk`` grid pixels
    (:func:`chunk_tiling`; a resumed store keeps its own). ``engine`` is an engine name, or
    an engine object (pickled to the workers on a cluster). ``engine_threads``: numba threads
    per task (default: see the module docstring). With ``progress``, in this process or on a
    local cluster, kernels that still need their first compile are compiled here before the
    bar starts, under a notice (:func:`attndyn.warmup.compile_first`). On Ctrl-C the chunks
    finished so far stay done and :class:`~attndyn.render.RenderInterrupted` is raised.

    Examples
    --------
    >>> from attndyn import LandscapeSpec
    >>> spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=8, height=8, steps=10)
    >>> done = render_store(spec, tmp / "doc.zarr", chunk=4)  # doctest: +SKIP
    >>> done.store.read().labels.shape  # doctest: +SKIP
    (8, 8)
    """
    require_zarr()
    if isinstance(job, LandscapeSpec):
        job = Job(job)
    if isinstance(engine, str):
        get_engine(engine, device)  # a bad name or device is refused here, not on a worker
    started = time.perf_counter()
    store = ZarrStore.open(
        path, job.spec, chunk_tiling(job.spec, chunk), pyramid_min_side=pyramid_min_side
    )
    report = StoreRender(store)
    if verify and store.resumed_tiles:
        report.corrupt = store.verify()
    report.resumed = int(store.done(0).sum())
    location = str(store.path.resolve())
    if client is not None:
        report.where = f"Dask cluster {client.scheduler.address}"
        threads: int | dict[str, int] | None = (
            engine_threads if engine_threads is not None else engine_threads_by_worker(client)
        )
        job_arg: Any = client.scatter(job, broadcast=True)
    else:
        threads, job_arg = engine_threads, job
    steps: list[Step] = [
        (tile, 0, render_chunk, (job_arg, location, store.uid, store.tiling.index(tile), engine,
                                 device, threads))
        for tile in store.missing(0)
    ]  # fmt: skip
    total = len(store.tiling) + sum(len(store.level_tiling(k)) for k in range(1, store.levels))
    # The kernels' first compile, before the bar; for a local cluster here too, whose workers
    # then load them from the disk cache rather than each compile them.
    if progress and steps and (client is None or getattr(client, "cluster", None) is not None):
        here = get_engine(engine, device) if isinstance(engine, str) else engine
        compile_first(here, (job.spec.dtype,))
    bar = tqdm(
        total=total,
        initial=total - len(steps) - sum(len(store.missing(k)) for k in range(1, store.levels)),
        unit="chunk",
        disable=not progress,
        delay=1.0,
        leave=False,
        desc="render",
    )
    try:
        report.computed = _run(steps, store, client, bar)
        for level in range(1, store.levels):  # each level is made from the one below
            level_steps: list[Step] = [
                (tile, level, build_level_chunk,
                 (location, store.uid, level, store.level_tiling(level).index(tile)))
                for tile in store.missing(level)
            ]  # fmt: skip
            _run(level_steps, store, client, bar)
    except KeyboardInterrupt:
        done, tiling = store.done(0), store.tiling
        store.close()
        full = sum(tiling.tile(i, 0).shape[0] for i in range(done.shape[0]) if done[i].all())
        raise RenderInterrupted(
            int(done.sum()), done.size, full, tiling.shape[0], store.path
        ) from None
    finally:
        bar.close()
    store.close()
    report.seconds = time.perf_counter() - started
    return report


def _run(steps: list[Step], store: ZarrStore, client: Client | None, bar: tqdm) -> int:
    """Run every step (here, or as Dask tasks) and mark each chunk done as its record comes
    back; returns how many ran."""
    if client is None:
        for tile, level, function, args in steps:
            store.mark_done(tile, function(*args), level)
            bar.update(1)
        return len(steps)
    from distributed import as_completed

    futures = {}
    for tile, level, function, args in steps:
        i, j = store.level_tiling(level).index(tile)
        key = f"attndyn-{store.uid}-{level}-{i}-{j}"
        futures[client.submit(function, *args, key=key, pure=False, retries=2)] = (tile, level)
    try:
        for future in as_completed(futures, loop=client.loop):
            tile, level = futures[future]
            store.mark_done(tile, future.result(), level)
            future.release()
            bar.update(1)
    except BaseException:
        client.cancel(list(futures))
        raise
    return len(steps)


# -- where it runs ----------------------------------------------------------------------------
def _checked_scheduler_address(address: str) -> str:
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None or port < 1:
        raise UserError(
            f"scheduler {address!r} is not a Dask scheduler address; give tcp://HOST:PORT"
        )
    return address


@contextlib.contextmanager
def dask_client(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> Iterator[Client | None]:
    """A Dask client for a render: None (in this process) when neither is given; a local
    cluster of ``workers`` processes with one task thread each, on 127.0.0.1 without a
    dashboard; or a connection to the scheduler at ``scheduler`` (tcp://HOST:PORT), refused
    in one line when it cannot be reached within ``timeout`` seconds. What it started, it
    stops on the way out."""
    if workers is not None and scheduler is not None:
        raise UserError("workers and scheduler both say where to run; give one")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise UserError(f"workers {workers!r} must be an integer >= 1")
    if workers is None and scheduler is None:
        yield None
        return
    require_zarr()
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserError(
            "running on Dask needs the 'big' extra; install it with pip install 'attndyn[big]'"
        ) from None
    if scheduler is not None:
        address = _checked_scheduler_address(scheduler)
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise UserError(
                f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s: "
                f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    assert workers is not None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
        memory_limit=0,  # no pausing or restarts for memory: chunks bound it
    )
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
