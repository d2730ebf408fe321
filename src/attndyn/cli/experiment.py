"""``attndyn experiment``: the experiments of the Transformer Dynamics paper."""

from __future__ import annotations

import argparse
import sys
import time

from attndyn.cli.common import add_deprecated_alias, add_quiet_argument
from attndyn.model.errors import UserError
from attndyn.model.outputs import check_writable, ensure_directory
from attndyn.model.parsing import did_you_mean, parse_int
from attndyn.rendering.estimate import format_seconds


def register(subparsers: argparse._SubParsersAction) -> None:
    experiment = subparsers.add_parser(
        "experiment",
        help="reproduce an experiment of the Transformer Dynamics paper (fig1..fig7, "
        "animations, ...) or draw a phase diagram (phase)",
        description=(
            "Run one experiment of Burger, Kabri, Korolev, Roith and Weigand (2025) on particle "
            "flows and interaction energies on the sphere. Each writes NAME.csv (the data "
            "behind the figure), NAME.png and NAME.params.json (the parameters used) into the "
            "-o/--output directory. --list-params shows an experiment's parameters (defaults: "
            "the paper's values); --param KEY=VALUE changes one."
        ),
    )
    experiment.add_argument("name", nargs="?", help="experiment name or alias (see --list)")
    experiment.add_argument("--list", action="store_true", help="list the experiments")
    experiment.add_argument(
        "--list-params",
        action="store_true",
        help="list the experiment's parameters with their defaults, types and meanings",
    )
    experiment.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a parameter (repeatable; see --list-params), e.g. --param taus=0.005,0.02; "
        "lists are comma-separated or START:STOP:COUNT",
    )
    experiment.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default="results",
        help="output directory, created if missing (default results)",
    )
    add_deprecated_alias(experiment, "--out", dest="output", use="-o/--output")
    experiment.add_argument("--quick", action="store_true", help="a small, fast version (seconds)")
    experiment.add_argument(
        "--seed",
        default="0",
        help="seed of numpy's generator for the random starts (default 0, which made the "
        "documentation's figures; not render's generator, so not render's default)",
    )
    add_quiet_argument(experiment)
    experiment.add_argument(
        "--view",
        metavar="rotate|descent",
        help="animations only: rotate (default; the camera turns around the converged "
        "states, as the source's GIFs) or descent (the particles moving towards them); the "
        "same as --param view=...",
    )
    experiment.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from attndyn.particles.experiments import EXPERIMENTS, checked_seed, resolve

    if args.list:
        width = max(len(name) for name in EXPERIMENTS) + 2
        for item in EXPERIMENTS.values():
            aliases = f" ({', '.join(item.aliases)})" if item.aliases else ""
            print(f"{item.name:<{width}}{item.summary}{aliases}")
        return 0
    if args.name is None:
        names = ", ".join(EXPERIMENTS)
        raise UserError(f"experiment needs a name; choose one of {names}, or pass --list")
    try:
        item = resolve(args.name)
    except UserError:
        known = [*EXPERIMENTS, *(alias for e in EXPERIMENTS.values() for alias in e.aliases)]
        hint = did_you_mean(str(args.name).strip().lower().replace("_", "-"), known)
        raise UserError(
            f"unknown experiment {args.name!r}{hint}; choose one of: {', '.join(EXPERIMENTS)} "
            "(or an alias, see --list)"
        ) from None
    if args.list_params:
        print(item.describe_parameters())
        return 0
    # every check before the output is created: no half-made folder for a bad value
    seed = checked_seed(parse_int("seed", args.seed))
    given = item.parse_assignments(args.param)
    if args.view is not None:
        spec = item.specs.get("view")
        if spec is None:
            raise UserError(f"--view does not apply to experiment {item.name!r}")
        if args.view not in (spec.choices or ()):
            raise UserError(
                f"--view {args.view!r} is unknown; choose one of {', '.join(spec.choices or ())}"
            )
        given["view"] = args.view
    item.parameters(given, quick=args.quick)  # checked here; run() builds them again
    out = ensure_directory(args.output, what="--output")
    check_writable(out / f"{item.name}.csv", what="--output")
    started = time.perf_counter()
    written = item.run(out, quick=args.quick, seed=seed, progress=not args.quiet, params=given)
    if not args.quiet:
        elapsed = format_seconds(time.perf_counter() - started)
        print(
            f"{item.name}: wrote {', '.join(str(p) for p in written)} in {elapsed}", file=sys.stderr
        )
    return 0
