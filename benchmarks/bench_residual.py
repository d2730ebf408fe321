"""Time the residual map (``--residual H``) in the numba engine against the numpy reference.

The picture is the default one (the gallery's art1679700 with shared points, or ``--init``)
with the skip connection h (``--residual``, default 0.5), at each ``--sizes`` (default
256,512) and each ``--dtypes`` (default float32,float64). numba is warmed up on a tiny grid
first (its compile is not timed) and runs ``--repeat`` times (best shown); the reference runs
once, on the first ``--reference-rows`` rows of the grid (its pixels/s does not depend on the
grid size), so that a 512² row takes seconds, not minutes. Prints pixels/s, the ratio, and
the agreement on the rows both computed: the share of equal labels (and how many differ)
and the largest |delta| difference among pixels both label 1 (synchronised; on pixels both
label 0 the deltas of chaotic runs drift apart with any change of rounding).

    .venv/bin/python benchmarks/bench_residual.py
    .venv/bin/python benchmarks/bench_residual.py --sizes 256 --dtypes float32 --residual 2
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from attndyn.engines.numba_cpu import NumbaCpuEngine
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.model.options import RenderOptions, build_job
from attndyn.model.tiles import Tile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--residual", type=float, default=0.5)
    parser.add_argument("--init", default="shared", choices=("shared", "independent"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-rows", type=int, default=32)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, numba threads {NumbaCpuEngine().threads}")
    print(f"residual h = {args.residual}, init {args.init}, n = 20, T = 100")
    print("size  dtype    numba px/s  numpy px/s  ratio  labels equal (differ)  max|d delta| white")
    for dtype in args.dtypes.split(","):
        warm = build_job(RenderOptions(residual=args.residual, size=(8, 8), precision=dtype))
        NumbaCpuEngine().compute(warm, Tile(0, 8, 0, 8))
        for size in (int(s) for s in args.sizes.split(",")):
            options = RenderOptions(
                residual=args.residual, size=(size, size), precision=dtype, init=args.init
            )
            job = build_job(options)
            whole = Tile(0, size, 0, size)
            best = np.inf
            for _ in range(args.repeat):
                started = time.perf_counter()
                fast = NumbaCpuEngine().compute(job, whole)
                best = min(best, time.perf_counter() - started)
            rows = min(args.reference_rows, size)
            band = Tile(0, rows, 0, size)
            started = time.perf_counter()
            reference = NumpyReferenceEngine().compute(job, band)
            reference_seconds = time.perf_counter() - started
            fast_rate, reference_rate = whole.size / best, band.size / reference_seconds
            equal = fast.labels[:rows] == reference.labels
            white = equal & (reference.labels == 1)
            difference = np.abs(fast.delta[:rows].astype(np.float64) - reference.delta)[white]
            print(
                f"{size:<5} {dtype:<8} {fast_rate:>10,.0f}  {reference_rate:>10,.0f}  "
                f"{fast_rate / reference_rate:>5.1f}  {equal.mean():>12.5f} "
                f"({int((~equal).sum()):>4})  "
                f"{np.nanmax(difference) if difference.size else float('nan'):.3g}"
            )


if __name__ == "__main__":
    main()
