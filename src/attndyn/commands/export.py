"""``attndyn export``: colour a finished Zarr store into a poster, chunk by chunk."""

from __future__ import annotations

import argparse
import sys

from attndyn.commands.common import (
    add_color_arguments,
    add_quiet_argument,
    color_options,
    picture_size,
)
from attndyn.errors import UserError
from attndyn.outputs import check_writable


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser(
        "export",
        help="colour a store made by 'render --store' into a BigTIFF or PNG poster",
        description=(
            "Colour the fields of a Zarr store written by 'attndyn render --store OUT.zarr' "
            "into a tiled pyramidal BigTIFF (.tif) or a PNG, chunk by chunk, so the picture "
            "may be larger than memory. Both carry the spec. Nothing is recomputed."
        ),
    )
    export.add_argument("store", metavar="STORE.zarr", help="a store written by 'render --store'")
    export.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.tif|OUT.png",
        help="the picture: .tif/.tiff (tiled, pyramidal BigTIFF) or .png",
    )
    add_color_arguments(export)
    export.add_argument(
        "--depth",
        choices=("8", "16"),
        default="8",
        help="bits per sample: 16 writes 16-bit grey of a continuous colouring (default 8)",
    )
    add_quiet_argument(export)
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from attndyn.export import PICTURE_SUFFIXES, export_store, finished_store

    options = color_options(args)
    size = picture_size(args)
    suffix = next((s for s in PICTURE_SUFFIXES if args.output.lower().endswith(s)), None)
    if suffix is None:
        raise UserError(f"export file {args.output!r} must end in .png, .tif or .tiff")
    output = check_writable(args.output, suffix=suffix, what="export")
    store = finished_store(args.store)
    done = export_store(store, output, options, depth=int(args.depth), size=size)
    if not args.quiet:
        print(
            f"wrote {done.path}: {done.size[0]}x{done.size[1]} {done.mode}, {options.coloring}",
            file=sys.stderr,
        )
    return 0
