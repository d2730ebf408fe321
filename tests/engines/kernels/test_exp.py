"""The kernels' exp against libm and NumPy: float32 within 1 ulp, float64 within 1 ulp of libm;
float32 2^x within 1 ulp."""

import math

import numpy as np

from attndyn.engines.kernels.exp import dexp_array, fexp2_array, fexp_array, fexp_neg_array


def test_float32_exp_is_within_one_ulp():
    x = np.linspace(-87.0, 88.0, 2_000_001, dtype=np.float32)
    out = np.empty_like(x)
    fexp_array(x, out)
    exact = np.exp(x.astype(np.float64))
    ulps = np.abs(out - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 1.0


def test_float32_exp2_is_within_one_ulp_and_exact_at_integers():
    # fexp2_array is compiled with fused multiply-adds, as the float32 kernels use it.
    # The range of the max-free steps' base-2 scores (|S| <= 32, times log2 e < 46.2) and
    # beyond, densely, and the half-integers where the reduction switches k.
    x = np.concatenate(
        [
            np.linspace(-126.0, 127.0, 2_000_001, dtype=np.float32),
            np.arange(-126, 127, dtype=np.float32) + np.float32(0.5),
        ]
    )
    out = np.empty_like(x)
    fexp2_array(x, out)
    exact = np.exp2(x.astype(np.float64))
    ulps = np.abs(out - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 1.0
    integers = np.arange(-126, 128, dtype=np.float32)
    fexp2_array(integers, out[: integers.size])
    assert (out[: integers.size] == np.exp2(integers.astype(np.float64))).all()  # 2^k exactly


def test_float32_exp2_scales_by_whole_powers_of_two_exactly():
    # 2^(f + j) = 2^f 2^j for whole j: the reduction gives the same f, so the polynomial's
    # value is the same and only the scaling by 2^k differs; it must be exact across the
    # whole domain (k from -126 to 127, the exponent added as an integer).
    f = (np.arange(-(2**15), 2**15 + 1, 16) / 2**16).astype(np.float32)  # steps of 2^-12
    base = np.empty_like(f)
    fexp2_array(f, base)
    for j in range(-125, 127):
        shifted = f + np.float32(j)  # exact: 7 bits above the point, 16 below
        keep = (shifted >= -126) & (shifted <= 127)
        out = np.empty_like(shifted)
        fexp2_array(shifted, out)
        expected = (base.astype(np.float64) * 2.0**j).astype(np.float32)
        np.testing.assert_array_equal(out[keep], expected[keep])


def test_float64_exp_is_within_one_ulp_of_libm():
    # math.exp is libm's (within 1 ulp of exp); the polynomial must be as close to it.
    x = np.concatenate([np.linspace(-700.0, 700.0, 100_001), np.linspace(-40.0, 40.0, 100_001)])
    out = np.empty_like(x)
    dexp_array(x, out)
    exact = np.array([math.exp(v) for v in x])
    assert (np.abs(out - exact) / np.spacing(exact)).max() <= 1.0
    assert out[x == 0.0].tolist() == [1.0, 1.0]  # exp(0) = 1 exactly


def test_exp_below_the_normal_range_goes_to_zero_like_numpy():
    x = np.linspace(-120.0, 0.0, 100_001, dtype=np.float32)
    out = np.empty_like(x)
    fexp_neg_array(x, out)
    np.testing.assert_allclose(out, np.exp(x), rtol=4e-7, atol=2e-45)  # <= 2 ulp
    fexp_neg_array(np.float32([-104.0, -200.0, -1e30]), out[:3])
    assert out[1] == 0 and out[2] == 0
