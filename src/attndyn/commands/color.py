"""``attndyn color``: re-colour a saved fields file without recomputing anything."""

from __future__ import annotations

import argparse
import sys

from attndyn.coloring import picture
from attndyn.commands.render import add_color_arguments, color_options_from_args, picture_size
from attndyn.images import write_png
from attndyn.outputs import check_writable
from attndyn.store import load_landscape


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
    color.add_argument("--quiet", "-q", action="store_true", help="no summary")
    color.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    landscape = load_landscape(args.fields)
    options = color_options_from_args(args)
    size = picture_size(args)
    output = check_writable(args.output, suffix=".png", what="picture")
    image = picture(landscape.fields, landscape.spec, options, size=size)
    write_png(output, image, landscape.spec.to_json(), coloring_json=options.to_json())
    if not args.quiet:
        print(
            f"wrote {output}: {image.size[0]}x{image.size[1]}, {options.coloring}", file=sys.stderr
        )
    return 0
