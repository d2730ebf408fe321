"""The law of ``Dx/|Dx|`` for ``x`` uniform on the sphere: the angular central Gaussian.

Let ``σ`` be the normalised surface measure on S^{d−1} and ``D`` an invertible ``d × d``
matrix.  If ``x ~ σ`` then ``x = g/|g|`` with ``g ~ N(0, I)``, so ``Dx/|Dx| = Dg/|Dg|`` is the
direction of a Gaussian vector ``Dg ~ N(0, Σ)``, ``Σ = D Dᵀ``.  Its law is the angular central
Gaussian distribution (Tyler, 1987), with density with respect to ``σ``

    ρ_D(y) = |det Σ|^{−1/2} (yᵀ Σ^{−1} y)^{−d/2} = 1 / ( |det D| · |D^{−1} y|^d ).

On the circle, with ``y`` at angle ``φ`` the image of ``x`` at angle ``t``, this is the
Jacobian ``dt/dφ = |Dx|² / |det D|``; for ``D = c I`` it is 1.  The source package's
``sphere_densities.py`` estimates the same density on S² from the areas of the images of the
cells of a (polar, azimuth) grid.
"""

from __future__ import annotations

import numpy as np

__all__ = ["equal_area_bins", "histogram_density", "pushforward", "pushforward_density"]


def pushforward(x: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``Dx / |Dx|`` for points ``x`` of shape ``(..., d)``."""
    y = np.asarray(x, dtype=float) @ np.asarray(D, dtype=float).T
    return y / np.linalg.norm(y, axis=-1, keepdims=True)


def pushforward_density(y: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``ρ_D(y) = 1 / (|det D| |D^{−1} y|^d)``: the density of ``Dx/|Dx|``, ``x ~ σ``, w.r.t. σ.

    ``y`` has shape ``(..., d)`` (unit vectors); ``D`` must be invertible.
    """
    D = np.asarray(D, dtype=float)
    d = D.shape[0]
    determinant = abs(float(np.linalg.det(D)))
    if determinant == 0.0:
        raise ValueError("D is singular: Dx/|Dx| has no density on the sphere")
    preimage = np.linalg.solve(D, np.moveaxis(np.asarray(y, dtype=float), -1, 0).reshape(d, -1))
    norms = np.linalg.norm(preimage, axis=0).reshape(np.shape(y)[:-1])
    return 1.0 / (determinant * norms**d)


def equal_area_bins(bands: int, sectors: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges of ``bands × sectors`` cells of equal area on S²: heights ``z`` and azimuths.

    By Archimedes' theorem the area of the zone ``z ∈ [a, b]`` is ``2π(b − a)``, so equal steps
    in ``z`` and in the azimuth give cells of area ``4π / (bands · sectors)`` each.
    """
    return np.linspace(-1.0, 1.0, bands + 1), np.linspace(-np.pi, np.pi, sectors + 1)


def histogram_density(points: np.ndarray, bands: int, sectors: int) -> np.ndarray:
    """Density w.r.t. σ estimated from sample ``points`` (m, 3) on equal-area cells.

    Cell ``(i, j)`` holds ``count / (m / (bands · sectors))``; shape ``(bands, sectors)``.
    """
    points = np.asarray(points, dtype=float)
    z_edges, phi_edges = equal_area_bins(bands, sectors)
    azimuth = np.arctan2(points[:, 1], points[:, 0])
    counts, _, _ = np.histogram2d(np.clip(points[:, 2], -1, 1), azimuth, (z_edges, phi_edges))
    return counts * (bands * sectors) / len(points)
