"""``attndyn render``: one convergence landscape to PNG and/or npz.

The spec is assembled by :func:`attndyn.model.options.build_job` from, in increasing precedence:
the spec's defaults, a preset (``--preset``) or a picture's stored spec (``--from``), and the
options given explicitly. Rendering, colouring and saving go through the Python API's own
functions (:func:`attndyn.api.landscapes.compute`,
:meth:`~attndyn.api.landscapes.Landscape.picture`, :meth:`~attndyn.api.landscapes.Picture.save`,
:meth:`~attndyn.api.landscapes.Landscape.save`), so ``attndyn.render(...).color(...).save(...)``
writes the same bytes; this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
import time

from attndyn.api.landscapes import compute
from attndyn.cli.common import (
    add_color_arguments,
    add_execution_arguments,
    add_spec_arguments,
    color_options,
    picture_size,
    render_options,
)
from attndyn.cli.recolour_hint import recolour_note
from attndyn.engines import get_engine
from attndyn.model.errors import EXIT_INTERRUPTED, UserError
from attndyn.model.options import DEFAULT_INIT, DEFAULT_PRESET, build_job
from attndyn.model.outputs import check_writable
from attndyn.pictures.coloring import ColorOptions
from attndyn.rendering.estimate import format_seconds
from attndyn.rendering.render import RenderInterrupted

DEFAULT_OUTPUT = "landscape.png"
DEFAULT_CHUNK = 2048  # attndyn.rendering.distributed.DEFAULT_CHUNK, without importing Dask here


def register(subparsers: argparse._SubParsersAction) -> None:
    render = subparsers.add_parser(
        "render",
        help="render a convergence landscape to PNG and/or npz",
        description=(
            "Render the convergence landscape. With no option it draws the gallery's "
            f"{DEFAULT_PRESET} in its {DEFAULT_INIT} version (--preset {DEFAULT_PRESET} --init "
            f"{DEFAULT_INIT}), 512x512, to {DEFAULT_OUTPUT}; every option given changes that "
            "picture, and --preset, --wq/--wv, "
            "--seed, --x0 or --from start from another. By default the horizontal axis is "
            "b = W_K[1,1] (increasing to the right) and the vertical axis is a = W_K[0,0] "
            "(increasing upward), as in the seed's Appendix A picture. White pixels are those "
            "where, after --steps steps, max_i |x_i1 - x_11| < --tol. Numbers that start with "
            "'-' may be written --range -8,8 or --range=-8,8."
        ),
    )
    add_spec_arguments(render)
    add_color_arguments(render)
    execution = render.add_argument_group("output and execution")
    execution.add_argument(
        "-o",
        "--output",
        metavar="OUT.png",
        help=f"the picture (default {DEFAULT_OUTPUT} when --save is not given); carries the spec",
    )
    execution.add_argument(
        "--save",
        metavar="OUT.npz",
        help="save the fields (labels, delta, sync_step, clusters, probability) and the spec "
        "to an npz; 'attndyn color' re-colours it",
    )
    add_execution_arguments(execution)
    execution.add_argument(
        "--no-resume",
        action="store_true",
        help="ignore and replace an earlier interrupted render of the same picture",
    )
    big = render.add_argument_group(
        "big renders (a Zarr store, optionally on Dask; needs pip install 'attndyn[big]')"
    )
    big.add_argument(
        "--store",
        metavar="OUT.zarr",
        help="render chunk by chunk into this Zarr store (resumed when run again; memory is "
        "bounded by the chunks in flight); -o then writes the PNG from the store in strips",
    )
    big.add_argument(
        "--chunk",
        metavar="N",
        help=f"chunks of N x N grid pixels (default {DEFAULT_CHUNK}; with --store)",
    )
    big.add_argument(
        "--shard",
        metavar="N",
        help="store N x N chunks in one shard file (Zarr v3 sharding), for posters with many "
        "chunks; the shard is then the unit of work (with --store)",
    )
    big.add_argument(
        "--workers",
        metavar="N",
        help="run on a local Dask cluster of N worker processes (with --store)",
    )
    big.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on an existing Dask cluster (dask scheduler / dask worker; with --store); "
        "the store must be at a path every worker can reach; tls://HOST:PORT with Dask's TLS "
        "settings, or the JSON file of dask scheduler --scheduler-file",
    )
    big.add_argument(
        "--threads-per-worker",
        metavar="N",
        help="engine threads per Dask worker (default: each host's cores divided among its "
        "workers)",
    )
    big.add_argument(
        "--worker-memory",
        metavar="SIZE",
        help="memory limit of each --workers worker, e.g. 4GB (default: this machine's memory "
        "divided among the workers)",
    )
    render.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    options = render_options(args)
    job = build_job(options)
    spec = job.spec
    stored = ColorOptions.from_picture(options.from_picture) if options.from_picture else None
    colors = color_options(args, stored)
    size = picture_size(args)
    output = args.output
    if args.store is None:
        for flag in (
            "chunk", "shard", "workers", "scheduler", "threads_per_worker", "worker_memory",
        ):  # fmt: skip
            if getattr(args, flag) is not None:
                raise UserError(f"--{flag.replace('_', '-')} needs --store OUT.zarr")
    if output is None and args.save is None and args.store is None:
        output = DEFAULT_OUTPUT
    png_path = check_writable(output, suffix=".png", what="picture") if output else None
    npz_path = check_writable(args.save, suffix=".npz", what="--save") if args.save else None
    engine = get_engine(args.engine, args.device)
    if stored is not None and colors != stored and not args.quiet:  # only the colours change
        note = recolour_note(
            options.from_picture,
            spec.to_json(),
            colors,
            output=png_path,
            resize=args.resize,
            saving=npz_path is not None or args.store is not None,
        )
        if note:
            print(note, file=sys.stderr)
    if args.store is not None:
        from attndyn.cli.render_store import run_store

        return run_store(args, job, colors, size, png_path, npz_path, engine)

    first_output = png_path or npz_path
    assert first_output is not None
    checkpoint = first_output.with_name(first_output.name + ".partial.npz")
    started = time.perf_counter()
    try:
        landscape = compute(
            job,
            engine,
            progress=not args.quiet,
            force=args.force,
            force_option="--force",
            checkpoint=checkpoint,
            resume=not args.no_resume,
        )
    except RenderInterrupted as stop:
        where = (
            f"; run the same command again to resume from {stop.checkpoint}"
            if stop.checkpoint
            else ""
        )
        print(
            f"attndyn: interrupted after {stop.rows_done} of {stop.rows_total} rows{where}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    elapsed = time.perf_counter() - started
    if npz_path is not None:
        landscape.save(npz_path)
    if png_path is not None:
        landscape.picture(colors, size=size).save(png_path)
    if not args.quiet:
        written = ", ".join(str(p) for p in (png_path, npz_path) if p is not None)
        share = 100.0 * float(landscape.fields.labels.mean())
        print(
            f"wrote {written}: {spec.width}x{spec.height}, {share:.1f}% synchronised, "
            f"{format_seconds(elapsed)} with the {engine.name} engine",
            file=sys.stderr,
        )
    return 0
