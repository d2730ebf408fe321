"""The first picture's cost: the numba kernels' cold compile, and the warm start after it.

For each precision, a fresh process renders the default picture (``art1679700``, one shared
configuration) at 8 x 8 with an empty ``NUMBA_CACHE_DIR``, so the kernels are compiled
(cold); a second process renders it again with that cache (warm: the kernels are loaded).
Each figure is the child's own CPU seconds (user + system, from ``os.wait4``), its wall
seconds from start to exit and its peak resident memory. The CPU seconds are the target of
issue 25: the first float32 picture, compile included, in at most 20 s of CPU on the 2-core
development machine, and float64 the same. ``--inits independent`` renders from independent
points instead (which compiles their drawing kernel too), ``--residual`` the residual map
(``--residual 0.5``, its own kernels).

With ``--trees A=SRC,B=SRC`` the same runs are made for each checkout, interleaved (tree A,
tree B, A, B, ...), and the ratio B/A of each figure is printed: the VM's speed drifts by
10-25% between runs minutes apart, so compare trees only within one run. The best of
``--repeat`` runs is shown (the least disturbed by the machine's other work), with the median.

    .venv/bin/python benchmarks/bench_startup.py                     # this checkout
    .venv/bin/python benchmarks/bench_startup.py --trees base=/tmp/base/src,new=src --repeat 3
    .venv/bin/python benchmarks/bench_startup.py --inits shared,independent --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_engines import parse_trees, tree_environment

PRECISIONS = ("float32", "float64")
INITS = ("shared", "independent")
TARGET_CPU_SECONDS = 20.0


@dataclass(frozen=True)
class Run:
    """One child process: its CPU seconds (user + system), wall seconds and peak RSS (MiB)."""

    cpu: float
    wall: float
    peak_mib: float


def render_command(
    precision: str, output: Path, init: str = "shared", residual: bool = False
) -> list[str]:
    """The command of one 8 x 8 render of the default picture in ``precision`` (from ``init``
    points; the residual map at h = 0.5 if ``residual``); the options are spelt out, so that
    checkouts with other defaults render the same picture."""
    return [
        sys.executable, "-m", "attndyn.cli.main", "render", "--preset", "art1679700", "--init",
        init, "--size", "8", "--precision", precision, "--quiet", "-o", str(output),
        *(["--residual", "0.5"] if residual else []),
    ]  # fmt: skip


def run_child(command: Sequence[str], env: dict[str, str]) -> Run:
    """Run ``command`` to its end; its own CPU time, wall time and peak memory."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{stderr}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


def cold_and_warm(
    precision: str, src: str | None, folder: Path, init: str = "shared", residual: bool = False
) -> tuple[Run, Run]:
    """A cold run (empty numba cache) and a warm one (the cache the cold run filled)."""
    cache = Path(tempfile.mkdtemp(prefix="numba-cache-", dir=folder))
    env = tree_environment(src)
    env["NUMBA_CACHE_DIR"] = str(cache)
    command = render_command(precision, folder / f"{precision}.png", init, residual)
    return run_child(command, env), run_child(command, env)


def _best(runs: list[Run], field: str) -> float:
    return min(getattr(run, field) for run in runs)


def _median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", help="NAME=SRC,...: compare checkouts, interleaved")
    parser.add_argument("--precisions", default=",".join(PRECISIONS), help="comma-separated")
    parser.add_argument("--inits", default="shared", help="comma-separated: shared, independent")
    parser.add_argument("--residual", action="store_true", help="the residual map, h = 0.5")
    parser.add_argument("--repeat", type=int, default=1, help="cold + warm runs per tree")
    args = parser.parse_args(argv)
    precisions = args.precisions.split(",")
    if not set(precisions) <= set(PRECISIONS):
        raise SystemExit(f"--precisions takes {', '.join(PRECISIONS)}; got {args.precisions}")
    inits = args.inits.split(",")
    if not set(inits) <= set(INITS):
        raise SystemExit(f"--inits takes {', '.join(INITS)}; got {args.inits}")
    kinds = [(p, init) for p in precisions for init in inits]
    trees = parse_trees(args.trees)
    runs: dict[tuple[str, str, str], list[tuple[Run, Run]]] = {}
    kind = "residual " if args.residual else ""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as name:
        for round_ in range(args.repeat):
            for precision, init in kinds:
                for tree, src in trees:
                    cold, warm = cold_and_warm(precision, src, Path(name), init, args.residual)
                    runs.setdefault((tree, precision, init), []).append((cold, warm))
                    print(
                        f"round {round_ + 1} {tree} {precision} {kind}{init}: cold "
                        f"{cold.cpu:.1f} s CPU ({cold.wall:.1f} s wall), warm {warm.cpu:.2f} s CPU",
                        file=sys.stderr,
                    )
    print(f"\nbest of {args.repeat} (median); CPU = the child's user + system seconds")
    header = ("tree", "precision", "points", "cold CPU s", "cold wall s", "warm CPU s",
              "warm wall s", "cold peak MiB", "target (median)")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for (tree, precision, init), pairs in runs.items():
        cold = [pair[0] for pair in pairs]
        warm = [pair[1] for pair in pairs]
        met = "met" if _median(cold, "cpu") <= TARGET_CPU_SECONDS else "missed"
        print(
            f"| {tree} | {precision} | {kind}{init} | "
            f"{_best(cold, 'cpu'):.1f} ({_median(cold, 'cpu'):.1f}) | "
            f"{_best(cold, 'wall'):.1f} ({_median(cold, 'wall'):.1f}) | "
            f"{_best(warm, 'cpu'):.2f} ({_median(warm, 'cpu'):.2f}) | "
            f"{_best(warm, 'wall'):.2f} ({_median(warm, 'wall'):.2f}) | "
            f"{max(run.peak_mib for run in cold):.0f} | ≤ {TARGET_CPU_SECONDS:.0f} s CPU: {met} |"
        )
    if len(trees) == 2:
        (first, _), (second, _) = trees
        print(f"\nratios {second}/{first} (best): ")
        for precision, init in kinds:
            a = runs[(first, precision, init)]
            b = runs[(second, precision, init)]
            cold = _best([p[0] for p in b], "cpu") / _best([p[0] for p in a], "cpu")
            warm = _best([p[1] for p in b], "cpu") / _best([p[1] for p in a], "cpu")
            print(f"  {precision} {kind}{init}: cold CPU {cold:.2f}, warm CPU {warm:.2f}")


if __name__ == "__main__":
    main()
