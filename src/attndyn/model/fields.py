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
        l(x) = log(max(x, tol * 1e-2)),

    which lies in [t0 - 1, t0): a continuous version of t0 that moves smoothly with the
    parameters, the way smoothed escape time does for Mandelbrot pictures. The floor
    tol * 1e-2 (1e-7 for the default tol) sits at float32's resolution of numbers near 1:
    below it a gap is rounding noise, whose logarithm would make the picture depend on the
    order of floating-point sums.
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
SYNC_LOG_FLOOR = 1e-2


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


def smoothed_sync_step(
    t0: np.ndarray, before: np.ndarray, after: np.ndarray, tol: float
) -> np.ndarray:
    """``sync_step`` from t0 and the gaps around it, elementwise (float32).

    ``before`` is Δ_{t0-1} and ``after`` is Δ_{t0} (both ignored where t0 = 0, which gives 0).
    The logarithms are taken in float64. The fraction is clipped to [0, 1]; that matters only
    where the working precision rounds tol, so that a gap >= tol there is a hair below it.
    """
    t0 = np.asarray(t0)
    floor = tol * SYNC_LOG_FLOOR
    with np.errstate(invalid="ignore", divide="ignore"):
        high = np.log(np.maximum(np.asarray(before, dtype=np.float64), floor))
        low = np.log(np.maximum(np.asarray(after, dtype=np.float64), floor))
        fraction = np.clip((high - np.log(tol)) / (high - low), 0.0, 1.0)
    step = np.where(t0 > 0, (t0 - 1) + fraction, 0.0)
    return step.astype(np.float32)


def fields_from_chunks(
    delta: np.ndarray,
    sync_step: np.ndarray,
    clusters: np.ndarray,
    shape: tuple[int, int],
    tol: float,
) -> Fields:
    """Fields from the flat per-pixel arrays a chunked engine fills (numpy, torch).

    Labels come from delta in the working precision, before delta is rounded to float32.
    """
    delta = np.asarray(delta).reshape(shape)
    return Fields(
        delta=delta.astype(np.float32),
        labels=labels_from_delta(delta, tol),
        sync_step=np.asarray(sync_step, dtype=np.float32).reshape(shape),
        clusters=np.asarray(clusters, dtype=np.uint16).reshape(shape),
    )


def fields_from_tracker(
    delta: np.ndarray,
    t0: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    clusters: np.ndarray,
    tol: float,
) -> Fields:
    """Fields from what the fast engines keep per pixel: Δ_T, the sync tracker and clusters.

    The tracker is (t0, Δ_{t0-1}, Δ_{t0}) with t0 = 1 + the last step with Δ_t >= tol (0 if
    none); ``sync_step`` is :func:`smoothed_sync_step` of it where the label is 1, nan
    elsewhere. Labels come from delta in its own precision, before delta is rounded to
    float32. Arrays share one shape, which the fields keep.
    """
    labels = labels_from_delta(np.asarray(delta), tol)  # in delta's own precision
    delta = np.asarray(delta, dtype=np.float32)
    sync_step = np.full(delta.shape, np.nan, np.float32)
    done = labels.astype(bool)
    sync_step[done] = smoothed_sync_step(
        np.asarray(t0)[done], np.asarray(before)[done], np.asarray(after)[done], tol
    )
    return Fields(
        delta=delta,
        labels=labels,
        sync_step=sync_step,
        clusters=np.asarray(clusters, dtype=np.uint16),
    )


def sync_step_from_gaps(gaps: np.ndarray, tol: float) -> np.ndarray:
    """``sync_step`` from the gaps Δ_0..Δ_T of each configuration, shape (..., T + 1).

    The definition in the module docstring, transcribed: nan where Δ_T is not below tol.
    Comparisons with tol are those of :func:`labels_from_delta` (in the gaps' precision).
    """
    gaps = np.asarray(gaps)
    with np.errstate(invalid="ignore"):
        above = gaps >= tol
    steps = gaps.shape[-1] - 1
    # t0 = 1 + (the last t with Δ_t >= tol), or 0 when there is none.
    last = steps - np.argmax(above[..., ::-1], axis=-1)
    t0 = np.where(above.any(axis=-1), last + 1, 0)
    index = np.clip(t0, 1, steps)[..., None] if steps > 0 else np.zeros_like(t0)[..., None]
    before = np.take_along_axis(gaps, np.maximum(index - 1, 0), axis=-1)[..., 0]
    after = np.take_along_axis(gaps, index, axis=-1)[..., 0]
    step = smoothed_sync_step(t0, before, after, tol)
    synchronised = labels_from_delta(gaps[..., -1], tol).astype(bool)
    return np.where(synchronised, step, np.float32(np.nan)).astype(np.float32)


def linked(dx: np.ndarray, dy: np.ndarray, distance: float = CLUSTER_DISTANCE) -> np.ndarray:
    """Whether two points whose coordinates differ by (dx, dy) are within ``distance``.

    Computed as ``dx*dx + dy*dy <= distance**2`` in float64, rounding after each operation (no
    fused multiply-add), so every engine can reproduce it bit for bit.
    """
    dx = np.asarray(dx, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        return dx * dx + dy * dy <= distance**2


def count_clusters(points: np.ndarray, distance: float = CLUSTER_DISTANCE) -> np.ndarray:
    """Single-linkage clusters of configurations of shape (..., n, d) (uint16): the landscape's
    ``clusters`` field (d = 2, ``distance`` = CLUSTER_DISTANCE), and the particle flows' count.

    Points i and j are linked when |x_i - x_j| <= ``distance``, computed in float64 as the sum
    of the squared coordinate differences against ``distance**2`` (for d = 2 exactly
    :func:`linked`); a cluster is a connected component of that graph. Each point repeatedly
    takes the smallest label among the points linked to it until nothing changes, so a cluster
    ends up labelled by its smallest index, and the count is the number of points that keep
    their own index. A configuration with a non-finite coordinate has 0 clusters.
    """
    points = np.asarray(points)
    n = points.shape[-2]
    diff = points[..., :, None, :].astype(np.float64) - points[..., None, :, :]
    if points.shape[-1] == 2:
        link = linked(diff[..., 0], diff[..., 1], distance)  # (..., n, n)
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            link = (diff * diff).sum(axis=-1) <= distance**2
    label = np.broadcast_to(np.arange(n), points.shape[:-1]).copy()
    while True:
        new = np.where(link, label[..., None, :], n).min(axis=-1)
        new = np.minimum(new, label)
        if (new == label).all():
            break
        label = new
    count = (label == np.arange(n)).sum(axis=-1)
    finite = np.isfinite(points).all(axis=(-2, -1))
    return np.where(finite, count, 0).astype(np.uint16)
