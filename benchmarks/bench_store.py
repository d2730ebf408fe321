"""Big renders into a Zarr store, measured as a user runs them: the ``attndyn render``
commands themselves, each in its own process, timed with the CPU time and peak memory of the
whole process tree (the Dask workers included).

    .venv/bin/python benchmarks/bench_store.py                 # 16384 x 16384 (minutes)
    .venv/bin/python benchmarks/bench_store.py --size 4096     # the same, smaller

The picture is the README's (``make run``: the seed's shared-init landscape of 1679700) at
``--size`` squared, with the numba engine (its compile cache warmed first, so no JIT compile
is timed). Each run is one command (printed above the table); ``PICTURE`` stands for
``--preset art1679700 --init shared --size N --engine numba -q --force``:

``in-memory``   ``attndyn render PICTURE -o m.png`` (the fields held in memory);
``store``       ``attndyn render PICTURE --store s.zarr --chunk C -o s.png`` (in this process;
                the store's checksums, pyramid and the PNG written from it included);
``cluster``     the same with ``--workers W`` (a local Dask cluster as the CLI sets it up);

and, on a ``--scaling-size`` picture in chunks of ``--scaling-chunk``, the single-host truth:

``in-process``  ``--store`` without Dask;
``1 worker``, ``2 workers``
                ``--workers 1`` and ``--workers 2`` as the CLI sets them up (each worker's
                engine gets the cores divided among the workers);
``1 worker x1``, ``2 workers x1``
                ``--workers 1`` and ``--workers 2`` with ``--threads-per-worker 1``: how the
                engine scales across worker processes, one core each.

Targets (last round's, printed with each number): peak RSS under 1 GB for the store render and
for every process of the cluster render; the store's throughput within 10% of the in-memory
render's; two single-threaded workers at least 1.8 times one. Beside them, what the CLI gives
on one host: 2 workers against 1, and the Dask overhead (the CPU time of ``--workers 1``
against the in-process render's). Wall-clock ratios need cores free of other work; the CPU
time of every process involved is printed beside them.
The poster estimate takes the store's time per chunk and spreads the 65536^2 poster's chunks
over 1, 8 and 64 machines like this one, in waves of one chunk per machine.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GIB = 1024**3
POSTER_SIDE = 65536
PICTURE = ["--preset", "art1679700", "--init", "shared", "--engine", "numba", "-q", "--force"]


def attndyn_command() -> list[str]:
    """How to run attndyn: the console script beside this Python, else ``python -m``."""
    script = Path(sys.executable).with_name("attndyn")
    return [str(script)] if script.exists() else [sys.executable, "-m", "attndyn"]


def run_command(argv: list[str]) -> dict:
    """Run one command; its wall time, and the CPU time and peak RSS of its process tree
    (every process it started and waited for: a local cluster's workers included)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}): {errors[-2000:]}")
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss * 1024,
    }


def measure(name: str, size: int, extra: list[str], folder: Path) -> dict:
    output = folder / name.replace(" ", "-")
    argv = [*attndyn_command(), "render", *PICTURE, "--size", str(size), *extra]
    argv = [a.replace("{out}", str(output)) for a in argv]
    result = run_command(argv)
    command = " ".join(argv[len(attndyn_command()) :]).replace(str(output), "OUT")
    result.update(name=name, pixels=size * size, command=command)
    for path in folder.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return result


