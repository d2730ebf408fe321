"""``attndyn gallery``: render every preset, in both init versions, into a directory."""

from __future__ import annotations

import argparse
import sys
import time

from attndyn.cli.common import (
    add_color_arguments,
    add_deprecated_alias,
    add_execution_arguments,
    add_presets_argument,
    color_options,
    picture_size,
)
from attndyn.engines import get_engine
from attndyn.engines.warmup import compile_first
from attndyn.model.errors import EXIT_INTERRUPTED
from attndyn.model.outputs import check_writable, ensure_directory
from attndyn.model.parsing import parse_size
from attndyn.model.presets import GALLERY_INITS, gallery_pictures, load_presets
from attndyn.pictures.images import read_picture
from attndyn.pictures.landscape_files import carries_spec, write_landscape
from attndyn.pictures.sheet import SheetItem, contact_sheet, write_sheet
from attndyn.rendering.estimate import estimate_cost, format_seconds, refuse_if_huge
from attndyn.rendering.render import RenderInterrupted, render_landscape


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
    gallery.add_argument(
        "--size",
        "-s",
        default="1500",
        help="resolution: R or WxH (default 1500, the seed's; render's 512 is for a quick look)",
    )
    gallery.add_argument(
        "--only", metavar="NAME", action="append", help="render only these presets (repeatable)"
    )
    gallery.add_argument(
        "--init",
        metavar="LIST",
        default=",".join(GALLERY_INITS),
        help="init versions, a comma list of independent and shared (default both: "
        "independent,shared)",
    )
    add_deprecated_alias(gallery, "--inits", dest="init", use="--init")
    add_presets_argument(gallery)
    gallery.add_argument(
        "--save-fields", action="store_true", help="also save each picture's fields as .npz"
    )
    gallery.add_argument(
        "--sheet",
        metavar="FILE.png",
        help="also lay the pictures out on one sheet, three to a row, each with its preset's "
        "name, init and caption (the seed's Figure 1 is such a sheet)",
    )
    add_color_arguments(gallery)
    add_execution_arguments(gallery.add_argument_group("execution"))
    gallery.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    pictures = gallery_pictures(
        load_presets(args.presets),
        parse_size("size", args.size),
        only=args.only,
        inits=[init.strip() for init in args.init.split(",")],
    )
    options = color_options(args)
    size = picture_size(args)
    out = ensure_directory(args.output, what="--output")
    sheet = check_writable(args.sheet, suffix=".png", what="sheet") if args.sheet else None
    engine = get_engine(args.engine, args.device)
    for item in pictures:
        refuse_if_huge(estimate_cost(item.spec, engine), force=args.force)
    started = time.perf_counter()
    # A bar only on a terminal: elsewhere (a log, a pipe) each bar's redraws and the line of
    # spaces that clears it would stand between the pictures' lines as lines of their own.
    bars = not args.quiet and sys.stderr.isatty()
    for item in pictures:
        png = check_writable(out / f"{item.name}.png", suffix=".png", what="picture")
        npz = out / f"{item.name}.npz" if args.save_fields else None
        if carries_spec(png, item.spec.to_json()) and (npz is None or npz.exists()):
            continue
        if not args.quiet:  # the kernels' first compile is said, on a terminal or not
            compile_first(engine, (item.spec,))
        try:
            landscape = render_landscape(
                item.spec,
                engine,
                progress=bars,
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
            print(f"wrote {png} ({item.preset.caption})", file=sys.stderr)
    if sheet is not None:
        items = [
            SheetItem(read_picture(out / f"{item.name}.png"), item.name, item.preset.caption)
            for item in pictures
        ]
        write_sheet(sheet, contact_sheet(items))
        if not args.quiet:
            print(f"wrote {sheet}", file=sys.stderr)
    if not args.quiet:
        print(
            f"gallery of {len(pictures)} pictures in {out} after "
            f"{format_seconds(time.perf_counter() - started)}",
            file=sys.stderr,
        )
    return 0
