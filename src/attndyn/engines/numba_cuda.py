"""The fused GPU engine: one CUDA thread per pixel, every step in the thread, nothing stored.

The kernel (:mod:`attndyn.engines.kernels.fused_cuda`, which states its math and shortcuts)
computes :mod:`attndyn.engines.numpy_ref`'s map per pixel, in the spec's precision, from
what :mod:`attndyn.engines.inputs` prepares (the swept parameters and where the initial
points come from: drawn in the thread for "independent" float32 points, transferred
otherwise); this engine moves the tile's arrays to the device and back, launches the kernel
and makes the fields (:func:`attndyn.model.fields.fields_from_tracker`). Written with numba's CUDA
target (``numba.cuda``; install ``attndyn[gpu]`` for the NVIDIA-maintained ``numba-cuda``):
it needs neither torch nor a C++ toolchain.

Kernels: n <= 32 keeps each thread's arrays in thread-local memory, larger n in global memory,
in launches of at most 1 GiB of them (see the kernel's module). Testing without a GPU: with
``NUMBA_ENABLE_CUDASIM=1`` numba runs the kernel in its CUDA
simulator, thread by thread in Python, on the CPU; the tests do that on tiny grids (exp is
then libm's, in float64, rounded to float32 in the float32 kernels). On a machine with an
NVIDIA GPU the same tests run on the device.
"""

from __future__ import annotations

import time

import numpy as np
from numba import cuda

from attndyn.engines.contract import EngineDiagnostics
from attndyn.engines.inputs import point_source, swept_parameters
from attndyn.engines.kernels.fused_cuda import KERNELS, LOCAL_POINTS, SIMULATED, WORK_ARRAYS
from attndyn.model.errors import UserError
from attndyn.model.fields import Fields, fields_from_tracker
from attndyn.model.initial import STREAM_PIXEL_POINTS, stream_word
from attndyn.model.job import Job
from attndyn.model.rng import seed_key
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile

__all__ = ["SIMULATED", "NumbaCudaEngine", "cuda_available"]


def cuda_available() -> bool:
    """Whether the kernel can run: numba's simulator, or a CUDA device and NVVM to compile for
    it (numba's CUDA target finds NVVM in the CUDA wheels of ``attndyn[gpu]`` or a toolkit)."""
    try:
        if SIMULATED:
            return True
        from numba.cuda.cudadrv import nvvm

        return bool(cuda.is_available()) and bool(nvvm.is_available())
    except Exception:  # a broken driver or toolkit counts as none
        return False


# -- the engine -------------------------------------------------------------------------------

# A deliberately low estimate for refusing huge jobs (the measured figures are in the README),
# scaled like the reference's n^2 T work, which the group shortcuts beat.
_PIXELS_PER_SECOND_N20_T100 = 5_000_000.0
_THREADS_PER_BLOCK = 128
_GLOBAL_WORK_BYTES = 1 << 30  # the work arrays of the any-n kernel


