"""``attndyn trace``: the dynamics behind one pixel of a landscape.

The pixel's spec is assembled exactly as ``render``'s (the same options, through
:func:`attndyn.model.options.build_job`); the pixel is named by its grid indices (``--pixel``,
row 0 = the lowest y value) or by parameter values (``--at``, the nearest pixel). The run
itself is :func:`attndyn.analysis.trace.trace_pixel`, whose last ``delta`` is the pixel's ``delta``.
The pixel, the checks, the outputs and the summary are those of :func:`attndyn.trace`
(:mod:`attndyn.api.analyses`); this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys

from attndyn.api.analyses import MAX_ANIMATION_FRAMES as MAX_MOVIE_FRAMES
from attndyn.cli.common import (
    add_deprecated_alias,
    add_quiet_argument,
    add_spec_arguments,
    option_flag,
    render_options,
)
from attndyn.model.options import build_job


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


def run(args: argparse.Namespace) -> int:
    from attndyn.analysis.trace import trace_pixel
    from attndyn.api.analyses import (
        checked_fps,
        find_pixel,
        trace_outputs,
        trace_summary,
        write_trace_outputs,
    )

    job = build_job(render_options(args))
    row, col = find_pixel(job.spec, args.pixel, args.at)
    fps = checked_fps(args.fps)
    paths = trace_outputs(args.output, args.plot, args.animation, spell=option_flag)
    trace = trace_pixel(job, row, col)
    written = write_trace_outputs(trace, *paths, fps=fps, progress=not args.quiet)
    if not args.quiet:
        print(trace_summary(trace))
        if written:
            print(f"wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0
