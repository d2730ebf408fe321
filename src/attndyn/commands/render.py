"""``attndyn render``: one convergence landscape to PNG and/or npz."""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace

import numpy as np

from attndyn.commands.common import parse_numbers, parse_size
from attndyn.engines import engine_names, get_engine
from attndyn.errors import UserError
from attndyn.estimate import estimate_cost, format_seconds, refuse_if_huge
from attndyn.images import binary_picture, write_png
from attndyn.initial import seeded_matrices
from attndyn.job import Job, load_x0
from attndyn.outputs import check_writable, save_npz
from attndyn.params import PARAMETER_NAMES
from attndyn.render import RenderInterrupted, render_landscape
from attndyn.spec import INIT_MODES, LandscapeSpec

DEFAULT_OUTPUT = "landscape.png"
EXIT_INTERRUPTED = 130


def register(subparsers: argparse._SubParsersAction) -> None:
    render = subparsers.add_parser(
        "render",
        help="render a convergence landscape to PNG and/or npz",
        description=(
            "Render the convergence landscape. By default the horizontal axis is "
            "b = W_K[1,1] (increasing to the right) and the vertical axis is a = W_K[0,0] "
            "(increasing upward), as in the seed's Appendix A picture. White pixels are those "
            "where, after --steps steps, max_i |x_i1 - x_11| < --tol. Numbers that start with "
            "'-' may be written --range -8,8 or --range=-8,8."
        ),
    )
    model = render.add_argument_group("the map")
    model.add_argument(
        "--wq", metavar="Q00,Q01,Q10,Q11", help="W_Q row-major (default: from --seed)"
    )
    model.add_argument(
        "--wv", metavar="V00,V01,V10,V11", help="W_V row-major (default: from --seed)"
    )
    model.add_argument(
        "--wk",
        metavar="K00,K01,K10,K11",
        help="W_K row-major; the swept entries are overwritten per pixel (default 0,0,0,0)",
    )
    model.add_argument(
        "--beta",
        type=float,
        default=1.0,
        help="inverse temperature multiplying the scores (default 1)",
    )
    model.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of attndyn's own generator: W_Q/W_V when not given, and the initial points "
        "(default 1)",
    )
    model.add_argument("--points", "-n", type=int, help="number of points n (default 20)")
    model.add_argument(
        "--steps", "-T", type=int, default=100, help="number of steps T (default 100)"
    )
    model.add_argument(
        "--tol", type=float, default=1e-5, help="synchronised when delta < tol (default 1e-5)"
    )
    model.add_argument(
        "--eps", type=float, default=1e-8, help="epsilon of the row normalisation (default 1e-8)"
    )
    model.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default="float32",
        help="working precision (default float32)",
    )

    grid = render.add_argument_group("the grid")
    grid.add_argument("--size", "-s", help="resolution: R for RxR, or WxH (default 512)")
    grid.add_argument(
        "--range", dest="both_range", metavar="LO,HI", help="window on both axes (default -8,8)"
    )
    grid.add_argument("--x-range", metavar="LO,HI", help="window of the horizontal axis")
    grid.add_argument("--y-range", metavar="LO,HI", help="window of the vertical axis")
    grid.add_argument(
        "--x-param",
        default="wk11",
        metavar="NAME",
        help="parameter along the horizontal axis (default wk11 = b); one of "
        + ", ".join(PARAMETER_NAMES),
    )
    grid.add_argument(
        "--y-param",
        default="wk00",
        metavar="NAME",
        help="parameter along the vertical axis (default wk00 = a)",
    )

    start = render.add_argument_group("initial points")
    start.add_argument(
        "--init",
        choices=INIT_MODES[:2],
        help="independent: fresh points for every pixel, as the seed's code does (default); "
        "shared: one configuration for all pixels, as the seed's text says",
    )
    start.add_argument(
        "--x0",
        metavar="FILE.npy",
        help="explicit points: shape (n, 2), or (H, W, n, 2) per pixel with row 0 = lowest a",
    )
    start.add_argument(
        "--normalize-x0",
        action="store_true",
        help="normalise --x0 rows to unit norm instead of refusing rows that are not",
    )

    execution = render.add_argument_group("output and execution")
    execution.add_argument(
        "-o",
        "--output",
        metavar="OUT.png",
        help="binary picture, one pixel per grid point "
        f"(default {DEFAULT_OUTPUT} when --save is not given)",
    )
    execution.add_argument(
        "--save",
        metavar="OUT.npz",
        help="save labels (uint8), delta (float32) and spec (JSON) to an npz",
    )
    execution.add_argument(
        "--engine",
        default="auto",
        choices=engine_names(),
        help="compute engine (default auto: the fastest available)",
    )
    execution.add_argument(
        "--force", action="store_true", help="run even when the estimated time or memory is huge"
    )
    execution.add_argument(
        "--no-resume",
        action="store_true",
        help="ignore and replace an earlier interrupted render of the same picture",
    )
    execution.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no summary"
    )
    render.set_defaults(run=run)


