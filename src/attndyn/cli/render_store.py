"""``attndyn render --store OUT.zarr``: the big-render path of ``render``.

Renders into a Zarr store (:func:`attndyn.rendering.distributed.render_store`), in this process, on
a local Dask cluster (``--workers N``) or on an existing one (``--scheduler``); then writes
``-o OUT.png`` from the store in strips, and ``--save OUT.npz`` or ``--resize`` only for a
picture that fits in memory (refused before any work otherwise, with a pointer to
``attndyn export``). Every option is checked before the render starts, against the machine
where that matters (:func:`check_limits`): workers against the cores, memory per worker
against what a chunk needs, chunks against their overhead.

Whatever stops the render is one line on stderr: Ctrl-C (exit 130), a failure around it (a
lost scheduler or workers, a full disk, a permission, a lost connection: exit 1), bad input
(exit 2). The store keeps every chunk finished before, and the same command resumes it.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from attndyn.engines import Engine
from attndyn.model.errors import EXIT_INTERRUPTED, UserError
from attndyn.model.job import Job
from attndyn.model.parsing import parse_int
from attndyn.model.tiles import Tiling
from attndyn.pictures.coloring import ColorOptions
from attndyn.rendering.estimate import (
    CostEstimate,
    estimate_cost,
    format_bytes,
    format_seconds,
    refuse_if_huge,
)
from attndyn.rendering.render import RenderInterrupted

EXIT_FAILED = 1  # a failure around the render; the store is kept for a rerun
ENGINE_WORKSPACE_BYTES = 64 * 1024**2
_CHUNK_BYTES_PER_PIXEL = 2 * (4 + 1 + 4 + 2 + 4)  # the fields of a chunk and their copy
WORKER_BASE_BYTES = 256 * 1024**2  # a Dask worker with numba loaded, before any chunk
CHUNK_OVERHEAD_SECONDS = 0.03  # writing, hashing and recording one chunk (measured, 2 cores)
OVERHEAD_REFUSED_SECONDS = 10.0  # overhead beyond the rendering is refused past this
OVERHEAD_WARNED_SECONDS = 2.0  # ... and warned about past this
WORKERS_PER_CORE_LIMIT = 4


def _positive(flag: str, text: str | None) -> int | None:
    if text is None:
        return None
    value = parse_int(flag, text)
    if value < 1:
        raise UserError(f"--{flag} {value} must be an integer >= 1")
    return value


def _bytes(flag: str, text: str | None) -> int | None:
    if text is None:
        return None
    from dask.utils import parse_bytes

    try:
        value = parse_bytes(text)
    except (ValueError, TypeError):
        value = None
    if not isinstance(value, int) or value < 1:
        raise UserError(f"--{flag} {text!r} is not a size; give e.g. 4GB, 1.5GiB or 800MB")
    return value


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def warn(message: str) -> None:
    print(f"attndyn: warning: {message}", file=sys.stderr)


@dataclass(frozen=True)
class Limits:
    """Where and how a store render runs, checked: local ``workers`` (or None), the numba
    ``threads`` per worker (or None: the cores divided among the workers), each local
    worker's ``memory`` in bytes (or None)."""

    workers: int | None
    threads: int | None
    memory: int | None


