"""Closed forms every engine must reproduce (the engine contract), run on every engine."""

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, render_landscape

ENGINES = ["numpy", "numba"]


def spec_with(**overrides):
    values = dict(wq=(0.3, -1.2, 0.8, 0.5), wv=(1.1, 0.4, -0.7, 0.9), width=6, height=5, steps=25)
    values.update(overrides)
    return LandscapeSpec(**values)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_synchronised_start_stays_synchronised(engine):
    # All points equal: every row computes the same numbers, so delta is exactly 0.
    x0 = np.broadcast_to(np.array([0.6, -0.8]), (5, 6, 7, 2))
    result = render_landscape(engine=engine, job=Job.with_x0(spec_with(), x0))
    assert (result.delta == 0).all() and (result.labels == 1).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_antipodal_pair_synchronises_only_where_a_is_zero(engine):
    # x1 = e1, x2 = -e1, W_Q = W_V = I: scores a * [[1, -1], [-1, 1]]. For a != 0 the pair
    # maps to (sign a) e1, -(sign a) e1: delta = 2 for ever. For a = 0 the weights are
    # uniform, both points become 0 / (0 + eps) = 0 and delta = 0. b plays no part.
    spec = spec_with(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), y_range=(-4, 12), x_range=(-3, 7))
    result = render_landscape(
        engine=engine, job=Job.with_x0(spec, np.array([[1.0, 0.0], [-1.0, 0.0]]))
    )
    expected = np.zeros((5, 6), dtype=np.uint8)
    expected[1, :] = 1  # y values -4, 0, 4, 8, 12: row 1 has a = 0
    np.testing.assert_array_equal(result.labels, expected)
    np.testing.assert_allclose(result.delta[expected == 0], 2.0 / (1 + 1e-8), rtol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_delta_compares_only_the_first_coordinate(engine):
    # (0.6, 0.8) and (0.6, -0.8) with a = b = 200: each point attends only to itself, so the
    # configuration is fixed. The points differ, but their first coordinates agree: label 1.
    spec = spec_with(
        wq=(1, 0, 0, 1),
        wv=(1, 0, 0, 1),
        x_range=(200, 201),
        y_range=(200, 201),
        width=2,
        height=2,
        steps=3,
    )
    result = render_landscape(
        engine=engine, job=Job.with_x0(spec, np.array([[0.6, 0.8], [0.6, -0.8]]))
    )
    assert (result.labels == 1).all()
