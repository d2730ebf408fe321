"""``attndyn color``: re-color a saved fields file without recomputing anything."""

from __future__ import annotations

import argparse
import sys

from attndyn.cli.common import (
    add_color_arguments,
    add_quiet_argument,
    color_options,
    picture_size,
)
from attndyn.model.outputs import check_writable
from attndyn.pictures.landscape_files import write_landscape
from attndyn.rendering.store import load_landscape


def register(subparsers: argparse._SubParsersAction) -> None:
    color = subparsers.add_parser(
        "color",
        aliases=["colour"],
        help="re-colour a fields file saved by 'render --save'",
        description=(
            "Colour the fields saved by 'attndyn render --save FILE.npz' into a PNG. Nothing is "
            "recomputed, so trying colourings is instant."
        ),
    )
    color.add_argument(
        "fields", metavar="FIELDS.npz", help="a file written by 'attndyn render --save'"
    )
    color.add_argument(
        "-o", "--output", required=True, metavar="OUT.png", help="the picture to write"
    )
    add_color_arguments(color)
    add_quiet_argument(color)
    color.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    landscape = load_landscape(args.fields)
    options = color_options(args)
    size = picture_size(args)
    output = check_writable(args.output, suffix=".png", what="picture")
    image = write_landscape(landscape, options, png=output, npz=None, size=size)
    assert image is not None
    if not args.quiet:
        print(
            f"wrote {output}: {image.size[0]}x{image.size[1]}, {options.coloring}", file=sys.stderr
        )
    return 0
