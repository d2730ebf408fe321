"""``attndyn color``: re-color a saved fields file without recomputing anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from attndyn.commands.common import add_color_arguments, color_options, picture_size
from attndyn.errors import UserError
from attndyn.fields import Fields
from attndyn.outputs import check_writable
from attndyn.pictures import write_landscape
from attndyn.render import Landscape
from attndyn.spec import LandscapeSpec


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


def load_landscape(path: str | Path) -> Landscape:
    """A landscape saved by ``render --save``: its spec and every field it holds."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise UserError(f"fields file {str(path)!r} does not exist") from None
    except (OSError, ValueError) as error:
        raise UserError(f"fields file {str(path)!r} is not a readable .npz: {error}") from None
    missing = [name for name in ("spec", "labels", "delta") if name not in arrays]
    if missing:
        raise UserError(
            f"fields file {str(path)!r} lacks {missing}; was it made by 'render --save'?"
        )
    spec = LandscapeSpec.from_json(str(arrays.pop("spec")))
    known = {"delta", "labels", "sync_step", "clusters", "probability"}
    fields = Fields(**{name: array for name, array in arrays.items() if name in known})
    if fields.labels.shape != spec.shape:
        raise UserError(
            f"fields file {str(path)!r} holds arrays of shape {fields.labels.shape}, "
            f"not {spec.shape}"
        )
    return Landscape(spec=spec, fields=fields)


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
