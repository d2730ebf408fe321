"""``attndyn trace``: the dynamics behind one pixel of a landscape.

The pixel's spec is assembled exactly as ``render``'s (the same options, through
:func:`attndyn.model.options.build_job`); the pixel is named by its grid indices (``--pixel``,
row 0 = the lowest y value) or by parameter values (``--at``, the nearest pixel). The run
itself is :func:`attndyn.analysis.trace.trace_pixel`, whose last ``delta`` is the pixel's ``delta``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from attndyn.cli.common import (
    add_deprecated_alias,
    add_quiet_argument,
    add_spec_arguments,
    render_options,
)
from attndyn.model.errors import FieldError, UserError
from attndyn.model.options import build_job
from attndyn.model.outputs import check_writable
from attndyn.model.parsing import parse_float, parse_int, parse_numbers

MAX_MOVIE_FRAMES = 200


def register(subparsers: argparse._SubParsersAction) -> None:
    trace = subparsers.add_parser(
        "trace",
        help="show the dynamics behind one landscape pixel (gap, clusters, points per step)",
        description=(
            "Iterate the map of one pixel of the landscape that the same options would render, "
            "from the same initial points, and write what happens at every step: the gap "
            "delta_t = max_i |x_i1 - x_11| and the cluster count (-o), a plot (--plot) and "
            "an animation of the n points on the circle (--animation). The last delta is the "
            "pixel's delta in 'render'. A summary goes to stdout."
        ),
    )
    where = trace.add_argument_group("the pixel (one of)")
    where.add_argument(
        "--pixel",
        metavar="ROW,COL",
        help="grid indices as in render: row 0 is the lowest y value (a), column 0 the lowest x",
    )
    where.add_argument(
        "--at", metavar="X,Y", help="parameter values (x_param, y_param); the nearest pixel"
    )
    add_spec_arguments(trace)
    out = trace.add_argument_group("outputs")
    out.add_argument("-o", "--output", metavar="OUT.csv", help="step,delta,clusters for steps 0..T")
    add_deprecated_alias(out, "--csv", dest="output", use="-o/--output")
    out.add_argument("--plot", metavar="OUT.png", help="delta and clusters against the step")
    out.add_argument(
        "--animation",
        metavar="OUT.gif|OUT.mp4",
        help=f"the n points on the circle, one frame per step (at most {MAX_MOVIE_FRAMES})",
    )
    out.add_argument(
        "--fps",
        metavar="F",
        default="10",
        help="animation frames per second (default 10: the default 100 steps, one frame each, "
        "last about 10 s)",
    )
    add_quiet_argument(out)
    trace.set_defaults(run=run)


def _pixel(args: argparse.Namespace, spec) -> tuple[int, int]:
    """(row, col) from --pixel or --at."""
    from attndyn.analysis.trace import pixel_at

    if (args.pixel is None) == (args.at is None):
        raise FieldError(
            lambda n: f"trace needs one of {n('pixel')} ROW,COL or {n('at')} X,Y (not both)"
        )
    if args.at is not None:
        x, y = parse_numbers("at", args.at, 2)
        return pixel_at(spec, x, y)
    parts = str(args.pixel).split(",")
    if len(parts) != 2:
        raise FieldError(lambda n: f"{n('pixel')} {args.pixel!r} is not ROW,COL")
    return parse_int("pixel", parts[0]), parse_int("pixel", parts[1])


def run(args: argparse.Namespace) -> int:
    from attndyn.analysis.trace import trace_pixel

    job = build_job(render_options(args))
    spec = job.spec
    row, col = _pixel(args, spec)
    fps = parse_float("fps", args.fps)
    if not (np.isfinite(fps) and fps > 0):
        raise FieldError(lambda n: f"{n('fps')} {fps!r} must be a finite number > 0")
    csv_path = check_writable(args.output, suffix=".csv", what="--output") if args.output else None
    plot_path = check_writable(args.plot, suffix=".png", what="--plot") if args.plot else None
    movie_path = None
    if args.animation:
        movie_path = check_writable(args.animation, what="--animation")
        if movie_path.suffix.lower() not in (".gif", ".mp4"):
            raise UserError(f"--animation path {args.animation!r} must end in .gif or .mp4")
    trace = trace_pixel(job, row, col)
    if csv_path is not None:
        from attndyn.particles.experiments.common import write_csv

        rows = zip(trace.steps, trace.delta.astype(np.float64), trace.clusters, strict=True)
        write_csv(csv_path, ["step", "delta", "clusters"], rows)
    if plot_path is not None:
        from attndyn.analysis.trace_plots import plot_trace

        plot_trace(trace, plot_path)
    if movie_path is not None:
        from attndyn.analysis.trace_plots import write_trace_movie

        write_trace_movie(
            trace, movie_path, fps=fps, max_frames=MAX_MOVIE_FRAMES, progress=not args.quiet
        )
    if not args.quiet:
        sync = "never" if np.isnan(trace.sync_step) else f"{trace.sync_step:.4g}"
        print(
            f"pixel row {row}, col {col}: {spec.x_param} = {trace.x_value!r}, "
            f"{spec.y_param} = {trace.y_value!r}\n"
            f"delta after {spec.steps} steps = {float(trace.delta[-1]):.6g} "
            f"({'synchronised' if trace.label else 'not synchronised'}, tol {spec.tol:g}); "
            f"sync step {sync}; {int(trace.clusters[-1])} clusters"
        )
        written = [str(p) for p in (csv_path, plot_path, movie_path) if p is not None]
        if written:
            print(f"wrote {', '.join(written)}", file=sys.stderr)
    return 0
