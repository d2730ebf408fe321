"""The numba engine against the reference engine, and its own exactness claims.

The kernels' own claims (exp, points, the tracker, clusters, groups, block steps, pair lanes,
independence of the tiling) are tested beside them, in tests/engines/kernels/.
"""

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec
from attndyn.engines import EngineDiagnostics, engine_names, get_engine
from attndyn.engines.numba_cpu import NumbaCpuEngine
from attndyn.engines.numpy_ref import NumpyReferenceEngine

from helpers import (
    appendix_b,
    differing,
    period_two_job,
    random_unit_points,
    whole,
    wide_window_spec,
)

FIELDS = ("delta", "labels", "sync_step", "clusters")

# Labels: the engine sums in another order than the reference (SIMD lanes, fused
# multiply-adds), so a chaotic pixel, whose gap at the last step is decided by the rounding,
# may take the other label; on the Appendix B pictures at 512 x 512 that is at most 9 of 262144
# pixels (numba_cpu's docstring), 3.4e-5, or an expected 0.08 pixels of the 2304 of a 48 x 48
# test. Measured on 2026-12-06 (the AMD EPYC of the development machine), every picture of this
# module compared with ``differing`` has 0 differing labels; the bound LABELS_MAY_DIFFER = 1
# leaves room for one such pixel on another CPU, while a wrong step changes many pixels.
LABELS_MAY_DIFFER = 1


def assert_same_fields(ours, theirs):
    """Every field bitwise equal (nan where nan)."""
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)


def both(job):
    """(reference, numba) fields of the whole picture of ``job``."""
    job = job if isinstance(job, Job) else Job(job)
    tile = whole(job.spec)
    return NumpyReferenceEngine().compute(job, tile), NumbaCpuEngine().compute(job, tile)


# -- initial points -------------------------------------------------------------------------


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_each_sample_starts_from_its_own_points(init):
    # With no steps delta is the gap of the initial points, so it shows which points the
    # engine drew: for sample k those of initial.pixel_points(..., sample=k), bit for bit.
    spec = appendix_b(1679700, init=init, steps=0, width=9, height=7, samples=4)
    first = NumbaCpuEngine().compute(Job(spec), whole(spec))
    for sample in (1, 3):
        job = Job(spec).for_sample(sample)
        reference, ours = both(job)
        np.testing.assert_array_equal(ours.delta, reference.delta)
        rows, cols = whole(spec).pixel_coordinates()
        points = job.initial_points(rows, cols)
        gaps = np.abs(points[..., 0] - points[..., :1, 0]).max(axis=-1).reshape(7, 9)
        np.testing.assert_array_equal(ours.delta, gaps)
        assert (ours.delta != first.delta).any()


# -- agreement with the reference -----------------------------------------------------------


@pytest.mark.parametrize("init", ["independent", "shared"])
@pytest.mark.parametrize("seed", [1679700, 5227590])
def test_appendix_b_fields_agree_with_the_reference(seed, init):
    reference, ours = both(appendix_b(seed, init=init, width=48, height=48))
    assert ours.delta.dtype == np.float32 and ours.labels.dtype == np.uint8
    assert ours.sync_step.dtype == np.float32 and ours.clusters.dtype == np.uint16
    # measured: 0 of 2304 labels differ for each seed and init (see LABELS_MAY_DIFFER)
    assert differing(reference, ours) <= LABELS_MAY_DIFFER
    # Where the points did not synchronise, the gaps agree too (chaotic pixels aside).
    open_ = (reference.delta > 1e-3) & (ours.delta > 1e-3)
    close = np.isclose(ours.delta[open_], reference.delta[open_], rtol=1e-3)
    assert (~close).sum() <= max(2, 0.01 * close.size)
    same = reference.labels == ours.labels
    assert (ours.clusters == reference.clusters)[same].mean() >= 0.999
    assert (ours.clusters >= 1).all() and (ours.clusters == 1).any() and (ours.clusters == 2).any()
    synced = same & (ours.labels == 1)
    assert synced.sum() > 300
    np.testing.assert_array_equal(np.isnan(ours.sync_step), ours.labels == 0)
    np.testing.assert_array_equal(np.isnan(reference.sync_step), reference.labels == 0)
    # t0, the step from which Δ stays below tol, agrees (chaotic pixels aside). The smoothed
    # part follows log Δ near the crossing, where float32 rounding of the gaps differs by a
    # few percent between summation orders (see the module docstring of numba_cpu).
    # Measured (48 x 48, synchronised pixels): t0 differs on 1 of 448 (1679700 independent),
    # 1 of 395 (1679700 shared), 0 of 980 and 0 of 884 (5227590); the smoothed step differs by
    # more than 0.3 on 1 of 448 and 0 elsewhere. Bound: 1% of the pixels (4 of 395), room for
    # about 4x the worst measured rate; a wrong tracker moves most pixels, not a few.
    gap = np.abs(ours.sync_step - reference.sync_step)[synced]
    t0_ours = np.ceil(ours.sync_step[synced])
    allowed = 0.01 * synced.sum()
    assert (t0_ours != np.ceil(reference.sync_step[synced])).sum() <= allowed
    assert (gap > 0.3).sum() <= allowed


