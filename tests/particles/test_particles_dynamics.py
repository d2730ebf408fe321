"""USA and SA flows: projection, monotone energy, convergence order, known limits."""

import numpy as np
import pytest

from attndyn.particles.analysis import min_abs_inner_product, pairwise_inner_products
from attndyn.particles.dynamics import (
    integrate,
    rk4_step,
    sa_velocity,
    usa_flow,
    usa_step,
    usa_velocity,
)
from attndyn.particles.energy import energy
from attndyn.particles.sphere import random_points

MATRICES = [np.eye(3), np.diag([1.0, 3.0, 4.0]), np.diag([-1.0, 0.5, 2.0]), -np.eye(3)]


def test_step_keeps_unit_norm_with_and_without_noise():
    rng = np.random.default_rng(0)
    x = random_points(30, 3, rng, batch=(2,))
    for sigma in (0.0, 0.3):
        y = usa_step(
            x, np.diag([1.0, 3.0, 4.0]), tau=0.7, direction="descent", sigma=sigma, rng=rng
        )
        assert np.allclose(np.linalg.norm(y, axis=-1), 1.0)


def test_flow_keeps_unit_norm_in_float32():
    x0 = random_points(20, 2, np.random.default_rng(1), batch=(3,), dtype=np.float32)
    flow = usa_flow(x0, np.diag([0.5, 1.0]), tau=0.1, steps=200, direction="ascent", record_every=0)
    assert flow.x.dtype == np.float32
    assert np.allclose(np.linalg.norm(flow.x, axis=-1), 1.0, atol=1e-6)


@pytest.mark.parametrize("k", range(len(MATRICES)))
def test_small_step_descends_for_plus_and_ascends_for_minus(k):
    D = MATRICES[k]
    x = random_points(12, 3, np.random.default_rng(10 + k), batch=(5,))
    before = energy(x, D)
    for tau in (1e-3, 1e-2):
        down = energy(usa_step(x, D, tau=tau, direction="descent"), D)
        up = energy(usa_step(x, D, tau=tau, direction="ascent"), D)
        assert np.all(down < before)
        assert np.all(up > before)


def test_energy_history_is_monotone_for_small_steps():
    x0 = random_points(25, 3, np.random.default_rng(2))
    D = np.diag([1.0, 0.25, 1.0])
    down = usa_flow(x0, D, tau=0.05, steps=300, direction="descent", record_every=10)
    up = usa_flow(x0, D, tau=0.05, steps=300, direction="ascent", record_every=10)
    assert np.all(np.diff(down.energies) <= 1e-12)
    assert np.all(np.diff(up.energies) >= -1e-12)
    assert down.energy_steps[0] == 0 and down.energy_steps[-1] == 300


def test_snapshots_are_taken_at_the_requested_steps():
    x0 = random_points(5, 2, np.random.default_rng(3))
    flow = usa_flow(
        x0,
        np.eye(2),
        tau=0.1,
        steps=10,
        direction="descent",
        snapshot_steps=[0, 3, 10],
        record_every=0,
    )
    assert list(flow.snapshot_steps) == [0, 3, 10]
    assert np.allclose(flow.snapshots[0], x0)
    assert np.allclose(flow.snapshots[-1], flow.x)


def test_noise_needs_a_generator():
    with pytest.raises(ValueError):
        usa_step(
            random_points(3, 2, np.random.default_rng(0)), np.eye(2), direction="ascent", sigma=0.1
        )


def test_single_particle_at_top_eigenvector_is_fixed():
    D = np.diag([1.0, 3.0, 4.0])
    x = np.array([[[0.0, 0.0, 1.0]]])
    assert np.allclose(usa_step(x, D, tau=0.5, direction="ascent"), x)
    assert np.allclose(usa_step(x, D, tau=1e-3, direction="descent"), x)  # τ e⁴ 4 < 1: no sign flip


def test_single_particle_ascent_converges_to_top_eigenvector():
    D = np.diag([1.0, 3.0, 4.0])
    x0 = random_points(1, 3, np.random.default_rng(4), batch=(10,))
    x = usa_flow(x0, D, tau=0.1, steps=500, direction="ascent", record_every=0).x
    assert np.allclose(np.abs(x[..., 2]), 1.0)


