"""Closed forms every engine must reproduce (the engine contract), run on every engine."""

import importlib.util
import math

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, render_landscape
from attndyn.engines import EngineDiagnostics, get_engine
from attndyn.model.fields import smoothed_sync_step
from attndyn.model.tiles import Tile

from helpers import period_two_job


def _cuda_engine_runs() -> bool:
    """A CUDA device, or numba's CUDA simulator (tests/conftest.py turns it on without one)."""
    from attndyn.engines.numba_cuda import cuda_available

    return cuda_available()


ENGINES = (
    ["numpy", "numba"]
    + (["torch"] if importlib.util.find_spec("torch") else [])
    + (["cuda"] if _cuda_engine_runs() else [])
)
TOL = 1e-5


def spec_with(**overrides):
    values = dict(wq=(0.3, -1.2, 0.8, 0.5), wv=(1.1, 0.4, -0.7, 0.9), width=6, height=5, steps=25)
    values.update(overrides)
    return LandscapeSpec(**values)


def smoothed(t0, before, after, tol=TOL):
    """sync_step by hand: (t0 - 1) + (l(before) - l(tol)) / (l(before) - l(after))."""

    def l(x):  # noqa: E743
        return math.log(max(x, tol * 1e-2))

    return (t0 - 1) + (l(before) - l(tol)) / (l(before) - l(after))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_synchronised_start_stays_synchronised(engine):
    # All points equal: every row computes the same numbers, so delta is exactly 0, the
    # points were synchronised from step 0 (sync_step 0) and form one cluster.
    x0 = np.broadcast_to(np.array([0.6, -0.8]), (5, 6, 7, 2))
    result = render_landscape(engine=engine, job=Job.with_x0(spec_with(), x0))
    assert (result.delta == 0).all() and (result.labels == 1).all()
    assert (result.fields.sync_step == 0).all() and (result.fields.clusters == 1).all()
    assert result.fields.sync_step.dtype == np.float32
    assert result.fields.clusters.dtype == np.uint16


@pytest.mark.parametrize("engine", ENGINES)
def test_hard_argmax_synchronises_in_one_step(engine):
    # W_Q = W_V = I, W_K = diag(a, b) with a ~ 2000, |b| <= 1, points e1 and (0.6, 0.8):
    # scores a x_i0 x_j0 + b x_i1 x_j1, rows ~(2000, 1200) and ~(1200, 720). Both rows put all
    # their weight on e1 (exp(-480) is 0 in float32), so after one step both points are
    # e1 / (1 + eps) = e1: Δ_0 = 1 - 0.6 = 0.4, Δ_t = 0 for t >= 1, t0 = 1, one cluster.
    spec = spec_with(
        wq=(1, 0, 0, 1),
        wv=(1, 0, 0, 1),
        y_range=(1990, 2010),
        x_range=(-1, 1),
        width=3,
        height=3,
        steps=7,
    )
    result = render_landscape(engine=engine, job=Job.with_x0(spec, np.array([[1, 0], [0.6, 0.8]])))
    gap0 = float(np.float32(1) - np.float32(0.6))  # Δ_0 in float32
    assert (result.delta == 0).all() and (result.labels == 1).all()
    np.testing.assert_allclose(result.fields.sync_step, smoothed(1, gap0, 0.0), rtol=1e-6)
    assert 0 < smoothed(1, gap0, 0.0) < 1
    assert (result.fields.clusters == 1).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_antipodal_pair_synchronises_only_where_a_is_zero(engine):
    # x1 = e1, x2 = -e1, W_Q = W_V = I: scores a * [[1, -1], [-1, 1]]. For a != 0 the pair
    # maps to (sign a) e1, -(sign a) e1: delta = 2 for ever, two clusters, never synchronised.
    # For a = 0 the weights are uniform, both points become 0 / (0 + eps) = 0 and delta = 0:
    # Δ_0 = 2, Δ_1 = 0, so t0 = 1 and one cluster. b plays no part.
    spec = spec_with(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), y_range=(-4, 12), x_range=(-3, 7))
    result = render_landscape(
        engine=engine, job=Job.with_x0(spec, np.array([[1.0, 0.0], [-1.0, 0.0]]))
    )
    expected = np.zeros((5, 6), dtype=np.uint8)
    expected[1, :] = 1  # y values -4, 0, 4, 8, 12: row 1 has a = 0
    np.testing.assert_array_equal(result.labels, expected)
    np.testing.assert_allclose(result.delta[expected == 0], 2.0 / (1 + 1e-8), rtol=1e-6)
    sync, clusters = result.fields.sync_step, result.fields.clusters
    assert np.isnan(sync[expected == 0]).all() and (clusters[expected == 0] == 2).all()
    np.testing.assert_allclose(sync[1], smoothed(1, 2.0, 0.0), rtol=1e-6)
    assert (clusters[1] == 1).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_delta_compares_only_the_first_coordinate(engine):
    # (0.6, 0.8) and (0.6, -0.8) with a = b = 200: each point attends only to itself, so the
    # configuration is fixed. The points differ, but their first coordinates agree: label 1,
    # synchronised from the start (sync_step 0), yet two clusters 1.6 apart.
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
    assert (result.fields.sync_step == 0).all() and (result.fields.clusters == 2).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_points_that_are_their_own_fixed_points_are_separate_clusters(engine):
    # a = b = 2000, W_Q = W_V = I: scores 2000 x_i . x_j. Points 72 degrees apart have
    # self-scores 2000 and others at most 2000 cos 72 = 618, so each point attends only to
    # itself and stays: 5 clusters, delta 1 - cos 144 degrees, never synchronised.
    angles = np.deg2rad(72.0 * np.arange(5))
    points = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    spec = spec_with(
        wq=(1, 0, 0, 1),
        wv=(1, 0, 0, 1),
        x_range=(2000, 2001),
        y_range=(2000, 2001),
        width=2,
        height=2,
        steps=9,
    )
    result = render_landscape(engine=engine, job=Job.with_x0(spec, points))
    assert (result.fields.clusters == 5).all()
    np.testing.assert_allclose(result.delta, 1 - math.cos(math.radians(144)), rtol=1e-6)
    assert (result.labels == 0).all() and np.isnan(result.fields.sync_step).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_clusters_are_single_linkage(engine):
    # No steps: the clusters of the initial points. Angles 0, 0.0009, 0.0018 chain within
    # 0.001 of each other (though the ends are 0.0018 apart): one cluster; 0.0030 is 0.0012
    # from the chain: another; 1.0 is far: a third.
    angles = np.array([0.0, 0.0009, 0.0018, 0.0030, 1.0])
    points = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    spec = spec_with(width=3, height=2, steps=0)
    result = render_landscape(engine=engine, job=Job.with_x0(spec, points))
    assert (result.fields.clusters == 3).all()
    two = render_landscape(engine=engine, job=Job.with_x0(spec, points[[0, 1, 2, 4]]))
    assert (two.fields.clusters == 2).all()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("steps", [10, 11])
