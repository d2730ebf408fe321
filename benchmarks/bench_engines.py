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

Engine names are those of ``attndyn.engines.get_engine`` on device "auto", except
``torch`` (the torch engine on the CPU) and ``torch-cuda`` (on CUDA; skipped, with the
reason, where torch sees no CUDA device); ``appendix-a`` and ``appendix-a-torch`` are the
seed's formulation in NumPy and in torch (CPU).

The ratio column is pixels/s divided by the Appendix A formulation's pixels/s for the same
case. With ``--reference-size`` the slow formulations (appendix-a, numpy) run on a smaller
grid than the fast engines; pixels/s of those is flat in the grid size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from appendix_a import APPENDIX_B  # noqa: E402

SLOW = {"appendix-a", "appendix-a-torch", "numpy"}
# Benchmark names that are not get_engine's: (engine, device).
ENGINE_DEVICES = {"torch": ("torch", "cpu"), "torch-cuda": ("torch", "cuda")}
EXIT_SKIPPED = 3  # a worker whose engine cannot run on this machine


def _spec(seed: int, init: str, size: int, points: int, steps: int):
    from attndyn import LandscapeSpec

    wq, wv = APPENDIX_B[seed]
    return LandscapeSpec(
        wq=wq, wv=wv, width=size, height=size, n_points=points, steps=steps, init=init, seed=seed
    )


def _worker(
    engine: str, seed: int, init: str, size: int, points: int, steps: int, repeat: int
) -> dict:
    from attndyn import Job, render_landscape

    spec = _spec(seed, init, size, points, steps)
    if engine.startswith("appendix-a"):
        from appendix_a import appendix_a_numpy, appendix_a_torch, to_seed_order

        rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        x0 = Job(spec).initial_points(rows.ravel(), cols.ravel()).reshape(size, size, points, 2)
        x_grid = to_seed_order(np.ascontiguousarray(x0))
        run = appendix_a_torch if engine == "appendix-a-torch" else appendix_a_numpy
        wq, wv = (np.reshape(m, (2, 2)) for m in APPENDIX_B[seed])
        started = time.perf_counter()
        labels_grid, _ = run(wq, wv, x_grid, size, num_iterations=steps)
        seconds = time.perf_counter() - started
        share = float(labels_grid.mean())
    else:
        from attndyn.engines import get_engine
        from attndyn.errors import UserError

        try:
            chosen = get_engine(*ENGINE_DEVICES.get(engine, (engine, "auto")))
        except UserError as error:
            print(f"skipped: {error}", file=sys.stderr)
            sys.exit(EXIT_SKIPPED)
        render_landscape(_spec(seed, init, 8, points, steps), chosen)  # warm-up (JIT)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            result = render_landscape(spec, chosen)
            times.append(time.perf_counter() - started)
        seconds = min(times)
        share = float(result.labels.mean())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mib": peak_kib / 1024, "white": share}


def _row(*values: object) -> str:
    widths = (-18, 9, 13, 6, 10, 12, 9, 10, 7)
    return "".join(
        f"{value!s:<{-width}}" if width < 0 else f"{value!s:>{width}}"
        for value, width in zip(values, widths, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256, help="grid side of the fast engines")
    parser.add_argument("--reference-size", type=int, help="grid side of appendix-a and numpy")
    parser.add_argument("--engines", default="appendix-a,numpy,auto", help="comma-separated")
    parser.add_argument("--seeds", default="1679700,5227590")
    parser.add_argument("--inits", default="independent,shared")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each fast engine; the best is shown"
    )
    parser.add_argument(
        "--worker", nargs=4, metavar=("ENGINE", "SEED", "INIT", "SIZE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        engine, seed, init, size = args.worker
        result = _worker(engine, int(seed), init, int(size), args.points, args.steps, args.repeat)
        print(json.dumps(result))
        return

    engines = args.engines.split(",")
    header = _row("engine", "seed", "init", "grid", "seconds", "px/s", "ratio", "peak MiB", "white")
    print(header)
    print("-" * len(header))
    for seed in (int(s) for s in args.seeds.split(",")):
        for init in args.inits.split(","):
            baseline = None
            for engine in engines:
                size = args.reference_size if engine in SLOW and args.reference_size else args.size
                command = [
                    sys.executable,
                    __file__,
                    "--worker",
                    engine,
                    str(seed),
                    init,
                    str(size),
                    "--points",
                    str(args.points),
                    "--steps",
                    str(args.steps),
                    "--repeat",
                    str(1 if engine in SLOW else args.repeat),
                ]
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode == EXIT_SKIPPED:
                    reason = done.stderr.strip().splitlines()[-1]
                    print(f"{engine:<18}{seed:>9} {init:<12} {reason}", flush=True)
                    continue
                if done.returncode != 0:
                    reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
                    print(f"{engine:<18}{seed:>9} {init:<12} failed: {reason}")
                    continue
                result = json.loads(done.stdout.strip().splitlines()[-1])
                rate = size * size / result["seconds"]
                if engine.startswith("appendix-a") and baseline is None:
                    baseline = rate
                ratio = f"{rate / baseline:.1f}x" if baseline else "-"
                print(
                    _row(
                        engine,
                        seed,
                        init,
                        size,
                        f"{result['seconds']:.2f}",
                        f"{rate:,.0f}",
                        ratio,
                        f"{result['peak_mib']:.0f}",
                        f"{result['white']:.3f}",
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
