"""The vectorised float64 sin and cos against libm, and the rounding-boundary test."""

import math

import numpy as np

from attndyn.engines.kernels.sincos import _pi_over_2_parts, rounds_safely, sin_cos_array


def test_pi_over_2_parts_sum_to_pi_over_2_and_split_exactly():
    p1, p2, p3 = _pi_over_2_parts()
    assert p1 + p2 == math.pi / 2  # p3 is below half an ulp of pi/2
    assert abs(p3) < 2.0**-65
    for part in (p1, p2):  # 33 significant bits: k * part is exact for k <= 4
        mantissa, _ = math.frexp(part)
        assert (mantissa * 2**33).is_integer()


def test_sin_and_cos_are_within_a_few_ulps_of_libm():
    theta = np.concatenate([np.linspace(0.0, 2 * np.pi, 1_000_001), np.pi / 4 * np.arange(9)])
    sin = np.empty_like(theta)
    cos = np.empty_like(theta)
    sin_cos_array(theta, sin, cos)
    for ours, theirs in ((sin, np.array([math.sin(t) for t in theta])), (cos, np.cos(theta))):
        # Relative to the larger of |value| and 2^-52: near a zero of sin or cos the reduced
        # argument's error, not the value's size, sets the absolute error.
        scale = np.maximum(np.abs(theirs), 2.0**-52)
        assert (np.abs(ours - theirs) / np.spacing(scale)).max() <= 4.0
    assert sin[0] == 0.0 and cos[0] == 1.0


def test_rounds_safely_flags_values_near_a_float32_rounding_boundary():
    one = np.float64(1.0)
    half_ulp = 2.0**-24  # float32 spacing at 1 is 2^-23: 1 + 2^-24 is a rounding boundary
    assert rounds_safely(one)
    assert not rounds_safely(one + half_ulp)
    assert not rounds_safely(one + half_ulp * (1 + 2.0**-30))
    assert rounds_safely(one + half_ulp * 1.5)
