"""Rendering into a Zarr store, in this process or on a Dask cluster, resumable after any crash.

:func:`render_store` renders a job into a :class:`~attndyn.rendering.store.zarr_store.ZarrStore`,
one chunk at a time, then builds the store's pyramid. Where it runs:

* in this process (``client=None``): chunks one after the other, the engine using its own
  threads;
* on a Dask cluster (``client``): one task per chunk. The task runs on a worker, computes the
  chunk (:func:`attndyn.rendering.chunk_tasks.render_chunk`) and writes it straight into the store,
  which must be at a path every worker can reach; it returns only the chunk's
  :class:`~attndyn.rendering.store.manifest.ChunkRecord` (its checksums), and the client
  appends that to the manifest. :func:`~attndyn.rendering.dask_cluster.dask_client` makes a
  client: a local cluster of N worker processes, or a connection to an existing scheduler
  (``dask scheduler`` and ``dask worker`` started on other machines).

Resuming. Only chunks in the manifest count as done, and a record is written after its
chunk, so whatever is killed (the client with kill -9, a worker mid-chunk, Ctrl-C), running
the same render again computes exactly the chunks missing from the manifest. Chunks done
before are first read back and checked against their checksums (``verify``); one that fails
is dropped from the manifest and computed again. A worker that dies mid-chunk has its task
rerun by Dask on another worker. Every pixel's fields depend only on the pixel, so the
result is the same bytes however the work was cut, interrupted or spread.

Cores. A worker process makes one engine call at a time (a lock in the task), and the numba
engine's thread count in a task is the host's cores divided among the worker processes on
that host (:func:`~attndyn.rendering.chunk_tasks.engine_threads_by_worker`), so Dask's task
threads and numba's threads do not oversubscribe the cores. ``engine_threads`` fixes the
number instead.

This module is the driver and its failures; the work of one chunk is
:mod:`attndyn.rendering.chunk_tasks`, and where it runs (the client, the watchdog)
:mod:`attndyn.rendering.dask_cluster`, whose names are importable from here too.
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from tqdm.auto import tqdm

from attndyn.engines import Engine, get_engine
from attndyn.engines.warmup import compile_first
from attndyn.model.errors import FieldError, UserError
from attndyn.model.job import Job
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile, Tiling
from attndyn.rendering.chunk_tasks import (
    build_level_chunk,
    engine_threads_by_worker,
    render_chunk,
)
from attndyn.rendering.dask_cluster import (
    NoWorkerWatchdog,
    dask_client,
    default_worker_memory,
    machine_memory,
)
from attndyn.rendering.render import RenderInterrupted
from attndyn.rendering.store.lock import store_lock
from attndyn.rendering.store.manifest import ChunkRecord
from attndyn.rendering.store.zarr_store import (
    PYRAMID_MIN_SIDE,
    CorruptChunk,
    ZarrStore,
    check_store_location,
    require_zarr,
)

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "DEFAULT_CHUNK",
    "RenderFailed",
    "StoreRender",
    "chunk_tiling",
    "dask_client",
    "default_worker_memory",
    "engine_threads_by_worker",
    "machine_memory",
    "render_store",
]

DEFAULT_CHUNK = 2048
NO_WORKER_SECONDS = 60.0  # a cluster without workers this long stops the render


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
    skipped_records: list[str] = field(default_factory=list)


class RenderFailed(Exception):
    """A render stopped by a failure around it (a lost scheduler or worker, a full disk, a
    permission, a lost connection): ``what`` names it. Every chunk finished before is in the
    store's manifest, intact, and running the same render again resumes from there."""

    def __init__(self, what: str, done: int, total: int, store: str | Path) -> None:
        super().__init__(what, done, total, store)
        self.what, self.done, self.total, self.store = what, done, total, store

    def __str__(self) -> str:
        return (
            f"{self.what}; the store {str(self.store)!r} keeps the {self.done} of {self.total} "
            "chunks finished so far: fix that and run the same command again to resume it"
        )


class _StepFailed(Exception):
    """What a step's failure was (one line); raised inside :func:`_run`."""


