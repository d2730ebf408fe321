"""``attndyn render --store OUT.zarr``: the big-render path of ``render``.

Renders into a Zarr store (:func:`attndyn.distributed.render_store`), in this process, on a
local Dask cluster (``--workers N``) or on an existing one (``--scheduler``); then writes
``-o OUT.png`` from the store in strips, and ``--save OUT.npz`` or ``--resize`` only for a
picture that fits in memory (refused before any work otherwise, with a pointer to
``attndyn export``). Every option is checked before the render starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from attndyn.coloring import ColorOptions
from attndyn.engines import Engine
from attndyn.errors import EXIT_INTERRUPTED, UserError
from attndyn.estimate import (
    CostEstimate,
    estimate_cost,
    format_seconds,
    refuse_if_huge,
)
from attndyn.job import Job
from attndyn.parsing import parse_int
from attndyn.render import RenderInterrupted

ENGINE_WORKSPACE_BYTES = 64 * 1024**2
_CHUNK_BYTES_PER_PIXEL = 2 * (4 + 1 + 4 + 2 + 4)  # the fields of a chunk and their copy


def _positive(flag: str, text: str | None) -> int | None:
    if text is None:
        return None
    value = parse_int(flag, text)
    if value < 1:
        raise UserError(f"--{flag} {value} must be an integer >= 1")
    return value


def run_store(
    args: argparse.Namespace,
    job: Job,
    colors: ColorOptions,
    size: tuple[int, int] | None,
    png_path: Path | None,
    npz_path: Path | None,
    engine: Engine,
) -> int:
    from attndyn.distributed import DEFAULT_CHUNK, chunk_tiling, dask_client, render_store
    from attndyn.export import check_fits_in_memory, export_store, store_landscape
    from attndyn.pictures import write_landscape
    from attndyn.store.zarr_store import check_store_location, require_zarr

    require_zarr()
    spec = job.spec
    chunk = _positive("chunk", args.chunk) or DEFAULT_CHUNK
    workers = _positive("workers", args.workers)
    if workers is not None and args.scheduler is not None:
        raise UserError("--workers and --scheduler both say where to run; give one")
    if args.no_resume:
        raise UserError(
            "--no-resume does not apply to --store; remove the store to render it afresh"
        )
    store_path = check_store_location(args.store)
    if npz_path is not None:
        check_fits_in_memory(spec, "--save")
    if size is not None and png_path is not None:
        check_fits_in_memory(spec, "--resize")
    tiling = chunk_tiling(spec, chunk)
    whole = estimate_cost(spec, engine)
    chunk_pixels = tiling.tile_shape[0] * tiling.tile_shape[1]
    refuse_if_huge(
        CostEstimate(whole.seconds, chunk_pixels * _CHUNK_BYTES_PER_PIXEL + ENGINE_WORKSPACE_BYTES),
        force=args.force,
    )
    started = time.perf_counter()
    try:
        with dask_client(workers, args.scheduler) as client:
            report = render_store(
                job,
                store_path,
                client,
                chunk=chunk,
                engine=args.engine if client is not None else engine,
                device=args.device,
                progress=not args.quiet,
            )
    except RenderInterrupted as stop:
        print(
            f"attndyn: interrupted after {stop.tiles_done} of {stop.tiles_total} chunks; run "
            f"the same command again to resume from {stop.checkpoint}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    elapsed = time.perf_counter() - started
    if report.corrupt and not args.quiet:
        print(
            f"attndyn: {len(report.corrupt)} chunks failed their checksum and were computed again",
            file=sys.stderr,
        )
    written = [str(store_path)]
    if npz_path is not None or (png_path is not None and size is not None):
        landscape = store_landscape(report.store)
        write_landscape(landscape, colors, png=png_path, npz=npz_path, size=size)
        written += [str(p) for p in (png_path, npz_path) if p is not None]
    elif png_path is not None:
        export_store(report.store, png_path, colors)
        written.append(str(png_path))
    if not args.quiet:
        print(
            f"wrote {', '.join(written)}: {spec.width}x{spec.height}, {report.computed} of "
            f"{len(report.store.tiling)} chunks computed ({report.resumed} done before) in "
            f"{format_seconds(elapsed)} with the {engine.name} engine on {report.where}",
            file=sys.stderr,
        )
    return 0
