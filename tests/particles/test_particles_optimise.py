"""Dirac-angle search and exponentiated-gradient density weights."""

import numpy as np
import pytest

from attndyn.particles.energy import energy, interaction_kernel
from attndyn.particles.optimise import (
    angle_gradient,
    exponentiated_gradient,
    optimise_circle_density,
    optimise_diracs,
)
from attndyn.particles.sphere import cart_to_sph, circle_points, random_points, sph_to_cart


@pytest.mark.parametrize("maximise", [False, True])
@pytest.mark.parametrize("kind", ["psd", "indefinite"])
def test_exponentiated_gradient_stays_on_the_simplex(maximise, kind):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 40))
    K = A @ A.T / 40 if kind == "psd" else A
    w0 = rng.random(40)
    w, history, taken = exponentiated_gradient(K, w0=w0, lr=0.5, steps=300, maximise=maximise)
    assert taken == 300 and len(history) == 301
    assert np.all(w >= 0.0)
    assert np.isclose(w.sum(), 1.0)


def test_exponentiated_gradient_decreases_a_convex_quadratic():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((30, 30))
    _, history, _ = exponentiated_gradient(A @ A.T / 30, w0=rng.random(30), lr=0.05, steps=200)
    assert np.all(np.diff(history) <= 1e-12)


def test_uniform_density_minimises_for_identity_on_the_circle():
    # For D = I the uniform measure is the minimiser; start far from it.
    N = 128
    K = interaction_kernel(circle_points(N), np.eye(2))
    w0 = np.random.default_rng(2).random(N) ** 3
    w, history, _ = exponentiated_gradient(K, w0=w0, lr=1.0, steps=3000)
    assert np.isclose(history[-1], np.mean(K), rtol=1e-6)  # E(σ) on the grid
    # the slow high-frequency modes barely change the energy; the low ones are gone
    rho = N * w
    for m, bound in ((1, 1e-5), (2, 1e-4)):
        assert abs(np.mean(rho * np.exp(1j * m * 2 * np.pi * np.arange(N) / N))) < bound


def test_circle_density_result_fields():
    result = optimise_circle_density(np.diag([1.0, 1.2]), N=64, steps=50)
    assert result.weights.shape == (64,) and np.isclose(result.weights.sum(), 1.0)
    assert result.x.shape == (64, 2) and result.steps == 50
    assert np.isclose(result.energy, result.history[-1])


def test_angle_gradient_matches_finite_differences():
    D = np.diag([1.0, -2.0, 0.5])
    phi = cart_to_sph(random_points(4, 3, np.random.default_rng(3)))
    h = 1e-6
    numeric = np.zeros_like(phi)
    for index in np.ndindex(phi.shape):
        step = np.zeros_like(phi)
        step[index] = h
        numeric[index] = (
            energy(sph_to_cart(phi + step), D) - energy(sph_to_cart(phi - step), D)
        ) / (2 * h)
    assert np.allclose(angle_gradient(phi, D), numeric, atol=1e-8)


def test_dirac_ascent_finds_the_top_eigenvector():
    D = np.diag([1.0, 3.0, 4.0])
    result = optimise_diracs(
        D, 1, np.random.default_rng(4), maximise=True, steps=500, lr=2e-3, batch=(5,)
    )
    assert np.allclose(result.energy, np.exp(4.0), rtol=1e-6)
    assert np.allclose(np.abs(result.x[..., 2]), 1.0, atol=1e-4)


def test_dirac_ascent_for_negative_identity_finds_an_antipodal_pair():
    result = optimise_diracs(
        -np.eye(3), 2, np.random.default_rng(5), maximise=True, steps=400, lr=0.3
    )
    assert np.isclose(result.energy, np.cosh(1.0), rtol=1e-6)
    assert np.isclose(result.x[0] @ result.x[1], -1.0, atol=1e-5)


def test_dirac_descent_with_noise_keeps_the_best():
    D = np.diag([1.0, 2.0])
    result = optimise_diracs(D, 4, np.random.default_rng(6), steps=100, lr=0.1, sigma=0.5)
    assert np.isclose(result.energy, result.history.min())
    assert np.isclose(energy(result.x, D), result.energy)
