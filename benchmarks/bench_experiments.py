"""Time the research experiments of ``attndyn experiment`` (Figures 1-7, animations and more).

Wall-clock time belongs here, not in the test suite: tests/particles checks what the quick
runs write, this script how long they take. Each experiment runs ``--repeat`` times (default
1) into a fresh temporary folder and the best time is shown; a run over ``--target`` seconds
(default 10, the goal for a quick run on an idle 2-core machine) is flagged, and the exit
status is 1 when any is.

    .venv/bin/python benchmarks/bench_experiments.py              # every quick run
    .venv/bin/python benchmarks/bench_experiments.py fig2 fig7 --repeat 3
    .venv/bin/python benchmarks/bench_experiments.py fig1 --full --target 600
    .venv/bin/python benchmarks/bench_experiments.py phase --full --param layout=geshkovski
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def time_experiment(
    name: str, *, quick: bool, repeat: int, seed: int, params: list[str] | None = None
) -> float:
    """Best wall-clock seconds of ``repeat`` runs of experiment ``name``, with the parameters
    ``params`` (``KEY=VALUE`` texts, as ``attndyn experiment --param``)."""
    from attndyn.particles.experiments import resolve

    experiment = resolve(name)
    given = experiment.parse_assignments(params or [])
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            experiment.run(Path(folder), quick=quick, seed=seed, progress=False, params=given)
            best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    from attndyn.particles.experiments import EXPERIMENTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="experiments to time (default: all)")
    parser.add_argument("--full", action="store_true", help="time the full runs, not quick ones")
    parser.add_argument("--repeat", type=int, default=1, help="runs per experiment (best shown)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=float, default=10.0, help="flag runs over this (s)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter of every named experiment (repeatable; see attndyn experiment NAME "
        "--list-params)",
    )
    args = parser.parse_args(argv)
    names = args.names or list(EXPERIMENTS)
    from attndyn.model.errors import UserError
    from attndyn.particles.experiments import resolve

    try:  # every name and parameter checked before the first run
        for name in names:
            experiment = resolve(name)
            experiment.parameters(experiment.parse_assignments(args.param), quick=not args.full)
    except UserError as error:
        parser.error(str(error))
    mode = "full" if args.full else "quick"
    width = max(12, *(len(name) for name in names))
    print(f"{'experiment':<{width}} {mode + ' run (s)':>14}")
    over = []
    for name in names:
        seconds = time_experiment(
            name, quick=not args.full, repeat=args.repeat, seed=args.seed, params=args.param
        )
        flag = f"  over the {args.target:g} s target" if seconds > args.target else ""
        print(f"{name:<{width}} {seconds:>14.2f}{flag}", flush=True)
        if flag:
            over.append(name)
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
