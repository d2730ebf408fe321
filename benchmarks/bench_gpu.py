"""Time the fused CUDA kernel against the torch engine on the same GPU, in one run.

Prints, for the seed's job (n = 20, T = 100, [-8, 8]^2, float32) with the Appendix B
matrices of the chosen seeds in both init modes:

  * time to first picture: the kernel's JIT compile (or disk-cache load), and the first
    tiny render's transfers;
  * the fused kernel at --size^2: kernel time (CUDA events, best of --repeat), end-to-end
    time of ``render_landscape`` (transfers and host work included), pixels/s, and the ratio
    to the seed's "under one minute" on a T4 (60 s / kernel time);
  * the torch engine on the same GPU at --torch-size^2 (pixels/s is flat in the grid size),
    and the fused kernel's ratio to it (end-to-end times of both);
  * label agreement of the kernel (``agree %``) and of the torch engine (``torch %``) with
    the numpy reference at --agreement-size^2;
  * float64: the README's deep zoom at --size^2 (kernel and end-to-end time, both inits)
    and its labels against the reference at (--agreement-size / 2)^2;
  * one --big-size^2 render (default 8000), its time and the GPU memory it took;
  * with --sweep, the kernel time over threads per block and ``merge_from`` (the kernel's
    tuning knobs) on the first seed.

    .venv/bin/python benchmarks/bench_gpu.py                    # on a machine with a GPU
    NUMBA_ENABLE_CUDASIM=1 .venv/bin/python benchmarks/bench_gpu.py --size 8 --torch-size 8 \
        --agreement-size 6 --big-size 12 --repeat 1             # the script's logic, no GPU

Without a CUDA device (and without the simulator) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from appendix_a import APPENDIX_B  # noqa: E402

SEED_T4_SECONDS = 60.0  # the seed: 1500 x 1500 "in under one minute" on a T4


# The README's float64 deep zoom: art1679700 around (-3.06819, -1.82531), 2e-6 wide.
ZOOM_CENTRE = (-3.06819, -1.82531)
ZOOM_WIDTH = 2e-6


def _spec(seed: int, init: str, size: int, **overrides):
    from attndyn import LandscapeSpec

    wq, wv = APPENDIX_B[seed]
    values = dict(wq=wq, wv=wv, width=size, height=size, init=init, seed=seed)
    return LandscapeSpec(**{**values, **overrides})


def _zoom_spec(init: str, size: int):
    """The README's deep zoom in float64 (any init; the README's picture is shared)."""
    (cx, cy), half = ZOOM_CENTRE, ZOOM_WIDTH / 2
    window = {"x_range": (cx - half, cx + half), "y_range": (cy - half, cy + half)}
    return _spec(1679700, init, size, dtype="float64", **window)


def _gpu_name() -> str:
    from numba import cuda

    from attndyn.engines.numba_cuda import SIMULATED

    if SIMULATED:
        return "numba CUDA simulator (CPU; timings meaningless)"
    name = cuda.get_current_device().name
    return name.decode() if isinstance(name, bytes) else str(name)


def _device_memory_used() -> float:
    """MiB of GPU memory in use on the device, as the driver reports it (0 when simulated)."""
    from numba import cuda

    from attndyn.engines.numba_cuda import SIMULATED

    if SIMULATED:
        return 0.0
    free, total = cuda.current_context().get_memory_info()
    return (total - free) / 2**20


def _torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _best_times(job, engine, repeat: int) -> tuple[float, float]:
    """The best kernel seconds and the best end-to-end seconds of ``repeat`` renders of job."""
    from attndyn import render_landscape

    kernel, total = [], []
    for _ in range(repeat):
        begin = time.perf_counter()
        render_landscape(job, engine, progress=False)
        total.append(time.perf_counter() - begin)
        kernel.append(engine.last_diagnostics.kernel_seconds)
    return min(kernel), min(total)


def _sweep(seed: int, size: int, repeat: int) -> None:
    """Best kernel time for each (threads per block, merge_from): the kernel's tuning knobs."""
    from attndyn import Job
    from attndyn.engines.numba_cuda import NumbaCudaEngine

    job = Job(_spec(seed, "independent", size))
    print(f"sweep, seed {seed} independent, {size}^2: kernel ms (best of {repeat})")
    print(f"{'threads':>8} {'merge_from':>11} {'kernel ms':>10}")
    for threads in (64, 128, 256):
        for merge_from in (0, 4, 8):
            engine = NumbaCudaEngine(threads_per_block=threads, merge_from=merge_from)
            best, _ = _best_times(job, engine, repeat)
            print(f"{threads:>8} {merge_from:>11} {best * 1e3:>10.2f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1500)
    parser.add_argument("--torch-size", type=int, default=512)
    parser.add_argument("--agreement-size", type=int, default=256)
    parser.add_argument("--big-size", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", default="1679700,5227590")
    parser.add_argument("--inits", default="independent,shared")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also time threads per block x merge_from on the first seed, independent",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    from attndyn import Job, render_landscape
    from attndyn.engines.numba_cuda import NumbaCudaEngine, cuda_available

    if not cuda_available():
        print("no CUDA device here (and NUMBA_ENABLE_CUDASIM is not set): nothing measured")
        return 0
    print(f"device: {_gpu_name()}")
    engine = NumbaCudaEngine()
    first = time.perf_counter()
    render_landscape(Job(_spec(1679700, "independent", 4)), engine, progress=False)
    compile_seconds = time.perf_counter() - first
    print(
        f"time to first picture: {first - started:.2f} s imports, {compile_seconds:.2f} s "
        f"first 4x4 render (JIT compile or cache load, and transfers "
        f"{engine.last_diagnostics.transfer_seconds * 1e3:.1f} ms)"
    )
    torch_engine = None
    if _torch_cuda():
        from attndyn.engines.torch_engine import TorchEngine

        torch_engine = TorchEngine(device="cuda")
        render_landscape(Job(_spec(1679700, "independent", 4)), torch_engine, progress=False)
    else:
        print("torch with CUDA is not installed: the torch engine is not measured")

    header = (
        f"{'seed':>8} {'init':<12} {'kernel ms':>10} {'total ms':>9} {'Mpx/s':>8} "
        f"{'x T4 seed':>10} {'torch Mpx/s':>12} {'x torch':>8} {'agree %':>8} {'torch %':>8}"
    )
    print(header)
    print("-" * len(header))
    for seed in (int(s) for s in args.seeds.split(",")):
        for init in args.inits.split(","):
            best, total = _best_times(Job(_spec(seed, init, args.size)), engine, args.repeat)
            rate = args.size**2 / best
            torch_rate = ratio = float("nan")
            if torch_engine is not None:
                small = Job(_spec(seed, init, args.torch_size))
                begin = time.perf_counter()
                render_landscape(small, torch_engine, progress=False)
                torch_rate = args.torch_size**2 / (time.perf_counter() - begin)
                ratio = args.size**2 / total / torch_rate  # end to end, both
            side = args.agreement_size
            small = Job(_spec(seed, init, side))
            ours = render_landscape(small, engine, progress=False).labels
            reference = render_landscape(small, "numpy", progress=False).labels
            agree = 100.0 * float((ours == reference).mean())
            torch_agree = float("nan")
            if torch_engine is not None:
                theirs = render_landscape(small, torch_engine, progress=False).labels
                torch_agree = 100.0 * float((theirs == reference).mean())
            print(
                f"{seed:>8} {init:<12} {best * 1e3:>10.2f} {total * 1e3:>9.1f} "
                f"{rate / 1e6:>8.2f} {SEED_T4_SECONDS / best:>10.0f} {torch_rate / 1e6:>12.3f} "
                f"{ratio:>8.1f} {agree:>8.3f} {torch_agree:>8.3f}",
                flush=True,
            )

    print(
        f"float64, the README's deep zoom (2e-6 wide): kernel ms and total ms at {args.size}^2 "
        f"(best of {args.repeat}; the points of independent pixels are made on the host), "
        f"labels against the reference at {args.agreement_size // 2}^2"
    )
    for init in ("shared", "independent"):
        kernel, total = _best_times(Job(_zoom_spec(init, args.size)), engine, args.repeat)
        small = Job(_zoom_spec(init, args.agreement_size // 2))
        ours = render_landscape(small, engine, progress=False).labels
        reference = render_landscape(small, "numpy", progress=False).labels
        print(
            f"  {init:<12} kernel {kernel * 1e3:.2f} ms, total {total * 1e3:.1f} ms, "
            f"{args.size**2 / total / 1e6:.3f} Mpx/s end to end, "
            f"{int((ours != reference).sum())} of {ours.size} labels differ",
            flush=True,
        )

    if args.sweep:
        _sweep(int(args.seeds.split(",")[0]), args.size, args.repeat)

    before = _device_memory_used()
    big = Job(_spec(1679700, "independent", args.big_size))
    begin = time.perf_counter()
    result = render_landscape(big, engine, progress=False)
    seconds = time.perf_counter() - begin
    print(
        f"{args.big_size}x{args.big_size}: {seconds:.2f} s end to end, white share "
        f"{float(np.mean(result.labels)):.3f}, GPU memory in use after it "
        f"{_device_memory_used():.0f} MiB (before {before:.0f} MiB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
