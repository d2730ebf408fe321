"""Simulated flows (attndyn flow): setups, steps against closed forms and the source's step."""

import dataclasses

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
    for direction in ("ascent", "descent"):
        setup = FlowSetup(points=12, D=D, direction=direction, dt=0.05, steps=40, seed=2)
        trajectory = simulate(setup)
        # usa_flow's step: x <- Π(x + g τ/n Σ_j exp(β<x_i, D x_j>) D x_j), g = +1 ascends
        reference = usa_flow(trajectory.points[0], D, tau=0.05, steps=40, direction=direction).x
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


# --- any dimension, bounded by memory -------------------------------------------------------


def test_a_dimension_above_the_old_cap_of_64_runs_and_keeps_the_two_particle_energy():
    # Two particles at angle θ in R^80 with D = I: the flow stays in their plane, and at the
    # start E = (2 e^β + 2 e^{β cos θ}) / 4 (closed form); the ascent merges them: E -> e^β.
    d, theta, beta = 80, 2.0, 1.5
    x0 = np.zeros((2, d))
    x0[0, 0] = 1.0
    x0[1, :2] = np.cos(theta), np.sin(theta)
    trajectory = simulate(FlowSetup(dimension=d, points=2, beta=beta, steps=300), x0)
    assert np.isclose(trajectory.step_energy[0], (np.exp(beta) + np.exp(beta * np.cos(theta))) / 2)
    assert np.allclose(trajectory.points[..., 2:], 0.0)
    assert np.isclose(trajectory.step_energy[-1], np.exp(beta), rtol=1e-6)


def test_the_memory_estimate_bounds_the_measured_peak():
    # tracemalloc sees numpy's allocations: the run and its description stay within the
    # estimate, which is not wildly above them either
    import tracemalloc

    setup = FlowSetup(dimension=300, points=40, steps=12, record_every=3)
    tracemalloc.start()
    try:
        simulate(setup).points.sum()
        setup.describe()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= setup.memory_bytes() <= 4 * peak


def test_a_setup_beyond_the_memory_limit_is_refused_naming_the_values(monkeypatch):
    import sys

    simulate_module = sys.modules[FlowSetup.__module__]  # the package re-exports simulate()
    monkeypatch.setattr(simulate_module, "memory_limit", lambda: 50 * 2**20)  # 50 MiB
    with pytest.raises(FieldError) as info:
        FlowSetup(dimension=2000, points=10, steps=0)
    message = str(info.value)
    assert "dimension 2000 with points 10 and 1 records needs about" in message
    assert "the limit is 0.0488 GiB" in message
    # the largest d named fits, and one more does not
    largest = int(message.split("dimension <= ")[1].split(",")[0])
    FlowSetup(dimension=largest, points=10, steps=0)
    with pytest.raises(FieldError):
        FlowSetup(dimension=largest + 1, points=10, steps=0)


# --- the energy at every step -----------------------------------------------------------------


def test_the_energy_of_three_particles_by_hand():
    # x = e1, e2, u = (e1 + e2)/√2, D = diag(1, 3), β = 0.5: <e1,De1> = 1, <e2,De2> = 3,
    # <u,Du> = 2, <e1,De2> = 0, <e1,Du> = 1/√2, <e2,Du> = 3/√2, so
    # 9 E = e^.5 + e^1.5 + e^1 + 2 e^0 + 2 e^(.5/√2) + 2 e^(1.5/√2)
    r = np.sqrt(0.5)
    x0 = np.array([[1.0, 0.0], [0.0, 1.0], [r, r]])
    setup = FlowSetup(dimension=2, points=3, beta=0.5, D=np.diag([1.0, 3.0]), steps=1)
    hand = (
        np.exp(0.5) + np.exp(1.5) + np.exp(1.0) + 2 + 2 * np.exp(0.5 * r) + 2 * np.exp(1.5 * r)
    ) / 9
    trajectory = simulate(setup, x0)
    assert np.isclose(trajectory.step_energy[0], hand, rtol=1e-14)
    assert np.isclose(trajectory.energy[0], hand, rtol=1e-14)


