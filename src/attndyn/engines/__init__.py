"""Engines: interchangeable ways to compute the same fields.

Every engine implements the contract of :class:`~attndyn.engines.contract.Engine`:
``compute(job, tile) -> Fields`` for the pixels of one tile, with memory bounded by the tile,
its preferred tile size, whether it computes in float64, a throughput estimate, and one
:class:`~attndyn.engines.contract.EngineDiagnostics` after each compute. The numpy engine is
the readable definition; faster engines are checked against it. The registry
(:data:`ENGINES`) is a table: name -> what it is, the devices it runs on, how to make it.

    numpy   the reference (:mod:`attndyn.engines.numpy_ref`), CPU
    numba   the fast CPU engine (:mod:`attndyn.engines.numba_cpu`)
    torch   the seed's batched PyTorch formulation, chunked, on the CPU or CUDA
            (:mod:`attndyn.engines.torch_engine`; needs torch)
    cuda    the fused GPU kernel (:mod:`attndyn.engines.numba_cuda`; needs an NVIDIA GPU, or
            numba's CUDA simulator for tests)

An engine's module, and numba, torch or CUDA with it, is imported only when the engine is
asked for, so ``import attndyn`` stays cheap. What the numba engines (CPU and CUDA) prepare
before their kernels run lives in :mod:`attndyn.engines.inputs`, and their kernels in
:mod:`attndyn.engines.kernels`; no engine module imports another.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import dataclass

from attndyn.engines.contract import Engine, EngineDiagnostics
from attndyn.model.errors import UserError

__all__ = [
    "DEVICES",
    "ENGINES",
    "Engine",
    "EngineDiagnostics",
    "RegisteredEngine",
    "engine_names",
    "get_engine",
    "nvidia_gpu_present",
]

DEVICES = ("auto", "cpu", "cuda")
_CPU_ONLY = "runs on the CPU only; for --device cuda use --engine cuda or --engine torch"


@dataclass(frozen=True)
class RegisteredEngine:
    """An engine of the registry: what it is, where it runs and how to make one.

    ``devices`` are the devices it runs on (it also takes "auto"); ``wrong_device`` is the
    message for any other; ``make`` makes the engine for a device, importing its module (and
    numba, torch or CUDA with it) only then, and raises UserError when it cannot run here.
    """

    summary: str
    devices: tuple[str, ...]
    wrong_device: str
    make: Callable[[str], Engine]


def nvidia_gpu_present() -> bool:
    """Whether this machine shows an NVIDIA GPU (device files), without importing CUDA."""
    return bool(glob.glob("/dev/nvidia[0-9]*"))


def _cuda_simulated() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _numpy_engine(device: str) -> Engine:
    from attndyn.engines.numpy_ref import NumpyReferenceEngine

    return NumpyReferenceEngine()


def _numba_engine(device: str) -> Engine:
    try:
        from attndyn.engines.numba_cpu import NumbaCpuEngine
    except ImportError:
        raise UserError("engine 'numba' needs the numba package; install numba") from None
    return NumbaCpuEngine()


def _torch_engine(device: str) -> Engine:
    try:
        from attndyn.engines.torch_engine import TorchEngine
    except ImportError:
        raise UserError(
            "engine 'torch' needs the torch package; install it (pip install 'attndyn[torch]')"
        ) from None
    return TorchEngine(device=None if device == "auto" else device)


def _fused_cuda_engine(device: str) -> Engine:
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


ENGINES: dict[str, RegisteredEngine] = {
    "numpy": RegisteredEngine(
        "the reference (attndyn.engines.numpy_ref)",
        ("cpu",),
        f"engine 'numpy' {_CPU_ONLY}",
        _numpy_engine,
    ),
    "numba": RegisteredEngine(
        "the fast CPU engine (attndyn.engines.numba_cpu)",
        ("cpu",),
        f"engine 'numba' {_CPU_ONLY}",
        _numba_engine,
    ),
    "torch": RegisteredEngine(
        "the seed's batched PyTorch formulation, chunked (attndyn.engines.torch_engine)",
        ("cpu", "cuda"),
        "",
        _torch_engine,
    ),
    "cuda": RegisteredEngine(
        "the fused GPU kernel (attndyn.engines.numba_cuda)",
        ("cuda",),
        "engine 'cuda' runs on --device cuda only; for the CPU use numba",
        _fused_cuda_engine,
    ),
}


def engine_names() -> tuple[str, ...]:
    """The names get_engine takes: "auto", then the registered engines."""
    return ("auto", *ENGINES)


def _auto_engine(device: str) -> Engine:
    """ "auto": the fused CUDA kernel on device "cuda" when the machine shows a GPU (or runs
    numba's simulator); otherwise the numba engine, or the numpy engine without numba."""
    if device == "cuda":
        if nvidia_gpu_present() or _cuda_simulated():
            return _fused_cuda_engine(device)
        raise UserError("--device cuda found no NVIDIA GPU on this machine; use --device cpu")
    try:
        from attndyn.engines.numba_cpu import NumbaCpuEngine
    except ImportError:
        return _numpy_engine(device)
    return NumbaCpuEngine()


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
    if name == "auto":
        return _auto_engine(device)
    entry = ENGINES[name]
    if device != "auto" and device not in entry.devices:
        raise UserError(entry.wrong_device)
    return entry.make(device)