class NumbaCudaEngine:
    """The fused CUDA kernel (see the module docstring), in the spec's precision.

    ``threads_per_block`` and ``merge_from`` (the first step after which equal points are
    merged; 0 = from the start) tune the kernel without changing what it computes beyond
    rounding; ``benchmarks/bench_gpu.py --sweep`` times them. After each compute,
    ``last_diagnostics`` holds the seconds spent in the kernel (``kernel_seconds``, measured
    with CUDA events) and in transfers and set-up (``transfer_seconds``), and the per-pixel
    sync tracker.
    """

    name = "cuda"
    # 1500 x 1500 fits in one tile; 8000 x 8000 takes 16, with ~80 MB of device memory each
    # (in float64 also the tile's points: 1.3 GB for n = 20).
    tile_pixels = 1 << 22
    supports_float64 = True

    def __init__(self, threads_per_block: int = _THREADS_PER_BLOCK, merge_from: int = 0) -> None:
        if threads_per_block < 1 or merge_from < 0:
            raise ValueError(
                f"threads_per_block {threads_per_block} must be >= 1 and "
                f"merge_from {merge_from} >= 0"
            )
        self.threads_per_block = threads_per_block
        self.merge_from = merge_from
        self.last_diagnostics: EngineDiagnostics | None = None

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        work = spec.n_points**2 * max(spec.steps, 1)
        rate = _PIXELS_PER_SECOND_N20_T100 * (20**2 * 100) / work
        # float64: a quarter, and the reference's points, made on the host (measured there:
        # about 3 s per million pixels of 20 points on the 2-core development machine).
        return rate / 4 if spec.dtype == "float64" else rate

    def compute(self, job: Job, tile: Tile) -> Fields:
        if job.spec.residual_map:
            raise UserError(
                "engine 'cuda' has no residual map (--residual); use --engine numba or numpy"
            )
        spec = job.spec
        started = time.perf_counter()
        dtype = np.dtype(spec.np_dtype)
        height, width = tile.shape
        pixels = height * width
        n = spec.n_points
        xv, yv, base, xi, yi = swept_parameters(job, tile, dtype)
        mode, x0_shared, x0_pixels = point_source(job, tile, dtype)
        k0, k1 = seed_key(job.points_seed)
        stream = np.uint64(stream_word(STREAM_PIXEL_POINTS, job.sample))
        arrays = [cuda.to_device(a) for a in (xv, yv, base, x0_shared, x0_pixels)]
        out = cuda.device_array((3, pixels), dtype)
        t0s = cuda.device_array(pixels, np.int32)
        clusters = cuda.device_array(pixels, np.uint16)
        common = (
            tile.row0, tile.col0, height, width, arrays[0], arrays[1], arrays[2], xi, yi, n,
            spec.steps, dtype.type(spec.eps), dtype.type(spec.tol), self.merge_from, mode,
            np.uint64(k0), np.uint64(k1), stream, arrays[3], arrays[4], out, t0s, clusters,
        )  # fmt: skip
        kernels = KERNELS[dtype]
        threads = self.threads_per_block
        if n <= LOCAL_POINTS:
            blocks = max(1, -(-pixels // threads))
            kernel_seconds = _timed(kernels["local"][blocks, threads], common)
        else:
            # Launches of at most `chunk` pixels, so that the work arrays stay bounded.
            per_pixel = dtype.itemsize * WORK_ARRAYS * n + 4 * n
            chunk = min(pixels, max(threads, _GLOBAL_WORK_BYTES // per_pixel))
            work = cuda.device_array((WORK_ARRAYS, n, chunk), dtype)
            links = cuda.device_array((n, chunk), np.int32)
            blocks = max(1, -(-chunk // threads))
            kernel_seconds = 0.0
            for first in range(0, pixels, chunk):
                kernel_seconds += _timed(
                    kernels["global"][blocks, threads], (*common, first, work, links)
                )
        host = out.copy_to_host()
        tracker = (
            t0s.copy_to_host().reshape(height, width),
            host[1].reshape(height, width),
            host[2].reshape(height, width),
        )
        fields = fields_from_tracker(
            host[0].reshape(height, width),
            *tracker,
            clusters.copy_to_host().reshape(height, width),
            spec.tol,
        )
        total = time.perf_counter() - started
        self.last_diagnostics = EngineDiagnostics(
            pixels=pixels,
            seconds=total,
            kernel_seconds=kernel_seconds,
            transfer_seconds=total - kernel_seconds,
            sync_tracker=tracker,
        )
        return fields


def _timed(launch, args) -> float:
    """Run a configured kernel launch and return its seconds (CUDA events on a device)."""
    if SIMULATED:
        started = time.perf_counter()
        launch(*args)
        return time.perf_counter() - started
    start, stop = cuda.event(), cuda.event()
    start.record()
    launch(*args)
    stop.record()
    stop.synchronize()
    return cuda.event_elapsed_time(start, stop) / 1000.0
