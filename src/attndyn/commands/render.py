"""``attndyn render``: one convergence landscape to PNG and/or npz.

The spec is assembled from, in increasing precedence: the spec's defaults, a preset
(``--preset``) or a picture's stored spec (``--from``), and the options given explicitly.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import MISSING, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from attndyn.coloring import COLORINGS, ColorOptions, picture
from attndyn.commands.common import parse_numbers, parse_size
from attndyn.engines import DEVICES, engine_names, get_engine
from attndyn.errors import EXIT_INTERRUPTED, UserError
from attndyn.estimate import estimate_cost, format_seconds, refuse_if_huge
from attndyn.images import read_png_text, write_png
from attndyn.initial import seeded_matrices
from attndyn.job import Job, load_x0
from attndyn.outputs import check_writable, save_npz
from attndyn.params import PARAMETER_NAMES
from attndyn.presets import get_preset, load_presets
from attndyn.render import Landscape, RenderInterrupted, render_landscape
from attndyn.spec import INIT_MODES, LandscapeSpec

DEFAULT_OUTPUT = "landscape.png"
SPEC_DEFAULTS = {f.name: f.default for f in fields(LandscapeSpec) if f.default is not MISSING}


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that define a spec (shared by render, gallery and movie)."""
    source = parser.add_argument_group("starting points")
    source.add_argument(
        "--preset", metavar="NAME", help="start from a named picture (see 'attndyn presets')"
    )
    source.add_argument(
        "--presets",
        metavar="FILE.toml",
        action="append",
        default=[],
        help="extra presets file (repeatable)",
    )
    source.add_argument(
        "--from",
        dest="from_picture",
        metavar="PICTURE.png",
        help="re-render a PNG made by attndyn, exactly, from the spec it carries",
    )

    model = parser.add_argument_group("the map")
    model.add_argument(
        "--wq", metavar="Q00,Q01,Q10,Q11", help="W_Q row-major (default: drawn from --seed)"
    )
    model.add_argument(
        "--wv", metavar="V00,V01,V10,V11", help="W_V row-major (default: drawn from --seed)"
    )
    model.add_argument(
        "--wk",
        metavar="K00,K01,K10,K11",
        help="W_K row-major; the swept entries are overwritten per pixel (default 0,0,0,0)",
    )
    model.add_argument(
        "--beta", type=float, help="inverse temperature multiplying the scores (default 1)"
    )
    model.add_argument(
        "--seed",
        type=int,
        help="seed of attndyn's own generator: W_Q/W_V when not given, and the initial "
        "points (default 1)",
    )
    model.add_argument("--points", "-n", type=int, help="number of points n (default 20)")
    model.add_argument("--steps", "-T", type=int, help="number of steps T (default 100)")
    model.add_argument("--tol", type=float, help="synchronised when delta < tol (default 1e-5)")
    model.add_argument("--eps", type=float, help="epsilon of the row normalisation (default 1e-8)")
    model.add_argument(
        "--precision",
        "--dtype",
        dest="dtype",
        choices=("float32", "float64"),
        help="working precision (default float32; float64 for deep zooms)",
    )

    grid = parser.add_argument_group("the grid")
    grid.add_argument("--size", "-s", help="resolution: R for RxR, or WxH (default 512)")
    grid.add_argument(
        "--range", dest="both_range", metavar="LO,HI", help="window on both axes (default -8,8)"
    )
    grid.add_argument("--x-range", metavar="LO,HI", help="window of the horizontal axis")
    grid.add_argument("--y-range", metavar="LO,HI", help="window of the vertical axis")
    grid.add_argument("--center", metavar="CX,CY", help="window centre (with --width)")
    grid.add_argument(
        "--width",
        type=float,
        metavar="W",
        help="window width; the height follows the picture's aspect ratio",
    )
    grid.add_argument(
        "--x-param",
        metavar="NAME",
        help="parameter along the horizontal axis (default wk11 = b); one of "
        + ", ".join(PARAMETER_NAMES),
    )
    grid.add_argument(
        "--y-param", metavar="NAME", help="parameter along the vertical axis (default wk00 = a)"
    )
    grid.add_argument(
        "--supersample",
        type=int,
        metavar="K",
        help="average K x K samples per output pixel (anti-aliasing)",
    )

    start = parser.add_argument_group("initial points")
    start.add_argument(
        "--init",
        choices=INIT_MODES[:2],
        help="independent: fresh points for every pixel, as the seed's code does (default); "
        "shared: one configuration for all pixels, as the seed's text says",
    )
    start.add_argument(
        "--samples",
        type=int,
        metavar="K",
        help="K independent initial configurations per pixel; adds the field 'probability' "
        "(default 1)",
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


def add_color_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that turn fields into a picture (shared by render, color, gallery, movie)."""
    colour = parser.add_argument_group("colouring")
    colour.add_argument(
        "--coloring",
        "--colouring",
        choices=COLORINGS,
        help="what the colours show (default binary)",
    )
    colour.add_argument("--cmap", help="any matplotlib colormap (default depends on --coloring)")
    colour.add_argument("--invert", action="store_true", help="reverse the colormap")
    colour.add_argument("--equalize", action="store_true", help="histogram-equalise the colours")
    colour.add_argument(
        "--resize", metavar="R|WxH", help="resample the picture to this size (bicubic, antialiased)"
    )


def add_execution_arguments(group: argparse._ArgumentGroup) -> None:
    """--engine, --device, --force and --quiet (shared by render, gallery and movie)."""
    group.add_argument(
        "--engine",
        default="auto",
        choices=engine_names(),
        help="compute engine (default auto: the fastest available)",
    )
    group.add_argument(
        "--device",
        default="auto",
        choices=DEVICES,
        help="where the engine runs: cuda (with --engine auto: the fused cuda kernel) or cpu; "
        "default auto: torch on CUDA when torch sees a GPU, every other engine on the CPU",
    )
    group.add_argument(
        "--force", action="store_true", help="run even when the estimated time or memory is huge"
    )
    group.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")


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
    render.set_defaults(run=run)


_SPEC_OPTIONS = (
    "wq",
    "wv",
    "wk",
    "beta",
    "seed",
    "points",
    "steps",
    "tol",
    "eps",
    "dtype",
    "size",
    "both_range",
    "x_range",
    "y_range",
    "center",
    "width",
    "x_param",
    "y_param",
    "supersample",
    "init",
    "samples",
    "preset",
)


def _window(args: argparse.Namespace, base: dict[str, Any], size: tuple[int, int]) -> None:
    """Fill base's x_range/y_range from --range, --x-range, --y-range or --center/--width."""
    if (args.center is None) != (args.width is None):
        raise UserError("--center and --width go together; give both")
    if args.center is not None:
        if args.both_range or args.x_range or args.y_range:
            raise UserError(
                "--center/--width and --range/--x-range/--y-range both set the window; give one"
            )
        cx, cy = parse_numbers("--center", args.center, 2)
        if not (args.width > 0 and math.isfinite(args.width)):
            raise UserError(f"--width {args.width} must be a finite number > 0")
        height = args.width * size[1] / size[0]
        base["x_range"] = (cx - args.width / 2, cx + args.width / 2)
        base["y_range"] = (cy - height / 2, cy + height / 2)
        return
    if args.both_range:
        base["x_range"] = base["y_range"] = parse_numbers("--range", args.both_range, 2)
    if args.x_range:
        base["x_range"] = parse_numbers("--x-range", args.x_range, 2)
    if args.y_range:
        base["y_range"] = parse_numbers("--y-range", args.y_range, 2)


def _checked_int(option: str, value: int | None, minimum: int) -> int | None:
    if value is not None and value < minimum:
        raise UserError(f"{option} {value} is too small; it must be >= {minimum}")
    return value


def spec_values_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Spec fields from a preset (if any) and the explicit options, before x0 is applied."""
    base: dict[str, Any] = {}
    if getattr(args, "preset", None):
        preset = get_preset(args.preset, load_presets(args.presets))
        base.update(preset.values)
        for name in ("x_range", "y_range"):
            if name in base:
                base[name] = tuple(base[name])
    seed = base.get("seed", SPEC_DEFAULTS["seed"]) if args.seed is None else args.seed
    if not 0 <= seed < 2**64:
        raise UserError(f"--seed {seed} is outside [0, 2**64)")
    base["seed"] = seed
    seeded_wq, seeded_wv = seeded_matrices(seed)
    if args.wq:
        base["wq"] = parse_numbers("--wq", args.wq, 4)
    base.setdefault("wq", tuple(map(float, seeded_wq.ravel())))
    if args.wv:
        base["wv"] = parse_numbers("--wv", args.wv, 4)
    base.setdefault("wv", tuple(map(float, seeded_wv.ravel())))
    if args.wk:
        base["wk"] = parse_numbers("--wk", args.wk, 4)
    if args.size is not None:
        base["width"], base["height"] = parse_size(args.size)
    size = (base.get("width", SPEC_DEFAULTS["width"]), base.get("height", SPEC_DEFAULTS["height"]))
    _window(args, base, size)
    if args.steps is not None and args.steps < 0:
        raise UserError(f"--steps {args.steps} is negative; give an integer >= 0")
    if args.tol is not None and not (args.tol > 0 and math.isfinite(args.tol)):
        raise UserError(f"--tol {args.tol} must be a finite number > 0")
    _checked_int("--points", args.points, 1)
    _checked_int("--samples", args.samples, 1)
    _checked_int("--supersample", args.supersample, 1)
    explicit = {
        "beta": args.beta,
        "n_points": args.points,
        "steps": args.steps,
        "tol": args.tol,
        "eps": args.eps,
        "dtype": args.dtype,
        "x_param": args.x_param,
        "y_param": args.y_param,
        "supersample": args.supersample,
        "init": args.init,
        "samples": args.samples,
    }
    base.update({name: value for name, value in explicit.items() if value is not None})
    return base


def job_from_args(args: argparse.Namespace) -> Job:
    """The job the spec options describe (see the module docstring for precedence)."""
    if args.from_picture:
        given = [name for name in _SPEC_OPTIONS if getattr(args, name, None)]
        if given:
            raise UserError(
                f"--from reproduces a picture exactly; drop --{given[0].replace('_', '-')}"
            )
        spec = LandscapeSpec.from_json(read_png_text(args.from_picture, "spec"))
        if spec.init != "file":
            return Job(spec)
        if args.x0 is None:
            raise UserError(
                f"{args.from_picture} was made from an --x0 file; give it again with --x0"
            )
        x0 = load_x0(args.x0, normalize=args.normalize_x0)
        job = Job.with_x0(replace(spec, init="independent", x0_sha256=None, x0_per_pixel=False), x0)
        if job.spec != spec:
            raise UserError(f"--x0 {args.x0} is not the file {args.from_picture} was made from")
        return job
    values = spec_values_from_args(args)
    if args.x0 is None:
        if args.normalize_x0:
            raise UserError("--normalize-x0 needs --x0")
        return Job(LandscapeSpec(**values))
    if args.init is not None:
        raise UserError(f"--init {args.init} and --x0 both set the initial points; give one")
    x0 = load_x0(args.x0, normalize=args.normalize_x0)
    n_file = x0.shape[-2]
    if args.points is not None and args.points != n_file:
        raise UserError(f"--points {args.points} disagrees with --x0, which holds {n_file} points")
    if (
        x0.ndim == 4
        and args.size is not None
        and parse_size(args.size) != (x0.shape[1], x0.shape[0])
    ):
        raise UserError(
            f"--size {args.size} disagrees with --x0, which is for a "
            f"{x0.shape[1]}x{x0.shape[0]} grid (shape H, W, n, 2)"
        )
    if x0.ndim == 4 and (args.supersample or 1) > 1:
        raise UserError("--supersample needs seeded points; a per-pixel --x0 fixes the grid")
    values["n_points"] = n_file
    values.pop("init", None)
    return Job.with_x0(LandscapeSpec(**values), x0)


def color_options_from_args(args: argparse.Namespace, stored: str | None = None) -> ColorOptions:
    """Colouring options: the stored ones (from --from), overridden by explicit options."""
    options = ColorOptions.from_json(stored) if stored else ColorOptions()
    return replace(
        options,
        coloring=args.coloring or options.coloring,
        cmap=args.cmap or options.cmap,
        invert=args.invert or options.invert,
        equalize=args.equalize or options.equalize,
    )


def picture_size(args: argparse.Namespace) -> tuple[int, int] | None:
    return parse_size(args.resize) if args.resize else None


def write_landscape(
    landscape: Landscape,
    options: ColorOptions,
    *,
    png: Path | None,
    npz: Path | None,
    size: tuple[int, int] | None = None,
) -> None:
    """Write the picture (with spec and colouring) and/or the fields file."""
    spec_json = landscape.spec.to_json()
    if npz is not None:
        save_npz(npz, spec=np.array(spec_json), **landscape.fields.arrays())
    if png is not None:
        image = picture(landscape.fields, landscape.spec, options, size=size)
        write_png(png, image, spec_json, coloring_json=options.to_json())


def run(args: argparse.Namespace) -> int:
    job = job_from_args(args)
    spec = job.spec
    stored = (
        read_png_text(args.from_picture, "coloring", required=False) if args.from_picture else None
    )
    options = color_options_from_args(args, stored)
    size = picture_size(args)
    output = args.output
    if output is None and args.save is None:
        output = DEFAULT_OUTPUT
    png_path = check_writable(output, suffix=".png", what="picture") if output else None
    npz_path = check_writable(args.save, suffix=".npz", what="--save") if args.save else None
    engine = get_engine(args.engine, args.device)
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
    write_landscape(landscape, options, png=png_path, npz=npz_path, size=size)
    if not args.quiet:
        written = ", ".join(str(p) for p in (png_path, npz_path) if p is not None)
        share = 100.0 * float(landscape.labels.mean())
        print(
            f"wrote {written}: {spec.width}x{spec.height}, {share:.1f}% synchronised, "
            f"{format_seconds(elapsed)} with the {engine.name} engine",
            file=sys.stderr,
        )
    return 0
