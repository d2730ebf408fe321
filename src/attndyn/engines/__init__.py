"""Engines: interchangeable ways to compute the same fields.

Every engine implements the contract of :class:`Engine`: ``compute(job, tile) -> Fields`` for
the pixels of one tile, with memory bounded by the tile. The numpy engine is the readable
definition; faster engines are checked against it.
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
    return ("auto", "numpy")


def get_engine(name: str) -> Engine:
    """The engine called ``name``; "auto" picks the fastest one available."""
    from attndyn.engines.numpy_ref import NumpyReferenceEngine

    if name in ("auto", "numpy"):
        return NumpyReferenceEngine()
    raise UserError(f"engine {name!r} is unknown; choose one of {', '.join(engine_names())}")
