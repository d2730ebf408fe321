"""``attndyn gallery``: render every preset, in both init versions, into a directory."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from attndyn.commands.common import parse_size
from attndyn.commands.render import (
    add_color_arguments,
    add_execution_arguments,
    color_options_from_args,
    picture_size,
    write_landscape,
)
from attndyn.engines import get_engine
from attndyn.errors import EXIT_INTERRUPTED, UserError
from attndyn.estimate import estimate_cost, format_seconds, refuse_if_huge
from attndyn.images import read_png_text
from attndyn.outputs import check_writable, ensure_directory
from attndyn.presets import get_preset, load_presets
from attndyn.render import RenderInterrupted, render_landscape

INITS = ("independent", "shared")


def register(subparsers: argparse._SubParsersAction) -> None:
    gallery = subparsers.add_parser(
        "gallery",
        help="render every preset (both init versions) into a directory",
        description=(
            "Render the presets into DIR as NAME-independent.png and NAME-shared.png (and .npz "
            "fields with --save-fields). Pictures already there with the same spec are kept, so "
            "an interrupted gallery resumes."
        ),
    )
    gallery.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="output directory (created if missing)"
    )
    gallery.add_argument("--size", "-s", default="1500", help="resolution: R or WxH (default 1500)")
    gallery.add_argument(
        "--only", metavar="NAME", action="append", help="render only these presets (repeatable)"
    )
    gallery.add_argument(
        "--inits",
        default=",".join(INITS),
        help="init versions, comma-separated (default independent,shared)",
    )
    gallery.add_argument(
        "--presets",
        metavar="FILE.toml",
        action="append",
        default=[],
        help="extra presets file (repeatable)",
    )
    gallery.add_argument(
        "--save-fields", action="store_true", help="also save each picture's fields as .npz"
    )
    add_color_arguments(gallery)
    add_execution_arguments(gallery.add_argument_group("execution"))
    gallery.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    presets = load_presets(args.presets)
    chosen = (
        [get_preset(name, presets) for name in args.only] if args.only else list(presets.values())
    )
    inits = [init.strip() for init in args.inits.split(",")]
    for init in inits:
        if init not in INITS:
            raise UserError(f"--inits holds {init!r}; choose from {', '.join(INITS)}")
    width, height = parse_size(args.size)
    options = color_options_from_args(args)
    size = picture_size(args)
    out = ensure_directory(args.output, what="--output")
    engine = get_engine(args.engine, args.device)
    jobs = [
        (p, init, p.spec(width=width, height=height, init=init)) for p in chosen for init in inits
    ]
    for _, _, spec in jobs:
        refuse_if_huge(estimate_cost(spec, engine), force=args.force)
    started = time.perf_counter()
    for preset, init, spec in jobs:
        png = check_writable(out / f"{preset.name}-{init}.png", suffix=".png", what="picture")
        npz = out / f"{preset.name}-{init}.npz" if args.save_fields else None
        if _already_there(png, spec.to_json()) and (npz is None or npz.exists()):
            continue
        try:
            landscape = render_landscape(
                spec,
                engine,
                progress=not args.quiet,
                checkpoint=png.with_name(png.name + ".partial.npz"),
            )
        except RenderInterrupted as stop:
            print(
                f"attndyn: interrupted in {png.name} after {stop.rows_done} of "
                f"{stop.rows_total} rows; run the same command again to resume",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        write_landscape(landscape, options, png=png, npz=npz, size=size)
        if not args.quiet:
            print(f"wrote {png} ({preset.caption})", file=sys.stderr)
    if not args.quiet:
        print(
            f"gallery of {len(jobs)} pictures in {out} after "
            f"{format_seconds(time.perf_counter() - started)}",
            file=sys.stderr,
        )
    return 0


def _already_there(png: Path, spec_json: str) -> bool:
    if not png.exists():
        return False
    try:
        return read_png_text(png, "spec", required=False) == spec_json
    except UserError:
        return False
