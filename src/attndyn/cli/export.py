"""``attndyn export``: colour a finished Zarr store into a poster, chunk by chunk."""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from attndyn.cli.common import (
    add_color_arguments,
    add_quiet_argument,
    color_options,
    picture_size,
)
from attndyn.model.errors import UserError
from attndyn.model.outputs import check_writable
from attndyn.model.parsing import parse_float
from attndyn.model.picture_metadata import TIFF_SIGNATURES


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
        help="the picture: .tif/.tiff (tiled, pyramidal OME-TIFF, a BigTIFF) or .png",
    )
    add_color_arguments(export)
    export.add_argument(
        "--depth",
        choices=("8", "16"),
        default="8",
        help="bits per sample: 16 writes 16-bit grey of a continuous colouring (default 8)",
    )
    export.add_argument(
        "--dpi",
        metavar="N",
        help="print resolution of a .tif poster, in pixels per inch (default 300): the TIFF's "
        "resolution tags and its OME pixel size",
    )
    add_quiet_argument(export)
    export.set_defaults(run=run)


def refuse_a_file_that_is_not_a_store(location: str) -> None:
    """A fields file or a picture given for the store: say what it is and which command
    colours it (before anything needs zarr, so the message never blames a missing extra)."""
    path = Path(location)
    if not path.is_file():
        return
    try:
        with open(path, "rb") as file:
            head = file.read(8)
        names = zipfile.ZipFile(path).namelist() if zipfile.is_zipfile(path) else []
    except OSError:
        return  # the store's own loading says what is wrong with it
    if "spec.npy" in names:
        raise UserError(
            f"{location!r} is a fields file (render --save), not a store; colour it with "
            f"'attndyn color {location} -o OUT.png' (export colours stores of render --store)"
        )
    if head == b"\x89PNG\r\n\x1a\n" or head[:4] in TIFF_SIGNATURES:
        raise UserError(
            f"{location!r} is a picture, not a store; 'attndyn render --from {location}' "
            "renders it again (export colours stores of render --store)"
        )


def run(args: argparse.Namespace) -> int:
    refuse_a_file_that_is_not_a_store(args.store)
    from attndyn.pictures.export import PICTURE_SUFFIXES, export_store, finished_store
    from attndyn.pictures.image_streams import DEFAULT_DPI

    options = color_options(args)
    size = picture_size(args)
    suffix = next((s for s in PICTURE_SUFFIXES if args.output.lower().endswith(s)), None)
    if suffix is None:
        raise UserError(f"export file {args.output!r} must end in .png, .tif or .tiff")
    dpi = DEFAULT_DPI if args.dpi is None else parse_float("dpi", args.dpi)
    if args.dpi is not None and suffix == ".png":
        raise UserError("--dpi sets a TIFF's print resolution; drop it, or export to .tif")
    if not dpi > 0 or dpi == float("inf"):
        raise UserError(f"--dpi {args.dpi} must be a positive number of pixels per inch")
    output = check_writable(args.output, suffix=suffix, what="export")
    store = finished_store(args.store)
    done = export_store(store, output, options, depth=int(args.depth), size=size, dpi=dpi)
    if not args.quiet:
        print(
            f"wrote {done.path}: {done.size[0]}x{done.size[1]} {done.mode}, {options.coloring}",
            file=sys.stderr,
        )
    return 0