def check_limits(
    args: argparse.Namespace, tiling: Tiling, render_seconds: float, quiet: bool
) -> Limits:
    """The options about workers, threads, memory and chunks against this machine: refused
    in one line when they cannot work (or could not without ``--force``), warned about when
    they work badly."""
    from attndyn.rendering.dask_cluster import default_worker_memory, machine_memory

    here = cores()
    workers = _positive("workers", args.workers)
    threads = _positive("threads-per-worker", args.threads_per_worker)
    memory = _bytes("worker-memory", args.worker_memory)
    if workers is not None and args.scheduler is not None:
        raise UserError("--workers and --scheduler both say where to run; give one")
    if workers is None and args.scheduler is None:
        for flag, value in (("threads-per-worker", threads), ("worker-memory", memory)):
            if value is not None:
                raise UserError(f"--{flag} needs --workers N or --scheduler")
    if memory is not None and args.scheduler is not None:
        raise UserError(
            "--worker-memory applies to the local cluster of --workers; on an existing cluster "
            "give it to each worker: dask worker ... --memory-limit SIZE"
        )
    if workers is not None:
        limit = WORKERS_PER_CORE_LIMIT * here
        if workers > limit and not args.force:
            raise UserError(
                f"--workers {workers} is more than {WORKERS_PER_CORE_LIMIT} times the {here} "
                f"cores here; give at most {limit} (workers beyond the cores only share them), "
                "or add --force"
            )
        if workers > here and not quiet:
            warn(
                f"--workers {workers} is more than the {here} cores here: the workers share "
                "them and render no faster than "
                f"{here} worker{'s' if here > 1 else ''}"
            )
        if threads is not None and workers <= here < workers * threads and not quiet:
            warn(
                f"--workers {workers} with --threads-per-worker {threads} run "
                f"{workers * threads} engine threads on {here} cores; they will compete"
            )
        chunk_pixels = tiling.tile_shape[0] * tiling.tile_shape[1]
        need = WORKER_BASE_BYTES + ENGINE_WORKSPACE_BYTES + chunk_pixels * _CHUNK_BYTES_PER_PIXEL
        need = math.ceil(need / 0.8)  # Dask pauses a worker at 80% of its limit
        given = memory if memory is not None else default_worker_memory(workers)
        if given < need:
            chunk = f"{tiling.tile_shape[0]}x{tiling.tile_shape[1]}"
            source = f"--worker-memory {args.worker_memory}" if memory is not None else (
                f"the {format_bytes(given)} each of {workers} workers gets of this machine's "
                f"{format_bytes(machine_memory())}"
            )  # fmt: skip
            raise UserError(
                f"{source} is less than the {format_bytes(need)} a worker needs for chunks of "
                f"{chunk} (Dask pauses a worker at 80% of its limit); give more memory, fewer "
                "workers or a smaller --chunk"
            )
        if memory is not None and memory * workers > machine_memory() and not quiet:
            warn(
                f"--worker-memory {args.worker_memory} for {workers} workers is more than this "
                f"machine's {format_bytes(machine_memory())}"
            )
    _check_chunk_overhead(args, tiling, render_seconds, quiet)
    return Limits(workers, threads, memory)


def _check_chunk_overhead(
    args: argparse.Namespace, tiling: Tiling, render_seconds: float, quiet: bool
) -> None:
    """Refuse chunks so small that their overhead dominates (past a few seconds), or warn."""
    if args.chunk is None:
        return
    chunks = len(tiling)
    overhead = chunks * CHUNK_OVERHEAD_SECONDS
    if overhead <= max(render_seconds, OVERHEAD_WARNED_SECONDS):
        return
    rows, cols = tiling.shape
    enough = math.ceil(math.sqrt(rows * cols * CHUNK_OVERHEAD_SECONDS / max(render_seconds, 1)))
    advice = f"use --chunk {min(max(256, 1 << (enough - 1).bit_length()), rows, cols)} or more"
    line = (
        f"--chunk {args.chunk} cuts the {cols}x{rows} grid into {chunks} chunks: about "
        f"{format_seconds(overhead)} of overhead (writing and recording each chunk, about "
        f"{CHUNK_OVERHEAD_SECONDS * 1000:.0f} ms) for {format_seconds(render_seconds)} of "
        "rendering"
    )
    if overhead > OVERHEAD_REFUSED_SECONDS and not args.force:
        raise UserError(f"{line}; {advice}, or add --force")
    if not quiet:
        warn(f"{line}; {advice}")


