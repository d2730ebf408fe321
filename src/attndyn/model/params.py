"""Named parameters that a landscape can sweep along its axes.

A name is either an entry of one of the three matrices, ``wq``/``wk``/``wv`` followed by the
row and column digit (``wk00`` is W_K[0, 0], ``wv10`` is W_V[1, 0]), or ``beta``, the inverse
temperature that multiplies the scores: S = beta * Q K^T. The seed's picture sweeps
``wk11`` (= b) across and ``wk00`` (= a) up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attndyn.model.errors import UserError

MATRIX_NAMES = ("wq", "wk", "wv")
MATRIX_ENTRY_NAMES = tuple(f"{m}{i}{j}" for m in MATRIX_NAMES for i in range(2) for j in range(2))
PARAMETER_NAMES = (*MATRIX_ENTRY_NAMES, "beta")


@dataclass(frozen=True)
class Parameter:
    """A sweepable quantity: ``matrix`` is "wq", "wk", "wv" or "beta" (then row = col = -1)."""

    name: str
    matrix: str
    row: int
    col: int


def parse_parameter(name: str) -> Parameter:
    """Parse a parameter name such as ``wk00`` or ``beta``."""
    if name not in PARAMETER_NAMES:
        raise UserError(f"unknown parameter {name!r}; choose one of {', '.join(PARAMETER_NAMES)}")
    if name == "beta":
        return Parameter(name, "beta", -1, -1)
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
    """
    size = len(sweeps[0][1])
    out = {m: np.broadcast_to(base[m].astype(dtype), (size, 2, 2)).copy() for m in MATRIX_NAMES}
    beta_values = np.full(size, beta, dtype=dtype)
    for parameter, values in sweeps:
        if parameter.matrix == "beta":
            beta_values[:] = values
        else:
            out[parameter.matrix][:, parameter.row, parameter.col] = values
    return out["wq"], out["wk"], out["wv"], beta_values
