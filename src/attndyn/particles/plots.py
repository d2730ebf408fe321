"""Figures of particle configurations and densities (matplotlib, Agg backend).

* :func:`plot_circle`: points on S¹ over a ring colored by the quadratic form ``<x, D x>``.
* :func:`plot_sphere`: points on S² over the sphere colored by ``<x, D x>``, with a colorbar;
  points on the far side (seen from the camera) are drawn faintly; optional line segments
  (for example the chords joining antipodal pairs through the centre) drawn over the surface.
* :func:`plot_sphere_views`: the same sphere from two opposite cameras, so that both
  hemispheres, and every point, are seen from the front once.
* :func:`plot_density_profiles`: a family of densities on the circle as 3D profiles, one per
  parameter value, each filled down to zero.
* :func:`plot_energy_over_time`: a flow's energy per step and cluster count over time.
* :func:`save_png`: atomic PNG writing (temporary file, then rename).

Figures are created with :func:`new_figure`, a bare :class:`~matplotlib.figure.Figure` on the
Agg canvas: no pyplot, no display, no global backend switch, nothing left registered.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from attndyn.model.outputs import atomic_file
from attndyn.particles.sphere import sphere_grid

__all__ = [
    "CMAP",
    "figure_to_rgb",
    "new_figure",
    "plot_circle",
    "plot_density_profiles",
    "plot_energy_over_time",
    "plot_sphere",
    "plot_sphere_views",
    "quadratic_form",
    "save_png",
    "view_direction",
]

CMAP = "viridis"
FRONT_VIEW = (20.0, -55.0)
"""(elevation, azimuth) in degrees of the usual camera; :func:`opposite_view` gives the other."""


def new_figure(figsize: tuple[float, float], dpi: float | None = None) -> Figure:
    """A figure drawn by the Agg canvas (off-screen)."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def quadratic_form(x: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``<x, D x>`` along the last axis."""
    return np.einsum("...i,ij,...j->...", x, D, x)


def _norm(values: np.ndarray, vmin: float | None, vmax: float | None) -> Normalize:
    lo = float(np.min(values)) if vmin is None else vmin
    hi = float(np.max(values)) if vmax is None else vmax
    if hi - lo < 1e-9:  # constant form (D = c I): centre the single color
        lo, hi = lo - 1.0, hi + 1.0
    return Normalize(lo, hi)


def plot_circle(
    ax,
    D: np.ndarray | None,
    points: np.ndarray | None = None,
    *,
    cmap: str = CMAP,
    vmin: float | None = None,
    vmax: float | None = None,
    ring_width: float = 12.0,
    point_size: float = 60.0,
    point_color: str = "tab:blue",
    colorbar: bool = False,
    title: str | None = None,
):
    """Draw the unit circle colored by ``<x, D x>`` and the ``points`` (n, 2) on it.

    The ring is an annulus of width ``ring_width / 100`` (in data units) around the circle.
    ``D = None`` draws a plain light-grey ring (no quadratic form to show).
    """
    angles = np.linspace(0.0, 2.0 * np.pi, 361)
    mid = 0.5 * (angles[:-1] + angles[1:])
    if D is None:
        values = np.full_like(mid, 0.25)  # a light grey of the Greys map
        norm = Normalize(0.0, 1.0)
        cmap = "Greys"
        colorbar = False
    else:
        values = quadratic_form(np.stack([np.cos(mid), np.sin(mid)], axis=-1), np.asarray(D, float))
        norm = _norm(values, vmin, vmax)
    half = 0.5 * ring_width / 100.0
    radii = np.array([1.0 - half, 1.0 + half])
    R, T = np.meshgrid(radii, angles, indexing="ij")
    lines = ax.pcolormesh(
        R * np.cos(T),
        R * np.sin(T),
        values[None, :],
        cmap=cmap,
        norm=norm,
        shading="flat",
        edgecolors="none",
        zorder=1,
    )
    if points is not None and len(points):
        ax.scatter(
            points[:, 0],
            points[:, 1],
            s=point_size,
            color=point_color,
            zorder=3,
            edgecolors="k",
            linewidths=0.5,
        )
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.2, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(lines, ax=ax, shrink=0.7, label=r"$\langle x, Dx\rangle$")
    return lines


def view_direction(ax) -> np.ndarray:
    """Unit vector from the origin towards the camera of a 3D axes."""
    elev, azim = np.deg2rad(ax.elev), np.deg2rad(ax.azim)
    return np.array([np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim), np.sin(elev)])


