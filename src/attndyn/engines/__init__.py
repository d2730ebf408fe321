"""Engines: interchangeable ways to compute the same fields.

Every engine implements the contract of :class:`Engine`: ``compute(job, tile) -> Fields`` for
the pixels of one tile, with memory bounded by the tile. The numpy engine is the readable
definition; faster engines are checked against it. The numba engine
(:mod:`attndyn.engines.numba_cpu`) is the fast CPU engine; its module, and numba with it, is
imported only when it is asked for, so ``import attndyn`` stays cheap.
"""

from __future__ import annotations

from typing import Protocol

from attndyn.errors import UserError
from attndyn.fields import Fields
from attndyn.job import Job
from attndyn.spec import LandscapeSpec
from attndyn.tiles import Tile


class Engine(Protocol):
    name: str

    def compute(self, job: Job, tile: Tile) -> Fields:
        """Fields for the pixels of ``tile``, arrays of shape ``tile.shape``."""
        ...

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        """A conservative throughput estimate for this spec, used to refuse huge jobs."""
        ...


def engine_names() -> tuple[str, ...]:
    return ("auto", "numpy", "numba")


def get_engine(name: str) -> Engine:
    """The engine called ``name``; "auto" picks the fastest one available.

    "auto" is the numba engine when numba can be imported, else the numpy engine.
    """
    from attndyn.engines.numpy_ref import NumpyReferenceEngine

    if name == "numpy":
        return NumpyReferenceEngine()
    if name in ("auto", "numba"):
        try:
            from attndyn.engines.numba_cpu import NumbaCpuEngine
        except ImportError:
            if name == "numba":
                raise UserError("engine 'numba' needs the numba package; install numba") from None
            return NumpyReferenceEngine()
        return NumbaCpuEngine()
    raise UserError(f"engine {name!r} is unknown; choose one of {', '.join(engine_names())}")
