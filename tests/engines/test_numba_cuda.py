"""The fused CUDA kernel against the reference engine and closed forms.

Without a GPU (CI) this runs the kernel in numba's CUDA simulator (see tests/conftest.py),
which executes the same kernel source thread by thread on the CPU, with libm's exp instead
of the hardware's; with a GPU it runs on the device. Grids are tiny either way.
"""

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, render_landscape
from attndyn.engines import get_engine
from attndyn.engines.numpy_ref import NumpyReferenceEngine

from helpers import appendix_b, differing, random_unit_points, whole, wide_window_spec

numba_cuda = pytest.importorskip("attndyn.engines.numba_cuda")
pytestmark = pytest.mark.skipif(
    not numba_cuda.cuda_available(), reason="no CUDA device and no CUDA simulator"
)


def both(job):
    """(reference, cuda kernel) fields of the whole picture of ``job``."""
    job = job if isinstance(job, Job) else Job(job)
    tile = whole(job.spec)
    engine = numba_cuda.NumbaCudaEngine()
    return NumpyReferenceEngine().compute(job, tile), engine.compute(job, tile)


@pytest.mark.parametrize("sample", [0, 3])
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_initial_points_are_the_reference_points(init, sample):
    # With no steps, delta is Δ_0 of the initial points and clusters count them: equal bit
    # for bit only if the kernel's Philox and angles give numpy's float32 points.
    job = Job(appendix_b(5227590, init=init, steps=0, width=11, height=9)).for_sample(sample)
    reference, ours = both(job)
    np.testing.assert_array_equal(ours.delta, reference.delta)
    np.testing.assert_array_equal(ours.clusters, reference.clusters)
    distinct = np.unique(ours.delta).size
    assert distinct == 1 if init == "shared" else distinct > 50


@pytest.mark.parametrize("init", ["independent", "shared"])
@pytest.mark.parametrize("seed", [1679700, 5227590])
def test_appendix_b_fields_agree_with_the_reference(seed, init):
    reference, ours = both(appendix_b(seed, init=init, width=12, height=12))
    assert ours.delta.dtype == np.float32 and ours.labels.dtype == np.uint8
    assert ours.sync_step.dtype == np.float32 and ours.clusters.dtype == np.uint16
    assert differing(reference, ours) <= 1
    same = reference.labels == ours.labels
    assert (ours.clusters == reference.clusters)[same].mean() >= 0.99
    np.testing.assert_array_equal(np.isnan(ours.sync_step), ours.labels == 0)
    synced = same & (ours.labels == 1)
    assert synced.sum() > 20
    # t0 agrees; the smoothed fraction follows log Δ near tol (see numba_cpu's docstring).
    assert (np.ceil(ours.sync_step[synced]) == np.ceil(reference.sync_step[synced])).mean() > 0.97
    assert np.median(np.abs(ours.sync_step - reference.sync_step)[synced]) < 0.05


@pytest.mark.parametrize("n", [1, 2, 3, 33])
def test_any_number_of_points(n):
    # n = 33 is past the thread-local arrays: the kernel with work arrays in global memory.
    reference, ours = both(appendix_b(8012376, n_points=n, width=6, height=5, steps=60))
    assert differing(reference, ours) <= 1
    if n == 1:
        assert (ours.delta == 0).all() and (ours.labels == 1).all()


def test_other_parameter_slices_agree():
    spec = appendix_b(6306593, x_param="wv11", y_param="beta", width=8, height=6, steps=40)
    reference, ours = both(spec)
    assert differing(reference, ours) <= 1


def test_points_from_a_file_shared_and_per_pixel():
    spec = appendix_b(6549664, width=7, height=5, steps=50)
    for x0 in (random_unit_points((7,), 5), random_unit_points((5, 7, 7), 4)):
        reference, ours = both(Job.with_x0(spec, x0))
        assert differing(reference, ours) <= 1


def test_wide_windows_and_large_matrices_take_the_safe_path():
    spec = wide_window_spec(6, 5)
    reference, ours = both(spec)
    assert differing(reference, ours) <= 1


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the simulator's 0 / 0
def test_non_finite_states_give_nan_like_the_reference():
    # eps = 0 and an antipodal pair: where a = 0 both points become 0 / 0 = nan.
    spec = LandscapeSpec(
        wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), eps=0.0, y_range=(-4, 4), width=4, height=3, steps=5
    )
    reference, ours = both(Job.with_x0(spec, np.array([[1.0, 0.0], [-1.0, 0.0]])))
    assert np.isnan(ours.delta[1]).all() and (ours.clusters[1] == 0).all()
    np.testing.assert_array_equal(ours.labels, reference.labels)
    np.testing.assert_array_equal(ours.clusters, reference.clusters)
    assert np.isnan(ours.sync_step).all()