@pytest.mark.parametrize("parameter", ["wq01", "wk10", "wv11", "beta"])
def test_other_parameter_slices_agree(parameter):
    spec = appendix_b(6306593, x_param=parameter, y_param="wk00", width=20, height=16, steps=40)
    reference, ours = both(spec)
    # measured: 0 of 320 labels differ for each parameter (see LABELS_MAY_DIFFER)
    assert differing(reference, ours) <= LABELS_MAY_DIFFER


@pytest.mark.parametrize("n", [1, 2, 3, 5, 17, 33])
def test_any_number_of_points(n):
    reference, ours = both(appendix_b(8012376, n_points=n, width=14, height=12, steps=60))
    # measured: 0 of 168 labels differ for each n (see LABELS_MAY_DIFFER)
    assert differing(reference, ours) <= LABELS_MAY_DIFFER
    if n == 1:
        assert (ours.delta == 0).all() and (ours.labels == 1).all()


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_no_steps_give_the_initial_gap_exactly(init):
    reference, ours = both(appendix_b(1679700, init=init, steps=0, width=9, height=7))
    np.testing.assert_array_equal(ours.delta, reference.delta)
    np.testing.assert_array_equal(ours.labels, reference.labels)


def test_points_from_a_file_shared_and_per_pixel():
    spec = appendix_b(6549664, width=13, height=11, steps=50)
    for x0 in (random_unit_points((7,), 5), random_unit_points((11, 13, 7), 4)):
        reference, ours = both(Job.with_x0(spec, x0))
        # measured: 0 of 143 labels differ, shared and per pixel (see LABELS_MAY_DIFFER)
        assert differing(reference, ours) <= LABELS_MAY_DIFFER


def test_wide_windows_and_large_matrices_take_the_safe_path():
    spec = wide_window_spec(12, 10)
    job = Job(spec)
    engine = NumbaCpuEngine()
    ours = engine.compute(job, whole(spec))
    assert engine.last_diagnostics.safe_pixels == spec.width * spec.height  # all safe
    reference = NumpyReferenceEngine().compute(job, whole(spec))
    # measured: 0 of 120 labels differ (see LABELS_MAY_DIFFER)
    assert differing(reference, ours) <= LABELS_MAY_DIFFER


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_pixels_off_the_blocks_start_from_their_own_points(init):
    # Every pixel of a wide window takes the safe path, off the blocks (independent points:
    # the ones drawn side by side for its block, kept for it). With no steps delta is the gap
    # of the points a pixel started from: those of initial.pixel_points, bit for bit.
    spec = wide_window_spec(12, 10, steps=0, init=init)
    job = Job(spec)
    engine = NumbaCpuEngine()
    engine.compute(Job(replace(spec, steps=1)), whole(spec))  # (a path is chosen before step 1)
    assert engine.last_diagnostics.safe_pixels == spec.width * spec.height  # all off the blocks
    ours = engine.compute(job, whole(spec))
    rows, cols = whole(spec).pixel_coordinates()
    points = job.initial_points(rows, cols)
    gaps = np.abs(points[..., 0] - points[..., :1, 0]).max(axis=-1).reshape(10, 12)
    np.testing.assert_array_equal(ours.delta, gaps)


