"""How often a fast engine's labels agree with the reference engine's, and where they differ.

    .venv/bin/python benchmarks/agreement.py --size 512 --engine numba

For each case (the seed's Appendix B matrices, both init modes) it prints the number and
fraction of differing pixels and the reference's delta at those pixels, so one can see whether
a difference sits near tol (rounding at the threshold) or in a chaotic region (rounding
amplified by the dynamics: one engine ends in one cluster, the other in two).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attndyn import LandscapeSpec, render_landscape

from appendix_a import APPENDIX_B


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--engine", default="numba")
    parser.add_argument("--seeds", default="1679700,5227590")
    parser.add_argument("--inits", default="independent,shared")
    args = parser.parse_args()
    for seed in (int(s) for s in args.seeds.split(",")):
        wq, wv = APPENDIX_B[seed]
        for init in args.inits.split(","):
            spec = LandscapeSpec(
                wq=wq, wv=wv, width=args.size, height=args.size, init=init, seed=seed
            )
            reference = render_landscape(spec, "numpy", progress=True)
            fast = render_landscape(spec, args.engine)
            differ = reference.labels != fast.labels
            count = int(differ.sum())
            print(
                f"{seed} {init:<12} {args.engine} vs numpy at {args.size}^2: {count} of "
                f"{differ.size} differ, agreement {100 * (1 - count / differ.size):.4f}%",
                flush=True,
            )
            if count:
                ref_delta = np.array2string(reference.delta[differ][:12], precision=3)
                fast_delta = np.array2string(fast.delta[differ][:12], precision=3)
                print(
                    f"    reference delta there: {ref_delta}\n    {args.engine} delta: {fast_delta}"
                )


if __name__ == "__main__":
    main()
