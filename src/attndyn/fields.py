"""What engines return: per-pixel fields, and the convergence measures that define them.

Let Δ_t = max_i |x_i1 - x_11| be the gap of the first coordinates after t steps (Δ_0 for the
initial points), T = ``steps``, tol the threshold.

``delta``
    Δ_T (float32). A non-finite state (possible only when the scores overflow the working
    precision) has ``delta = nan``.
``labels``
    1 where Δ_T < tol, else 0 (uint8; nan gives 0).
``sync_step``
    The step at which the points synchronised for good, smoothed in the escape-time style
    (float32; nan where label is 0). Let t0 be the first step from which Δ stays below tol,
    t0 = 1 + max{t <= T : Δ_t >= tol} (t0 = 0 when there is no such t). Then sync_step = 0
    when t0 = 0, and otherwise

        sync_step = (t0 - 1) + (l(Δ_{t0-1}) - l(tol)) / (l(Δ_{t0-1}) - l(Δ_{t0})),
        l(x) = log(max(x, tol * 1e-6)),

    which lies in (t0 - 1, t0]: a continuous version of t0 that moves smoothly with the
    parameters, the way smoothed escape time does for Mandelbrot pictures.
``clusters``
    The number of clusters of the points after T steps (uint16): points i and j are in one
    cluster when a chain of points joins them in which each link has Euclidean length
    <= ``CLUSTER_DISTANCE``. 0 for a non-finite state.
``probability``
    Only when several initial configurations per pixel are rendered (``spec.samples`` K > 1):
    the fraction of them whose label is 1 (float32). The other fields are those of sample 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

CLUSTER_DISTANCE = 1e-3
SYNC_LOG_FLOOR = 1e-6


def synchronisation_gap(points: np.ndarray) -> np.ndarray:
    """Δ for configurations of shape (..., n, d): max over i of |x_i[0] - x_0[0]|."""
    first = points[..., 0]
    return np.abs(first - first[..., :1]).max(axis=-1)


def labels_from_delta(delta: np.ndarray, tol: float) -> np.ndarray:
    """The binary label ``delta < tol`` as uint8 (nan gives 0)."""
    with np.errstate(invalid="ignore"):
        return (delta < tol).astype(np.uint8)


@dataclass
class Fields:
    """Per-pixel results over a tile or a whole picture, indexed [row, col].

    ``sync_step`` and ``clusters`` are None for an engine that does not compute them, and
    ``probability`` is None unless several samples per pixel were rendered.
    """

    delta: np.ndarray
    labels: np.ndarray
    sync_step: np.ndarray | None = None
    clusters: np.ndarray | None = None
    probability: np.ndarray | None = None

    @classmethod
    def empty(cls, height: int, width: int, *, probability: bool = False) -> Fields:
        """All fields allocated: nan deltas and steps, zero labels, clusters and probability."""
        return cls(
            delta=np.full((height, width), np.nan, dtype=np.float32),
            labels=np.zeros((height, width), dtype=np.uint8),
            sync_step=np.full((height, width), np.nan, dtype=np.float32),
            clusters=np.zeros((height, width), dtype=np.uint16),
            probability=np.zeros((height, width), dtype=np.float32) if probability else None,
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The fields that are present, by name."""
        present = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: array for name, array in present.items() if array is not None}

    def put(self, rows: slice, cols: slice, part: Fields) -> None:
        """Copy ``part``'s fields into the window [rows, cols]; absent ones are dropped here."""
        for f in fields(self):
            target, source = getattr(self, f.name), getattr(part, f.name)
            if target is None:
                continue
            if source is None:
                setattr(self, f.name, None)
                continue
            target[rows, cols] = source