def test_non_finite_states_give_nan_like_the_reference():
    # eps = 0 and an antipodal pair: where a = 0 the weights are uniform and both points
    # become 0 / 0 = nan, which then spreads; elsewhere the pair stays apart.
    spec = LandscapeSpec(
        wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), eps=0.0, y_range=(-4, 4), width=4, height=3, steps=5
    )
    reference, ours = both(Job.with_x0(spec, np.array([[1.0, 0.0], [-1.0, 0.0]])))
    assert np.isnan(reference.delta[1]).all()
    assert (reference.clusters[1] == 0).all() and (reference.clusters[[0, 2]] == 2).all()
    assert np.isnan(reference.sync_step).all()
    assert_same_fields(ours, reference)


@pytest.mark.parametrize("pairs", [True, False])
@pytest.mark.parametrize("steps", [10, 11, 12])
def test_period_two_ends_on_the_right_phase(steps, pairs):
    # An exact period 2 (helpers.period_two_job; with a, b ~ 200 instead of 2000 the other
    # weight, exp(-80), is not 0 and keeps nudging the zero coordinate: no exact period).
    # The pair lanes and the generic group steps both stop on it early (period 2), and the
    # closed form for t0 (last step above tol = T - 1 when T is even) matches the reference.
    job = period_two_job(steps)
    spec = job.spec
    reference = NumpyReferenceEngine().compute(job, whole(spec))
    engine = NumbaCpuEngine(pairs=pairs)
    ours = engine.compute(job, whole(spec))
    assert engine.last_diagnostics.skipped_steps > 0
    np.testing.assert_allclose(ours.delta, reference.delta, rtol=1e-6)
    np.testing.assert_array_equal(ours.labels, reference.labels)
    assert (ours.labels == (1 if steps % 2 == 0 else 0)).all()
    np.testing.assert_allclose(ours.sync_step, reference.sync_step, rtol=1e-6)
    np.testing.assert_array_equal(ours.clusters, reference.clusters)
    if steps % 2 == 0:
        np.testing.assert_array_equal(engine.last_diagnostics.sync_tracker[0], steps)  # t0 = T


@pytest.mark.parametrize("init", ["independent", "shared"])
@pytest.mark.parametrize("seed", [1679700, 5227590])
def test_float64_agrees_with_the_reference(seed, init):
    # float64 runs from the job's own points, through the blocks, groups and lanes.
    spec = appendix_b(seed, init=init, width=24, height=20, dtype="float64")
    job = Job(spec)
    engine = NumbaCpuEngine()
    ours = engine.compute(job, whole(spec))
    diagnostics = engine.last_diagnostics
    assert diagnostics.group_steps > 0 and diagnostics.skipped_steps > 0  # steps, and exits
    assert diagnostics.pair_steps > 0  # the float64 lanes
    reference = NumpyReferenceEngine().compute(job, whole(spec))
    np.testing.assert_array_equal(ours.labels, reference.labels)
    np.testing.assert_array_equal(ours.clusters, reference.clusters)
    np.testing.assert_allclose(ours.delta, reference.delta, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.sync_step, reference.sync_step, rtol=1e-6, atol=1e-6)


def test_float64_deep_zoom_safe_path_and_files_agree_with_the_reference():
    # A window 1e-9 wide (far below float32's resolution), a window and matrices large
    # enough for the max-subtracted step, and points from a per-pixel file.
    zoom = appendix_b(
        1679700, width=9, height=7, dtype="float64", x_range=(-3.0, -3.0 + 1e-9),
        y_range=(-1.8, -1.8 + 1e-9),
    )  # fmt: skip
    wide = wide_window_spec(8, 6, dtype="float64")
    per_pixel = Job.with_x0(
        appendix_b(6549664, steps=50, dtype="float64"), random_unit_points((5, 7, 9), 3)
    )
    for job in (Job(zoom), Job(wide), per_pixel):
        reference, ours = both(job)
        np.testing.assert_array_equal(ours.labels, reference.labels)
        np.testing.assert_allclose(ours.delta, reference.delta, rtol=1e-6, atol=1e-12)


