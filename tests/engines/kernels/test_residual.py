"""The residual map's kernel (numba engine) against the numpy reference, the definition.

float64: the same arithmetic as the reference in another order of sums, so over a few steps
every delta agrees to rounding, and over the full 100 steps every label and cluster count
agrees (chaotic pixels amplify the rounding until their deltas differ; their labels stay 0).
float32: the share of equal labels and the largest delta difference where labels agree, as
docs/engines.md states them for the residual map.
"""

from dataclasses import replace

import numpy as np
import pytest

from attndyn import Job
from attndyn.engines.numba_cpu import NumbaCpuEngine
from attndyn.engines.numpy_ref import NumpyReferenceEngine

from helpers import appendix_b, random_unit_points, whole


def both(job):
    tile = whole(job.spec)
    return NumbaCpuEngine().compute(job, tile), NumpyReferenceEngine().compute(job, tile)


@pytest.mark.parametrize("init", ["independent", "shared"])
@pytest.mark.parametrize(("h", "x_param"), [(0.5, "wk11"), (7.0, "wq01"), (None, "residual")])
def test_float64_deltas_agree_to_rounding_over_a_few_steps(init, h, x_param):
    x_range = (0.1, 4.0) if x_param == "residual" else (-8.0, 8.0)
    # 7 x 5 = 35 pixels: two full chunks of 16 lanes and a short one
    spec = appendix_b(
        1679700, width=7, height=5, steps=12, init=init, dtype="float64", residual=h,
        x_param=x_param, x_range=x_range,
    )  # fmt: skip
    fast, reference = both(Job(spec))
    assert np.allclose(fast.delta, reference.delta, rtol=1e-6, atol=1e-12)  # float32 fields
    assert (fast.labels == reference.labels).all()
    assert (fast.clusters == reference.clusters).all()
    assert np.allclose(fast.sync_step, reference.sync_step, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("seed", [1679700, 6306593])
def test_float64_labels_and_clusters_agree_on_every_pixel_over_100_steps(seed):
    spec = appendix_b(seed, width=16, height=16, init="shared", dtype="float64", residual=0.5)
    fast, reference = both(Job(spec))
    assert 0 < reference.labels.sum() < reference.labels.size  # both kinds of pixel
    assert (fast.labels == reference.labels).all()
    assert (fast.clusters == reference.clusters).all()
    synchronised = reference.labels == 1
    assert np.allclose(fast.sync_step[synchronised], reference.sync_step[synchronised], atol=1e-6)


def test_float32_agreement_with_the_reference():
    # Measured on this 32 x 32 grid: see docs/engines.md for the figures at 256².
    spec = appendix_b(1679700, width=32, height=32, init="shared", residual=0.5)
    fast, reference = both(Job(spec))
    equal = fast.labels == reference.labels
    assert equal.mean() >= 0.97
    both_white = equal & (reference.labels == 1)
    assert both_white.sum() > 50
    assert np.abs(fast.delta - reference.delta)[both_white].max() < 1e-5


def test_per_pixel_points_and_the_thread_count_change_nothing():
    spec = appendix_b(5227590, width=9, height=4, steps=30, dtype="float64", residual=2.0)
    x0 = random_unit_points((4, 9, spec.n_points), 3)
    job = Job.with_x0(replace(spec, init="independent"), x0)
    tile = whole(job.spec)
    one = NumbaCpuEngine(threads=1).compute(job, tile)
    three = NumbaCpuEngine(threads=3).compute(job, tile)
    reference = NumpyReferenceEngine().compute(job, tile)
    for name in ("delta", "labels", "clusters"):
        assert np.array_equal(getattr(one, name), getattr(three, name)), name
    assert (one.labels == reference.labels).all()
    assert np.allclose(one.delta, reference.delta, rtol=1e-5, atol=1e-9)
