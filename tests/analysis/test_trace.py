"""trace_pixel: one pixel's run equals what the reference engine renders for that pixel."""

import json

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