def test_period_two_sync_step_in_closed_form(engine, steps):
    # Δ alternates 0.4 (even steps) / 0.8 (odd steps), see helpers.period_two_job. With
    # tol 0.5 an even run ends synchronised, last above tol at step T - 1: t0 = T and
    # sync_step = (T - 1) + l(0.8/0.5) / l(0.8/0.4).
    result = render_landscape(engine=engine, job=period_two_job(steps))
    assert (result.fields.clusters == 2).all()
    if steps % 2:
        assert (result.labels == 0).all() and np.isnan(result.fields.sync_step).all()
    else:
        assert (result.labels == 1).all()
        expected = smoothed(steps, 0.8, 0.4, tol=0.5)
        assert steps - 1 < expected < steps
        np.testing.assert_allclose(result.fields.sync_step, expected, rtol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_supersampling_is_a_finer_grid(engine):
    # Supersampling by 2 of x range (-8, 8) over 5 columns (step 4) samples x_c +- 1: the grid
    # of a plain spec with 10 columns over (-9, 9); likewise rows. Every field must agree.
    base = dict(wq=(0.3, -1.2, 0.8, 0.5), wv=(1.1, 0.4, -0.7, 0.9), steps=30, seed=7)
    fine = LandscapeSpec(**base, width=5, height=3, x_range=(-8, 8), y_range=(-4, 4), supersample=2)
    plain = LandscapeSpec(**base, width=10, height=6, x_range=(-9, 9), y_range=(-5, 5))
    assert fine.shape == (6, 10)
    np.testing.assert_array_equal(fine.x_values(), plain.x_values())
    np.testing.assert_array_equal(fine.y_values(), plain.y_values())
    ours = render_landscape(fine, engine).fields.arrays()
    theirs = render_landscape(plain, engine).fields.arrays()
    assert set(ours) == {"delta", "labels", "sync_step", "clusters"} == set(theirs)
    for name in ours:
        assert ours[name].shape == (6, 10)
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_declares_the_contract_and_reports_its_diagnostics(engine):
    chosen = get_engine(engine)
    assert chosen.name == engine
    assert isinstance(chosen.tile_pixels, int) and chosen.tile_pixels > 0
    assert isinstance(chosen.supports_float64, bool)
    assert chosen.last_diagnostics is None  # nothing computed yet
    spec = spec_with(steps=12, tol=0.05)
    tile = Tile(1, 4, 2, 6)
    fields = chosen.compute(Job(spec), tile)
    diagnostics = chosen.last_diagnostics
    assert isinstance(diagnostics, EngineDiagnostics)
    assert diagnostics.pixels == tile.size == 12 and diagnostics.seconds > 0
    if diagnostics.kernel_seconds is not None:
        assert 0 < diagnostics.kernel_seconds <= diagnostics.seconds
    if diagnostics.sync_tracker is not None:  # sync_step is made of it, where labels are 1
        t0, before, after = diagnostics.sync_tracker
        assert t0.shape == before.shape == after.shape == (3, 4)
        white = fields.labels == 1
        assert white.any()
        expected = smoothed_sync_step(t0[white], before[white], after[white], spec.tol)
        np.testing.assert_array_equal(fields.sync_step[white], expected)
