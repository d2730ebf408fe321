"""Big renders into a Zarr store: memory, throughput against the in-memory render, scaling on
Dask, and a poster estimate, measured in one run.

    .venv/bin/python benchmarks/bench_store.py                 # 16384 x 16384 (minutes)
    .venv/bin/python benchmarks/bench_store.py --size 4096     # the same, smaller

The picture is the README's (``make run``: the seed's shared-init landscape of 1679700) at
``--size`` squared, with the numba engine, warmed up first so no JIT compile is timed. Every
measurement runs in its own subprocess, so its peak memory (ru_maxrss) is its own:

``in-memory``   ``render_landscape`` (the fields held in memory, as ``render --save`` does);
``store``       ``render_store`` in one process, chunks of ``--chunk`` (the store's pyramid
                and checksums included);
``cluster``     the same on a local Dask cluster of ``--workers`` processes (peak RSS of the
                client, which runs the scheduler, and of each worker);
``1 worker``, ``2 workers``
                scaling: one, then two single-threaded workers (numba on one thread each) on a
                ``--scaling-size`` picture in chunks of ``--scaling-chunk``.

Targets (printed with each number): peak RSS under 1 GB in the client and in each worker;
store throughput within 10% of the in-memory render's; two workers at least 1.8 times one.
Wall-clock ratios need cores free of other work; the CPU time of every process involved (the
client's and the workers' user + system time) is printed beside them, and its ratio says what
the store itself costs whatever else runs on the machine.
The poster estimate takes the store's time per chunk and spreads the 65536^2 poster's chunks
over 1, 8 and 64 machines like this one, in waves of one chunk per machine.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GIB = 1024**3
POSTER_SIDE = 65536


def _spec(size: int):
    from attndyn import LandscapeSpec

    return LandscapeSpec(
        wq=(1.1646, -0.0278, -0.8054, -0.9405),
        wv=(-1.9675, -2.0948, 0.3671, 1.458),
        init="shared",
        seed=1679700,
        width=size,
        height=size,
    )


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _phase(name: str, size: int, chunk: int, workers: int, folder: Path) -> dict:
    """One measurement, in this (fresh) process."""
    from attndyn import render_landscape
    from attndyn.distributed import dask_client, render_store

    render_landscape(_spec(16), "numba")  # load the JIT cache before the clock starts
    spec = _spec(size)
    store = folder / f"{name.replace(' ', '-')}.zarr"
    started, cpu = time.perf_counter(), _cpu_seconds()
    result: dict = {"pixels": size * size}
    if name == "in-memory":
        render_landscape(spec, "numba")
    elif name == "store":
        done = render_store(spec, store, chunk=chunk, engine="numba")
        result["chunks"] = len(done.store.tiling)
    else:
        single = name.endswith("worker") or name.endswith("workers")
        with dask_client(workers=workers) as client:
            assert client is not None
            client.run(lambda: render_landscape(_spec(16), "numba"))  # warm every worker
            workers_cpu = sum(client.run(_cpu_seconds).values())
            started, cpu = time.perf_counter(), _cpu_seconds()
            render_store(
                spec,
                store,
                client,
                chunk=chunk,
                engine="numba",
                engine_threads=1 if single else None,
            )
            result["seconds"] = time.perf_counter() - started
            workers_cpu = sum(client.run(_cpu_seconds).values()) - workers_cpu
            result["cpu"] = _cpu_seconds() - cpu + workers_cpu
            result["worker_rss"] = list(client.run(_peak_rss).values())
    result.setdefault("seconds", time.perf_counter() - started)
    result.setdefault("cpu", _cpu_seconds() - cpu)
    result["rss"] = _peak_rss()
    shutil.rmtree(store, ignore_errors=True)
    return result


def _measure(name: str, size: int, chunk: int, workers: int, folder: Path) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--size", str(size), "--chunk",
               str(chunk), "--workers", str(workers), "--dir", str(folder)]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


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
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        result = _phase(args.phase, args.size, args.chunk, args.workers, Path(args.dir))
        print(json.dumps(result))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="bench_store."))
    try:
        runs = {
            "in-memory": _measure("in-memory", args.size, args.chunk, 0, folder),
            "store": _measure("store", args.size, args.chunk, 0, folder),
            "cluster": _measure("cluster", args.size, args.chunk, args.workers, folder),
            "1 worker": _measure("1 worker", args.scaling_size, args.scaling_chunk, 1, folder),
            "2 workers": _measure("2 workers", args.scaling_size, args.scaling_chunk, 2, folder),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"picture {args.size}^2 ({args.size**2 / 1e6:.0f}M px), chunks {args.chunk}^2, numba")
    print(
        f"{'run':<11} {'size':>6} {'seconds':>8} {'Mpx/s':>7} {'CPU s':>7} {'Mpx/CPU s':>9} "
        f"{'peak RSS':>9} {'workers RSS':>12}"
    )
    for name, run in runs.items():
        side = math.isqrt(run["pixels"])
        workers = ", ".join(_gb(r) for r in run.get("worker_rss", [])) or "-"
        rate, work = run["pixels"] / run["seconds"] / 1e6, run["pixels"] / run["cpu"] / 1e6
        print(
            f"{name:<11} {side:>6} {run['seconds']:>8.1f} {rate:>7.2f} {run['cpu']:>7.1f} "
            f"{work:>9.2f} {_gb(run['rss']):>9} {workers:>12}"
        )
    memory, store = runs["in-memory"], runs["store"]
    ratio = memory["seconds"] / store["seconds"]
    scaling = runs["1 worker"]["seconds"] / runs["2 workers"]["seconds"]
    rss = [store["rss"], runs["cluster"]["rss"], *runs["cluster"]["worker_rss"]]
    checks = [
        (f"peak RSS, client and each worker: max {_gb(max(rss))}", max(rss) < GIB),
        (f"store throughput / in-memory: {ratio:.2f} (>= 0.90)", ratio >= 0.9),
        (f"two single-threaded workers / one: {scaling:.2f}x (>= 1.8)", scaling >= 1.8),
    ]
    for text, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'} {text}")
    print(
        f"     (CPU time per pixel, store / in-memory: {store['cpu'] / memory['cpu']:.2f}; "
        "wall-clock ratios need the cores free of other work)"
    )
    per_chunk = store["seconds"] / store["chunks"] * (2048**2 / min(args.chunk, args.size) ** 2)
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
    sys.path.insert(0, str(HERE.parent / "src"))
    sys.exit(main())
