"""Sweepable parameter names and the per-pixel values they give."""

import numpy as np
import pytest

from attndyn.model.errors import UserError
from attndyn.model.params import (
    PARAMETER_NAMES,
    SWEEPABLE_NAMES,
    parse_parameter,
    pixel_matrices,
    pixel_residuals,
)


def test_the_kernels_slots_stay_13_and_residual_is_sweepable_besides():
    assert len(PARAMETER_NAMES) == 13 and "residual" not in PARAMETER_NAMES
    assert SWEEPABLE_NAMES == (*PARAMETER_NAMES, "residual")
    assert parse_parameter("residual").matrix == "residual"
    with pytest.raises(UserError, match="unknown parameter 'resid'"):
        parse_parameter("resid")


def test_a_residual_sweep_sets_h_per_pixel_and_leaves_the_matrices():
    base = {m: np.arange(4.0).reshape(2, 2) + k for k, m in enumerate(("wq", "wk", "wv"))}
    h = np.array([0.1, 0.2, 0.3])
    wk = np.array([5.0, 6.0, 7.0])
    sweeps = [(parse_parameter("residual"), h), (parse_parameter("wk01"), wk)]
    WQ, WK, WV, beta = pixel_matrices(base, 2.0, sweeps, np.dtype(np.float64))
    assert (WQ == base["wq"]).all() and (WV == base["wv"]).all() and (beta == 2.0).all()
    assert (WK[:, 0, 1] == wk).all() and (WK[:, 1] == base["wk"][1]).all()
    assert (pixel_residuals(None, sweeps, 3, np.dtype(np.float64)) == h).all()
    assert (pixel_residuals(0.5, sweeps[1:], 3, np.dtype(np.float32)) == np.float32(0.5)).all()
    assert pixel_residuals(None, sweeps[1:], 3, np.dtype(np.float64)) is None
