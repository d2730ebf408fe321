"""Engines: interchangeable ways to compute the same fields.

Every engine implements the contract of :class:`Engine`: ``compute(job, tile) -> Fields`` for
the pixels of one tile, with memory bounded by the tile. The numpy engine is the readable
definition; faster engines are checked against it.

    numpy   the reference (:mod:`attndyn.engines.numpy_ref`), CPU
    numba   the fast CPU engine (:mod:`attndyn.engines.numba_cpu`)
    torch   the seed's batched PyTorch formulation, chunked, on the CPU or CUDA
            (:mod:`attndyn.engines.torch_engine`; needs torch)
    cuda    the fused GPU kernel (:mod:`attndyn.engines.numba_cuda`; needs an NVIDIA GPU, or
            numba's CUDA simulator for tests)

An engine's module, and numba, torch or CUDA with it, is imported only when the engine is
asked for, so ``import attndyn`` stays cheap.
"""

from __future__ import annotations

import glob
import os
from typing import Protocol

from attndyn.errors import UserError
from attndyn.fields import Fields
from attndyn.job import Job
from attndyn.spec import LandscapeSpec
from attndyn.tiles import Tile

DEVICES = ("auto", "cpu", "cuda")


class Engine(Protocol):
    name: str

    def compute(self, job: Job, tile: Tile) -> Fields:
        """Fields for the pixels of ``tile``, arrays of shape ``tile.shape``."""
        ...

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        """A conservative throughput estimate for this spec, used to refuse huge jobs."""
        ...


def engine_names() -> tuple[str, ...]:
    return ("auto", "numpy", "numba", "torch", "cuda")


def nvidia_gpu_present() -> bool:
    """Whether this machine shows an NVIDIA GPU (device files), without importing CUDA."""
    return bool(glob.glob("/dev/nvidia[0-9]*"))


def _cuda_simulated() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _fused_cuda_engine() -> Engine:
    try:
        from attndyn.engines.numba_cuda import NumbaCudaEngine, cuda_available
    except ImportError as error:
        raise UserError(f"engine 'cuda' needs numba's CUDA target: {error}") from None
    if not cuda_available():
        raise UserError(
            "engine 'cuda' found no usable NVIDIA GPU; install 'attndyn[gpu]' on a machine "
            "with one, or choose --engine numba"
        )
    return NumbaCudaEngine()


def _torch_engine(device: str) -> Engine:
    try:
        from attndyn.engines.torch_engine import TorchEngine
    except ImportError:
        raise UserError(
            "engine 'torch' needs the torch package; install it (pip install 'attndyn[torch]')"
        ) from None
    return TorchEngine(device=None if device == "auto" else device)


def get_engine(name: str, device: str = "auto") -> Engine:
    """The engine called ``name`` on ``device`` ("auto", "cpu" or "cuda").

    "auto" on device "cuda" is the fused CUDA kernel. "auto" on "auto" or "cpu" is the numba
    engine (or the numpy engine when numba cannot be imported): the GPU is used only when
    asked for, until the CUDA kernel has been measured on a GPU (see the README).
    """
    if device not in DEVICES:
        raise UserError(f"device {device!r} is unknown; choose one of {', '.join(DEVICES)}")
    if name not in engine_names():
        raise UserError(f"engine {name!r} is unknown; choose one of {', '.join(engine_names())}")
    if name == "torch":
        return _torch_engine(device)
    if name == "cuda":
        if device == "cpu":
            raise UserError("engine 'cuda' runs on --device cuda only; for the CPU use numba")
        return _fused_cuda_engine()
    if device == "cuda":
        if name in ("numpy", "numba"):
            raise UserError(
                f"engine {name!r} runs on the CPU only; for --device cuda use --engine cuda "
                "or --engine torch"
            )
        if nvidia_gpu_present() or _cuda_simulated():
            return _fused_cuda_engine()
        raise UserError("--device cuda found no NVIDIA GPU on this machine; use --device cpu")
    from attndyn.engines.numpy_ref import NumpyReferenceEngine

    if name == "numpy":
        return NumpyReferenceEngine()
    try:
        from attndyn.engines.numba_cpu import NumbaCpuEngine
    except ImportError:
        if name == "numba":
            raise UserError("engine 'numba' needs the numba package; install numba") from None
        return NumpyReferenceEngine()
    return NumbaCpuEngine()
