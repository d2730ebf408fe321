"""``attndyn movie``: a zoom into a point, or one parameter swept over time, as MP4 and/or GIF.

The frames' math is in :mod:`attndyn.pictures.movie_frames`, the frame cache and the encoders
in :mod:`attndyn.pictures.movies`. Frames too narrow for the working precision are refused up
front (pass ``--precision float64``); mp4 needs even frame sizes (refused otherwise, no
padding); the frame cache ``OUT.frames/`` is kept after success only with ``--keep-frames``,
and is always kept by an interrupted movie, to resume.
``--color-scale`` chooses between one colour scale for the whole movie (the default: colours
hold still) and each frame's own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from attndyn.api.movies import frame_jobs, make_movie, movie_base
from attndyn.cli.common import (
    add_color_arguments,
    add_deprecated_alias,
    add_execution_arguments,
    add_spec_arguments,
    color_options,
    picture_size,
    render_options,
    set_help,
)
from attndyn.engines import get_engine
from attndyn.model.errors import EXIT_INTERRUPTED, FieldError, UserError
from attndyn.model.job import Job
from attndyn.model.params import SWEEPABLE_NAMES
from attndyn.model.parsing import parse_float, parse_numbers
from attndyn.pictures.coloring import ColorOptions
from attndyn.pictures.movie_frames import SPACINGS
from attndyn.pictures.movies import (
    COLOR_SCALES,
    DEFAULT_COLOR_SCALE,
    DEFAULT_FPS,
    MovieInterrupted,
    check_outputs,
    default_frames_dir,
    frame_size,
)
from attndyn.rendering.estimate import format_seconds


def _add_movie_arguments(parser: argparse.ArgumentParser, kind: str) -> None:
    movie = parser.add_argument_group("the movie")
    movie.add_argument(
        "--frames", type=int, required=True, metavar="N", help="number of frames (at least 2)"
    )
    movie.add_argument(
        "--fps",
        type=float,
        default=DEFAULT_FPS,
        help=f"frames per second (default {DEFAULT_FPS:g}, for a smooth zoom or sweep; trace "
        "and flow animations default to about 10 s in all)",
    )
    movie.add_argument(
        "-o",
        "--output",
        action="append",
        metavar="OUT.mp4|OUT.gif",
        help=f"the movie; repeat for both formats, e.g. -o {kind}.mp4 -o {kind}.gif "
        f"(default {kind}.mp4). mp4 needs an even width and height",
    )
    movie.add_argument(
        "--frames-dir",
        metavar="DIR",
        help="frame cache: one PNG per finished frame, carrying its spec (and, when the "
        "colours share the movie's scale, each frame's fields .npz); a rerun reuses them "
        "(default OUT.frames beside the first output)",
    )
    movie.add_argument(
        "--keep-frames",
        action="store_true",
        help="keep this movie's frame PNGs after the movie is written (default: they are "
        "deleted then; an interrupted movie always keeps them, to resume)",
    )
    movie.add_argument(
        "--color-scale",
        choices=COLOR_SCALES,
        default=DEFAULT_COLOR_SCALE,
        help="movie (default): the colour range and --equalize come from all frames' fields, "
        "so a value keeps its colour from frame to frame; per-frame: each frame's own (the "
        "colours then jump in a sweep)",
    )
    # Deleting the frames after a finished movie is the default now; the old flag still works.
    movie.add_argument("--clean-frames", action="store_true", help=argparse.SUPPRESS)
    add_execution_arguments(parser.add_argument_group("execution"))


def register(subparsers: argparse._SubParsersAction) -> None:
    movie = subparsers.add_parser(
        "movie",
        help="a zoom into a point, or a parameter swept over time, as MP4 and/or GIF",
        description=(
            "Render a movie of convergence landscapes: 'zoom' zooms exponentially into a point; "
            "'sweep' moves one parameter linearly from one value to another. Every frame is an "
            "ordinary landscape (all of render's options apply), cached as a PNG that carries "
            "its spec, so an interrupted movie resumes and 'attndyn render --from FRAME.png' "
            "reproduces any frame."
        ),
    )
    movie.set_defaults(run=_run_without_kind)
    kinds = movie.add_subparsers(dest="movie_kind", metavar="KIND", parser_class=type(movie))

    zoom = kinds.add_parser(
        "zoom",
        help="exponential zoom into a point",
        description=(
            "Frame i of N has window width w_i = w0 * (w1/w0)^(i/(N-1)), centred on --center "
            "(w0 = --width, w1 = --end-width), as render's --center and --width make a window; "
            "the height follows the picture's aspect ratio. Frames too narrow for float32 are "
            "refused before anything is rendered: pass --precision float64."
        ),
    )
    zoom.add_argument(
        "--end-width",
        type=float,
        required=True,
        metavar="W1",
        help="window width of the last frame",
    )
    _add_movie_arguments(zoom, "zoom")
    add_spec_arguments(zoom)
    set_help(
        zoom,
        "center",
        "the point zoomed into, in (x-param, y-param) coordinates; every frame is centred on it "
        "(required)",
    )
    set_help(
        zoom,
        "width",
        "window width of the first frame (default: the width of the spec's window, --range "
        "or the preset's)",
    )
    add_deprecated_alias(zoom, "--target", dest="center", use="--center")
    add_deprecated_alias(zoom, "--start-width", dest="width", use="--width")
    add_color_arguments(zoom)
    zoom.set_defaults(run=run)

    sweep = kinds.add_parser(
        "sweep",
        help="one parameter swept over time, in equal steps or equal ratios",
        description=(
            "Frame k of N sets --param to A + (B - A) k/(N-1) for the whole picture, with "
            "--values A,B (--spacing log: A (B/A)^(k/(N-1)), equal ratios, for A, B > 0); "
            "everything else stays as the spec options say. --param residual --values 0.1,20 "
            "--spacing log goes from the attention flow (small h) to the seed's map (large h)."
        ),
    )
    sweep.add_argument(
        "--param",
        required=True,
        metavar="NAME",
        help="the swept parameter, not one of the two axis parameters; one of "
        + ", ".join(SWEEPABLE_NAMES),
    )
    sweep.add_argument(
        "--values",
        metavar="A,B",
        help="the parameter's value in the first frame and in the last (required); a value "
        "that starts with '-' may be written --values=-3,3 or --values -3,3",
    )
    sweep.add_argument(
        "--spacing",
        choices=SPACINGS,
        default="linear",
        help="linear (default): equal steps A + (B - A) k/(N-1); log: equal ratios "
        "A (B/A)^(k/(N-1)), for a parameter that spans decades (both ends > 0)",
    )
    add_deprecated_alias(sweep, "--from-value", dest="from_value", use="--values A,B")
    add_deprecated_alias(sweep, "--to-value", dest="to_value", use="--values A,B")
    add_deprecated_alias(sweep, "--to", dest="to_value", use="--values A,B")  # beside --from
    _add_movie_arguments(sweep, "sweep")
    add_spec_arguments(sweep)
    add_color_arguments(sweep)
    sweep.set_defaults(run=run)


def _run_without_kind(args: argparse.Namespace) -> int:
    raise UserError("movie needs a kind: zoom or sweep (see attndyn movie --help)")


# The movie library names its values as its arguments; the command line's options:
_OPTION_OF_ARGUMENT = {
    "target": "center",
    "start_width": "width",
    "from_value": "values",
    "to_value": "values",
}


def _sweep_values(args: argparse.Namespace) -> tuple[float, float]:
    """(A, B) of --values A,B, or of the deprecated --from-value A --to-value B."""
    old = [getattr(args, name, None) for name in ("from_value", "to_value")]
    if args.values is not None and any(value is not None for value in old):
        raise UserError("--values and --from-value/--to-value both set the values; give --values")
    if args.values is not None:
        return parse_numbers("values", args.values, 2)  # type: ignore[return-value]
    if None in old:
        raise UserError(
            "movie sweep needs --values A,B: the swept parameter's value in the first frame "
            "and in the last"
        )
    return parse_float("from_value", old[0]), parse_float("to_value", old[1])


def _refuse_a_number_for_from(args: argparse.Namespace) -> None:
    """``--from -3`` meant a value: --from names a picture to start from."""
    text = args.from_picture
    if text is None or args.movie_kind != "sweep" or Path(text).exists():
        return
    try:
        float(text)
    except ValueError:
        return
    raise UserError(
        f"--from {text} names a picture to start from (PICTURE.png); the swept values are "
        f"--values A,B, e.g. --values={text},3"
    )


def _frame_jobs(args: argparse.Namespace, base: Job, center, width) -> list[Job]:
    values = _sweep_values(args) if args.movie_kind == "sweep" else None
    return frame_jobs(
        args.movie_kind,
        base,
        center,
        width,
        frames=args.frames,
        end_width=getattr(args, "end_width", None),
        param=getattr(args, "param", None),
        values=values,
        spacing=getattr(args, "spacing", "linear"),
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except FieldError as error:
        raise error.renamed(_OPTION_OF_ARGUMENT) from None


def _run(args: argparse.Namespace) -> int:
    _refuse_a_number_for_from(args)
    options = render_options(args)
    base, center, width = movie_base(args.movie_kind, options)
    stored = ColorOptions.from_picture(options.from_picture) if options.from_picture else None
    colors = color_options(args, stored)
    size = picture_size(args)
    frame_pixels = frame_size(base.spec, size)
    outputs = check_outputs(args.output or [f"{args.movie_kind}.mp4"], frame_pixels)
    frames_dir = Path(args.frames_dir) if args.frames_dir else default_frames_dir(outputs[0])
    jobs = _frame_jobs(args, base, center, width)
    engine = get_engine(args.engine, args.device)
    started = time.perf_counter()
    try:
        result = make_movie(
            jobs,
            colors,
            outputs,
            frames_dir=frames_dir,
            engine=engine,
            fps=args.fps,
            size=size,
            progress=not args.quiet,
            keep_frames=args.keep_frames,
            color_scale=args.color_scale,
            force=args.force,
            force_option="--force",
        )
    except MovieInterrupted as stop:
        print(
            f"attndyn: interrupted after {stop.frames_done} of {stop.frames_total} frames; "
            f"run the same command again to resume (finished frames are in {stop.frames_dir})",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if not args.quiet:
        elapsed = time.perf_counter() - started
        reused = len(jobs) - len(result.computed)
        where = f", frames in {frames_dir}" if args.keep_frames else ""
        print(
            f"wrote {', '.join(str(p) for p in result.outputs)}: {len(jobs)} frames "
            f"{frame_pixels[0]}x{frame_pixels[1]} at {args.fps:g} fps ({len(result.computed)} "
            f"computed, {reused} reused{where}), {format_seconds(elapsed)} with the "
            f"{engine.name} engine",
            file=sys.stderr,
        )
    return 0
