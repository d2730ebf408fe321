"""Time attndyn's engines against the seed's Appendix A formulation, in one run.

Every measurement runs in its own subprocess, so its peak memory (ru_maxrss) is its own.
All formulations get the same matrices (the seed's Appendix B) and the same per-pixel initial
points (attndyn's seeded points for the chosen init mode). Engines are warmed up on a tiny
grid first, so JIT compilation is not timed; the Appendix A transcription has none. Fast
engines run ``--repeat`` times (default 3) and the best time is shown (the machines are
shared; best-of-N is the least noisy estimate of what the code can do); the slow ones once.

    .venv/bin/python benchmarks/bench_engines.py --size 256
    .venv/bin/python benchmarks/bench_engines.py --size 1500 --reference-size 256 \
        --engines appendix-a,numba
    .venv/bin/python benchmarks/bench_engines.py --size 1500 --engines numba \
        --views whole,boundary --dtypes float32,float64 --cli-size 1500 \
        --trees base=/path/to/other/checkout/src,new=src

Engine names are those of ``attndyn.engines.get_engine`` on device "auto", except
``torch`` (the torch engine on the CPU) and ``torch-cuda`` (on CUDA; skipped, with the
reason, where torch sees no CUDA device); ``appendix-a`` and ``appendix-a-torch`` are the
seed's formulation in NumPy and in torch (CPU).

Views (``--views``): ``whole``, the default window [-8, 8]^2 at ``--size``, for every seed
and init; ``boundary``, the explorer's hardest view: seed 1679700, shared init, a window
0.002 wide centred on (-3.06819, -1.82531) (``attndyn render --preset art1679700 --init
shared --center=-3.06819,-1.82531 --width 0.002``) at ``--boundary-size``, where most pixels
keep their points distinct for tens of steps. Precisions (``--dtypes``): float64 rows of the
whole view are for the first seed and init only (the default picture). With both
precisions, a last section gives each view's float64 time over its float32 time.

Trees (``--trees NAME=SRC,...``): each measurement runs once per tree, interleaved, with
that ``src`` first on PYTHONPATH, so that two checkouts are compared in one run on the same
machine load. ``--cli-size N`` adds, per tree, the time of the whole command ``attndyn
render --size N --preset art1679700`` from process start to exit (warm JIT cache; the
best of ``--repeat``).

The ratio column is pixels/s divided by the Appendix A formulation's pixels/s for the same
case. With ``--reference-size`` the slow formulations (appendix-a, numpy) run on a smaller
grid than the fast engines; pixels/s of those is flat in the grid size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from appendix_a import APPENDIX_B  # noqa: E402

SLOW = {"appendix-a", "appendix-a-torch", "numpy"}
# Benchmark names that are not get_engine's: (engine, device).
ENGINE_DEVICES = {"torch": ("torch", "cpu"), "torch-cuda": ("torch", "cuda")}
EXIT_SKIPPED = 3  # a worker whose engine cannot run on this machine
VIEWS = ("whole", "boundary")
BOUNDARY_SEED = 1679700
BOUNDARY_CENTER = (-3.06819, -1.82531)  # (x = b = W_K[1,1], y = a = W_K[0,0])
BOUNDARY_WIDTH = 0.002


class Case(NamedTuple):
    """One picture to time: the view, precision, seed, init and grid side."""

    view: str
    dtype: str
    seed: int
    init: str
    size: int


def view_ranges(view: str) -> dict[str, tuple[float, float]]:
    """The window of ``view`` (spec fields; empty for the spec's default window)."""
    if view == "whole":
        return {}
    cx, cy = BOUNDARY_CENTER
    half = BOUNDARY_WIDTH / 2
    return {"x_range": (cx - half, cx + half), "y_range": (cy - half, cy + half)}


def cases(
    views: Sequence[str],
    dtypes: Sequence[str],
    seeds: Sequence[int],
    inits: Sequence[str],
    size: int,
    boundary_size: int,
) -> list[Case]:
    """The pictures of a run, in order (see the module docstring)."""
    out = []
    for view in views:
        for dtype in dtypes:
            if view == "boundary":
                out.append(Case(view, dtype, BOUNDARY_SEED, "shared", boundary_size))
                continue
            pairs = [(s, i) for s in seeds for i in inits]
            for seed, init in pairs if dtype == "float32" else pairs[:1]:
                out.append(Case(view, dtype, seed, init, size))
    return out


def case_spec(case: Case, points: int, steps: int, size: int | None = None):
    from attndyn import LandscapeSpec

    wq, wv = APPENDIX_B[case.seed]
    size = case.size if size is None else size
    return LandscapeSpec(
        wq=wq, wv=wv, width=size, height=size, n_points=points, steps=steps, init=case.init,
        seed=case.seed, dtype=case.dtype, **view_ranges(case.view),
    )  # fmt: skip


def _worker(engine: str, case: Case, points: int, steps: int, repeat: int) -> dict:
    from attndyn import Job, render_landscape

    spec = case_spec(case, points, steps)
    size = case.size
    if engine.startswith("appendix-a"):
        from appendix_a import appendix_a_numpy, appendix_a_torch, to_seed_order

        rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        x0 = Job(spec).initial_points(rows.ravel(), cols.ravel()).reshape(size, size, points, 2)
        x_grid = to_seed_order(np.ascontiguousarray(x0))
        run = appendix_a_torch if engine == "appendix-a-torch" else appendix_a_numpy
        wq, wv = (np.reshape(m, (2, 2)) for m in APPENDIX_B[case.seed])
        started = time.perf_counter()
        labels_grid, _ = run(wq, wv, x_grid, size, num_iterations=steps)
        seconds = time.perf_counter() - started
        share = float(labels_grid.mean())
    else:
        from attndyn.engines import get_engine
        from attndyn.model.errors import UserError

        try:
            chosen = get_engine(*ENGINE_DEVICES.get(engine, (engine, "auto")))
        except UserError as error:
            print(f"skipped: {error}", file=sys.stderr)
            sys.exit(EXIT_SKIPPED)
        render_landscape(case_spec(case, points, steps, size=8), chosen)  # warm-up (JIT)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            result = render_landscape(spec, chosen)
            times.append(time.perf_counter() - started)
        seconds = min(times)
        share = float(result.labels.mean())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mib": peak_kib / 1024, "white": share}


def tree_environment(src: str | None) -> dict[str, str]:
    """This process's environment, with ``src`` first on PYTHONPATH when given."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def time_cli(size: int, repeat: int, trees: Sequence[tuple[str, str | None]]) -> list[float]:
    """Per tree, the best wall time of ``attndyn render --size SIZE --preset art1679700`` from
    process start to exit (the PNG is written before it); one untimed run first (it fills a
    cold JIT cache), then ``repeat`` rounds with the trees interleaved."""
    best = [float("inf")] * len(trees)
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable, "-m", "attndyn.cli.main", "render", "--size", str(size), "--preset",
            "art1679700", "-o", str(Path(folder) / "landscape.png"), "--quiet",
        ]  # fmt: skip
        for round_ in range(repeat + 1):
            for index, (_, src) in enumerate(trees):
                started = time.perf_counter()
                subprocess.run(command, env=tree_environment(src), check=True, capture_output=True)
                if round_ > 0:
                    best[index] = min(best[index], time.perf_counter() - started)
    return best


def _row(*values: object) -> str:
    widths = (-18, -6, -9, -8, 9, 13, 6, 10, 12, 9, 10, 7)
    return "".join(
        f"{value!s:<{-width}}" if width < 0 else f"{value!s:>{width}}"
        for value, width in zip(values, widths, strict=True)
    )


def parse_trees(text: str | None) -> list[tuple[str, str | None]]:
    """``NAME=SRC,...`` as (name, src); one unnamed tree (this environment) by default."""
    if not text:
        return [("-", None)]
    trees = []
    for item in text.split(","):
        name, sep, src = item.partition("=")
        if not sep or not name or not src:
            raise SystemExit(f"--trees wants NAME=SRC,...; got {item!r}")
        if not (Path(src) / "attndyn" / "__init__.py").is_file():
            # (else the installed attndyn would be timed under this tree's name)
            raise SystemExit(f"--trees: {src!r} holds no attndyn package; give a checkout's src")
        trees.append((name, str(Path(src).resolve())))
    return trees


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256, help="grid side of the fast engines")
    parser.add_argument("--reference-size", type=int, help="grid side of appendix-a and numpy")
    parser.add_argument("--engines", default="appendix-a,numpy,auto", help="comma-separated")
    parser.add_argument("--seeds", default="1679700,5227590")
    parser.add_argument("--inits", default="independent,shared")
    parser.add_argument("--views", default="whole", help=f"comma-separated, of {VIEWS}")
    parser.add_argument("--dtypes", default="float32", help="float32 and/or float64")
    parser.add_argument("--boundary-size", type=int, default=512, help="grid side, boundary")
    parser.add_argument("--trees", help="NAME=SRC,...: compare checkouts, interleaved")
    parser.add_argument("--cli-size", type=int, help="also time `attndyn render --size N`")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each fast engine; the best is shown"
    )
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        engine, view, dtype, seed, init, size = args.worker
        case = Case(view, dtype, int(seed), init, int(size))
        print(json.dumps(_worker(engine, case, args.points, args.steps, args.repeat)))
        return

    engines = args.engines.split(",")
    trees = parse_trees(args.trees)
    views = args.views.split(",")
    if not set(views) <= set(VIEWS):
        raise SystemExit(f"--views takes {', '.join(VIEWS)}; got {args.views}")
    run_cases = cases(
        views,
        args.dtypes.split(","),
        [int(s) for s in args.seeds.split(",")],
        args.inits.split(","),
        args.size,
        args.boundary_size,
    )
    header = _row(
        "engine", "tree", "view", "dtype", "seed", "init", "grid", "seconds", "px/s", "ratio",
        "peak MiB", "white",
    )  # fmt: skip
    print(header)
    print("-" * len(header))
    seconds: dict[tuple[str, str, Case], float] = {}
    for case in run_cases:
        baseline = None
        for engine in engines:
            slow = engine in SLOW
            size = args.reference_size if slow and args.reference_size else case.size
            measured = case._replace(size=size)
            for tree, src in trees:
                command = [
                    sys.executable, __file__, "--worker", engine, case.view, case.dtype,
                    str(case.seed), case.init, str(size), "--points", str(args.points),
                    "--steps", str(args.steps), "--repeat", str(1 if slow else args.repeat),
                ]  # fmt: skip
                done = subprocess.run(
                    command, capture_output=True, text=True, check=False, env=tree_environment(src)
                )
                where = f"{engine:<18}{tree:<6}{case.view:<9}{case.dtype:<8}{case.seed:>9} "
                if done.returncode == EXIT_SKIPPED:
                    reason = done.stderr.strip().splitlines()[-1]
                    print(f"{where}{case.init:<12} {reason}", flush=True)
                    continue
                if done.returncode != 0:
                    reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
                    print(f"{where}{case.init:<12} failed: {reason}", flush=True)
                    continue
                result = json.loads(done.stdout.strip().splitlines()[-1])
                seconds[(engine, tree, measured)] = result["seconds"]
                rate = size * size / result["seconds"]
                if engine.startswith("appendix-a") and baseline is None:
                    baseline = rate
                ratio = f"{rate / baseline:.1f}x" if baseline else "-"
                print(
                    _row(
                        engine, tree, case.view, case.dtype, case.seed, case.init, size,
                        f"{result['seconds']:.2f}", f"{rate:,.0f}", ratio,
                        f"{result['peak_mib']:.0f}", f"{result['white']:.3f}",
                    ),
                    flush=True,
                )  # fmt: skip
    pairs = [
        (engine, tree, case, case._replace(dtype="float32"))
        for (engine, tree, case) in seconds
        if case.dtype == "float64" and (engine, tree, case._replace(dtype="float32")) in seconds
    ]
    if pairs:
        print("\nfloat64 time / float32 time, same view:")
        for engine, tree, double, single in pairs:
            ratio = seconds[(engine, tree, double)] / seconds[(engine, tree, single)]
            print(
                f"  {engine} {tree} {double.view} seed {double.seed} {double.init} "
                f"{double.size}^2: {ratio:.2f}x"
            )
    if args.cli_size:
        print(f"\nattndyn render --size {args.cli_size} --preset art1679700, start to exit:")
        for (tree, _), wall in zip(trees, time_cli(args.cli_size, args.repeat, trees), strict=True):
            print(f"  {tree}: {wall:.2f} s (best of {args.repeat})", flush=True)


if __name__ == "__main__":
    main()
