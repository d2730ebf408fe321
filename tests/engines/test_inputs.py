"""What the compiled engines are given: the parameter layout and where initial points come from."""

from dataclasses import replace

import numpy as np
import pytest

from attndyn import Job
from attndyn.engines.inputs import (
    MODE_INDEPENDENT,
    MODE_PER_PIXEL,
    MODE_SHARED,
    N_PARAMETERS,
    point_source,
    swept_parameters,
)
from attndyn.model.params import PARAMETER_NAMES, parse_parameter
from attndyn.model.tiles import Tile, TileAddress

from helpers import appendix_b, random_unit_points

TILE = Tile(2, 6, 3, 8)


def test_every_parameter_name_has_a_slot():
    assert N_PARAMETERS == len(PARAMETER_NAMES) == 13
    assert PARAMETER_NAMES[-1] == "beta"


@pytest.mark.parametrize(("x_param", "y_param"), [("wk11", "wk00"), ("beta", "wq01")])
def test_swept_parameters_are_each_pixels_parameters(x_param, y_param):
    spec = appendix_b(1679700, width=9, height=7, x_param=x_param, y_param=y_param)
    xv, yv, base, xi, yi = swept_parameters(Job(spec), TILE, np.float32)
    assert base.dtype == xv.dtype == yv.dtype == np.float32
    np.testing.assert_array_equal(xv, spec.x_values()[3:8].astype(np.float32))
    np.testing.assert_array_equal(yv, spec.y_values()[2:6].astype(np.float32))
    assert (PARAMETER_NAMES[xi], PARAMETER_NAMES[yi]) == (x_param, y_param)
    for slot, name in enumerate(PARAMETER_NAMES):  # base: the spec's value of every name
        parameter = parse_parameter(name)
        if parameter.matrix == "beta":
            expected = spec.beta
        else:
            expected = spec.matrix(parameter.matrix)[parameter.row, parameter.col]
        assert base[slot] == np.float32(expected), name


def test_point_source_follows_the_jobs_point_mode():
    spec = appendix_b(1679700, width=9, height=7, n_points=5)
    rows, cols = TILE.pixel_coordinates()

    mode, _, _ = point_source(Job(spec), TILE)  # drawn in the float32 kernel
    assert mode == MODE_INDEPENDENT
    mode, _, pixels = point_source(Job(spec), TILE, np.float64)  # made here in float64
    assert mode == MODE_PER_PIXEL and pixels.dtype == np.float64
    np.testing.assert_array_equal(
        pixels.reshape(-1, 5, 2), Job(spec).initial_points(rows, cols).astype(np.float64)
    )
    # A float64 spec: the float64 points of attndyn.model.initial, bit for bit, for any sample and
    # tile seed (the angles are drawn by a numba kernel, their cos and sin by NumPy).
    deep = Job(replace(spec, dtype="float64", seed=2**64 - 1, n_points=23)).for_sample(2)
    for job in (deep, deep.for_tile(TileAddress(5, 3, 17))):
        mode, _, pixels = point_source(job, TILE, np.float64)
        assert mode == MODE_PER_PIXEL
        np.testing.assert_array_equal(pixels.reshape(-1, 23, 2), job.initial_points(rows, cols))

    shared = Job(replace(spec, init="shared")).for_sample(1)
    mode, one, _ = point_source(shared, TILE)
    assert mode == MODE_SHARED
    np.testing.assert_array_equal(one, shared.initial_points(rows, cols)[0])

    x0 = random_unit_points((5,), seed=1)
    mode, one, _ = point_source(Job.with_x0(spec, x0), TILE)
    assert mode == MODE_SHARED
    np.testing.assert_array_equal(one, x0.astype(np.float32))

    x0 = random_unit_points((7, 9, 5), seed=2)
    for dtype in (np.float32, np.float64):
        mode, _, pixels = point_source(Job.with_x0(spec, x0), TILE, dtype)
        assert mode == MODE_PER_PIXEL and pixels.flags.writeable and pixels.flags.c_contiguous
        np.testing.assert_array_equal(pixels, x0[2:6, 3:8].astype(dtype))
