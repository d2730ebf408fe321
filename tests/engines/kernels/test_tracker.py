"""The sync tracker against the definition of sync_step, on the CPU and on the CUDA target.

The tracker's source is compiled for both numba targets (attndyn.engines.kernels.targets);
each test runs the CPU compile and the CUDA one (in numba's CUDA simulator without a GPU,
see tests/conftest.py) on the same inputs.
"""

import functools
import math

import numpy as np
import pytest
from numba import cuda

from attndyn.engines.kernels import tracker
from attndyn.engines.kernels.targets import Target
from attndyn.engines.numba_cuda import cuda_available
from attndyn.model.fields import smoothed_sync_step, sync_step_from_gaps, synchronisation_gap

TOL = 0.5


@functools.cache
def _device_tracker():
    """The tracker compiled for the CUDA target, as the CUDA engine compiles it."""
    device = cuda.jit(device=True)
    return tracker.compile_tracker(Target(inline=device, call=device))


def _on_device(function, *args):
    """(last, before, after) = function(*args), run once in a one-thread kernel."""
    results = np.zeros(3, np.float64)

    @cuda.jit
    def kernel(results):
        last, before, after = function(*args)
        results[0] = last
        results[1] = before
        results[2] = after

    kernel[1, 1](results)
    return tuple(results)


def _gap_on_device(gx):
    gap = _device_tracker().gap
    result = np.zeros(1, gx.dtype)

    @cuda.jit
    def kernel(gx, result):
        result[0] = gap(gx.size, gx)

    kernel[1, 1](gx, result)
    return result[0]


CUDA = pytest.mark.skipif(not cuda_available(), reason="no CUDA device and no CUDA simulator")
TARGETS = ["cpu", pytest.param("cuda", marks=CUDA)]


def run_tracker(target, gaps, tol=TOL):
    """(t0, Δ_{t0-1}, Δ_{t0}) after folding gaps Δ_0..Δ_T in, as the kernels do."""
    functions = tracker if target == "cpu" else _device_tracker()
    last, before, after = (1 if gaps[0] >= tol else 0), gaps[0], math.nan
    for t in range(1, len(gaps)):
        if target == "cpu":
            last, before, after = functions.track(t, t + 1, gaps[t], tol, last, before, after)
        else:
            last, before, after = _on_device(
                functions.track, t, t + 1, gaps[t], tol, last, before, after
            )
    return int(last), before, after


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "gaps",
    [
        [0.9, 0.7, 0.3, 0.1, 0.05],  # crosses once: t0 = 2
        [0.9, 0.2, 0.8, 0.4, 0.1],  # dips below and comes back: t0 = 3
        [0.1, 0.05, 0.01],  # never above: t0 = 0
        [0.9, 0.8, 0.7],  # never below: t0 = 3 (not synchronised)
        [0.5, 0.5, 0.49],  # tol itself counts as above
    ],
)
def test_tracker_gives_the_definition_of_sync_step(target, gaps):
    gaps = np.array(gaps)
    last, before, after = run_tracker(target, gaps)
    above = np.flatnonzero(gaps >= TOL)
    t0 = int(above[-1]) + 1 if above.size else 0
    assert last == t0
    if 0 < t0 < len(gaps):
        assert (before, after) == (gaps[t0 - 1], gaps[t0])
    if gaps[-1] < TOL:  # sync_step is defined: the tracker's formula gives the reference's
        expected = sync_step_from_gaps(gaps, TOL)
        np.testing.assert_array_equal(smoothed_sync_step(last, before, after, TOL), expected)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("steps", [6, 7, 8, 9])
@pytest.mark.parametrize(("even", "odd"), [(0.4, 0.8), (0.8, 0.4), (0.1, 0.2), (0.7, 0.9)])
def test_period_two_tail_is_the_tracker_of_the_whole_orbit(target, steps, even, odd):
    # Gaps alternate from step 2 on; a kernel detects the orbit at step t = 3 (states at t
    # and t - 2 equal) and completes the tracker in closed form.
    gaps = np.array([0.95, 0.6] + [even if t % 2 == 0 else odd for t in range(2, steps + 1)])
    t = 3
    last, before, after = run_tracker(target, gaps[: t + 1])
    final, other = gaps[steps], gaps[steps - 1]
    if target == "cpu":
        tail = tracker.period_two_tail(t, steps, TOL, final, other, last, before, after)
    else:
        args = (t, steps, TOL, final, other, last, before, after)
        tail = _on_device(_device_tracker().period_two_tail, *args)
    whole = run_tracker(target, gaps)
    assert int(tail[0]) == whole[0]
    if whole[0] <= steps and gaps[-1] < TOL:  # before and after are read only then
        assert tail[1:] == whole[1:]


@pytest.mark.parametrize("target", TARGETS)
def test_gap_is_the_first_coordinate_spread_and_propagates_nan(target):
    rng = np.random.default_rng(4)
    for points in (rng.normal(size=(7, 2)), rng.normal(size=(1, 2))):
        gx = points[:, 0].astype(np.float32)
        ours = tracker.gap(len(gx), gx) if target == "cpu" else _gap_on_device(gx)
        assert ours == synchronisation_gap(points.astype(np.float32))
    gx = np.float32([0.5, np.nan, 0.1])
    assert math.isnan(tracker.gap(3, gx) if target == "cpu" else _gap_on_device(gx))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("steps", [6, 7])
@pytest.mark.parametrize("late", [2, 1, 0])
@pytest.mark.parametrize(("even", "odd"), [(0.4, 0.8), (0.8, 0.4), (0.7, 0.9)])
def test_period_two_detected_at_the_last_steps_is_the_tracker_of_the_whole_orbit(
    target, steps, late, even, odd
):
    # The orbit is detected at t = steps - late, the last step included (late = 0: nothing
    # is left to step, the tracker is complete), its gaps alternating from step t - 2 on after
    # a descent 0.95, 0.9, ... that is not periodic.
    t = steps - late
    gaps = np.array([0.95 - 0.05 * s for s in range(t - 2)] + [
        (even, odd)[s % 2] for s in range(t - 2, steps + 1)
    ])  # fmt: skip
    last, before, after = run_tracker(target, gaps[: t + 1])
    final, other = gaps[steps], gaps[steps - 1]
    args = (t, steps, TOL, final, other, last, before, after)
    if target == "cpu":
        tail = tracker.period_two_tail(*args)
    else:
        tail = _on_device(_device_tracker().period_two_tail, *args)
    above = np.flatnonzero(gaps >= TOL)
    t0 = int(above[-1]) + 1 if above.size else 0  # the definition of the tracker's last
    assert int(tail[0]) == t0
    if gaps[-1] < TOL:  # before and after are read only then: the gaps around the crossing
        assert tail[1:] == (gaps[t0 - 1], gaps[t0])
