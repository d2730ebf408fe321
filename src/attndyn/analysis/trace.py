"""The dynamics behind one landscape pixel: its points, gap and clusters at every step.

A pixel ``(row, col)`` of a spec's grid (row 0 = the lowest y value, as in ``render``) has its
own matrices, the base ones with the swept entries set to ``job.x_values()[col]`` and
``job.y_values()[row]`` (the spec's grid, or a quadtree tile's: see :mod:`attndyn.model.job`), and
its own initial points, :meth:`Job.initial_points` of that pixel
(so the very points every engine starts from). From ``X_0`` the map of the spec,

    Q = X W_Q^T,  K = X W_K^T,  V = X W_V^T,  A = softmax_rows(beta Q K^T),
    X <- A V,     x_i <- x_i / (||x_i||_2 + eps),

(or, for a residual spec, ``X <- X + h A V`` before the normalisation, with the pixel's h: the
spec's ``residual`` or its swept value) is iterated ``steps`` times in the spec's precision,
recording after each step the gap
``Δ_t = max_i |x_i1 − x_11|`` and the cluster count (the definitions of
:mod:`attndyn.model.fields`). So ``Δ_T`` is the pixel's ``delta``, ``Δ_T < tol`` its label, and the
recorded gaps give its ``sync_step``, exactly as the engines compute them.

:func:`trace_pixel` is the one function behind ``attndyn trace`` and the explorer's point
inspector; :meth:`Trace.to_dict` gives what a web page needs as JSON.

Examples
--------
>>> from attndyn import LandscapeSpec
>>> spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=8, height=8, steps=10)
>>> trace = trace_pixel(spec, 3, 5)
>>> trace.points.shape, trace.delta.shape
((11, 20, 2), (11,))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from attndyn.engines.numpy_ref import attention_step, residual_step
from attndyn.model.errors import FieldError
from attndyn.model.fields import count_clusters, labels_from_delta, sync_step_from_gaps
from attndyn.model.fields import synchronisation_gap as gap
from attndyn.model.job import Job
from attndyn.model.params import parse_parameter, pixel_matrices, pixel_residuals
from attndyn.model.spec import LandscapeSpec

__all__ = ["Trace", "pixel_at", "trace_pixel"]


@dataclass(frozen=True)
class Trace:
    """The run of one pixel: ``points[t]``, ``delta[t]`` and ``clusters[t]`` for t = 0..T.

    ``wq``, ``wk``, ``wv`` (2 x 2) and ``beta`` are the pixel's, in the working precision;
    ``x_value`` and ``y_value`` are its swept values (``spec.x_param``, ``spec.y_param``);
    ``residual`` is its residual step h (None for the seed's map).
    """

    spec: LandscapeSpec
    row: int
    col: int
    x_value: float
    y_value: float
    wq: np.ndarray
    wk: np.ndarray
    wv: np.ndarray
    beta: float
    points: np.ndarray
    delta: np.ndarray
    clusters: np.ndarray
    residual: float | None = None

    @property
    def steps(self) -> np.ndarray:
        """``0, 1, ..., T``."""
        return np.arange(self.delta.size)

    @property
    def label(self) -> int:
        """1 when the points synchronised (``Δ_T < tol``), else 0."""
        return int(labels_from_delta(self.delta[-1:], self.spec.tol)[0])

    @property
    def sync_step(self) -> float:
        """The smoothed step at which the points synchronised for good (nan if they did not)."""
        return float(sync_step_from_gaps(self.delta, self.spec.tol))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: the pixel, its parameters, and the per-step series.

        Non-finite numbers (a state that overflowed) become None.
        """

        def number(value: float) -> float | None:
            value = float(value)
            return value if math.isfinite(value) else None

        residual = {} if self.residual is None else {"residual": number(self.residual)}
        return {
            **residual,
            "row": self.row,
            "col": self.col,
            "x_param": self.spec.x_param,
            "y_param": self.spec.y_param,
            "x": number(self.x_value),
            "y": number(self.y_value),
            "wq": [[number(v) for v in row] for row in self.wq],
            "wk": [[number(v) for v in row] for row in self.wk],
            "wv": [[number(v) for v in row] for row in self.wv],
            "beta": number(self.beta),
            "tol": self.spec.tol,
            "label": self.label,
            "sync_step": number(self.sync_step),
            "delta": [number(v) for v in self.delta],
            "clusters": [int(v) for v in self.clusters],
            "points": [[[number(v) for v in p] for p in step] for step in self.points],
        }


def _pixel_matrices(job: Job, row: int, col: int):
    """``(W_Q, W_K, W_V, beta, h)`` of one pixel of the job's grid, each with a leading axis of
    length 1 (h is None for the seed's map)."""
    spec = job.spec
    base = {name: spec.matrix(name) for name in ("wq", "wk", "wv")}
    sweeps = [
        (parse_parameter(spec.x_param), job.x_values()[[col]]),
        (parse_parameter(spec.y_param), job.y_values()[[row]]),
    ]
    matrices = pixel_matrices(base, spec.beta, sweeps, spec.np_dtype)
    return (*matrices, pixel_residuals(spec.residual, sweeps, 1, spec.np_dtype))


def trace_pixel(job: Job | LandscapeSpec, row: int, col: int) -> Trace:
    """Iterate the map of pixel ``(row, col)`` of ``job``'s grid from its initial points.

    ``row`` and ``col`` index the grid (``spec.shape``, the picture's times ``supersample``);
    row 0 is the lowest y value. Raises :class:`~attndyn.model.errors.FieldError` naming ``pixel``
    for a pixel outside the grid.
    """
    if isinstance(job, LandscapeSpec):
        job = Job(job)
    spec = job.spec
    rows, cols = spec.shape
    if not (0 <= row < rows and 0 <= col < cols):
        raise FieldError(
            lambda n: (
                f"{n('pixel')} {row},{col} is outside the grid; rows are 0..{rows - 1} "
                f"(0 = the lowest {spec.y_param}) and columns 0..{cols - 1}"
            )
        )
    WQ, WK, WV, beta, h = _pixel_matrices(job, row, col)
    X = np.array(job.initial_points(np.array([row]), np.array([col])), dtype=spec.np_dtype)
    points = np.empty((spec.steps + 1, *X.shape[1:]), dtype=spec.np_dtype)
    points[0] = X[0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, spec.steps + 1):
            if h is None:
                X = attention_step(X, WQ, WK, WV, beta, spec.eps)
            else:
                X = residual_step(X, WQ, WK, WV, beta, h, spec.eps)
            points[t] = X[0]
        delta = gap(points)
    return Trace(
        spec=spec,
        row=int(row),
        col=int(col),
        x_value=float(job.x_values()[col]),
        y_value=float(job.y_values()[row]),
        wq=WQ[0],
        wk=WK[0],
        wv=WV[0],
        beta=float(beta[0]),
        points=points,
        delta=delta,
        clusters=count_clusters(points),
        residual=None if h is None else float(h[0]),
    )


def pixel_at(spec: LandscapeSpec, x: float, y: float) -> tuple[int, int]:
    """The grid pixel ``(row, col)`` whose swept values are nearest to ``(x, y)``.

    Raises :class:`~attndyn.model.errors.FieldError` naming ``at`` when the point lies outside the
    grid by more than half a pixel.
    """
    if not (math.isfinite(x) and math.isfinite(y)):
        raise FieldError(lambda n: f"{n('at')} {x!r},{y!r} is not finite")
    found = []
    for value, values, name in (
        (x, spec.x_values(), spec.x_param),
        (y, spec.y_values(), spec.y_param),
    ):
        grid = values.astype(np.float64)
        half = 0.5 * (grid[-1] - grid[0]) / max(grid.size - 1, 1)
        if not grid[0] - half <= value <= grid[-1] + half:
            raise FieldError(
                lambda n, value=value, name=name, grid=grid: (
                    f"{n('at')} {name} = {value!r} is outside the window "
                    f"[{float(grid[0])!r}, {float(grid[-1])!r}]"
                )
            )
        found.append(int(np.argmin(np.abs(grid - value))))
    col, row = found
    return row, col