def test_tiles_do_not_change_results():
    job = Job(appendix_b(1679700, width=9, height=7, steps=50))
    engine = numba_cuda.NumbaCudaEngine(threads_per_block=32)
    whole_picture = render_landscape(job, engine, progress=False)
    banded = render_landscape(job, engine, pixels_per_tile=20, progress=False)
    for name in ("delta", "labels", "sync_step", "clusters"):
        np.testing.assert_array_equal(
            getattr(banded.fields, name), getattr(whole_picture.fields, name), err_msg=name
        )


@pytest.mark.parametrize(
    ("seed", "init", "n_points", "width", "height"),
    [
        (1679700, "independent", 20, 10, 8),
        (5227590, "shared", 20, 10, 8),
        (1679700, "independent", 34, 6, 5),  # (a smaller grid: the simulator's n^2 cost)
    ],
)
def test_float64_fields_equal_the_reference(seed, init, n_points, width, height):
    # In float64 the kernel starts from the reference's own points and every rounding
    # difference is about 1e-16: labels and clusters are the reference's on every pixel, and
    # delta and sync_step are equal to float64 rounding. n = 34 runs the any-n kernel.
    spec = appendix_b(
        seed, init=init, width=width, height=height, n_points=n_points, dtype="float64"
    )
    job, tile = Job(spec), whole(spec)
    engine = numba_cuda.NumbaCudaEngine()
    ours = engine.compute(job, tile)
    assert engine.last_diagnostics.kernel_seconds > 0  # the kernel ran: no CPU fallback
    reference = NumpyReferenceEngine().compute(job, tile)
    np.testing.assert_array_equal(ours.labels, reference.labels)
    np.testing.assert_array_equal(ours.clusters, reference.clusters)
    np.testing.assert_allclose(ours.delta, reference.delta, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.sync_step, reference.sync_step, rtol=1e-4, atol=1e-4)
    assert 0 < ours.labels.mean() < 1


def test_float64_per_pixel_points_and_the_safe_path():
    x0 = random_unit_points((5, 6, 7), seed=4)
    spec = wide_window_spec(6, 5, n_points=7, steps=40, dtype="float64")
    reference, ours = both(Job.with_x0(spec, x0))
    np.testing.assert_array_equal(ours.labels, reference.labels)
    np.testing.assert_array_equal(ours.clusters, reference.clusters)
    np.testing.assert_allclose(ours.delta, reference.delta, rtol=1e-6, atol=1e-12)


def test_registered_as_cuda():
    assert get_engine("cuda").name == "cuda"
    assert get_engine("auto", "cuda").name == "cuda"


def test_timing_and_the_tracker_are_reported():
    spec = appendix_b(1679700, width=3, height=2, steps=5)
    engine = numba_cuda.NumbaCudaEngine()
    engine.compute(Job(spec), whole(spec))
    diagnostics = engine.last_diagnostics
    assert diagnostics.kernel_seconds > 0 and diagnostics.transfer_seconds >= 0
    assert diagnostics.seconds == pytest.approx(
        diagnostics.kernel_seconds + diagnostics.transfer_seconds
    )
    assert diagnostics.pixels == 6 and diagnostics.sync_tracker[0].shape == (2, 3)
    assert diagnostics.group_steps is None  # the kernel does not count its steps


@pytest.mark.parametrize("merge_from", [3, 8])
def test_merging_later_is_exact_too(merge_from):
    # Stepping all n points for the first steps before grouping equal ones changes only the
    # rounding (sums of equal terms instead of multiplicity-weighted ones), not the map.
    job = Job(appendix_b(1679700, width=8, height=6))
    reference = NumpyReferenceEngine().compute(job, whole(job.spec))
    engine = numba_cuda.NumbaCudaEngine(threads_per_block=64, merge_from=merge_from)
    ours = engine.compute(job, whole(job.spec))
    assert differing(reference, ours) <= 1
    same = reference.labels == ours.labels
    np.testing.assert_array_equal(ours.clusters[same], reference.clusters[same])


def test_bad_tuning_is_refused():
    with pytest.raises(ValueError, match="threads_per_block 0"):
        numba_cuda.NumbaCudaEngine(threads_per_block=0)
    with pytest.raises(ValueError, match="merge_from -1"):
        numba_cuda.NumbaCudaEngine(merge_from=-1)


def test_a_residual_spec_is_refused_with_one_line():
    from attndyn.model.errors import UserError

    spec = appendix_b(1679700, width=4, height=4, residual=0.5)
    with pytest.raises(UserError, match="engine 'cuda' has no residual map"):
        numba_cuda.NumbaCudaEngine().compute(Job(spec), whole(spec))
