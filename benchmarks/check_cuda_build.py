"""Compile the fused CUDA kernels to PTX (and, with ptxas, to machine code) without a GPU.

The CUDA simulator checks the kernels' logic but not that NVVM accepts them. This script
compiles the four kernels of :mod:`attndyn.engines.kernels.fused_cuda` (n <= 32 and any n, float32
and float64) for a compute capability (default 9.0, the H100) with NVIDIA's numba-cuda and
NVVM, then runs ``ptxas -v`` on the PTX when it can find ptxas, which prints the registers,
stack (thread-local arrays) and spills. It needs
the ``gpu`` extra (numba-cuda with its CUDA wheels), not a GPU:

    python -m venv /tmp/cudavenv && /tmp/cudavenv/bin/pip install 'numba-cuda[cu12]' -e .
    /tmp/cudavenv/bin/python benchmarks/check_cuda_build.py --cc 9.0

numba-cuda asks the driver for the current device's compute capability when it compiles a
device function called from a kernel; with no driver that fails, so the script answers that
question with --cc (a stand-in for the device, used for nothing else).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import types as pytypes
from pathlib import Path

import numpy as np


def _ptxas() -> str | None:
    found = shutil.which("ptxas")
    if found:
        return found
    try:
        import nvidia.cuda_nvcc
    except ImportError:
        return None
    for root in nvidia.cuda_nvcc.__path__:
        candidate = Path(root) / "bin" / "ptxas"
        if candidate.exists():
            return str(candidate)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cc", default="9.0", help="compute capability, e.g. 9.0 or 8.0")
    args = parser.parse_args()
    cc = tuple(int(part) for part in args.cc.split("."))

    from numba import cuda
    from numba.core import types

    if getattr(cuda, "implementation", "") != "NVIDIA":
        print("needs NVIDIA's numba-cuda (pip install 'numba-cuda[cu12]'); found numba's own")
        return 1
    from numba.cuda import dispatcher

    dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=cc)
    from attndyn.engines.kernels import fused_cuda

    i64, u64 = types.int64, types.uint64

    def array(dtype, ndim):
        return types.Array(dtype, ndim, "C")

    builds = {}
    for name, real in (("float32", types.float32), ("float64", types.float64)):
        common = (
            i64, i64, i64, i64, array(real, 1), array(real, 1), array(real, 1), i64, i64, i64,
            i64, real, real, i64, i64, u64, u64, u64, array(real, 2), array(real, 4),
            array(real, 2), array(types.int32, 1), array(types.uint16, 1),
        )  # fmt: skip
        pair = fused_cuda.KERNELS[np.dtype(name)]
        builds[f"{name} local"] = (pair["local"], common)
        builds[f"{name} global"] = (
            pair["global"],
            (*common, i64, array(real, 3), array(types.int32, 2)),
        )
    ptxas = _ptxas()
    arch = f"sm_{cc[0]}{cc[1]}"
    with tempfile.TemporaryDirectory() as folder:
        for name, (kernel, signature) in builds.items():
            ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=cc)
            exps = ptx.count("ex2.approx")
            print(f"{name} kernel: {len(ptx.splitlines())} lines of PTX for {arch}, {exps} ex2")
            if ptxas is None:
                continue
            path = Path(folder) / f"{name.replace(' ', '_')}.ptx"
            path.write_text(ptx)
            done = subprocess.run(
                [ptxas, f"-arch={arch}", "-v", str(path), "-o", str(path.with_suffix(".cubin"))],
                capture_output=True,
                text=True,
                check=False,
            )
            helper = False  # ptxas also reports libdevice's own functions; skip those
            for line in done.stderr.splitlines():
                if "Function properties for" in line:
                    helper = "__internal" in line
                elif "registers" in line or ("spill" in line and not helper):
                    print("   ", line.replace("ptxas info    : ", "").strip())
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 1
    if ptxas is None:
        print("ptxas not found: PTX only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
