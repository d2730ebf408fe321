"""Sphere densities: the law of Dx/|Dx| for x uniform on S², by formula and by sampling.

For ``x`` uniform on S² (law ``σ``, the normalised surface measure) and an invertible ``D``,
``Dx/|Dx|`` has the density (:mod:`attndyn.particles.pushforward`)

    ρ_D(y) = 1 / ( |det D| · |D^{−1} y|^3 )      with respect to σ,

the angular central Gaussian with ``Σ = D Dᵀ``: the map pushes mass towards the directions
``D`` stretches most.  For ``D = diag(1, 3, 4)`` the density runs from ``ρ(e1) = 1/12`` to
``ρ(e3) = 16/3``; for ``D = diag(1, 0.25, 1)`` from ``ρ(e2) = 1/16`` to ``ρ(e1) = ρ(e3) = 4``.

Method (after the source package's ``tfdy/sphere_densities.py``, which measures the areas of
the images of grid cells): the formula is averaged over each of ``20 × 40`` equal-area cells
(an ``8 × 8`` midpoint rule in the height ``z`` and the azimuth, in which ``σ`` is uniform),
and compared with a Monte Carlo estimate, the share of ``m`` uniform points pushed forward
that land in the cell divided by the cell's share of the area.  The relative statistical
error per cell is about ``(ρ m / 800)^{−1/2}``.

Parameters: ``D = diag(1, 3, 4)`` (Figure 1) and ``D = diag(1, 0.25, 1)`` (Figure 3);
``m = 2 000 000`` points.  Quick mode: ``m = 200 000``.

Outputs: ``sphere-densities.csv`` (per case and cell: the cell's edges, the formula's cell
average and the Monte Carlo estimate) and ``sphere-densities.png`` (per case the sphere
colored by the formula and by the estimate, on one logarithmic color scale).  The picture's
estimate is counted on ``40 × 40`` cells of equal polar angle (4.5°) instead: the polar band
of the equal-area cells reaches 25.8° from the pole and showed as a flat lid there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm

from attndyn.particles.experiments.common import bar, format_matrix, parameter, write_csv
from attndyn.particles.plots import CMAP, new_figure, save_png
from attndyn.particles.pushforward import (
    equal_area_bins,
    histogram_density,
    pushforward,
    pushforward_density,
)
from attndyn.particles.sphere import random_points, sphere_grid

CASES = (
    ("D = diag(1, 3, 4)", np.diag([1.0, 3.0, 4.0])),
    ("D = diag(1, 0.25, 1)", np.diag([1.0, 0.25, 1.0])),
)
BANDS, SECTORS = 20, 40
SUBSAMPLES = 8
PICTURE_BANDS = 40


def polar_angle_density(points: np.ndarray, bands: int, sectors: int) -> tuple:
    """Density w.r.t. σ from sample ``points`` (m, 3) on cells of equal polar angle and
    azimuth: ``count / (m · area share)``, area share ``(z_hi − z_lo) / (2 · sectors)``.

    Returns the densities (bands, sectors) and the cells' height edges (increasing).
    """
    z_edges = np.cos(np.linspace(np.pi, 0.0, bands + 1))
    z_edges[0], z_edges[-1] = -1.0, 1.0
    phi_edges = np.linspace(-np.pi, np.pi, sectors + 1)
    azimuth = np.arctan2(points[:, 1], points[:, 0])
    z = np.clip(points[:, 2], -1, 1)
    counts, _, _ = np.histogram2d(z, azimuth, (z_edges, phi_edges))
    share = np.diff(z_edges)[:, None] / (2.0 * sectors)
    return counts / (len(points) * share), z_edges


@dataclass(frozen=True)
class Params:
    """The sphere densities' parameters."""

    points: int = parameter(2_000_000, "uniform points pushed forward", quick=200_000, low=1)
    bands: int = parameter(BANDS, "equal-area cells in height z", low=1)
    sectors: int = parameter(SECTORS, "equal-area cells in azimuth", low=1)
    subsamples: int = parameter(
        SUBSAMPLES, "midpoint-rule points per cell and direction for the formula", low=1
    )


