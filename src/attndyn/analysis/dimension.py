"""The box-counting dimension of the boundary between labels of a landscape.

The boundary of a label field ``L`` (an integer array indexed [row, col]) is the set of pixel
edges across which the label changes; pixel ``(r, c)`` is marked when ``L[r, c]`` differs from
its right neighbour ``L[r, c + 1]`` or its upper neighbour ``L[r + 1, c]`` (each edge is
recorded once, at its lower-left pixel).

Box counting. For a box size of ``s`` pixels the grid is cut into ``s × s`` boxes (the
boxes at the edges may be partial) and ``N(s)`` is the number of boxes holding a marked
pixel. The box grid is placed at ``OFFSETS`` positions, shifted by ``j s / OFFSETS`` pixels
along both axes (j = 0 .. OFFSETS − 1), and the smallest count is kept: it is closer to the
minimal covering that defines the dimension and removes much of the count's dependence on
where the grid happens to fall. For a set of box-counting dimension ``D``,

    N(s) ≈ C s^{−D},    i.e.    log N(s) = log C + D log(1/s),

so ``D`` is estimated as the slope of the least-squares line through the points
``(log(1/s_k), log N(s_k))`` over box sizes spaced evenly in ``log s``, ``SIZES_PER_OCTAVE``
per doubling (rounded to whole pixels), between ``min_box`` and ``max_box`` (default: from 2
pixels, below which the raster itself shows, to a sixteenth of the shorter side, above which
few boxes are left). Several sizes per octave average out the log-periodic wiggle of the
counts of self-similar sets (a Koch curve repeats itself at ratio 3, not 2).

With ``m`` sizes, residual variance ``σ̂² = Σ r_k² / (m − 2)`` and ``S_xx = Σ (u_k − ū)²``
(``u_k = log(1/s_k)``), the slope's standard error is ``σ̂ / √S_xx`` and its confidence
interval at level ``1 − α`` is ``D ± t_{1−α/2, m−2} σ̂ / √S_xx`` (Student's t). The interval
measures how well one power law fits the counts over the chosen range; it does not include
the bias of the range itself, nor the correlation of neighbouring counts.

The range. A landscape's boundary is not one power law: its local slope drifts with the box
size (the gallery's art1679700 gives 1.52 over 2-91 px and 1.56 with other ranges), which the
fit interval does not show. So the same fit is repeated over sliding windows of the sizes, each
``RANGE_FRACTION`` of them (at least ``MIN_SIZES``), shifted by one size from the smallest boxes
to the largest; the smallest and largest window slopes are the *range spread*. The reported
interval is the hull of the fit interval and the range spread, and
:attr:`DimensionEstimate.range_exceeds_interval` says when the spread reaches more than
``RANGE_WARNING_MARGIN`` (0.01) outside the fit interval (the command then warns; straight
edges stay within 0.01 of 1 at every range, so smaller excursions are the raster's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from attndyn.model.errors import FieldError, UserError

__all__ = [
    "DimensionEstimate",
    "boundary_mask",
    "box_counts",
    "box_sizes",
    "estimate_dimension",
    "fit_dimension",
]

DEFAULT_MIN_BOX = 2
MAX_BOX_FRACTION = 16
MIN_SIZES = 3
SIZES_PER_OCTAVE = 4
OFFSETS = 4
RANGE_FRACTION = 0.5
RANGE_WARNING_MARGIN = 0.01


def boundary_mask(labels: np.ndarray) -> np.ndarray:
    """Pixels whose label differs from the right or upper neighbour's (bool, shape of labels)."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"labels must be a 2-D array, got shape {labels.shape}")
    mask = np.zeros(labels.shape, dtype=bool)
    mask[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    mask[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return mask


def box_counts(mask: np.ndarray, sizes: np.ndarray, offsets: int = OFFSETS) -> np.ndarray:
    """``N(s)`` for each box size ``s``: the fewest ``s × s`` boxes holding a marked pixel over
    ``offsets`` placements of the box grid (shifted by ``j s / offsets``, j < offsets)."""
    mask = np.asarray(mask, dtype=bool)
    rows, cols = mask.shape
    counts = []
    for s in np.asarray(sizes, dtype=int):
        best = None
        for shift in sorted({(j * s) // offsets for j in range(offsets)}):
            height, width = -(-(rows + shift) // s) * s, -(-(cols + shift) // s) * s
            padded = np.zeros((height, width), dtype=bool)
            padded[shift : shift + rows, shift : shift + cols] = mask
            boxes = padded.reshape(height // s, s, width // s, s).any(axis=(1, 3))
            count = int(boxes.sum())
            best = count if best is None else min(best, count)
        counts.append(best)
    return np.asarray(counts, dtype=np.int64)


def box_sizes(
    shape: tuple[int, int], min_box: int | None = None, max_box: int | None = None
) -> np.ndarray:
    """Box sizes from ``min_box`` (default 2) to ``max_box`` (default shorter side / 16),
    ``SIZES_PER_OCTAVE`` per doubling, evenly spaced in ``log s`` and rounded to integers.

    Raises :class:`~attndyn.model.errors.FieldError` naming ``min_box``/``max_box`` when fewer than
    three sizes remain.
    """
    low = DEFAULT_MIN_BOX if min_box is None else int(min_box)
    high = min(shape) // MAX_BOX_FRACTION if max_box is None else int(max_box)
    if low < 1:
        raise FieldError(lambda n: f"{n('min_box')} {low} is too small; it must be >= 1")
    high = min(high, min(shape))
    sizes: list[int] = []
    if high >= low:
        octaves = math.log2(high / low)
        steps = np.arange(0.0, octaves + 1e-9, 1.0 / SIZES_PER_OCTAVE)
        sizes = sorted({round(low * 2.0 ** float(k)) for k in steps})
    if len(sizes) < MIN_SIZES:
        raise FieldError(
            lambda n: (
                f"{n('min_box')} {low} to {n('max_box')} {high} leaves {len(sizes)} box sizes "
                f"on a {shape[1]}x{shape[0]} grid; the fit needs at least {MIN_SIZES} (render a "
                "larger picture, or widen the range)"
            )
        )
    return np.asarray(sizes, dtype=np.int64)


@dataclass(frozen=True)
class DimensionEstimate:
    """The fit ``log N = intercept + dimension · log(1/s)``, its confidence interval
    (``interval``, the fit's alone), and the slopes over sliding windows of the sizes."""

    sizes: np.ndarray
    counts: np.ndarray
    dimension: float
    intercept: float
    stderr: float
    interval: tuple[float, float]
    confidence: float
    window_slopes: np.ndarray
    window: int

    @property
    def range_spread(self) -> tuple[float, float]:
        """The smallest and largest slope over the sliding windows of ``window`` sizes."""
        return float(self.window_slopes.min()), float(self.window_slopes.max())

    @property
    def reported_interval(self) -> tuple[float, float]:
        """The hull of the fit interval and the range spread: what the command reports."""
        (low, high), (first, last) = self.interval, self.range_spread
        return min(low, first), max(high, last)

    @property
    def range_exceeds_interval(self) -> bool:
        """Whether a window's slope lies more than ``RANGE_WARNING_MARGIN`` outside the fit
        interval."""
        (low, high), (first, last) = self.interval, self.range_spread
        return first < low - RANGE_WARNING_MARGIN or last > high + RANGE_WARNING_MARGIN

    @property
    def local_slopes(self) -> np.ndarray:
        """``log(N(s_k)/N(s_{k+1})) / log(s_{k+1}/s_k)``: the slope between neighbouring sizes."""
        logs, logn = np.log(self.sizes.astype(float)), np.log(self.counts.astype(float))
        return -np.diff(logn) / np.diff(logs)


def fit_dimension(
    sizes: np.ndarray, counts: np.ndarray, *, confidence: float = 0.95
) -> DimensionEstimate:
    """Least-squares slope of ``log N`` against ``log(1/s)``, with its t confidence interval."""
    if not 0 < confidence < 1:
        raise FieldError(lambda n: f"{n('confidence')} {confidence!r} must lie in (0, 1)")
    sizes = np.asarray(sizes, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if (counts <= 0).any():
        raise UserError("a box size holds no boundary at all; there is nothing to measure")
    u = -np.log(sizes.astype(float))
    v = np.log(counts.astype(float))
    m = u.size
    u_mean, v_mean = u.mean(), v.mean()
    sxx = float(np.sum((u - u_mean) ** 2))
    slope = float(np.sum((u - u_mean) * (v - v_mean)) / sxx)
    intercept = float(v_mean - slope * u_mean)
    residuals = v - (intercept + slope * u)
    stderr = math.sqrt(float(np.sum(residuals**2)) / (m - 2) / sxx) if m > 2 else math.inf
    half = float(stats.t.ppf(0.5 + confidence / 2, m - 2)) * stderr if m > 2 else math.inf
    window = min(m, max(MIN_SIZES, math.ceil(RANGE_FRACTION * m)))
    windows = np.lib.stride_tricks.sliding_window_view(np.arange(m), window)
    du = u[windows] - u[windows].mean(axis=1, keepdims=True)
    dv = v[windows] - v[windows].mean(axis=1, keepdims=True)
    window_slopes = (du * dv).sum(axis=1) / (du * du).sum(axis=1)
    return DimensionEstimate(
        sizes=sizes,
        counts=counts,
        dimension=slope,
        intercept=intercept,
        stderr=stderr,
        interval=(slope - half, slope + half),
        confidence=confidence,
        window_slopes=window_slopes,
        window=window,
    )


def estimate_dimension(
    labels: np.ndarray,
    *,
    min_box: int | None = None,
    max_box: int | None = None,
    confidence: float = 0.95,
) -> DimensionEstimate:
    """Box-counting dimension of the boundary between the labels of ``labels`` (2-D).

    Raises :class:`~attndyn.model.errors.UserError` when the field has no boundary (one label).
    """
    labels = np.asarray(labels)
    mask = boundary_mask(labels)
    if not mask.any():
        values = np.unique(labels)
        raise UserError(
            f"the field has no boundary: every pixel holds {values[0]!r}; nothing to measure"
        )
    sizes = box_sizes(labels.shape, min_box, max_box)
    return fit_dimension(sizes, box_counts(mask, sizes), confidence=confidence)