def boundary_zoom(dtype: str, init: str, size: int):
    """The explorer's favourite view: a window 0.002 wide on a boundary of the seed's picture,
    where most pixels keep n distinct points for tens of steps."""
    half = 0.001
    return appendix_b(
        1679700, init=init, dtype=dtype, width=size, height=size,
        x_range=(-3.06819 - half, -3.06819 + half), y_range=(-1.82531 - half, -1.82531 + half),
    )  # fmt: skip


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_the_distinct_blocks_change_no_field(init):
    # Pixels whose points are all distinct stay in the blocks after the first block steps;
    # every field is as without that (float32), and float64 with the blocks and lanes is the
    # group path alone, bit for bit.
    for spec in (
        boundary_zoom("float32", init, 40),
        appendix_b(5227590, init=init, width=40, height=32),
    ):
        job = Job(spec)
        engine = NumbaCpuEngine()
        fields = engine.compute(job, whole(spec))
        assert engine.last_diagnostics.group_steps > spec.width * spec.height * engine.block_steps
        assert_same_fields(fields, NumbaCpuEngine(distinct_blocks=False).compute(job, whole(spec)))
        job64 = Job(replace(spec, dtype="float64"))
        fields = NumbaCpuEngine().compute(job64, whole(spec))
        groups = NumbaCpuEngine(pairs=False, distinct_blocks=False).compute(job64, whole(spec))
        assert_same_fields(fields, groups)


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_the_group_blocks_change_no_field(init):
    # Pixels with three or more groups step side by side after the block steps; every field
    # is as on the group path one pixel at a time, in float32 (with 6 and 3 fixed block
    # steps: the pool then holds many pixels of many group counts) and in float64.
    for spec in (
        boundary_zoom("float32", init, 40),
        appendix_b(1679700, init=init, width=40, height=32),
        appendix_b(5227590, init=init, width=40, height=32),
    ):
        job = Job(spec)
        for block_steps in (6, 3):
            fields = NumbaCpuEngine(block_steps=block_steps).compute(job, whole(spec))
            alone = NumbaCpuEngine(block_steps=block_steps, group_blocks=False)
            assert_same_fields(fields, alone.compute(job, whole(spec)))
        job64 = Job(replace(spec, dtype="float64"))
        fields = NumbaCpuEngine().compute(job64, whole(spec))
        alone = NumbaCpuEngine(group_blocks=False).compute(job64, whole(spec))
        assert_same_fields(fields, alone)


# -- diagnostics ----------------------------------------------------------------------------


def test_diagnostics_count_every_step_of_every_pixel():
    # Each pixel's T steps are computed on groups (block steps included), in the pair lanes,
    # or skipped by an exact exit; nothing is counted twice.
    spec = appendix_b(1679700, width=20, height=15, steps=40)
    engine = NumbaCpuEngine()
    engine.compute(Job(spec), whole(spec))
    diagnostics = engine.last_diagnostics
    assert isinstance(diagnostics, EngineDiagnostics) and diagnostics.pixels == 300
    steps = diagnostics.group_steps + diagnostics.pair_steps + diagnostics.skipped_steps
    assert steps == 300 * 40
    assert diagnostics.pair_steps > 0 and diagnostics.skipped_steps > 0
    assert 0 < diagnostics.kernel_seconds <= diagnostics.seconds
    assert diagnostics.transfer_seconds is None
    t0, before, after = diagnostics.sync_tracker
    assert t0.shape == before.shape == after.shape == (15, 20)


# -- registration ---------------------------------------------------------------------------


def test_registered_and_picked_by_auto():
    assert "numba" in engine_names()
    assert get_engine("auto").name == "numba"
    assert get_engine("numba").name == "numba"
    assert get_engine("numpy").name == "numpy"
    spec = appendix_b(1679700)
    assert 0 < NumbaCpuEngine().pixels_per_second(spec) < 10**7
    f64 = replace(spec, dtype="float64")
    reference_rate = NumpyReferenceEngine().pixels_per_second(f64)
    assert reference_rate < NumbaCpuEngine().pixels_per_second(f64)
    assert NumbaCpuEngine().pixels_per_second(f64) < NumbaCpuEngine().pixels_per_second(spec)


def test_importing_attndyn_does_not_import_numba():
    code = "import sys, attndyn, attndyn.engines; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
