"""Up-front cost estimates, so that a mistyped size does not start a week-long job."""

from __future__ import annotations

from dataclasses import dataclass

from attndyn.engines import Engine
from attndyn.model.errors import UserError
from attndyn.model.spec import LandscapeSpec

MAX_SECONDS = 3600.0
MAX_BYTES = 8 * 1024**3
_ENGINE_WORKSPACE_BYTES = 64 * 1024**2
# Per grid point: the fields (delta, labels, sync step, clusters, probability), their
# checkpoint copy, and the picture buffers.
_BYTES_PER_PIXEL = 2 * (4 + 1 + 4 + 2 + 4) + 4


@dataclass(frozen=True)
class CostEstimate:
    seconds: float
    bytes: int

    def describe(self) -> str:
        return f"{format_seconds(self.seconds)} and {format_bytes(self.bytes)}"


def format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def format_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def estimate_cost(spec: LandscapeSpec, engine: Engine) -> CostEstimate:
    """Estimated wall time and peak memory of rendering ``spec`` with ``engine``."""
    pixels = spec.shape[0] * spec.shape[1]
    memory = pixels * _BYTES_PER_PIXEL + _ENGINE_WORKSPACE_BYTES
    if spec.init == "file" and spec.x0_per_pixel:
        memory += pixels * spec.n_points * 2 * 8
    seconds = pixels * spec.samples / engine.pixels_per_second(spec)
    return CostEstimate(seconds=seconds, bytes=memory)


def refuse_if_huge(cost: CostEstimate, *, force: bool, force_option: str = "--force") -> None:
    """Raise :class:`UserError` when the job exceeds the limits, unless ``force`` is set; the
    message says to pass ``force_option`` (the Python API's is ``force=True``)."""
    if force or (cost.seconds <= MAX_SECONDS and cost.bytes <= MAX_BYTES):
        return
    raise UserError(
        f"job is huge: estimated {cost.describe()} (limits {format_seconds(MAX_SECONDS)} "
        f"and {format_bytes(MAX_BYTES)}); pass {force_option} to run it anyway"
    )