def test_rk4_is_fourth_order():
    x0 = random_points(6, 3, np.random.default_rng(5))
    D = np.diag([1.0, -0.5, 2.0])

    def velocity(x):
        return usa_velocity(x, D, 1.0, direction="descent")

    def solve(dt, t_final=0.8):
        x = x0.copy()
        for _ in range(round(t_final / dt)):
            x = rk4_step(velocity, x, dt)
        return x

    reference = solve(0.8 / 512)
    errors = [np.abs(solve(dt) - reference).max() for dt in (0.8 / 16, 0.8 / 32)]
    assert 11.0 < errors[0] / errors[1] < 22.0  # 2⁴ = 16


def test_continuous_usa_flow_dissipates_energy():
    D = np.diag([1.0, 3.0, 4.0])
    x0 = random_points(15, 3, np.random.default_rng(6))
    flow = integrate(
        lambda x: usa_velocity(x, D, 1.0, direction="descent"),
        x0,
        dt=0.01,
        steps=200,
        energy_fn=lambda x: energy(x, D),
        record_every=5,
    )
    assert np.allclose(np.linalg.norm(flow.x, axis=-1), 1.0)
    assert np.all(np.diff(flow.energies) < 0)
    assert np.isclose(flow.times[-1], 2.0)


def test_sa_flow_with_identity_matrices_forms_one_cluster():
    # Geshkovski et al.: for Q = K = V = I on S^{d-1}, d ≥ 3, almost every start clusters.
    x0 = random_points(10, 3, np.random.default_rng(7))
    eye = np.eye(3)
    flow = integrate(lambda x: sa_velocity(x, eye, eye, eye, 1.0), x0, dt=0.1, steps=400)
    assert pairwise_inner_products(flow.x).min() > 0.999
    assert min_abs_inner_product(flow.x) > 0.999


def test_sa_velocity_is_tangent_and_softmax_weighted():
    rng = np.random.default_rng(8)
    x = random_points(5, 3, rng)
    Q, K, V = (rng.standard_normal((3, 3)) for _ in range(3))
    v = sa_velocity(x, Q, K, V, 2.0)
    assert np.allclose(np.sum(v * x, axis=-1), 0.0, atol=1e-12)
    # direct evaluation for particle 0
    logits = 2.0 * np.array([(Q @ x[0]) @ (K @ xj) for xj in x])
    weights = np.exp(logits) / np.exp(logits).sum()
    target = sum(w * (V @ xj) for w, xj in zip(weights, x, strict=True))
    assert np.allclose(v[0], target - (target @ x[0]) * x[0])


# -- inverse temperature β ≠ 1, against finite differences and a two-particle closed form ---


def _plain_energy(x, D, beta):
    """E(x) = (1/n²) Σ_ij exp(β <x_i, D x_j>), transcribed with plain loops."""
    n = len(x)
    return sum(np.exp(beta * (x[i] @ D @ x[j])) for i in range(n) for j in range(n)) / n**2


