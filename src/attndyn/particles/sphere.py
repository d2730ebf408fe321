"""Points on the unit sphere S^{d-1} ⊂ R^d, for any d ≥ 2.

Conventions
-----------
A point set is an array of shape ``(..., n, d)``: ``n`` points in ``R^d`` with leading batch
axes allowed everywhere.  Spherical (hyperspherical) coordinates use ``d - 1`` angles
``φ_1, ..., φ_{d-1}`` with

    x_1 = cos φ_1
    x_k = sin φ_1 ⋯ sin φ_{k-1} cos φ_k        (2 ≤ k ≤ d - 1)
    x_d = sin φ_1 ⋯ sin φ_{d-2} sin φ_{d-1},

so for ``d = 2`` the single angle is the polar angle, ``x = (cos φ, sin φ)``, and for ``d = 3``
``φ_1`` is the angle from the first axis and ``φ_2`` the azimuth in the (x_2, x_3) plane.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cart_to_sph",
    "circle_points",
    "fibonacci_sphere",
    "project",
    "random_points",
    "sph_to_cart",
    "sph_to_cart_jacobian",
    "sphere_grid",
    "tangent_project",
]

GOLDEN_ANGLE = np.pi * (1.0 + np.sqrt(5.0))


def project(x: np.ndarray) -> np.ndarray:
    """Radial projection onto the sphere, ``x ↦ x / |x|`` along the last axis."""
    x = np.asarray(x)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def tangent_project(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Project ``v`` onto the tangent space at ``x ∈ S^{d-1}``: ``P_x v = v - <x, v> x``."""
    return v - np.sum(x * v, axis=-1, keepdims=True) * x


def random_points(
    n: int, d: int, rng: np.random.Generator, *, batch: tuple[int, ...] = (), dtype=np.float64
) -> np.ndarray:
    """``n`` independent uniform points on S^{d-1}: standard normals projected to the sphere.

    Returns shape ``(*batch, n, d)``.
    """
    if d < 2:
        raise ValueError(f"dimension d must be at least 2, got {d}")
    return project(rng.standard_normal((*batch, n, d))).astype(dtype, copy=False)


def circle_points(n: int, *, offset: float = 0.0) -> np.ndarray:
    """``n`` evenly spaced points on S^1 at angles ``offset + 2πk/n``, shape ``(n, 2)``."""
    angles = offset + 2.0 * np.pi * np.arange(n) / n
    return np.stack([np.cos(angles), np.sin(angles)], axis=-1)


def fibonacci_sphere(n: int) -> np.ndarray:
    """Fibonacci (sunflower) lattice of ``n`` nearly evenly spread points on S², shape ``(n, 3)``.

    Point ``k`` (with ``t = k + 1/2``) has height ``z = 1 - 2t/n`` (equal-area bands) and
    azimuth ``π(1 + √5) t`` (the golden angle), the construction of the source package.
    """
    t = np.arange(n) + 0.5
    z = 1.0 - 2.0 * t / n
    r = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
    azimuth = np.remainder(GOLDEN_ANGLE * t, 2.0 * np.pi)
    return np.stack([r * np.cos(azimuth), r * np.sin(azimuth), z], axis=-1)


def sph_to_cart(phi: np.ndarray) -> np.ndarray:
    """Hyperspherical angles ``(..., d-1)`` to unit vectors ``(..., d)`` (module convention)."""
    phi = np.asarray(phi, dtype=float)
    m = phi.shape[-1]
    sin, cos = np.sin(phi), np.cos(phi)
    # running products sin φ_1 ⋯ sin φ_{k-1}, k = 1..d
    prefix = np.concatenate([np.ones((*phi.shape[:-1], 1)), np.cumprod(sin, axis=-1)], axis=-1)
    x = np.empty((*phi.shape[:-1], m + 1))
    x[..., :m] = prefix[..., :m] * cos
    x[..., m] = prefix[..., m]
    return x


def cart_to_sph(x: np.ndarray) -> np.ndarray:
    """Unit vectors ``(..., d)`` to hyperspherical angles ``(..., d-1)`` (module convention).

    ``φ_k ∈ [0, π]`` for ``k < d - 1`` and the last angle ``φ_{d-1} ∈ (-π, π]``.
    """
    x = np.asarray(x, dtype=float)
    d = x.shape[-1]
    # tail norms |(x_k, ..., x_d)|
    tail = np.sqrt(np.cumsum(x[..., ::-1] ** 2, axis=-1)[..., ::-1])
    phi = np.empty((*x.shape[:-1], d - 1))
    for k in range(d - 2):
        phi[..., k] = np.arctan2(tail[..., k + 1], x[..., k])
    phi[..., d - 2] = np.arctan2(x[..., d - 1], x[..., d - 2])
    return phi


def sph_to_cart_jacobian(phi: np.ndarray) -> np.ndarray:
    """Jacobian ``∂x_k/∂φ_j`` of :func:`sph_to_cart`, shape ``(..., d, d-1)``.

    Each coordinate is a product of factors, ``x_k = ∏_l f_{k,l}`` with ``f_{k,l} = sin φ_l``
    for ``l < k`` and a last factor ``cos φ_k`` (``k < d - 1``); the derivative in ``φ_j``
    replaces the ``j``-th factor by its derivative (``sin → cos``, ``cos → -sin``).
    """
    phi = np.asarray(phi, dtype=float)
    m = phi.shape[-1]
    d = m + 1
    sin, cos = np.sin(phi), np.cos(phi)
    jac = np.zeros((*phi.shape[:-1], d, m))
    for k in range(d):
        factors = [sin[..., ell] for ell in range(min(k, m))]
        derivatives = [cos[..., ell] for ell in range(min(k, m))]
        if k < m:
            factors.append(cos[..., k])
            derivatives.append(-sin[..., k])
        for j in range(len(factors)):
            value = derivatives[j]
            for ell, factor in enumerate(factors):
                if ell != j:
                    value = value * factor
            jac[..., k, j] = value
    return jac


def sphere_grid(resolution: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``resolution × resolution`` (polar, azimuth) grid on S² for surface plots.

    Returns ``X, Y, Z`` arrays of shape ``(resolution, resolution)`` with the polar angle measured
    from the ``z`` axis (the usual plotting convention, independent of :func:`sph_to_cart`).
    """
    polar = np.linspace(0.0, np.pi, resolution)
    azimuth = np.linspace(0.0, 2.0 * np.pi, resolution)
    p, a = np.meshgrid(polar, azimuth, indexing="ij")
    return np.sin(p) * np.cos(a), np.sin(p) * np.sin(a), np.cos(p)