def chunk_tiling(spec: LandscapeSpec, chunk: int) -> Tiling:
    """Square chunks of side ``chunk`` rounded down to a multiple of ``spec.supersample`` (at
    least one), so that a chunk holds whole output pixels and pictures can be coloured from
    rows of chunks."""
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise UserError(f"chunk {chunk!r} must be an integer >= 1")
    k = spec.supersample
    side = max(k, chunk // k * k)
    return Tiling(spec.shape, (side, side))


# -- the driver -------------------------------------------------------------------------------
Step = tuple[Tile, int, Callable[..., ChunkRecord], tuple[Any, ...]]


def render_store(
    job: Job | LandscapeSpec,
    path: str | Path,
    client: Client | None = None,
    *,
    chunk: int | None = None,
    engine: str | Engine = "auto",
    device: str = "auto",
    engine_threads: int | None = None,
    progress: bool = False,
    verify: bool = True,
    pyramid_min_side: int = PYRAMID_MIN_SIDE,
    no_worker_seconds: float = NO_WORKER_SECONDS,
    shard: int | None = None,
) -> StoreRender:
    """Render ``job`` into the Zarr store at ``path``, on ``client``'s Dask cluster if given.

    The store is created, or resumed if it was made for this spec (a store of another spec
    is refused with a :class:`~attndyn.model.errors.UserError`); chunks already done are checked
    against their checksums first (``verify``). The render holds the store's lock
    (:mod:`attndyn.rendering.store.lock`) throughout: a second render of the same store is refused
    in one line. Chunks are ``chunk`` x ``chunk`` grid pixels (:func:`chunk_tiling`; default
    :data:`DEFAULT_CHUNK`); a resumed store keeps its own, and a ``chunk`` that gives other
    chunks is refused. ``shard``: N stores a new store's chunks N x N to a shard (Zarr v3
    sharding), and the shard is then the unit of work (a task, a manifest record); a resumed
    store keeps its own sharding, and a ``shard`` that differs is refused. ``engine`` is an
    engine name, or an engine object (pickled to the workers on a cluster).
    ``engine_threads``: numba threads per task (default: see the module docstring). With
    ``progress``, in this process or on a local cluster, kernels that still need their first
    compile are compiled here before the bar starts, under a notice
    (:func:`attndyn.engines.warmup.compile_first`).

    On Ctrl-C the chunks finished so far stay done and
    :class:`~attndyn.rendering.render.RenderInterrupted` is raised. A failure around the render (the
    scheduler or workers lost for good, no worker for ``no_worker_seconds``, a full disk, a
    permission, a lost connection) raises :class:`RenderFailed`, which names it in one line;
    the chunks finished so far stay done there too.

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
    check_store_location(path)
    with store_lock(path):
        return _render_locked(
            job,
            path,
            client,
            chunk=chunk,
            engine=engine,
            device=device,
            engine_threads=engine_threads,
            progress=progress,
            verify=verify,
            pyramid_min_side=pyramid_min_side,
            no_worker_seconds=no_worker_seconds,
            shard=shard,
        )


def _render_locked(
    job: Job,
    path: str | Path,
    client: Client | None,
    *,
    chunk: int | None,
    engine: str | Engine,
    device: str,
    engine_threads: int | None,
    progress: bool,
    verify: bool,
    pyramid_min_side: int,
    no_worker_seconds: float,
    shard: int | None = None,
) -> StoreRender:
    """:func:`render_store` once the store's lock is held."""
    started = time.perf_counter()
    asked = chunk_tiling(job.spec, DEFAULT_CHUNK if chunk is None else chunk)
    store = ZarrStore.open(path, job.spec, asked, pyramid_min_side=pyramid_min_side, shard=shard)
    if shard is not None and (store.shard or 1) != shard:
        store.close()
        raise FieldError(
            lambda n: (
                f"{n('shard')} {shard}: store {str(path)!r} has {store.shard or 1} x "
                f"{store.shard or 1} chunks a shard; drop {n('shard')} to resume it with its "
                "own, or choose another path"
            )
        )
    if chunk is not None and store.chunk_shape != asked.tile_shape:
        rows, cols = store.chunk_shape
        store.close()
        raise FieldError(
            lambda n: (
                f"{n('chunk')} {chunk} would cut store {str(path)!r} into chunks of "
                f"{asked.tile_shape[0]}x{asked.tile_shape[1]}, but it has chunks of {rows}x{cols}; "
                f"drop {n('chunk')} to resume it with its own, or choose another path"
            )
        )
    report = StoreRender(store, skipped_records=list(store.skipped_records))
    if verify and store.resumed_tiles:
        report.corrupt = store.verify()
    report.resumed = int(store.done(0).sum())
    location = str(store.path.resolve()) if store.path is not None else store.location
    if client is not None:
        report.where = f"Dask cluster {client.scheduler.address}"
        threads: int | dict[str, int] | None = (
            engine_threads if engine_threads is not None else engine_threads_by_worker(client)
        )
    else:
        threads = engine_threads
    # The job travels in every task (a few hundred bytes), not scattered: a task then needs
    # nothing that dies with a worker, and workers that join later can take over.
    job_arg: Any = job
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
        compile_first(here, (job.spec,))
    bar = tqdm(
        total=total,
        initial=total - len(steps) - sum(len(store.missing(k)) for k in range(1, store.levels)),
        unit="chunk",
        disable=not progress,
        delay=1.0,
        leave=False,
        desc="render",
    )
    watchdog = NoWorkerWatchdog(client, no_worker_seconds) if client is not None else None
    try:
        report.computed = _run(steps, store, client, bar, watchdog)
        for level in range(1, store.levels):  # each level is made from the one below
            level_steps: list[Step] = [
                (tile, level, build_level_chunk,
                 (location, store.uid, level, store.level_tiling(level).index(tile)))
                for tile in store.missing(level)
            ]  # fmt: skip
            _run(level_steps, store, client, bar, watchdog)
    except KeyboardInterrupt:
        done, tiling = store.done(0), store.tiling
        store.close()
        full = sum(tiling.tile(i, 0).shape[0] for i in range(done.shape[0]) if done[i].all())
        raise RenderInterrupted(
            int(done.sum()), done.size, full, tiling.shape[0], store.location
        ) from None
    except _StepFailed as failure:
        store.close()
        done = sum(int(store.done(k).sum()) for k in range(store.levels))
        raise RenderFailed(str(failure), done, total, store.location) from failure.__cause__
    finally:
        if watchdog is not None:
            watchdog.stop()
        bar.close()
    store.close()
    report.seconds = time.perf_counter() - started
    return report


def _run(
    steps: list[Step],
    store: ZarrStore,
    client: Client | None,
    bar: tqdm,
    watchdog: NoWorkerWatchdog | None = None,
) -> int:
    """Run every step (here, or as Dask tasks) and mark each chunk done as its record comes
    back; returns how many ran. A failure of the surroundings becomes :class:`_StepFailed`."""
    if client is None:
        for tile, level, function, args in steps:
            try:
                record = function(*args)
            except Exception as error:
                _fail(error, f"chunk {_name(store, tile, level)}", None)
            _mark(store, tile, record, level)
            bar.update(1)
        return len(steps)
    from distributed import as_completed

    futures = {}
    address = client.scheduler.address if client.scheduler is not None else None
    try:
        for tile, level, function, args in steps:
            i, j = store.level_tiling(level).index(tile)
            key = f"attndyn-{store.uid}-{level}-{i}-{j}"
            future = client.submit(function, *args, key=key, pure=False, retries=2)
            futures[future] = (tile, level)
        if watchdog is not None:
            watchdog.watch(list(futures))
        for future in as_completed(futures, loop=client.loop):
            tile, level = futures[future]
            try:
                record = future.result()
            except Exception as error:
                why = watchdog.reason if watchdog is not None else None
                what = f"chunk {_name(store, tile, level)} on the Dask cluster"
                _fail(error, what, why, address, client.status == "running")
            _mark(store, tile, record, level)
            future.release()
            bar.update(1)
    except BaseException as error:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))
        if isinstance(error, (KeyboardInterrupt, _StepFailed)) or not isinstance(error, Exception):
            raise
        _fail(error, "the render", watchdog.reason if watchdog is not None else None, address)
    return len(steps)