def cell_averages(
    D: np.ndarray, bands: int = BANDS, sectors: int = SECTORS, subsamples: int = SUBSAMPLES
) -> np.ndarray:
    """The mean of ``ρ_D`` over each equal-area cell (midpoint rule in ``z`` and azimuth)."""
    z_edges, phi_edges = equal_area_bins(bands, sectors)
    k = subsamples
    z = (z_edges[:-1, None] + (np.arange(k) + 0.5)[None, :] * np.diff(z_edges)[:, None] / k).ravel()
    phi = (
        phi_edges[:-1, None] + (np.arange(k) + 0.5)[None, :] * np.diff(phi_edges)[:, None] / k
    ).ravel()
    Z, P = np.meshgrid(z, phi, indexing="ij")
    r = np.sqrt(1.0 - Z**2)
    y = np.stack([r * np.cos(P), r * np.sin(P), Z], axis=-1)
    values = pushforward_density(y, D)
    return values.reshape(bands, k, sectors, k).mean(axis=(1, 3))


def _draw(
    ax,
    values: np.ndarray | None,
    D: np.ndarray,
    norm: LogNorm,
    title: str,
    z_edges: np.ndarray | None = None,
) -> None:
    """Color S² by the cell values (bands, sectors) on cells of heights ``z_edges`` and equal
    azimuths (cell lookup), or by ``ρ_D`` if None."""
    X, Y, Z = sphere_grid(60)
    if values is None:
        shown = pushforward_density(np.stack([X, Y, Z], axis=-1), D)
    else:
        phi_edges = np.linspace(-np.pi, np.pi, values.shape[1] + 1)
        band = np.clip(np.searchsorted(z_edges, Z, side="right") - 1, 0, values.shape[0] - 1)
        azimuth = np.arctan2(Y, X)
        sector = np.searchsorted(phi_edges, azimuth, side="right") - 1
        shown = values[band, np.clip(sector, 0, values.shape[1] - 1)]
    colors = ScalarMappable(norm=norm, cmap=CMAP).to_rgba(shown)
    ax.plot_surface(X, Y, Z, facecolors=colors, rstride=1, cstride=1, linewidth=0, shade=False)
    ax.view_init(elev=20, azim=-55)
    ax.set_box_aspect((1, 1, 1))
    for limits in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        limits(-1, 1)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    m, bands, sectors = params.points, params.bands, params.sectors
    z_edges, phi_edges = equal_area_bins(bands, sectors)
    rows = []
    pictures = []
    for label, D in bar(CASES, progress=progress, desc="sphere densities"):
        formula = cell_averages(D, bands, sectors, params.subsamples)
        pushed = pushforward(random_points(m, 3, rng), D)
        sampled = histogram_density(pushed, bands, sectors)
        pictures.append((label, formula, polar_angle_density(pushed, PICTURE_BANDS, sectors)))
        for i in range(bands):
            for j in range(sectors):
                rows.append(
                    [
                        label,
                        format_matrix(D),
                        z_edges[i],
                        z_edges[i + 1],
                        phi_edges[j],
                        phi_edges[j + 1],
                        formula[i, j],
                        sampled[i, j],
                    ]
                )
    csv_path = write_csv(
        out_dir / "sphere-densities.csv",
        [
            "case",
            "D",
            "z_lo",
            "z_hi",
            "azimuth_lo",
            "azimuth_hi",
            "density_formula",
            "density_sampled",
        ],
        rows,
    )
    fig = new_figure(figsize=(10, 4.4 * len(CASES)))
    for k, ((label, D), (_, formula, (sampled, z_edges))) in enumerate(
        zip(CASES, pictures, strict=True)
    ):
        positive = sampled[sampled > 0]
        low = min(float(formula.min()), float(positive.min()) if positive.size else np.inf)
        norm = LogNorm(low, max(float(formula.max()), float(sampled.max())))
        _draw(
            fig.add_subplot(len(CASES), 2, 2 * k + 1, projection="3d"),
            None,
            D,
            norm,
            f"{label}: 1 / (|det D| |D⁻¹y|³)",
        )
        ax = fig.add_subplot(len(CASES), 2, 2 * k + 2, projection="3d")
        title = f"{label}: {m:,} points pushed forward"
        _draw(ax, np.maximum(sampled, low), D, norm, title, z_edges)
        fig.colorbar(
            ScalarMappable(norm=norm, cmap=CMAP), ax=ax, shrink=0.7, label="density w.r.t. σ"
        )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "sphere-densities.png")]
