"""Simulated flows (attndyn flow): setups, steps against closed forms and the source's step."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from attndyn.model.errors import FieldError
from attndyn.particles.dynamics import usa_flow
from attndyn.particles.simulate import FlowSetup, parse_matrix, simulate


def test_parse_matrix_forms():
    assert np.array_equal(parse_matrix("D", "diag(1, -3, 4)", None), np.diag([1.0, -3.0, 4.0]))
    assert np.array_equal(parse_matrix("D", "1,2,3,4", None), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert np.array_equal(parse_matrix("D", "-I", 3), -np.eye(3))
    for text, fragment in [
        ("1,2,3", "3 numbers, not d*d"),
        ("diag(1,x)", "is not a matrix"),
        ("I", "needs dimension"),
        ("diag(1,nan)", "non-finite"),
    ]:
        with pytest.raises(FieldError, match=fragment):
            parse_matrix("D", text, None)
    with pytest.raises(FieldError, match="is 2x2, but d = 3"):
        parse_matrix("D", "diag(1,2)", 3)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"flow": "xa"}, "flow 'xa' is unknown"),
        ({"method": "rk5"}, "method 'rk5' is unknown"),
        ({"dimension": 1}, "dimension 1 is too small"),
        ({"points": 0}, "points 0 is too small"),
        ({"dt": 0.0}, "dt 0.0 must be a finite number > 0"),
        ({"noise": -1.0}, "noise -1.0 must be"),
        ({"noise_decay": 1.5}, "noise_decay 1.5 must lie in [0, 1]"),
        ({"D": np.eye(2)}, "D has shape (2, 2); the dimension is 3"),
        ({"flow": "sa", "D": np.eye(3)}, "D is not used by the SA flow"),
        ({"seed": -1}, "seed -1 is negative"),
        ({"cluster_distance": 0.0}, "cluster_distance 0.0 must be a finite number > 0"),
        ({"cluster_distance": -0.5}, "cluster_distance -0.5 must be a finite number > 0"),
        ({"cluster_distance": float("nan")}, "cluster_distance nan must be a finite number > 0"),
        ({"cluster_distance": float("inf")}, "cluster_distance inf must be a finite number > 0"),
    ],
)
def test_bad_setups_name_the_option(values, fragment):
    with pytest.raises(FieldError) as info:
        FlowSetup(**values)
    assert fragment in str(info.value)


def test_euler_usa_is_the_source_packages_step():
    D = np.diag([1.0, 3.0, 4.0])
    for direction, sign in (("ascent", -1.0), ("descent", 1.0)):
        setup = FlowSetup(points=12, D=D, direction=direction, dt=0.05, steps=40, seed=2)
        trajectory = simulate(setup)
        # usa_flow's sign s = +1 descends: x <- Π(x - s τ/n Σ_j exp(β<x_i, D x_j>) D x_j)
        reference = usa_flow(trajectory.points[0], D, tau=0.05, steps=40, sign=sign).x
        assert np.allclose(trajectory.final, reference, atol=1e-13)


@pytest.mark.parametrize("beta", [0.5, 3.0])
def test_rk4_sa_two_particles_follow_their_angle_ode(beta):
    # Q = K = V = I, two particles at angle θ: each moves towards the other with speed
    # w sin θ, w = e^{β cos θ} / (e^β + e^{β cos θ}), so dθ/dt = -2 sin θ / (1 + e^{β(1 - cos θ)})
    theta0 = 2.5
    x0 = np.array([[1.0, 0.0, 0.0], [np.cos(theta0), np.sin(theta0), 0.0]])
    setup = FlowSetup(flow="sa", dimension=3, points=2, beta=beta, method="rk4", dt=0.05, steps=60)
    trajectory = simulate(setup, x0)

    def rate(t, th):
        return -2.0 * np.sin(th) / (1.0 + np.exp(beta * (1.0 - np.cos(th))))

    exact = solve_ivp(rate, (0, 3.0), [theta0], rtol=1e-12, atol=1e-12).y[0, -1]
    x = trajectory.final
    assert np.isclose(np.arccos(np.clip(x[0] @ x[1], -1, 1)), exact, atol=1e-7)
    assert np.isclose(trajectory.times[-1], 3.0)


def test_recorded_energy_clusters_and_times():
    theta = 1.0
    x0 = np.array([[1.0, 0.0], [np.cos(theta), np.sin(theta)]])
    setup = FlowSetup(dimension=2, points=2, beta=2.0, steps=400, dt=0.1, record_every=100)
    trajectory = simulate(setup, x0)
    assert trajectory.steps.tolist() == [0, 100, 200, 300, 400]
    assert np.allclose(trajectory.times, trajectory.steps * 0.1)
    # E = (1/n²) Σ exp(β <x_i, x_j>) = (2 e^β + 2 e^{β cos θ}) / 4 at the start
    assert np.isclose(trajectory.energy[0], (np.exp(2.0) + np.exp(2.0 * np.cos(theta))) / 2)
    assert trajectory.clusters[0] == 2 and trajectory.clusters[-1] == 1  # the ascent merges them
    assert np.isclose(trajectory.energy[-1], np.exp(2.0))


def test_noise_is_seeded_and_decays():
    base = {"points": 8, "steps": 30, "dimension": 3}
    quiet = simulate(FlowSetup(**base)).final
    noisy = simulate(FlowSetup(**base, noise=0.2)).final
    assert not np.allclose(quiet, noisy)
    assert np.array_equal(noisy, simulate(FlowSetup(**base, noise=0.2)).final)
    assert np.allclose(np.linalg.norm(noisy, axis=-1), 1.0)
    # decay 0: noise on the first step only, which still moves the end state
    once = simulate(FlowSetup(**base, noise=0.2, noise_decay=0.0))
    assert not np.allclose(once.final, quiet)


def test_sa_energy_uses_q_transpose_k():
    rng = np.random.default_rng(0)
    Q, K = rng.standard_normal((2, 3, 3))
    setup = FlowSetup(flow="sa", points=5, Q=Q, K=K, steps=1)
    x = simulate(setup).points[0]
    direct = np.mean(np.exp(np.einsum("id,jd->ij", x @ Q.T, x @ K.T)))
    assert np.isclose(simulate(setup).energy[0], direct)
