"""Perturbation constants against Bessel closed forms, and ν* against optimised densities."""

import numpy as np
import pytest
from scipy.special import gamma, iv

from attndyn.particles.optimise import optimise_circle_density
from attndyn.particles.perturbation import (
    constants,
    exp_guess_density,
    first_order_density,
    first_order_f,
    fit_guess_f,
    l2_distance,
    nu_star,
    source_package_f,
)
from attndyn.particles.sphere import circle_points, fibonacci_sphere


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.5])
def test_circle_constants_are_modified_bessel_values(beta):
    c = constants(2, beta)
    assert np.isclose(c.C0, iv(0, beta), rtol=1e-12)
    assert np.isclose(c.C1, iv(1, beta), rtol=1e-12)
    assert np.isclose(c.C2, iv(2, beta), rtol=1e-12)
    assert np.isclose(c.C3, iv(1, beta) / beta, rtol=1e-12)
    assert np.isclose(c.alpha, -beta * iv(1, beta) / iv(2, beta), rtol=1e-12)


@pytest.mark.parametrize("d", [3, 4, 5, 7])
def test_higher_dimensional_constants_are_bessel_values(d):
    beta = 1.3
    nu = d / 2 - 1
    scale = gamma(d / 2) * (2 / beta) ** nu
    c = constants(d, beta)
    assert np.isclose(c.C0, scale * iv(nu, beta), rtol=1e-11)
    assert np.isclose(c.C1, scale * iv(nu + 1, beta), rtol=1e-11)
    assert np.isclose(c.C2, scale * iv(nu + 2, beta), rtol=1e-11)
    assert np.isclose(c.C3, c.C1 / beta, rtol=1e-11)


def test_sphere_constants_in_elementary_functions():
    c = constants(3, 1.0)
    assert np.isclose(c.C0, np.sinh(1.0))
    assert np.isclose(c.C1, np.cosh(1.0) - np.sinh(1.0))  # = 1/e
    assert np.isclose(c.C3, np.cosh(1.0) - np.sinh(1.0))


def test_constants_reject_dimension_one():
    with pytest.raises(ValueError):
        constants(1)


def test_nu_star_has_zero_mass():
    M2 = np.diag([0.0, 1.0])
    assert abs(np.mean(nu_star(circle_points(512), M2))) < 1e-12
    M3 = np.array([[1.0, 0.2, 0.0], [0.2, -0.5, 0.3], [0.0, 0.3, 2.0]])
    assert abs(np.mean(nu_star(fibonacci_sphere(4000), M3))) < 1e-3


def test_first_order_density_matches_the_optimised_minimiser():
    # the optimised density differs from 1 + εν* by O(ε²): halving ε quarters the error
    M = np.diag([0.0, 1.0])
    errors, sizes = [], []
    for eps in (0.02, 0.01):
        result = optimise_circle_density(np.diag([1.0, 1.0 + eps]), N=256, steps=400)
        rho = 256 * result.weights
        errors.append(l2_distance(rho, first_order_density(result.x, M, eps)))
        sizes.append(l2_distance(rho, np.ones_like(rho)))
    assert errors[0] < 0.02 * sizes[0]
    assert 3.0 < errors[0] / errors[1] < 5.0


def test_guess_density_is_normalised_and_linearises_to_first_order():
    theta = 2 * np.pi * np.arange(1000) / 1000
    for f in (-3.0, 0.2, 5.0, 40.0):
        assert np.isclose(np.mean(exp_guess_density(theta, f)), 1.0)
    eps = 1e-3
    x = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    guess = exp_guess_density(theta, first_order_f(eps))
    first = first_order_density(x, np.diag([0.0, 1.0]), eps)
    assert np.abs(guess - first).max() < 10 * eps**2


def test_fit_recovers_the_exponent():
    theta = 2 * np.pi * np.arange(400) / 400
    assert np.isclose(fit_guess_f(theta, exp_guess_density(theta, 0.37)), 0.37, atol=1e-7)


def test_source_package_formula():
    assert np.isclose(source_package_f(0.1), np.e * 0.05 + 0.002)