def _mark(store: ZarrStore, tile: Tile, record: ChunkRecord, level: int) -> None:
    try:
        store.mark_done(tile, record, level)
    except OSError as error:
        _fail(error, f"the manifest of chunk {_name(store, tile, level)}", None)


def _name(store: ZarrStore, tile: Tile, level: int) -> str:
    i, j = store.level_tiling(level).index(tile)
    return f"({i}, {j})" + (f" of pyramid level {level}" if level else "")


_CONNECTION_ERRORS = (
    "FutureCancelledError",
    "CancelledError",
    "CommClosedError",
    "StreamClosedError",
)
_DISK_ERRORS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EIO: "an input/output error (a failing disk or network file system)",
}


def _fail(
    error: Exception,
    what: str,
    reason: str | None,
    scheduler: str | None = None,
    connected: bool = False,
) -> NoReturn:
    """Raise :class:`_StepFailed` naming ``error`` met in ``what``, or re-raise ``error``
    unchanged when it is not a failure of the surroundings (a bug has its traceback)."""
    line = reason or _describe(error, what, scheduler, connected)
    if line is None:
        raise error
    raise _StepFailed(line) from error


def _describe(
    error: BaseException, what: str, scheduler: str | None = None, connected: bool = False
) -> str | None:
    """One line for a failure of the surroundings, or None for anything else."""
    name = type(error).__name__
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, UserError) and scheduler is not None:  # raised in a task
        reach = (
            "; every worker must reach the store at the same path as this client (a shared "
            "file system, or an object-store URL)"
            if first.startswith(("store ", "'"))
            else ""
        )
        return f"{what} failed on a Dask worker: {first}{reach}"
    if name == "KilledWorker":
        return (
            f"{what} failed: every Dask worker that ran it died (KilledWorker: {first}); a "
            "worker may have run out of memory (see --worker-memory) or been stopped"
        )
    if name in _CONNECTION_ERRORS or isinstance(error, (TimeoutError, ConnectionError)):
        if connected and isinstance(error, CancelledError):
            return f"{what} was cancelled on the Dask cluster (by its scheduler or another client)"
        at = f" at {scheduler}" if scheduler else ""
        return f"lost the connection to the Dask scheduler{at} ({name})"
    if isinstance(error, OSError):
        text = _DISK_ERRORS.get(error.errno or 0, error.strerror or first or name)
        where = f" writing {error.filename!r}" if error.filename else ""
        return f"{what} failed{where}: {text} (OSError errno {error.errno})"
    if isinstance(error, MemoryError):
        return f"{what} failed: out of memory"
    return None