def _gb(size: float) -> str:
    return f"{size / GIB:.2f} GB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--chunk", type=int, default=2048)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scaling-size", type=int, default=2048)
    parser.add_argument("--scaling-chunk", type=int, default=256)
    args = parser.parse_args(argv)

    warm = [*attndyn_command(), "warmup", "-q"]
    subprocess.run(warm, check=False, capture_output=True)  # the kernels' compile cache
    folder = Path(tempfile.mkdtemp(prefix="bench_store."))
    store = ["--store", "{out}.zarr", "--chunk", str(args.chunk), "-o", "{out}.png"]
    scaling = ["--store", "{out}.zarr", "--chunk", str(args.scaling_chunk)]
    one_thread = ["--threads-per-worker", "1"]
    plan = [
        ("in-memory", args.size, ["-o", "{out}.png"]),
        ("store", args.size, store),
        ("cluster", args.size, [*store, "--workers", str(args.workers)]),
        ("in-process", args.scaling_size, scaling),
        ("1 worker", args.scaling_size, [*scaling, "--workers", "1"]),
        ("2 workers", args.scaling_size, [*scaling, "--workers", "2"]),
        ("1 worker x1", args.scaling_size, [*scaling, "--workers", "1", *one_thread]),
        ("2 workers x1", args.scaling_size, [*scaling, "--workers", "2", *one_thread]),
    ]  # fmt: skip
    try:
        runs = {name: measure(name, size, extra, folder) for name, size, extra in plan}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"picture {args.size}^2 ({args.size**2 / 1e6:.0f}M px), chunks {args.chunk}^2, numba, "
          f"{os.cpu_count()} cores")  # fmt: skip
    print("commands (PICTURE: " + " ".join(PICTURE) + " --size N):")
    for run in runs.values():
        print(
            f"  {run['name']:<13} attndyn " + run["command"].replace(" ".join(PICTURE), "PICTURE")
        )
    print(f"{'run':<13} {'size':>6} {'seconds':>8} {'Mpx/s':>7} {'CPU s':>7} {'Mpx/CPU s':>9} "
          f"{'peak RSS':>9}")  # fmt: skip
    for name, run in runs.items():
        side = math.isqrt(run["pixels"])
        rate, work = run["pixels"] / run["seconds"] / 1e6, run["pixels"] / run["cpu"] / 1e6
        print(f"{name:<13} {side:>6} {run['seconds']:>8.1f} {rate:>7.2f} {run['cpu']:>7.1f} "
              f"{work:>9.2f} {_gb(run['rss']):>9}")  # fmt: skip
    memory, store_run = runs["in-memory"], runs["store"]
    ratio = memory["seconds"] / store_run["seconds"]
    single = runs["1 worker x1"]["seconds"] / runs["2 workers x1"]["seconds"]
    rss = max(store_run["rss"], runs["cluster"]["rss"])
    checks = [
        (f"peak RSS, store and every process of the cluster: max {_gb(rss)}", rss < GIB),
        (f"store throughput / in-memory: {ratio:.2f} (>= 0.90)", ratio >= 0.9),
        (f"two single-threaded workers / one: {single:.2f}x (>= 1.8)", single >= 1.8),
    ]
    for text, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'} {text}")
    cli = runs["1 worker"]["seconds"] / runs["2 workers"]["seconds"]
    overhead = runs["1 worker"]["cpu"] / runs["in-process"]["cpu"]
    wall = runs["1 worker"]["seconds"] / runs["in-process"]["seconds"]
    print(f"     one host, as the CLI sets it up: --workers 2 / --workers 1: {cli:.2f}x")
    print(f"     Dask overhead, --workers 1 / in-process: CPU {overhead:.2f}x, wall {wall:.2f}x")
    print(f"     (CPU time per pixel, store / in-memory: {store_run['cpu'] / memory['cpu']:.2f}; "
          "wall-clock ratios need the cores free of other work)")  # fmt: skip
    chunks_here = math.ceil(args.size / args.chunk) ** 2
    per_chunk = store_run["seconds"] / chunks_here * (2048**2 / min(args.chunk, args.size) ** 2)
    chunks = (POSTER_SIDE // 2048) ** 2
    print(
        f"poster {POSTER_SIDE}^2 = {chunks} chunks of 2048^2 at {per_chunk:.1f} s each "
        "(measured here):"
    )
    for machines in (1, 8, 64):
        estimate = math.ceil(chunks / machines) * per_chunk
        print(f"  {machines:>2} machine{'s' if machines > 1 else ' '}: {_duration(estimate)}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
