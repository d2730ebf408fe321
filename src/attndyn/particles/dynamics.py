"""Particle flows on the sphere: unnormalised (USA) and softmax (SA) self-attention dynamics.

One sign convention, the one of ``attndyn flow --direction``: a flow goes in a *direction*,
``"ascent"`` (up the energy ``E``, gradient sign ``g = +1``) or ``"descent"`` (down it,
``g = −1``); :func:`gradient_sign` maps the word to ``g``, and no function takes a bare sign.

USA flow (the dynamics of the paper).  With interaction matrix ``D`` and inverse temperature
``β`` the explicit step of the source package is

    x_i ← Π( x_i + g (τ/n) Σ_j exp(β <x_i, D x_j>) D x_j  +  σ_k ξ_i ),     Π(y) = y / |y|,

with Gaussian noise ``ξ_i`` whose level decays geometrically, ``σ_{k+1} = γ σ_k``.  Since
``∂E/∂x_i = (2β/n²) Σ_j exp(β <x_i, D x_j>) D x_j`` for symmetric ``D``, the increment is a
multiple of the energy gradient: ``g = +1`` ascends the energy ``E`` and ``g = −1`` descends
it (the source package's ``s`` is ``−g``).  Its continuous-time limit is the projected ODE

    dx_i/dt = g P_{x_i} (1/n) Σ_j exp(β <x_i, D x_j>) V x_j,      P_x v = v − <x, v> x,

with the value matrix ``V = D`` (the paper's flow, a gradient flow of ``E``).  A value matrix
``V ≠ D`` (optional everywhere below, as the SA flow's ``V``) gives the unnormalised
self-attention flow of Geshkovski et al. with ``QᵀK = D``; it is a gradient flow of ``E`` no
longer, so the energy need not be monotone along it.

SA flow (Geshkovski, Letrouit, Polyanskiy, Rigollet).  For query, key and value matrices
``Q, K, V``

    dx_i/dt = P_{x_i} ( Σ_j exp(β <Q x_i, K x_j>) V x_j  /  Σ_j exp(β <Q x_i, K x_j>) ).

Continuous-time flows are integrated by the classical fourth-order Runge–Kutta method followed
by a projection back to the sphere after every step.  Point sets have shape ``(..., n, d)``;
leading batch axes (for example independent repetitions) are carried through every operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from attndyn.particles.energy import energy as particle_energy
from attndyn.particles.sphere import project, tangent_project

__all__ = [
    "Flow",
    "integrate",
    "rk4_step",
    "sa_velocity",
    "usa_flow",
    "usa_increment",
    "usa_step",
    "usa_velocity",
]

Velocity = Callable[[np.ndarray], np.ndarray]


@dataclass
class Flow:
    """The result of a flow: final points and the recorded history.

    ``energy_steps[k]`` is the step (or time index) at which ``energies[k]`` was recorded;
    ``snapshots[k]`` holds the points at step ``snapshot_steps[k]``.  ``times`` is filled by the
    continuous-time integrator (``times = dt * energy_steps``).
    """

    x: np.ndarray
    energy_steps: np.ndarray
    energies: np.ndarray
    snapshot_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    snapshots: np.ndarray | None = None
    times: np.ndarray | None = None


def _swap(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


DIRECTIONS = ("ascent", "descent")


def gradient_sign(direction: str) -> float:
    """``g = +1`` for ``"ascent"`` (up the energy), ``−1`` for ``"descent"``; ValueError naming
    ``direction`` otherwise."""
    if direction == "ascent":
        return 1.0
    if direction == "descent":
        return -1.0
    raise ValueError(f"direction {direction!r} is not allowed; give 'ascent' or 'descent'")


def usa_increment(
    x: np.ndarray, D: np.ndarray, beta: float = 1.0, V: np.ndarray | None = None
) -> np.ndarray:
    """``(1/n) Σ_j exp(β <x_i, D x_j>) V x_j`` for every particle ``i`` (shape of ``x``).

    ``V`` defaults to ``D`` (the paper's USA flow).
    """
    Dx = x @ _swap(D).astype(x.dtype, copy=False)  # rows (D x_j)ᵀ
    kernel = x @ _swap(Dx)  # <x_i, D x_j>
    if beta != 1.0:
        kernel *= x.dtype.type(beta)
    np.exp(kernel, out=kernel)
    Vx = Dx if V is None else x @ _swap(V).astype(x.dtype, copy=False)  # rows (V x_j)ᵀ
    return (kernel @ Vx) / x.shape[-2]


def usa_step(
    x: np.ndarray,
    D: np.ndarray,
    *,
    beta: float = 1.0,
    tau: float | np.ndarray = 0.1,
    direction: str,
    sigma: float = 0.0,
    rng: np.random.Generator | None = None,
    V: np.ndarray | None = None,
) -> np.ndarray:
    """One explicit USA step in ``direction`` (``"ascent"`` or ``"descent"``, no default),
    followed by the projection (see the module docstring).

    ``tau`` may be an array broadcasting against ``x`` (one step size per batch member);
    ``V`` is the value matrix (default ``D``).
    """
    g = gradient_sign(direction)
    y = x + (g * np.asarray(tau, dtype=x.dtype)) * usa_increment(x, D, beta, V)
    if sigma > 0.0:
        if rng is None:
            raise ValueError("a random generator is needed when sigma > 0")
        y = y + (sigma * rng.standard_normal(x.shape)).astype(x.dtype, copy=False)
    return project(y)


def usa_flow(
    x0: np.ndarray,
    D: np.ndarray,
    *,
    beta: float = 1.0,
    tau: float | np.ndarray = 0.1,
    steps: int = 1000,
    direction: str,
    sigma: float = 0.0,
    sigma_decay: float = 0.9,
    rng: np.random.Generator | None = None,
    record_every: int = 50,
    snapshot_steps: Iterable[int] = (),
    progress: bool = False,
    desc: str | None = None,
    V: np.ndarray | None = None,
) -> Flow:
    """Run ``steps`` explicit USA steps in ``direction`` (``"ascent"`` or ``"descent"``, no
    default) from ``x0`` (which is projected first).

    The energy ``E(x)`` is recorded at steps ``0, record_every, 2 record_every, ...`` and the
    final step; points are stored at every step listed in ``snapshot_steps`` (0 = initial).
    The noise level starts at ``sigma`` and is multiplied by ``sigma_decay`` after each step.
    The dtype of ``x0`` is kept (float32 halves the cost of the batched experiments).
    ``V`` is the value matrix (default ``D``); the recorded energy is ``E`` of ``D`` either way.
    """
    gradient_sign(direction)  # checked before the first step
    x = project(np.asarray(x0))
    D = np.asarray(D, dtype=x.dtype)
    V = None if V is None else np.asarray(V, dtype=x.dtype)
    wanted = sorted(set(int(s) for s in snapshot_steps))
    snaps: list[np.ndarray] = []
    energy_steps: list[int] = []
    energies: list[np.ndarray] = []

    def record(k: int) -> None:
        if record_every > 0 and (k % record_every == 0 or k == steps):
            energy_steps.append(k)
            energies.append(np.asarray(particle_energy(x.astype(np.float64), D, beta)))
        if len(snaps) < len(wanted) and k == wanted[len(snaps)]:
            snaps.append(x.copy())

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc=desc, leave=False, mininterval=0.5)
    record(0)
    level = float(sigma)
    for k in range(1, steps + 1):
        x = usa_step(x, D, beta=beta, tau=tau, direction=direction, sigma=level, rng=rng, V=V)
        level *= sigma_decay
        record(k)
        if bar is not None and k % 100 == 0:
            bar.update(100)
    if bar is not None:
        bar.close()
    return Flow(
        x=x,
        energy_steps=np.asarray(energy_steps, dtype=int),
        energies=np.asarray(energies),
        snapshot_steps=np.asarray(wanted[: len(snaps)], dtype=int),
        snapshots=np.stack(snaps) if snaps else None,
    )


def usa_velocity(
    x: np.ndarray,
    D: np.ndarray,
    beta: float = 1.0,
    *,
    direction: str,
    V: np.ndarray | None = None,
) -> np.ndarray:
    """Continuous USA vector field ``g P_{x_i} (1/n) Σ_j exp(β <x_i, D x_j>) V x_j`` in
    ``direction`` (``g = +1`` ascent, ``−1`` descent; :func:`gradient_sign`), ``V = D`` by
    default."""
    return gradient_sign(direction) * tangent_project(x, usa_increment(x, D, beta, V))


def sa_velocity(
    x: np.ndarray,
    Q: np.ndarray,
    K: np.ndarray,
    V: np.ndarray,
    beta: float = 1.0,
) -> np.ndarray:
    """Softmax self-attention field ``P_{x_i} Σ_j softmax_j(β <Q x_i, K x_j>) V x_j``."""
    logits = beta * ((x @ _swap(Q)) @ _swap(x @ _swap(K)))
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    weights /= weights.sum(axis=-1, keepdims=True)
    return tangent_project(x, weights @ (x @ _swap(V)))


def rk4_step(velocity: Velocity, x: np.ndarray, dt: float) -> np.ndarray:
    """One classical Runge–Kutta step of ``dx/dt = velocity(x)``, then the projection ``Π``."""
    k1 = velocity(x)
    k2 = velocity(x + 0.5 * dt * k1)
    k3 = velocity(x + 0.5 * dt * k2)
    k4 = velocity(x + dt * k3)
    return project(x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4))


def integrate(
    velocity: Velocity,
    x0: np.ndarray,
    *,
    dt: float,
    steps: int,
    energy_fn: Callable[[np.ndarray], np.ndarray] | None = None,
    record_every: int = 10,
    snapshot_steps: Iterable[int] = (),
) -> Flow:
    """Integrate ``dx/dt = velocity(x)`` on the sphere with projected RK4 steps of size ``dt``.

    ``energy_fn`` (optional) is recorded every ``record_every`` steps together with the times.
    """
    x = project(np.asarray(x0, dtype=float))
    wanted = sorted(set(int(s) for s in snapshot_steps))
    snaps: list[np.ndarray] = []
    energy_steps: list[int] = []
    energies: list[np.ndarray] = []
    for k in range(steps + 1):
        if k > 0:
            x = rk4_step(velocity, x, dt)
        if energy_fn is not None and (k % record_every == 0 or k == steps):
            energy_steps.append(k)
            energies.append(np.asarray(energy_fn(x)))
        if len(snaps) < len(wanted) and k == wanted[len(snaps)]:
            snaps.append(x.copy())
    steps_arr = np.asarray(energy_steps, dtype=int)
    return Flow(
        x=x,
        energy_steps=steps_arr,
        energies=np.asarray(energies),
        snapshot_steps=np.asarray(wanted[: len(snaps)], dtype=int),
        snapshots=np.stack(snaps) if snaps else None,
        times=dt * steps_arr,
    )
