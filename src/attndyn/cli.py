"""The ``attndyn`` command.

Every user mistake ends in one line, ``attndyn: error: <what is wrong and what is allowed>``,
and exit code 2, before any output file is touched.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import numpy as np

from attndyn import __version__
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

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEFAULT_OUTPUT = "landscape.png"
_NUMBER_LIST = re.compile(r"^-[\d.]")


class _Parser(argparse.ArgumentParser):
    """argparse, but usage mistakes end in one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _numbers(option: str, text: str, count: int) -> tuple[float, ...]:
    parts = [part.strip() for part in text.split(",")]
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        raise UserError(f"{option} {text!r} is not {count} comma-separated numbers") from None
    if len(values) != count:
        raise UserError(f"{option} {text!r} has {len(values)} numbers; give {count}")
    if not all(math.isfinite(v) for v in values):
        raise UserError(f"{option} {text!r} holds a non-finite value; all must be finite")
    return values


def _size(text: str) -> tuple[int, int]:
    """``R`` for R x R, or ``WxH``; returns (width, height)."""
    match = re.fullmatch(r"\s*(-?\d+)\s*(?:[xX]\s*(-?\d+)\s*)?", text)
    if not match:
        raise UserError(f"--size {text!r} is not R or WxH with whole numbers, e.g. 512 or 800x600")
    width = int(match.group(1))
    height = int(match.group(2)) if match.group(2) is not None else width
    if width < 1 or height < 1:
        raise UserError(f"--size {text!r} must be at least 1 pixel in each direction")
    return width, height


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="attndyn",
        description=(
            "Self-attention as interacting particles on the sphere. 'render' draws the "
            "convergence landscape of the map X <- normalize_rows(softmax(X Wq^T (X Wk^T)^T) "
            "X Wv^T) over a grid of W_K = diag(a, b)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"attndyn {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    render = commands.add_parser(
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

    run = render.add_argument_group("output and execution")
    run.add_argument(
        "-o",
        "--output",
        metavar="OUT.png",
        help="binary picture, one pixel per grid point "
        f"(default {DEFAULT_OUTPUT} when --save is not given)",
    )
    run.add_argument(
        "--save",
        metavar="OUT.npz",
        help="save labels (uint8), delta (float32) and spec (JSON) to an npz",
    )
    run.add_argument(
        "--engine",
        default="auto",
        choices=engine_names(),
        help="compute engine (default auto: the fastest available)",
    )
    run.add_argument(
        "--force", action="store_true", help="run even when the estimated time or memory is huge"
    )
    run.add_argument(
        "--no-resume",
        action="store_true",
        help="ignore and replace an earlier interrupted render of the same picture",
    )
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")

    experiment = commands.add_parser(
        "experiment",
        help="reproduce an experiment of the Transformer Dynamics paper (fig1..fig7, animations)",
        description=(
            "Run one experiment of Burger, Kabri, Korolev, Roith and Weigand (2025) on particle "
            "flows and interaction energies on the sphere. Each writes NAME.csv (the data "
            "behind the figure) and NAME.png into --out."
        ),
    )
    experiment.add_argument("name", nargs="?", help="experiment name or alias (see --list)")
    experiment.add_argument("--list", action="store_true", help="list the experiments")
    experiment.add_argument("--out", default="results", help="output directory (default results)")
    experiment.add_argument("--quick", action="store_true", help="a small, fast version (seconds)")
    experiment.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    experiment.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return parser


_VALUE_OPTIONS = {
    "--wq",
    "--wv",
    "--wk",
    "--range",
    "--x-range",
    "--y-range",
    "--beta",
    "--tol",
    "--eps",
}


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """Let ``--range -8,8`` mean ``--range=-8,8`` (argparse would read -8,8 as an option)."""
    out: list[str] = []
    tokens = list(argv)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if (
            token in _VALUE_OPTIONS
            and index + 1 < len(tokens)
            and _NUMBER_LIST.match(tokens[index + 1])
        ):
            out.append(f"{token}={tokens[index + 1]}")
            index += 2
            continue
        out.append(token)
        index += 1
    return out


def _spec_and_job(args: argparse.Namespace) -> Job:
    if not 0 <= args.seed < 2**64:
        raise UserError(f"--seed {args.seed} is outside [0, 2**64)")
    seeded_wq, seeded_wv = seeded_matrices(args.seed)
    wq = _numbers("--wq", args.wq, 4) if args.wq else tuple(float(v) for v in seeded_wq.ravel())
    wv = _numbers("--wv", args.wv, 4) if args.wv else tuple(float(v) for v in seeded_wv.ravel())
    wk = _numbers("--wk", args.wk, 4) if args.wk else (0.0, 0.0, 0.0, 0.0)
    both = _numbers("--range", args.both_range, 2) if args.both_range else (-8.0, 8.0)
    x_range = _numbers("--x-range", args.x_range, 2) if args.x_range else both
    y_range = _numbers("--y-range", args.y_range, 2) if args.y_range else both
    size = _size(args.size) if args.size is not None else None
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


def _run_render(args: argparse.Namespace) -> int:
    job = _spec_and_job(args)
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


def _run_experiment(args: argparse.Namespace) -> int:
    from attndyn.particles.experiments import EXPERIMENTS, resolve

    if args.list:
        for item in EXPERIMENTS.values():
            aliases = f" ({', '.join(item.aliases)})" if item.aliases else ""
            print(f"{item.name:<12}{item.summary}{aliases}")
        return 0
    if args.name is None:
        names = ", ".join(EXPERIMENTS)
        raise UserError(f"experiment needs a name; choose one of {names}, or pass --list")
    item = resolve(args.name)
    if args.seed < 0:
        raise UserError(f"--seed {args.seed} is negative; give an integer >= 0")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {str(out)!r} is a file; give a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create --out {str(out)!r}: {error.strerror}") from None
    check_writable(out / f"{item.name}.csv", what="--out")
    started = time.perf_counter()
    written = item.run(out, quick=args.quick, seed=args.seed, progress=not args.quiet)
    if not args.quiet:
        elapsed = format_seconds(time.perf_counter() - started)
        print(
            f"{item.name}: wrote {', '.join(str(p) for p in written)} in {elapsed}", file=sys.stderr
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``attndyn`` command; returns the exit code."""
    parser = _build_parser()
    args = parser.parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "render":
            return _run_render(args)
        if args.command == "experiment":
            return _run_experiment(args)
    except UserError as error:
        print(f"attndyn: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("attndyn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    parser.error(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