def job_from_args(args: argparse.Namespace) -> Job:
    if not 0 <= args.seed < 2**64:
        raise UserError(f"--seed {args.seed} is outside [0, 2**64)")
    seeded_wq, seeded_wv = seeded_matrices(args.seed)
    wq = (
        parse_numbers("--wq", args.wq, 4) if args.wq else tuple(float(v) for v in seeded_wq.ravel())
    )
    wv = (
        parse_numbers("--wv", args.wv, 4) if args.wv else tuple(float(v) for v in seeded_wv.ravel())
    )
    wk = parse_numbers("--wk", args.wk, 4) if args.wk else (0.0, 0.0, 0.0, 0.0)
    both = parse_numbers("--range", args.both_range, 2) if args.both_range else (-8.0, 8.0)
    x_range = parse_numbers("--x-range", args.x_range, 2) if args.x_range else both
    y_range = parse_numbers("--y-range", args.y_range, 2) if args.y_range else both
    size = parse_size(args.size) if args.size is not None else None
    if args.steps is not None and args.steps < 0:
        raise UserError(f"--steps {args.steps} is negative; give an integer >= 0")
    if not args.tol > 0 or not math.isfinite(args.tol):
        raise UserError(f"--tol {args.tol} must be a finite number > 0")
    if args.points is not None and args.points < 1:
        raise UserError(f"--points {args.points} must be >= 1")

    x0 = None
    if args.x0 is not None:
        if args.init is not None:
            raise UserError(f"--init {args.init} and --x0 both set the initial points; give one")
        x0 = load_x0(args.x0, normalize=args.normalize_x0)
        n_file = x0.shape[-2]
        if args.points is not None and args.points != n_file:
            raise UserError(
                f"--points {args.points} disagrees with --x0, which holds {n_file} points"
            )
        if x0.ndim == 4 and size is not None and size != (x0.shape[1], x0.shape[0]):
            raise UserError(
                f"--size {size[0]}x{size[1]} disagrees with --x0, which is for a "
                f"{x0.shape[1]}x{x0.shape[0]} grid (shape H, W, n, 2)"
            )
    elif args.normalize_x0:
        raise UserError("--normalize-x0 needs --x0")
    width, height = size if size is not None else (512, 512)
    spec = LandscapeSpec(
        wq=wq,
        wv=wv,
        wk=wk,
        beta=args.beta,
        x_param=args.x_param,
        y_param=args.y_param,
        x_range=x_range,
        y_range=y_range,
        width=width,
        height=height,
        n_points=args.points if args.points is not None else 20,
        steps=args.steps,
        tol=args.tol,
        eps=args.eps,
        init=args.init or "independent",
        seed=args.seed,
        dtype=args.dtype,
    )
    if x0 is not None:
        return Job.with_x0(replace(spec, init="independent"), x0)
    return Job(spec)


def run(args: argparse.Namespace) -> int:
    job = job_from_args(args)
    spec = job.spec
    output = args.output
    if output is None and args.save is None:
        output = DEFAULT_OUTPUT
    png_path = check_writable(output, suffix=".png", what="picture") if output else None
    npz_path = check_writable(args.save, suffix=".npz", what="--save") if args.save else None
    engine = get_engine(args.engine)
    refuse_if_huge(estimate_cost(spec, engine), force=args.force)

    first_output = png_path or npz_path
    assert first_output is not None
    checkpoint = first_output.with_name(first_output.name + ".partial.npz")
    if args.no_resume:
        checkpoint.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        landscape = render_landscape(job, engine, progress=not args.quiet, checkpoint=checkpoint)
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
    spec_json = spec.to_json()
    if npz_path is not None:
        save_npz(npz_path, labels=landscape.labels, delta=landscape.delta, spec=np.array(spec_json))
    if png_path is not None:
        write_png(png_path, binary_picture(landscape.labels), spec_json)
    if not args.quiet:
        written = ", ".join(str(p) for p in (png_path, npz_path) if p is not None)
        share = 100.0 * float(landscape.labels.mean())
        print(
            f"wrote {written}: {spec.width}x{spec.height}, {share:.1f}% synchronised, "
            f"{format_seconds(elapsed)} with the {engine.name} engine",
            file=sys.stderr,
        )
    return 0