def run_store(
    args: argparse.Namespace,
    job: Job,
    colors: ColorOptions,
    size: tuple[int, int] | None,
    png_path: Path | None,
    npz_path: Path | None,
    engine: Engine,
) -> int:
    from attndyn.pictures.export import check_fits_in_memory, export_store, store_landscape
    from attndyn.pictures.landscape_files import write_landscape
    from attndyn.rendering.distributed import (
        DEFAULT_CHUNK,
        RenderFailed,
        chunk_tiling,
        dask_client,
        render_store,
    )
    from attndyn.rendering.store.zarr_store import check_store_location, require_zarr

    require_zarr()
    spec = job.spec
    chunk = _positive("chunk", args.chunk)
    shard = _positive("shard", args.shard)
    if args.no_resume:
        raise UserError(
            "--no-resume does not apply to --store; remove the store to render it afresh"
        )
    store_path = check_store_location(args.store)
    if str(store_path).startswith("memory://") and (args.workers or args.scheduler):
        raise UserError(
            f"store {args.store!r} is in this process's memory, which Dask workers cannot "
            "reach; drop --workers/--scheduler, or give a path or an object-store URL"
        )
    if npz_path is not None:
        check_fits_in_memory(spec, "--save")
    if size is not None and png_path is not None:
        check_fits_in_memory(spec, "--resize")
    tiling = chunk_tiling(spec, (chunk or DEFAULT_CHUNK) * (shard or 1))  # the unit of work
    whole = estimate_cost(spec, engine)
    chunk_pixels = tiling.tile_shape[0] * tiling.tile_shape[1]
    refuse_if_huge(
        CostEstimate(whole.seconds, chunk_pixels * _CHUNK_BYTES_PER_PIXEL + ENGINE_WORKSPACE_BYTES),
        force=args.force,
    )
    limits = check_limits(args, tiling, whole.seconds, args.quiet)
    started = time.perf_counter()
    try:
        with dask_client(
            limits.workers,
            args.scheduler,
            worker_memory=limits.memory,
            dashboard=not args.quiet,
        ) as client:
            link = getattr(client, "dashboard_link", None) if limits.workers else None
            if link and not args.quiet:
                print(f"attndyn: Dask dashboard (this machine only): {link}", file=sys.stderr)
            report = render_store(
                job,
                store_path,
                client,
                chunk=chunk,
                shard=shard,
                engine=args.engine if client is not None else engine,
                device=args.device,
                engine_threads=limits.threads,
                progress=not args.quiet,
            )
    except RenderInterrupted as stop:
        print(
            f"attndyn: interrupted after {stop.tiles_done} of {stop.tiles_total} chunks; run "
            f"the same command again to resume from {stop.checkpoint}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except RenderFailed as failure:
        print(f"attndyn: error: {failure}", file=sys.stderr)
        return EXIT_FAILED
    elapsed = time.perf_counter() - started
    if not args.quiet:
        for reason in report.skipped_records:
            warn(f"store {str(store_path)!r}: manifest {reason}; skipped, its chunk recomputed")
    if report.corrupt and not args.quiet:
        print(
            f"attndyn: {len(report.corrupt)} chunks failed their checksum and were computed again",
            file=sys.stderr,
        )
    written = [str(store_path)]
    try:
        if npz_path is not None or (png_path is not None and size is not None):
            landscape = store_landscape(report.store)
            write_landscape(landscape, colors, png=png_path, npz=npz_path, size=size)
            written += [str(p) for p in (png_path, npz_path) if p is not None]
        elif png_path is not None:
            export_store(report.store, png_path, colors)
            written.append(str(png_path))
    except OSError as error:
        print(
            f"attndyn: error: the store {str(store_path)!r} is finished, but writing the "
            f"picture failed: {error.strerror or error} ({error.filename or ''}); "
            "'attndyn export' writes it from the store",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not args.quiet:
        print(
            f"wrote {', '.join(written)}: {spec.width}x{spec.height}, {report.computed} of "
            f"{len(report.store.tiling)} chunks computed ({report.resumed} done before) in "
            f"{format_seconds(elapsed)} with the {engine.name} engine on {report.where}",
            file=sys.stderr,
        )
    return 0
