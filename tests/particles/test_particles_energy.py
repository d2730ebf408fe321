"""Energies against closed forms and gradients against finite differences."""

import numpy as np
import pytest
from scipy.special import iv

from attndyn.particles.energy import (
    energy,
    energy_gradient,
    interaction_kernel,
    riemannian_gradient,
    weighted_energy,
    weighted_energy_weight_gradient,
)
from attndyn.particles.sphere import circle_points, fibonacci_sphere, project, random_points

MATRICES = {
    "identity": np.eye(3),
    "diag": np.diag([1.0, 3.0, 4.0]),
    "indefinite": np.diag([-1.0, 0.5, 2.0]),
    "nonsymmetric": np.array([[0.3, 1.0, -0.2], [0.0, -0.7, 0.4], [0.5, 0.1, 1.1]]),
}


@pytest.mark.parametrize("name", MATRICES)
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_single_cluster_energy(name, beta):
    D = MATRICES[name]
    u = project(np.array([0.3, -1.2, 0.8]))
    x = np.tile(u, (7, 1))
    assert np.isclose(energy(x, D, beta), np.exp(beta * u @ D @ u))


@pytest.mark.parametrize("name", MATRICES)
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_two_antipodal_clusters_of_equal_mass(name, beta):
    D = MATRICES[name]
    u = project(np.array([-0.5, 0.2, 0.9]))
    x = np.concatenate([np.tile(u, (4, 1)), np.tile(-u, (4, 1))])
    q = u @ D @ u
    assert np.isclose(energy(x, D, beta), (np.exp(beta * q) + np.exp(-beta * q)) / 2)


def test_weighted_energy_of_unequal_antipodal_masses():
    D, beta, p = MATRICES["diag"], 1.0, 0.3
    u = project(np.array([0.1, 0.4, -0.6]))
    q = u @ D @ u
    expected = (p**2 + (1 - p) ** 2) * np.exp(beta * q) + 2 * p * (1 - p) * np.exp(-beta * q)
    assert np.isclose(weighted_energy(np.array([p, 1 - p]), np.stack([u, -u]), D, beta), expected)


def test_uniform_measure_on_circle_has_bessel_energy():
    # ∫∫ exp(β <x, y>) dσ dσ = I0(β) on S¹ and sinh(β)/β on S²
    for beta in (0.5, 1.0, 3.0):
        assert np.isclose(energy(circle_points(256), np.eye(2), beta), iv(0, beta))
        assert np.isclose(
            energy(fibonacci_sphere(2000), np.eye(3), beta), np.sinh(beta) / beta, rtol=1e-4
        )


def test_batched_energy_matches_separate_evaluations():
    rng = np.random.default_rng(3)
    x = random_points(6, 3, rng, batch=(4,))
    Ds = np.stack(list(MATRICES.values()))
    together = energy(x, Ds, 1.3)
    apart = [energy(x[k], Ds[k], 1.3) for k in range(4)]
    assert np.allclose(together, apart)


def _numeric_gradient(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("name", MATRICES)
def test_gradient_matches_finite_differences(name):
    D, beta = MATRICES[name], 0.8
    x = random_points(5, 3, np.random.default_rng(4))  # the energy is defined off the sphere too
    numeric = _numeric_gradient(lambda y: energy(y, D, beta), x)
    assert np.allclose(energy_gradient(x, D, beta), numeric, atol=1e-8)


@pytest.mark.parametrize("name", ["diag", "nonsymmetric"])
def test_weighted_gradients_match_finite_differences(name):
    D, beta = MATRICES[name], 1.1
    rng = np.random.default_rng(5)
    x = random_points(4, 3, rng)
    w = rng.random(4)
    w /= w.sum()
    numeric_x = _numeric_gradient(lambda y: weighted_energy(w, y, D, beta), x)
    assert np.allclose(energy_gradient(x, D, beta, w), numeric_x, atol=1e-8)
    numeric_w = _numeric_gradient(lambda v: weighted_energy(v, x, D, beta), w)
    K = interaction_kernel(x, D, beta)
    assert np.allclose(weighted_energy_weight_gradient(w, K), numeric_w, atol=1e-8)


def test_riemannian_gradient_is_tangent():
    x = random_points(8, 3, np.random.default_rng(6))
    g = riemannian_gradient(x, MATRICES["nonsymmetric"], 1.0)
    assert np.allclose(np.sum(g * x, axis=-1), 0.0, atol=1e-12)


# -- the Riemannian gradient's value, along tangent directions ------------------------------


def _plain_weighted_energy(w, x, D, beta):
    """Σ_ij w_i w_j exp(β <x_i, D x_j>), transcribed with plain loops."""
    n = len(x)
    return sum(w[i] * w[j] * np.exp(beta * (x[i] @ D @ x[j])) for i in range(n) for j in range(n))


def _tangent_basis(u):
    """Two orthonormal vectors orthogonal to the unit vector u in R³."""
    helper = np.eye(3)[np.argmin(np.abs(u))]
    first = np.cross(u, helper)
    first /= np.linalg.norm(first)
    return first, np.cross(u, first)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_riemannian_gradient_matches_derivatives_along_geodesics(beta, weighted):
    # Move one particle along the great circle cos(t) x_i + sin(t) v (v tangent at x_i); the
    # derivative of E at t = 0 is <grad_i, v>. The gradient is tangent, so the derivatives
    # along a tangent basis give it whole. D is not symmetric, so D and Dᵀ differ.
    D, h = MATRICES["nonsymmetric"], 1e-5
    rng = np.random.default_rng(7)
    x = random_points(5, 3, rng)
    w = rng.random(5) if weighted else np.full(5, 0.2)
    w /= w.sum()
    expected = np.zeros_like(x)
    for i in range(len(x)):
        for v in _tangent_basis(x[i]):
            moved = []
            for t in (h, -h):
                y = x.copy()
                y[i] = np.cos(t) * x[i] + np.sin(t) * v
                moved.append(_plain_weighted_energy(w, y, D, beta))
            expected[i] += (moved[0] - moved[1]) / (2 * h) * v
    got = riemannian_gradient(x, D, beta, w if weighted else None)
    np.testing.assert_allclose(got, expected, atol=1e-8 * np.abs(expected).max())
    assert np.abs(expected).max() > 0.05  # a gradient well away from zero
