"""The law of Dx/|Dx|: closed form against a Jacobian, normalisation and sampling."""

import numpy as np
import pytest

from attndyn.particles.pushforward import (
    equal_area_bins,
    histogram_density,
    pushforward,
    pushforward_density,
)
from attndyn.particles.sphere import random_points


def test_circle_density_is_the_jacobian_of_the_angle_map():
    # x = (cos t, sin t) goes to the angle φ of (a cos t, b sin t); the density of φ with
    # respect to the uniform angle is dt/dφ = (a² cos² t + b² sin² t) / (a b)
    a, b = 0.5, 3.0
    t = np.linspace(0.0, 2 * np.pi, 37)
    x = np.stack([np.cos(t), np.sin(t)], axis=-1)
    y = pushforward(x, np.diag([a, b]))
    expected = (a**2 * np.cos(t) ** 2 + b**2 * np.sin(t) ** 2) / (a * b)
    assert np.allclose(pushforward_density(y, np.diag([a, b])), expected)
    # numerically: dφ/dt by central differences, away from the branch cut of arctan2 at π
    inner = t[np.abs(t - np.pi) > 0.2]
    h = 1e-6

    def angle(t):
        return np.arctan2(b * np.sin(t), a * np.cos(t))

    dphi = (angle(inner + h) - angle(inner - h)) / (2 * h)
    x_inner = np.stack([np.cos(inner), np.sin(inner)], axis=-1)
    density = pushforward_density(pushforward(x_inner, np.diag([a, b])), np.diag([a, b]))
    assert np.allclose(density, 1.0 / dphi, rtol=1e-6)


def test_scalar_multiples_of_the_identity_give_the_uniform_density():
    y = random_points(50, 4, np.random.default_rng(0))
    assert np.allclose(pushforward_density(y, -2.5 * np.eye(4)), 1.0)


@pytest.mark.parametrize(
    "D", [np.diag([1.0, 3.0, 4.0]), np.array([[2.0, 1.0, 0], [0, 1, 0.5], [0, 0, 0.3]])]
)
def test_sphere_density_integrates_to_one_and_matches_sampling(D):
    # midpoint rule on equal-area cells (σ is uniform in the height z and the azimuth)
    z = np.linspace(-1, 1, 401)[:-1] + 1 / 400
    p = np.linspace(-np.pi, np.pi, 801)[:-1] + np.pi / 800
    Z, P = np.meshgrid(z, p, indexing="ij")
    r = np.sqrt(1 - Z**2)
    y = np.stack([r * np.cos(P), r * np.sin(P), Z], axis=-1)
    assert np.isclose(pushforward_density(y, D).mean(), 1.0, atol=2e-3)
    # sampling: m points in 8 x 16 cells; the count of a cell of expected density ρ is
    # Poisson with mean ρ m / 128, so the estimate's standard deviation is √(128 ρ / m)
    m = 400_000
    points = pushforward(random_points(m, 3, np.random.default_rng(1)), D)
    sampled = histogram_density(points, 8, 16)
    z_edges, p_edges = equal_area_bins(8, 16)
    assert z_edges.size == 9 and p_edges.size == 17
    cells = pushforward_density(y, D).reshape(8, 50, 16, 50).mean(axis=(1, 3))
    assert np.all(np.abs(sampled - cells) < 5 * np.sqrt(128 * cells / m))
    assert np.isclose(sampled.mean(), 1.0)


def test_singular_matrix_is_refused():
    with pytest.raises(ValueError, match="singular"):
        pushforward_density(np.eye(3)[:1], np.diag([1.0, 0.0, 1.0]))
