"""trace_pixel: one pixel's run equals what the reference engine renders for that pixel."""

import json
from dataclasses import replace

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec
from attndyn.analysis.trace import pixel_at, trace_pixel
from attndyn.model.errors import FieldError
from attndyn.rendering.render import render_landscape

from helpers import appendix_b, period_two_job


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_every_pixel_ends_where_the_reference_engine_says(dtype, init):
    # a window around the seed's picture where both labels occur
    spec = appendix_b(
        1679700, width=7, height=5, steps=50, init=init, dtype=dtype, x_range=(-4, -1)
    )
    fields = render_landscape(spec, "numpy").fields
    assert 0 < fields.labels.sum() < fields.labels.size
    for row in range(spec.height):
        for col in range(spec.width):
            trace = trace_pixel(spec, row, col)
            assert trace.delta.dtype == np.dtype(dtype) and trace.delta.size == spec.steps + 1
            # the engine stores delta in float32; the label comes from the working precision
            assert np.float32(trace.delta[-1]) == fields.delta[row, col]
            assert trace.label == fields.labels[row, col]
            assert trace.clusters[-1] == fields.clusters[row, col]
            expected = fields.sync_step[row, col]
            assert (np.isnan(expected) and np.isnan(trace.sync_step)) or np.float32(
                trace.sync_step
            ) == expected


def test_a_pixel_starts_from_the_jobs_points_with_its_own_parameters():
    spec = appendix_b(5227590, width=6, height=4, steps=3, x_param="wq01", y_param="beta")
    job = Job(spec)
    trace = trace_pixel(job, 2, 5)
    assert np.array_equal(trace.points[0], job.initial_points(np.array([2]), np.array([5]))[0])
    assert trace.x_value == spec.x_values()[5] and trace.y_value == spec.y_values()[2]
    assert trace.wq[0, 1] == spec.x_values()[5] and trace.beta == spec.y_values()[2]
    assert np.array_equal(trace.wv, spec.matrix("wv"))
    # each recorded gap is max_i |x_i1 - x_11| of the recorded points
    first = trace.points[..., 0]
    assert np.array_equal(trace.delta, np.abs(first - first[:, :1]).max(axis=1))


def test_alternating_pixel_from_an_x0_file():
    # every point attends to itself and W_V swaps the coordinates: the gap alternates
    # 0.4, 0.8, 0.4, ... (see helpers.period_two_job)
    trace = trace_pixel(period_two_job(5), 1, 0)
    assert np.allclose(trace.delta, [0.4, 0.8, 0.4, 0.8, 0.4, 0.8], atol=1e-6)
    assert trace.label == 0 and np.isnan(trace.sync_step)


def test_to_dict_is_json():
    spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=4, height=4, steps=5)
    data = json.loads(json.dumps(trace_pixel(spec, 1, 2).to_dict()))
    assert data["row"] == 1 and data["col"] == 2 and len(data["delta"]) == 6
    assert len(data["points"]) == 6 and len(data["points"][0]) == spec.n_points


def test_pixel_at_and_its_errors():
    spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=5, height=3, x_range=(0, 4))
    # columns at x = 0, 1, 2, 3, 4; rows at y = -8, 0, 8
    assert pixel_at(spec, 2.4, -7.0) == (0, 2)
    assert pixel_at(spec, 4.4, 3.9) == (1, 4)
    with pytest.raises(FieldError, match="outside the window"):
        pixel_at(spec, 4.6, 0.0)
    with pytest.raises(FieldError, match="pixel 3,0 is outside the grid"):
        trace_pixel(spec, 3, 0)


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_a_quadtree_tiles_pixel_ends_where_the_tile_says(init):
    # The explorer's inspector traces a pixel of a tile: same grid values, same points.
    from attndyn.model.tiles import TileAddress
    from attndyn.rendering.render import render_tile

    spec = appendix_b(1679700, width=6, height=4, steps=40, init=init, dtype="float64")
    address = TileAddress(9, 130, 200)
    fields = render_tile(spec, address, "numpy")
    job = Job(spec).for_tile(address)
    for row, col in [(0, 0), (3, 5), (2, 1)]:
        trace = trace_pixel(job, row, col)
        assert np.float32(trace.delta[-1]) == fields.delta[row, col]
        assert trace.label == fields.labels[row, col]
        assert trace.x_value == job.x_values()[col] != spec.x_values()[col]


# -- the residual map (issue 29 A): one pixel's run against the particle library's SA flow ----


def _residual_pixel(h, steps, *, row=3, col=5, init="independent"):
    """A float64, eps = 0 residual spec of the seed 1679700 matrices, the pixel's trace, and
    its matrices built by hand from the spec (W_K's diagonal is the pixel's (a, b))."""
    spec = appendix_b(
        1679700, width=8, height=6, steps=steps, init=init, dtype="float64", eps=0.0,
        residual=h, x_range=(-4.0, -1.0), y_range=(-3.0, 0.0),
    )  # fmt: skip
    wq, wk, wv = (np.array(getattr(spec, m), dtype=np.float64).reshape(2, 2) for m in MATRICES)
    wk[0, 0], wk[1, 1] = spec.y_values()[row], spec.x_values()[col]
    return spec, trace_pixel(spec, row, col), (wq, wk, wv)


MATRICES = ("wq", "wk", "wv")


@pytest.mark.parametrize("h", [0.05, 0.4, 3.0])
def test_the_residual_trace_is_the_sa_flows_projected_euler_step(h):
    # The particle library's SA flow (attndyn.particles, which shares no code with the
    # landscape side) with the Euler method, x <- x + dt F(x) then x / |x|, is the residual map
    # with eps = 0 and step h: the same trajectory, step for step, to rounding.
    from attndyn.particles.simulate import FlowSetup, simulate

    spec, trace, (wq, wk, wv) = _residual_pixel(h, 40)
    setup = FlowSetup(
        flow="sa", dimension=2, points=spec.n_points, beta=spec.beta, Q=wq, K=wk, V=wv,
        method="euler", dt=h, steps=40, record_every=1,
    )  # fmt: skip
    flow = simulate(setup, trace.points[0])
    assert flow.points.shape == trace.points.shape
    assert np.abs(flow.points - trace.points).max() < 1e-13  # measured: 1e-15
    # and it is not the seed's map, which moves the same points elsewhere
    plain = trace_pixel(replace(spec, residual=None), 3, 5)
    assert np.abs(plain.points[1] - trace.points[1]).max() > 1e-3


def test_at_small_h_the_residual_trace_approaches_the_rk4_flow_linearly():
    # t = h k: the residual map with step h is a first-order scheme for the SA flow
    # dx_i/dt = P_{x_i} sum_j A_ij v_j, so at t = 1 its distance to a fine RK4 solution
    # (dt = 1e-3, error ~1e-12) should halve with h.
    from attndyn.particles.simulate import FlowSetup, simulate

    errors = []
    for h in (0.1, 0.05, 0.025, 0.0125):
        steps = round(1.0 / h)
        spec, trace, (wq, wk, wv) = _residual_pixel(h, steps)
        setup = FlowSetup(
            flow="sa", dimension=2, points=spec.n_points, beta=spec.beta, Q=wq, K=wk, V=wv,
            method="rk4", dt=1e-3, steps=1000, record_every=1000,
        )  # fmt: skip
        exact = simulate(setup, trace.points[0]).final
        errors.append(np.abs(trace.points[-1] - exact).max())
    ratios = [errors[k] / errors[k + 1] for k in range(3)]
    assert errors[0] > 1e-4  # a visible first-order error to start from
    assert all(1.7 < r < 2.3 for r in ratios), (errors, ratios)