def _fd_energy_gradient(x, D, beta, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        forward, backward = _plain_energy(x + step, D, beta), _plain_energy(x - step, D, beta)
        grad[index] = (forward - backward) / (2 * h)
    return grad


@pytest.mark.parametrize("beta", [0.5, 3.0])
def test_usa_field_at_beta_is_the_energy_gradient(beta):
    # For symmetric D, ∂E/∂x_i = (2β/n²) Σ_j exp(β <x_i, D x_j>) D x_j, so the USA increment
    # (1/n) Σ_j exp(β <x_i, D x_j>) D x_j is (n / 2β) ∂E/∂x_i: β sits inside the exponential.
    D = np.array([[1.0, 0.4, -0.3], [0.4, -0.5, 0.2], [-0.3, 0.2, 2.0]])
    x = random_points(6, 3, np.random.default_rng(11))
    increment = (6 / (2 * beta)) * _fd_energy_gradient(x, D, beta)
    tangent = increment - np.sum(increment * x, axis=-1, keepdims=True) * x
    for direction, g in (("ascent", 1.0), ("descent", -1.0)):
        velocity = usa_velocity(x, D, beta, direction=direction)
        np.testing.assert_allclose(velocity, g * tangent, atol=1e-7)
        moved = x + g * 0.05 * increment
        expected = moved / np.linalg.norm(moved, axis=-1, keepdims=True)
        np.testing.assert_allclose(
            usa_step(x, D, beta=beta, tau=0.05, direction=direction), expected, atol=1e-8
        )


def _pair(theta1, theta2):
    return np.array([[np.cos(theta1), np.sin(theta1)], [np.cos(theta2), np.sin(theta2)]])


@pytest.mark.parametrize("beta", [0.5, 3.0])
def test_two_particle_usa_flows_and_energies_at_beta(beta):
    # Two particles on S¹ with D = I, at angle φ apart: E = (e^β + e^{β cos φ}) / 2, and the
    # explicit step moves x_1 to Π(x_1 + (gτ/2)(e^β x_1 + e^{β cos φ} x_2)), g = +1 ascending.
    theta1, theta2 = 0.3, 1.5
    for direction, g in (("ascent", 1.0), ("descent", -1.0)):
        flow = usa_flow(
            _pair(theta1, theta2), np.eye(2), beta=beta, tau=0.1, steps=1, direction=direction,
            record_every=1,
        )  # fmt: skip
        phi = theta2 - theta1
        first = _pair(theta1, theta2)
        expected = first + (g * 0.1 / 2) * (
            np.exp(beta) * first + np.exp(beta * np.cos(phi)) * first[::-1]
        )
        expected /= np.linalg.norm(expected, axis=-1, keepdims=True)
        np.testing.assert_allclose(flow.x, expected, atol=1e-12)
        after = np.arccos(np.clip(expected[0] @ expected[1], -1, 1))
        np.testing.assert_allclose(
            flow.energies,
            [(np.exp(beta) + np.exp(beta * np.cos(phi))) / 2,
             (np.exp(beta) + np.exp(beta * np.cos(after))) / 2],
            rtol=1e-12,
        )  # fmt: skip


@pytest.mark.parametrize("beta", [0.5, 3.0])
def test_continuous_two_particle_flow_at_beta_follows_its_angle_ode(beta):
    # The field on particle 1 is (g/2) e^{β cos φ} sin φ along its tangent, the opposite on
    # particle 2: the mean angle stays, and φ = θ₂ − θ₁ solves dφ/dt = −g e^{β cos φ} sin φ
    # (solved here by scipy; g = +1 ascends, pulling the particles together). The energy is
    # (e^β + e^{β cos φ}) / 2 along the way.
    from scipy.integrate import solve_ivp

    theta1, theta2, dt, steps = 0.3, 1.5, 0.005, 200
    for direction, g in (("ascent", 1.0), ("descent", -1.0)):
        flow = integrate(
            lambda x, d=direction: usa_velocity(x, np.eye(2), beta, direction=d),
            _pair(theta1, theta2),
            dt=dt,
            steps=steps,
            energy_fn=lambda x: energy(x, np.eye(2), beta),
            record_every=40,
        )
        solution = solve_ivp(
            lambda t, p, g=g: -g * np.exp(beta * np.cos(p)) * np.sin(p),
            (0.0, dt * steps),
            [theta2 - theta1],
            t_eval=flow.times,
            rtol=1e-12,
            atol=1e-12,
        )
        phi = solution.y[0]
        mean = (theta1 + theta2) / 2
        np.testing.assert_allclose(flow.x, _pair(mean - phi[-1] / 2, mean + phi[-1] / 2), atol=1e-7)
        np.testing.assert_allclose(
            flow.energies, (np.exp(beta) + np.exp(beta * np.cos(phi))) / 2, rtol=1e-6
        )  # RK4 with dt = 0.005: measured <= 3e-8


def test_one_sign_convention_named_by_words():
    """Ascent raises the energy and descent lowers it, for the step, the flow and the field,
    and a direction that is not one of the two words is refused naming it."""
    D = np.diag([1.0, 2.0, 3.0])
    x = random_points(8, 3, np.random.default_rng(4))
    up = energy(usa_step(x, D, tau=1e-3, direction="ascent"), D)
    down = energy(usa_step(x, D, tau=1e-3, direction="descent"), D)
    assert down < energy(x, D) < up
    with pytest.raises(ValueError, match="direction 'up' is not allowed; give 'ascent' or"):
        usa_flow(x, D, steps=1, direction="up")
    with pytest.raises(TypeError):
        usa_step(x, D, tau=0.1)  # no default direction: a flow says where it goes