def opposite_view(elev: float, azim: float) -> tuple[float, float]:
    """The camera on the other side: direction ``v(elev, azim)`` becomes ``−v``.

    ``v = (cos e cos a, cos e sin a, sin e)``, and ``−v = v(−e, a + 180°)``.
    """
    return -elev, (azim + 180.0 + 180.0) % 360.0 - 180.0


def plot_sphere(
    ax,
    D: np.ndarray | None,
    points: np.ndarray | None = None,
    *,
    cmap: str = CMAP,
    resolution: int = 50,
    alpha: float = 0.85,
    colorbar: bool = True,
    point_size: float = 12.0,
    point_color: str = "k",
    back_alpha: float = 0.08,
    segments: Sequence[np.ndarray] = (),
    segment_color: str = "k",
    title: str | None = None,
):
    """Draw S² colored by ``<x, D x>`` (with a colorbar) and the ``points`` (n, 3) on it.

    ``segments`` are ``(2, 3)`` arrays of line ends, drawn over the surface and under the
    near-side points, so that chords through the sphere stay visible when the surface is
    see-through (small ``alpha``).  ``D = None`` draws a plain light-grey sphere.
    """
    X, Y, Z = sphere_grid(resolution)
    if D is None:
        values = np.full_like(X, 0.25)  # a light grey of the Greys map
        norm = Normalize(0.0, 1.0)
        cmap = "Greys"
        colorbar = False
    else:
        values = quadratic_form(np.stack([X, Y, Z], axis=-1), np.asarray(D, dtype=float))
        norm = _norm(values, None, None)
    colors = matplotlib.colormaps[cmap](norm(values))
    # mplot3d sorts whole collections by depth, which hides points in front of the surface;
    # draw in a fixed order instead: far-side points, the surface, near-side points.
    ax.computed_zorder = False
    ax.plot_surface(
        X,
        Y,
        Z,
        facecolors=colors,
        rstride=1,
        cstride=1,
        linewidth=0,
        antialiased=False,
        alpha=alpha,
        shade=False,
        zorder=1,
    )
    for segment in segments:
        segment = np.asarray(segment, dtype=float)
        ax.plot(
            segment[:, 0],
            segment[:, 1],
            segment[:, 2],
            color=segment_color,
            linewidth=0.9,
            alpha=0.8,
            zorder=1.5,
        )
    if points is not None and len(points):
        front = points @ view_direction(ax) >= 0.0
        for mask, a, z in ((~front, back_alpha, 0), (front, 1.0, 2)):
            if mask.any():
                ax.scatter(
                    points[mask, 0],
                    points[mask, 1],
                    points[mask, 2],
                    s=point_size,
                    color=point_color,
                    alpha=a,
                    depthshade=False,
                    zorder=z,
                )
    ax.set_box_aspect((1, 1, 1))
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_zlim(-1, 1)
    ax.set_xticks([-1, 0, 1])
    ax.set_yticks([-1, 0, 1])
    ax.set_zticks([-1, 0, 1])
    ax.tick_params(labelsize=6, pad=0)
    ax.set_xlabel("$x_1$", fontsize=8, labelpad=-8)
    ax.set_ylabel("$x_2$", fontsize=8, labelpad=-8)
    ax.set_zlabel("$x_3$", fontsize=8, labelpad=-8)
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        mappable = ScalarMappable(norm=norm, cmap=cmap)
        ax.figure.colorbar(mappable, ax=ax, shrink=0.6, pad=0.08, label=r"$\langle x, Dx\rangle$")
    return norm


def plot_sphere_views(
    fig: Figure,
    cells: Sequence,
    D: np.ndarray,
    points: np.ndarray | None = None,
    *,
    title: str | None = None,
    view: tuple[float, float] = FRONT_VIEW,
    **kwargs,
) -> list:
    """:func:`plot_sphere` twice, in the two subplot ``cells``: from ``view`` and from the
    opposite side (:func:`opposite_view`), so each hemisphere faces the camera once.

    The colorbar (if any) is shown with the second view; the first view keeps the same room
    empty, so that both spheres are drawn the same size. ``kwargs`` go to :func:`plot_sphere`.
    Returns the two 3D axes.
    """
    elev, azim = view
    axes = []
    colorbar = kwargs.pop("colorbar", True) and D is not None
    for k, (cell, (e, a)) in enumerate(zip(cells, (view, opposite_view(elev, azim)), strict=True)):
        ax = fig.add_subplot(cell, projection="3d")
        ax.view_init(elev=e, azim=a)
        side = "front" if k == 0 else "back"
        label = f"{title}, {side}" if title else side
        plot_sphere(ax, D, points, title=label, colorbar=colorbar, **kwargs)
        if colorbar and k == 0:
            fig.axes[-1].set_visible(False)  # the first view's colorbar: room kept, not drawn
        axes.append(ax)
    return axes


