"""Time the numba engine's lanes of work: one lane against all the cores, on a quiet machine and
with one core kept busy by another process.

A tile's lanes take its chunks from a counter they share (``engines/kernels/work_queue.py``), so
a lane on a busier core runs fewer of them. This script renders the default picture (the
gallery's art1679700, shared points, or ``--init``) at ``--size`` with 1 lane and with
``--lanes`` lanes, alternated ``--repeat`` times (median shown), first on a quiet machine, then
while a spinning Python process pinned to the last CPU competes with the render (started here,
stopped by its pid). The numpy reference renders the first ``--reference-rows`` rows once, for
the ratio. Prints pixels/s, the lanes' speed-up over one lane, and the ratio to the reference.

    .venv/bin/python benchmarks/bench_lanes.py
    .venv/bin/python benchmarks/bench_lanes.py --size 600 --repeat 5 --init independent
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

from attndyn.engines.numba_cpu import NumbaCpuEngine
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.model.options import RenderOptions, build_job
from attndyn.model.tiles import Tile, row_bands

SPIN = "while True: pass"


def render_seconds(engine: NumbaCpuEngine, job, size: int) -> float:
    """Wall seconds of the whole picture in the engine's own bands."""
    started = time.perf_counter()
    for tile in row_bands(size, size, engine.tile_pixels):
        engine.compute(job, tile)
    return time.perf_counter() - started


def medians(engines: dict[int, NumbaCpuEngine], job, size: int, repeat: int) -> dict[int, float]:
    """Each engine's median seconds over ``repeat`` alternated rounds."""
    seconds: dict[int, list[float]] = {lanes: [] for lanes in engines}
    for round_index in range(repeat):
        order = list(engines) if round_index % 2 == 0 else list(engines)[::-1]
        for lanes in order:
            seconds[lanes].append(render_seconds(engines[lanes], job, size))
    return {lanes: float(np.median(values)) for lanes, values in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=800)
    parser.add_argument("--lanes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--init", default="shared", choices=("shared", "independent"))
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--reference-rows", type=int, default=4)
    args = parser.parse_args()
    size = args.size
    job = build_job(RenderOptions(size=(size, size), init=args.init))
    engines = {1: NumbaCpuEngine(threads=1), args.lanes: NumbaCpuEngine(threads=args.lanes)}
    for engine in engines.values():
        engine.compute(job, Tile(0, 8, 0, 8))  # the compile, not timed
    band = Tile(0, min(args.reference_rows, size), 0, size)
    started = time.perf_counter()
    NumpyReferenceEngine().compute(job, band)
    reference_rate = band.size / (time.perf_counter() - started)
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, {size}² {args.init}")
    print(f"numpy reference: {reference_rate:,.0f} px/s ({band.size} px)")
    print("machine         lanes  seconds     px/s  speed-up  x reference")
    last_cpu = max(os.sched_getaffinity(0))
    for machine in ("quiet", f"CPU {last_cpu} busy"):
        spinner = None
        if machine != "quiet":
            spinner = subprocess.Popen([sys.executable, "-c", SPIN])
            os.sched_setaffinity(spinner.pid, {last_cpu})
            time.sleep(0.5)
        try:
            seconds = medians(engines, job, size, args.repeat)
        finally:
            if spinner is not None:
                spinner.kill()
                spinner.wait()
        for lanes, value in seconds.items():
            rate = size * size / value
            print(
                f"{machine:<15} {lanes:>5} {value:>8.3f} {rate:>8,.0f} {seconds[1] / value:>9.2f}"
                f" {rate / reference_rate:>12,.0f}"
            )


if __name__ == "__main__":
    main()
