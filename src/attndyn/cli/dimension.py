"""``attndyn dimension``: the box-counting dimension of the boundary between labels.

Reads a fields file written by ``render --save`` (:func:`attndyn.rendering.store.load_landscape`)
and measures the boundary of its ``labels`` (or ``clusters``) field with
:func:`attndyn.analysis.dimension.estimate_dimension`; prints the estimate and its confidence
interval, and writes the box counts (``-o OUT.csv``) and the fit plot (``--plot OUT.png``;
``dimension.png`` when no output is named). ``-o OUT.png``, which once meant the plot, still
does, with a deprecation warning. The checks, the outputs and the summary are those of
:func:`attndyn.dimension` (:mod:`attndyn.api.analyses`); this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys

from attndyn.cli.common import add_deprecated_alias, add_quiet_argument, warn_deprecated
from attndyn.model.errors import UserError
from attndyn.model.outputs import check_writable
from attndyn.model.parsing import parse_float, parse_int

DEFAULT_PLOT = "dimension.png"


def register(subparsers: argparse._SubParsersAction) -> None:
    dimension = subparsers.add_parser(
        "dimension",
        help="box-counting dimension of the boundary between labels of a saved landscape",
        description=(
            "Estimate the box-counting dimension of the boundary between the labels of a "
            "fields file saved by 'render --save': the slope of log N(s) against log(1/s), "
            "N(s) the number of s x s boxes that the boundary meets, with a Student-t "
            "confidence interval widened to the slopes over sliding box ranges (half the "
            "sizes each; a warning says when they reach beyond the fit's interval). Prints "
            "the estimate and writes the fit plot."
        ),
    )
    dimension.add_argument("fields", metavar="FIELDS.npz", help="a file from 'render --save'")
    dimension.add_argument(
        "--field",
        metavar="labels|clusters",
        default="labels",
        help="the field whose boundary is measured: labels (default) or clusters",
    )
    dimension.add_argument("--min-box", metavar="S", help="smallest box size in pixels (default 2)")
    dimension.add_argument(
        "--max-box", metavar="S", help="largest box size in pixels (default: the shorter side / 16)"
    )
    dimension.add_argument(
        "--confidence",
        metavar="LEVEL",
        default="0.95",
        help="level of the confidence interval (default 0.95)",
    )
    dimension.add_argument(
        "-o",
        "--output",
        metavar="OUT.csv",
        help="the box counts: box size, count and local slope per row",
    )
    add_deprecated_alias(dimension, "--csv", dest="csv", use="-o/--output")
    dimension.add_argument(
        "--plot",
        metavar="OUT.png",
        help=f"the fit plot (default {DEFAULT_PLOT} when -o is not given)",
    )
    add_quiet_argument(dimension, "the estimate alone, bare, for scripts")
    dimension.set_defaults(run=run)


def _outputs(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(csv, plot) paths, from -o and --plot and the old spellings: ``-o OUT.png`` for the
    plot and ``--csv OUT.csv`` for the counts (the deprecated alias; its warning is printed)."""
    csv, plot = args.output, args.plot
    if csv is not None and csv.lower().endswith(".png"):
        warn_deprecated("-o OUT.png for the plot", "--plot OUT.png")
        if plot is not None:
            raise UserError("-o OUT.png and --plot both name the plot; give --plot")
        csv, plot = None, csv
    old_csv = getattr(args, "csv", None)
    if old_csv is not None:
        if csv is not None:
            raise UserError("-o and --csv both name the counts; give -o")
        csv = old_csv
    if csv is None and plot is None:
        plot = DEFAULT_PLOT
    return csv, plot


def run(args: argparse.Namespace) -> int:
    from attndyn.analysis.dimension import estimate_dimension
    from attndyn.api.analyses import (
        checked_field,
        dimension_summary,
        dimension_warning,
        field_of,
        write_dimension_outputs,
    )
    from attndyn.rendering.store import load_landscape

    checked_field(args.field)
    min_box = parse_int("min_box", args.min_box) if args.min_box is not None else None
    max_box = parse_int("max_box", args.max_box) if args.max_box is not None else None
    confidence = parse_float("confidence", args.confidence)
    csv_name, plot_name = _outputs(args)
    plot_path = check_writable(plot_name, suffix=".png", what="--plot") if plot_name else None
    csv_path = check_writable(csv_name, suffix=".csv", what="--output") if csv_name else None
    field = field_of(load_landscape(args.fields), args.field, args.fields)
    estimate = estimate_dimension(field, min_box=min_box, max_box=max_box, confidence=confidence)
    title = f"{args.fields}: boundary of {args.field}"
    written = write_dimension_outputs(estimate, plot_path, csv_path, title)
    if args.quiet:
        print(f"{estimate.dimension:.4f}")
    else:
        print(dimension_summary(estimate, field.shape))
        warning = dimension_warning(estimate)
        if warning is not None:
            print(f"attndyn: warning: {warning}", file=sys.stderr)
        print(f"wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0