def _energy_by_loops(x, A, beta):
    n = len(x)
    return sum(np.exp(beta * x[i] @ A @ x[j]) for i in range(n) for j in range(n)) / n**2


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_the_energy_per_step_is_the_formula_at_each_steps_points(method):
    # every step recorded (record_every 1): step_energy[k] = E(points[k]), E by plain loops
    setup = FlowSetup(points=4, D=np.diag([1.0, -2.0, 0.5]), beta=0.7, steps=5, method=method)
    trajectory = simulate(setup)
    assert trajectory.step_energy.shape == (6,)
    for k in range(6):
        expected = _energy_by_loops(trajectory.points[k], setup.D, 0.7)
        assert np.isclose(trajectory.step_energy[k], expected, rtol=1e-13)
    assert np.allclose(trajectory.step_times, 0.1 * np.arange(6))


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_the_energy_is_monotone_along_the_gradient_flows_with_a_small_step(method):
    # USA with V = D: dE/dt = ±(2β/n²) Σ_i |P_{x_i} Σ_j K_ij D x_j|² (ascent +, descent -);
    # SA with V = QᵀK symmetric: dE/dt = (2β/n²) Σ_i |P_{x_i} Σ_j K_ij V x_j|² / Z_i >= 0
    D = np.diag([1.0, 3.0, -2.0])
    common = {"points": 12, "dt": 0.002, "steps": 150, "method": method, "seed": 4}
    up = simulate(FlowSetup(D=D, **common)).step_energy
    down = simulate(FlowSetup(D=D, direction="descent", **common)).step_energy
    assert (np.diff(up) > 0).all() and (np.diff(down) < 0).all()
    Q = np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.2, 0.0, 2.0]])
    sa = simulate(FlowSetup(flow="sa", Q=Q, K=Q, V=Q.T @ Q, **common)).step_energy
    assert (np.diff(sa) > 0).all()


# --- the USA flow's value matrix --------------------------------------------------------------


def _usa_velocity_by_loops(x, D, V, beta, sign):
    n = len(x)
    out = np.zeros_like(x)
    for i in range(n):
        f = sum(np.exp(beta * x[i] @ D @ x[j]) * (V @ x[j]) for j in range(n)) * sign / n
        out[i] = f - (x[i] @ f) * x[i]
    return out


@pytest.mark.parametrize("method", ["euler", "rk4"])
@pytest.mark.parametrize("direction", ["ascent", "descent"])
def test_usa_with_a_value_matrix_is_the_formula_transcribed(method, direction):
    # x_i' = s P_{x_i} (1/n) Σ_j exp(β <x_i, D x_j>) V x_j; euler: x <- Π(x + dt F(x)) (the
    # normal part of F drops out in Π only to first order, so F is used whole, as the step is
    # defined); rk4: the classical stages of the tangent field, then Π
    rng = np.random.default_rng(11)
    D = np.diag([1.0, 2.0, -1.0])
    V = rng.standard_normal((3, 3))
    sign = 1.0 if direction == "ascent" else -1.0
    beta, dt = 0.8, 0.05
    setup = FlowSetup(
        points=5, D=D, V=V, beta=beta, dt=dt, steps=4, method=method, direction=direction
    )
    trajectory = simulate(setup)
    x = trajectory.points[0]
    for _ in range(4):
        if method == "euler":
            F = [sum(np.exp(beta * xi @ D @ xj) * (V @ xj) for xj in x) for xi in x]
            y = x + dt * sign * np.array(F) / len(x)
        else:
            k1 = _usa_velocity_by_loops(x, D, V, beta, sign)
            k2 = _usa_velocity_by_loops(x + dt / 2 * k1, D, V, beta, sign)
            k3 = _usa_velocity_by_loops(x + dt / 2 * k2, D, V, beta, sign)
            k4 = _usa_velocity_by_loops(x + dt * k3, D, V, beta, sign)
            y = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        x = y / np.linalg.norm(y, axis=1, keepdims=True)
    assert np.allclose(trajectory.final, x, atol=1e-13)
    assert not np.allclose(simulate(dataclasses.replace(setup, V=None)).final, x)
    # the energy stays E of D (V is not part of it)
    assert np.isclose(trajectory.step_energy[-1], _energy_by_loops(x, D, beta), rtol=1e-13)


def test_usa_value_matrix_defaults_to_d_and_is_described():
    D = np.diag([1.0, 3.0, 4.0])
    plain, with_v = FlowSetup(D=D, steps=3), FlowSetup(D=D, V=D, steps=3)
    assert np.array_equal(simulate(plain).final, simulate(with_v).final)
    assert plain.describe()["V"] == D.tolist()
    with pytest.raises(FieldError, match=r"V has shape \(2, 2\); the dimension is 3"):
        FlowSetup(D=D, V=np.eye(2))
