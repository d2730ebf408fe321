"""Points, coordinates and initialisations on the sphere, against geometric facts."""

import numpy as np
import pytest

from attndyn.particles.sphere import (
    cart_to_sph,
    circle_points,
    fibonacci_sphere,
    project,
    random_points,
    sph_to_cart,
    sph_to_cart_jacobian,
    tangent_project,
)


def test_projection_gives_unit_vectors_and_keeps_directions():
    y = np.random.default_rng(0).standard_normal((5, 7, 4)) * 3.0
    x = project(y)
    assert np.allclose(np.linalg.norm(x, axis=-1), 1.0)
    # same direction: x is a positive multiple of y
    assert np.all(np.sum(x * y, axis=-1) > 0)


def test_tangent_projection_is_orthogonal_to_the_point():
    rng = np.random.default_rng(1)
    x = random_points(9, 3, rng)
    v = tangent_project(x, rng.standard_normal((9, 3)))
    assert np.allclose(np.sum(x * v, axis=-1), 0.0, atol=1e-14)


@pytest.mark.parametrize("d", [2, 3, 6])
def test_random_points_are_unit_and_centred(d):
    x = random_points(20000, d, np.random.default_rng(2))
    assert x.shape == (20000, d)
    assert np.allclose(np.linalg.norm(x, axis=-1), 1.0)
    # uniform on the sphere: mean 0 and second moment I/d (statistical tolerance)
    assert np.abs(x.mean(axis=0)).max() < 0.03
    assert np.abs(x.T @ x / len(x) - np.eye(d) / d).max() < 0.02


def test_random_points_batch_shape():
    assert random_points(5, 3, np.random.default_rng(0), batch=(2, 4)).shape == (2, 4, 5, 3)
    with pytest.raises(ValueError):
        random_points(5, 1, np.random.default_rng(0))


def test_circle_points_are_evenly_spaced():
    x = circle_points(7, offset=0.3)
    angles = np.unwrap(np.arctan2(x[:, 1], x[:, 0]))
    assert np.allclose(np.diff(angles), 2 * np.pi / 7)
    assert np.isclose(angles[0], 0.3)
    assert np.allclose(x.sum(axis=0), 0.0, atol=1e-12)


def test_fibonacci_lattice_is_nearly_uniform():
    x = fibonacci_sphere(1000)
    assert np.allclose(np.linalg.norm(x, axis=-1), 1.0)
    assert np.abs(x.mean(axis=0)).max() < 5e-3
    assert np.abs(x.T @ x / len(x) - np.eye(3) / 3).max() < 5e-3
    # nearly even spread: every point's nearest neighbour is at a comparable distance
    gaps = np.linalg.norm(x[:, None] - x[None], axis=-1) + 10 * np.eye(1000)
    nearest = gaps.min(axis=1)
    assert nearest.min() > 0.5 * np.sqrt(4 * np.pi / 1000)


def test_spherical_coordinates_convention_in_two_and_three_dimensions():
    assert np.allclose(sph_to_cart(np.array([0.7])), [np.cos(0.7), np.sin(0.7)])
    a, b = 0.4, 1.9
    assert np.allclose(
        sph_to_cart(np.array([a, b])), [np.cos(a), np.sin(a) * np.cos(b), np.sin(a) * np.sin(b)]
    )


@pytest.mark.parametrize("d", [2, 3, 5])
def test_spherical_round_trip(d):
    x = random_points(50, d, np.random.default_rng(d))
    assert np.allclose(sph_to_cart(cart_to_sph(x)), x, atol=1e-12)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_jacobian_matches_finite_differences(d):
    phi = cart_to_sph(random_points(6, d, np.random.default_rng(10 + d)))
    h = 1e-6
    numeric = np.stack(
        [
            (sph_to_cart(phi + h * np.eye(d - 1)[j]) - sph_to_cart(phi - h * np.eye(d - 1)[j]))
            / (2 * h)
            for j in range(d - 1)
        ],
        axis=-1,
    )
    assert np.allclose(sph_to_cart_jacobian(phi), numeric, atol=1e-8)
