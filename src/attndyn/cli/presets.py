"""``attndyn presets``: list the named pictures."""

from __future__ import annotations

import argparse

from attndyn.cli.common import add_presets_argument
from attndyn.model.presets import load_presets


def register(subparsers: argparse._SubParsersAction) -> None:
    presets = subparsers.add_parser(
        "presets",
        help="list the named pictures (the seed's gallery and your own)",
        description=(
            "List the presets: the seed's gallery, shipped with attndyn, and those of any "
            "--presets FILE.toml (tables of spec fields with a caption). Use one with "
            "'attndyn render --preset NAME [--init shared]'."
        ),
    )
    add_presets_argument(presets)
    presets.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for preset in load_presets(args.presets).values():
        print(f"{preset.name:<16}{preset.caption}")
    return 0
