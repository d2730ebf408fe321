"""Two checkouts side by side, each on its own core at the same moment: B/A speed ratios that
the machine's drift does not move.

The 2-core development VM drifts by 10-25% between runs a few minutes apart, more than most
kernel changes are worth, and ``bench_engines.py --trees``, which interleaves the trees,
still swings by about 10%. Here each round starts one single-threaded process per tree at the
same moment, each pinned to its own core, so that both see the same phase of the machine;
the cores are swapped every round. A case's figure is its best time over all rounds (and
over ``--repeat`` computes within each), and the ratio is B's over A's:

    .venv/bin/python benchmarks/ab_trees.py --trees main=/path/to/main/src,new=src \
        --size 800 --rounds 5

The cases are ``bench_engines.py``'s whole view: the default window of each seed and init
(``--seeds``, ``--inits``), in ``--dtype`` (float64: the first seed and init only). Each
process warms its engine up on an 8 × 8 picture first, so compilation is not timed (a tree
whose kernels are not in numba's cache compiles them there, once). Needs two cores and Linux
(``os.sched_setaffinity``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_engines import case_spec, cases, parse_trees, tree_environment


def _child(engine: str, dtype: str, seeds: list[int], inits: list[str], size: int,
           repeat: int) -> list[float]:  # fmt: skip
    """The best of ``repeat`` render times of each case, in this process (one thread)."""
    from attndyn import render_landscape
    from attndyn.engines import get_engine

    chosen = get_engine(engine, "auto")
    times = []
    for case in cases(["whole"], [dtype], seeds, inits, size, size):
        spec = case_spec(case, 20, 100)
        render_landscape(case_spec(case, 20, 100, size=8), chosen)  # warm-up (JIT)
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            render_landscape(spec, chosen)
            best = min(best, time.perf_counter() - started)
        times.append(best)
    return times


def _pinned(core: int):
    """A preexec_fn that pins the child process to ``core``."""
    return lambda: os.sched_setaffinity(0, {core})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", required=True, help="A=SRC,B=SRC: exactly two checkouts")
    parser.add_argument("--size", type=int, default=800, help="grid side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="computes per case and round")
    parser.add_argument("--engine", default="numba")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--seeds", default="1679700,5227590")
    parser.add_argument("--inits", default="independent,shared")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    inits = args.inits.split(",")
    if args.child:
        times = _child(args.engine, args.dtype, seeds, inits, args.size, args.repeat)
        print(json.dumps(times))
        return
    trees = parse_trees(args.trees)
    if len(trees) != 2:
        raise SystemExit(f"--trees wants exactly two checkouts, A=SRC,B=SRC; got {len(trees)}")
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("ab_trees.py needs two cores it may pin processes to (Linux)")
    if args.size < 1 or args.rounds < 1 or args.repeat < 1:
        raise SystemExit("--size, --rounds and --repeat must be at least 1")
    cores = sorted(os.sched_getaffinity(0))[:2]
    passed = list(sys.argv[1:] if argv is None else argv)
    command = [sys.executable, __file__, "--child", *passed]
    best: list[list[float]] = [[], []]
    for round_index in range(args.rounds):
        order = cores if round_index % 2 == 0 else cores[::-1]
        children = []
        for (_, src), core in zip(trees, order, strict=True):
            env = {**tree_environment(src), "NUMBA_NUM_THREADS": "1"}
            children.append(
                subprocess.Popen(
                    command,
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                    preexec_fn=_pinned(core),
                )
            )
        for tree_index, child in enumerate(children):
            out, _ = child.communicate()
            if child.returncode != 0:
                raise SystemExit(f"tree {trees[tree_index][0]} failed (exit {child.returncode})")
            times = json.loads(out.strip().splitlines()[-1])
            best[tree_index] = [
                min(pair) for pair in zip(best[tree_index] or times, times, strict=True)
            ]
        line = (
            "  ".join(f"{t:.4g}" for t in best[0])
            + "  |  "
            + "  ".join(f"{t:.4g}" for t in best[1])
        )
        print(f"round {round_index + 1}: best so far, A | B (s): {line}", flush=True)
    (name_a, _), (name_b, _) = trees
    print(f"\n{'case':<34}{name_a:>10} {name_b:>10}    B/A")
    timed = cases(["whole"], [args.dtype], seeds, inits, args.size, args.size)
    for case, a, b in zip(timed, best[0], best[1], strict=True):
        label = f"{case.seed} {case.init} {case.dtype} {case.size}²"
        print(f"{label:<34}{a:>9.4g}s {b:>9.4g}s  {b / a:6.3f}")


if __name__ == "__main__":
    main()
