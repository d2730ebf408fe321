"""Interaction energies of point sets and weighted measures on the sphere, and their gradients.

For an interaction matrix ``D ∈ R^{d×d}`` and inverse temperature ``β`` the kernel is
``k(x, y) = exp(β <x, D y>)`` and the energy of a probability measure ``μ`` on S^{d-1} is

    E(μ) = ∫∫ exp(β <x, D y>) dμ(x) dμ(y).

For ``n`` equally weighted particles (the empirical measure ``(1/n) Σ_i δ_{x_i}``)

    E(x) = (1/n²) Σ_{i,j} exp(β <x_i, D x_j>),

and for weights ``w`` on the simplex (the measure ``Σ_i w_i δ_{x_i}``)

    E(w, x) = Σ_{i,j} w_i w_j exp(β <x_i, D x_j>).

Analytic gradients (``K_ij = exp(β <x_i, D x_j>)``):

    ∂E/∂x_i = β Σ_j w_i w_j (K_ij D x_j + K_ji Dᵀ x_j)      (= (2β/n²) Σ_j K_ij D x_j
                                                             for symmetric D, w_i = 1/n)
    ∂E/∂w_i = Σ_j (K_ij + K_ji) w_j.

All functions accept leading batch axes: ``x`` of shape ``(..., n, d)`` and ``D`` of shape
``(..., d, d)`` broadcast against each other.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "energy",
    "energy_gradient",
    "interaction_kernel",
    "riemannian_gradient",
    "weighted_energy",
    "weighted_energy_weight_gradient",
]


def _swap(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def interaction_kernel(
    x: np.ndarray, D: np.ndarray, beta: float = 1.0, y: np.ndarray | None = None
) -> np.ndarray:
    """The matrix ``K_ij = exp(β <x_i, D y_j>)`` (``y = x`` by default), shape ``(..., n, m)``."""
    y = x if y is None else y
    return np.exp(beta * (x @ D @ _swap(y)))


def _uniform_weights(x: np.ndarray) -> np.ndarray:
    n = x.shape[-2]
    return np.full(x.shape[:-1], 1.0 / n, dtype=x.dtype)


def energy(x: np.ndarray, D: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``E(x) = (1/n²) Σ_ij exp(β <x_i, D x_j>)`` for equally weighted particles ``x``."""
    return interaction_kernel(x, D, beta).mean(axis=(-1, -2))


def weighted_energy(w: np.ndarray, x: np.ndarray, D: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``E(w, x) = Σ_ij w_i w_j exp(β <x_i, D x_j>)`` for the measure ``Σ_i w_i δ_{x_i}``."""
    K = interaction_kernel(x, D, beta)
    return np.einsum("...i,...ij,...j->...", w, K, w)


def weighted_energy_weight_gradient(w: np.ndarray, K: np.ndarray) -> np.ndarray:
    """``∂E/∂w = (K + Kᵀ) w`` for a precomputed kernel matrix ``K``."""
    return (K + _swap(K)) @ w[..., None][..., 0]


def energy_gradient(
    x: np.ndarray, D: np.ndarray, beta: float = 1.0, w: np.ndarray | None = None
) -> np.ndarray:
    """Euclidean gradient ``∂E/∂x_i`` (shape of ``x``), for uniform or given weights ``w``.

    ``∂E/∂x_i = β w_i Σ_j w_j (K_ij D x_j + K_ji Dᵀ x_j)``.
    """
    w = _uniform_weights(x) if w is None else w
    K = interaction_kernel(x, D, beta)
    wK = K * w[..., None, :]  # K_ij w_j
    forward = wK @ (x @ _swap(D))  # Σ_j K_ij w_j D x_j
    backward = (_swap(K) * w[..., None, :]) @ (x @ D)  # Σ_j K_ji w_j Dᵀ x_j
    return beta * w[..., None] * (forward + backward)


def riemannian_gradient(
    x: np.ndarray, D: np.ndarray, beta: float = 1.0, w: np.ndarray | None = None
) -> np.ndarray:
    """Gradient on the product of spheres: ``P_{x_i} ∂E/∂x_i`` with ``P_x v = v - <x, v> x``."""
    g = energy_gradient(x, D, beta, w)
    return g - np.sum(g * x, axis=-1, keepdims=True) * x
