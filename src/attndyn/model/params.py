"""Named parameters that a landscape can sweep along its axes.

A name is either an entry of one of the three matrices, ``wq``/``wk``/``wv`` followed by the
row and column digit (``wk00`` is W_K[0, 0], ``wv10`` is W_V[1, 0]), ``beta``, the inverse
temperature that multiplies the scores: S = beta * Q K^T, or ``residual``, the step h of the
residual map X <- normalize_rows(X + h A V) (see :mod:`attndyn.model.spec`). The seed's picture
sweeps ``wk11`` (= b) across and ``wk00`` (= a) up.

:data:`PARAMETER_NAMES` are the map's 13 entries and beta, in the order of the compiled
kernels' parameter slots (:mod:`attndyn.engines.inputs`); :data:`SWEEPABLE_NAMES` adds
``residual``, which only the residual map has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attndyn.model.errors import UserError

MATRIX_NAMES = ("wq", "wk", "wv")
MATRIX_ENTRY_NAMES = tuple(f"{m}{i}{j}" for m in MATRIX_NAMES for i in range(2) for j in range(2))
PARAMETER_NAMES = (*MATRIX_ENTRY_NAMES, "beta")
RESIDUAL = "residual"
SWEEPABLE_NAMES = (*PARAMETER_NAMES, RESIDUAL)


@dataclass(frozen=True)
class Parameter:
    """A sweepable quantity: ``matrix`` is "wq", "wk", "wv", "beta" or "residual" (for the last
    two row = col = -1)."""

    name: str
    matrix: str
    row: int
    col: int


def parse_parameter(name: str) -> Parameter:
    """Parse a parameter name such as ``wk00``, ``beta`` or ``residual``."""
    if name not in SWEEPABLE_NAMES:
        raise UserError(f"unknown parameter {name!r}; choose one of {', '.join(SWEEPABLE_NAMES)}")
    if name in ("beta", RESIDUAL):
        return Parameter(name, name, -1, -1)
    return Parameter(name, name[:2], int(name[2]), int(name[3]))


def pixel_matrices(
    base: dict[str, np.ndarray],
    beta: float,
    sweeps: list[tuple[Parameter, np.ndarray]],
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel ``(W_Q, W_K, W_V, beta)`` for P pixels.

    ``base`` maps "wq", "wk", "wv" to 2x2 matrices; each sweep sets one parameter to the given
    length-P values (applied in order). Returns arrays of shapes (P, 2, 2) x 3 and (P,).
    A sweep of ``residual`` is not a matrix entry and is skipped here
    (:func:`pixel_residuals` takes it).
    """
    size = len(sweeps[0][1])
    out = {m: np.broadcast_to(base[m].astype(dtype), (size, 2, 2)).copy() for m in MATRIX_NAMES}
    beta_values = np.full(size, beta, dtype=dtype)
    for parameter, values in sweeps:
        if parameter.matrix == "beta":
            beta_values[:] = values
        elif parameter.matrix != RESIDUAL:
            out[parameter.matrix][:, parameter.row, parameter.col] = values
    return out["wq"], out["wk"], out["wv"], beta_values


def pixel_residuals(
    residual: float | None,
    sweeps: list[tuple[Parameter, np.ndarray]],
    size: int,
    dtype: np.dtype,
) -> np.ndarray | None:
    """Per-pixel residual steps h (P,) for P = ``size`` pixels, or None for the seed's map.

    ``residual`` is the spec's h (None: no skip connection); a sweep of ``residual`` sets it per
    pixel, so a grid that sweeps it is a residual map even when the spec's h is None.
    """
    values = None if residual is None else np.full(size, residual, dtype=dtype)
    for parameter, swept in sweeps:
        if parameter.matrix == RESIDUAL:
            values = np.asarray(swept, dtype=dtype).copy()
    return values