def plot_density_profiles(
    ax,
    theta: np.ndarray,
    parameters: np.ndarray,
    densities: np.ndarray,
    *,
    cmap: str = CMAP,
    xlabel: str = r"$\theta$",
    ylabel: str = r"$\varepsilon$",
    zlabel: str = "density",
):
    """3D profiles: ``densities[k]`` over ``theta`` placed at depth ``parameters[k]``.

    Each profile is drawn as a line and filled down to zero (a translucent polygon).
    """
    colors = matplotlib.colormaps[cmap](np.linspace(0.1, 0.9, len(parameters)))
    top = float(np.max(densities)) * 1.05
    for k in range(len(parameters) - 1, -1, -1):
        y = np.full_like(theta, parameters[k])
        rho = densities[k]
        outline = [
            *zip(theta, y, rho, strict=True),
            (theta[-1], parameters[k], 0.0),
            (theta[0], parameters[k], 0.0),
        ]
        poly = Poly3DCollection([outline], facecolor=colors[k], alpha=0.35, edgecolor="none")
        ax.add_collection3d(poly)
        ax.plot(theta, y, rho, color=colors[k], linewidth=1.2)
    ax.set_xlim(float(theta[0]), float(theta[-1]))
    low, high = float(np.min(parameters)), float(np.max(parameters))
    ax.set_ylim(low, high)
    ax.set_zlim(0.0, top)
    # few, small ticks: the x and y tick labels meet at the front corner of the box
    ax.set_xticks([np.pi / 2, np.pi, 3 * np.pi / 2])
    ax.set_xticklabels([r"$\pi/2$", r"$\pi$", r"$3\pi/2$"])
    ax.set_yticks(np.linspace(low, high, 3) if high > low else [low])
    ax.yaxis.set_major_formatter("{x:g}")
    ax.tick_params(labelsize=7, pad=1)
    ax.set_xlabel(xlabel, labelpad=2)
    ax.set_ylabel(ylabel, labelpad=2)
    ax.set_zlabel(zlabel, labelpad=2)
    ax.view_init(elev=35, azim=-50)


def plot_energy_over_time(
    times: np.ndarray,
    energies: np.ndarray,
    record_times: np.ndarray,
    clusters: np.ndarray,
    *,
    title: str = "",
) -> Figure:
    """Two panels over time: the energy at every step, and the cluster count at the records.

    The energy panel's y axis is logarithmic when every energy is positive and they span more
    than a factor of 10, else linear; its title gives the first and last values.
    """
    energies = np.asarray(energies, dtype=float)
    fig = new_figure(figsize=(9.0, 3.6))
    ax_energy, ax_clusters = fig.subplots(1, 2)
    ax_energy.plot(times, energies, color="C0", linewidth=1.2)
    finite = energies[np.isfinite(energies)]
    if finite.size and finite.min() > 0 and finite.max() > 10 * finite.min():
        ax_energy.set_yscale("log")
    ax_energy.set_xlabel("time t = k dt")
    ax_energy.set_ylabel("energy E")
    ax_energy.set_title(f"E: {energies[0]:.6g} at t = 0, {energies[-1]:.6g} at the end", fontsize=9)
    ax_energy.grid(alpha=0.3)
    ax_clusters.step(record_times, clusters, where="post", color="C1", linewidth=1.2)
    ax_clusters.set_xlabel("time t = k dt")
    ax_clusters.set_ylabel("clusters")
    ax_clusters.set_ylim(bottom=0)
    ax_clusters.yaxis.get_major_locator().set_params(integer=True)
    ax_clusters.set_title(f"{int(clusters[-1])} clusters at the end", fontsize=9)
    ax_clusters.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def figure_to_rgb(fig: Figure) -> np.ndarray:
    """Render a figure with Agg and return its pixels as an ``(h, w, 3)`` uint8 array."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def save_png(fig: Figure, path: Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG atomically and return ``path``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    with atomic_file(path) as stream:
        stream.write(buffer.getvalue())
    return Path(path)
