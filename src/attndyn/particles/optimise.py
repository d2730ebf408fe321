"""Direct optimisation of the interaction energy, over Dirac positions or over density weights.

Dirac configurations.  ``n`` equally weighted Diracs at ``x_i = S(φ_i)`` (hyperspherical angles,
see :mod:`attndyn.particles.sphere`) are optimised by gradient steps on the angles,

    φ ← φ ∓ η ∇_φ E(S(φ)) + ξ_k,       ∇_φ E = J_S(φ)ᵀ ∇_x E,

(``−`` descends, ``+`` ascends) with uniform noise ``ξ_k ∈ [−σ_k, σ_k]`` whose level decays
geometrically, ``σ_{k+1} = γ σ_k``.  The best configuration met along the way is returned.

Density weights.  On a fixed grid ``x_1, ..., x_N`` the measure ``Σ_i w_i δ_{x_i}`` with
``w`` in the simplex is optimised by exponentiated gradient (mirror descent with the entropy),

    w_i ← w_i exp(∓ η ∂E/∂w_i) / Σ_j w_j exp(∓ η ∂E/∂w_j),     ∂E/∂w = (K + Kᵀ) w,

which keeps ``w`` positive and summing to one by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attndyn.particles.energy import energy, energy_gradient, interaction_kernel
from attndyn.particles.sphere import (
    cart_to_sph,
    circle_points,
    random_points,
    sph_to_cart,
    sph_to_cart_jacobian,
)

__all__ = [
    "DensityResult",
    "DiracResult",
    "angle_gradient",
    "exponentiated_gradient",
    "optimise_circle_density",
    "optimise_diracs",
]


@dataclass(frozen=True)
class DiracResult:
    """Best angles ``phi`` (..., n, d−1), points ``x`` (..., n, d), ``energy`` (...), history."""

    phi: np.ndarray
    x: np.ndarray
    energy: np.ndarray
    history: np.ndarray


@dataclass(frozen=True)
class DensityResult:
    """Grid ``theta``/``x``, optimised ``weights`` (simplex), final ``energy`` and history."""

    theta: np.ndarray
    x: np.ndarray
    weights: np.ndarray
    energy: float
    history: np.ndarray
    steps: int


def angle_gradient(phi: np.ndarray, D: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``∇_φ E(S(φ)) = J_S(φ)ᵀ ∇_x E`` for equally weighted Diracs, shape of ``phi``."""
    x = sph_to_cart(phi)
    grad_x = energy_gradient(x, D, beta)
    return np.einsum("...k,...km->...m", grad_x, sph_to_cart_jacobian(phi))


def optimise_diracs(
    D: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    beta: float = 1.0,
    maximise: bool = False,
    steps: int = 500,
    lr: float = 0.1,
    sigma: float = 0.0,
    sigma_decay: float = 0.9,
    batch: tuple[int, ...] = (),
    phi0: np.ndarray | None = None,
) -> DiracResult:
    """Gradient descent (or ascent) with decaying noise on the angles of ``n`` Diracs.

    ``D`` may carry batch axes matching ``batch``; every batch member is an independent problem.
    Starting angles are those of uniform random points unless ``phi0`` is given.  Returns the
    best configuration seen (lowest energy, or highest when ``maximise``).
    """
    D = np.asarray(D, dtype=float)
    d = D.shape[-1]
    phi = cart_to_sph(random_points(n, d, rng, batch=batch)) if phi0 is None else np.array(phi0)
    sign = 1.0 if maximise else -1.0
    best_phi = phi.copy()
    best = sign * energy(sph_to_cart(phi), D, beta)
    history = [best * sign]
    level = float(sigma)
    for _ in range(steps):
        if level > 0.0:
            phi = phi + rng.uniform(-level, level, size=phi.shape)
        level *= sigma_decay
        phi = phi + sign * lr * angle_gradient(phi, D, beta)
        value = sign * energy(sph_to_cart(phi), D, beta)
        history.append(sign * value)
        better = value > best
        if np.ndim(better) == 0:
            if better:
                best, best_phi = value, phi.copy()
        else:
            best = np.where(better, value, best)
            best_phi = np.where(better[..., None, None], phi, best_phi)
    return DiracResult(
        phi=best_phi, x=sph_to_cart(best_phi), energy=sign * best, history=np.asarray(history)
    )


def _matvec(A: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``A v`` without BLAS threading (multithreaded gemv degrades badly on a busy machine)."""
    return np.einsum("ij,j->i", A, v)


def exponentiated_gradient(
    K: np.ndarray,
    *,
    w0: np.ndarray | None = None,
    lr: float = 1.0,
    steps: int = 2000,
    maximise: bool = False,
    tol: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Mirror descent on the simplex for the quadratic ``E(w) = wᵀ K w``.

    Returns ``(weights, energy history, steps taken)``; stops early when the largest change
    of ``log w`` in a step falls below ``tol``.
    """
    N = K.shape[-1]
    w = np.full(N, 1.0 / N) if w0 is None else np.asarray(w0, dtype=float) / np.sum(w0)
    sym = K + K.T
    sign = 1.0 if maximise else -1.0
    gradient = _matvec(sym, w)
    history = [0.5 * float(w @ gradient)]
    taken = 0
    while taken < steps:
        taken += 1
        step = sign * lr * gradient
        step -= step.max()  # the normalisation absorbs any constant shift
        factor = np.exp(step)
        normaliser = float(w @ factor)
        change = float(np.max(np.abs(step - np.log(normaliser))))  # max |log(w_new / w)|
        w = w * factor / normaliser
        gradient = _matvec(sym, w)
        history.append(0.5 * float(w @ gradient))  # wᵀ K w = ½ wᵀ (K + Kᵀ) w
        if change <= tol:
            break
    return w, np.asarray(history), taken


def optimise_circle_density(
    D: np.ndarray,
    N: int = 1000,
    *,
    beta: float = 1.0,
    lr: float = 1.0,
    steps: int = 2000,
    maximise: bool = False,
) -> DensityResult:
    """Optimal weights for ``E`` on the equispaced grid ``θ_k = 2πk/N`` of the circle."""
    x = circle_points(N)
    theta = 2.0 * np.pi * np.arange(N) / N
    K = interaction_kernel(x, np.asarray(D, dtype=float), beta)
    w, history, taken = exponentiated_gradient(K, lr=lr, steps=steps, maximise=maximise)
    return DensityResult(
        theta=theta, x=x, weights=w, energy=float(history[-1]), history=history, steps=taken
    )
