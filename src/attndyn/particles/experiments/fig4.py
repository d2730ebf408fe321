"""Figure 4: the four-particle system on the circle and its stationary state.

Four particles start at the corners of a square, ``x = (cos θ, sin θ)`` with
``θ = π/4 + kπ/2`` (evenly spaced, offset by ``π/n``).  With ``D = diag(1, d)`` the descent
keeps the reflection symmetry, so the particles stay at ``(±a, ±b)`` with ``a² + b² = 1`` and

    E = (1/16) Σ_{i,j} exp(<x_i, D x_j>) = cosh(a²) cosh(d b²).

Minimising over ``u = a²`` gives ``tanh(u) = d tanh(d (1 − u))``, i.e. the stationary state
satisfies

    tanh(D00 x1²) / tanh(D11 x2²) = D11 / D00 = d.

Method (source package ``exps/four_part_system.py``): the USA descent (``s = +1``, ``β = 1``,
no noise) from the square, then the ratio averaged over the four particles.  The explicit
step overshoots when ``τ`` is too large for the initial increments (of size
``~ τ d exp((1 + d)/2)``): the particles then flip to ``±e2``, the stationary point
maximising ``<x, D x>``, and the ratio drops to 0.

Parameters: ``d ∈ {0.5, 1, ..., 10}`` (the range of the source's ``tanh_min`` data, ``d`` up to
10); 20000 steps; two step sizes, ``τ = 0.002`` (stable for every ``d`` here, as the source's
data) and ``τ = 0.01`` (fails from ``d = 8`` on, the source's "FP8bad" picture; the source
script's default ``τ = 0.05`` fails from ``d = 5.5``).  Circle pictures: ``d = 0.5, 2, 8`` with
``τ = 0.002`` and ``d = 8`` with ``τ = 0.01``.  Quick mode: ``d ∈ {0.5, 2, 5, 8}``, 6000 steps.

Outputs: ``fig4.csv`` (per ``τ`` and ``d``: the mean, min and max ratio over the particles,
the expected ratio ``d``, the final ``|x1|``, ``|x2|`` and energy) and ``fig4.png`` (ratio
against ``d`` for both step sizes with the line ``ratio = d``, and the four circle pictures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import bar, write_csv
from attndyn.particles.plots import new_figure, plot_circle, save_png
from attndyn.particles.sphere import circle_points

BETA = 1.0
TAUS = (0.002, 0.01)
N_PARTICLES = 4


def tanh_ratio(x: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``tanh(D00 x1²) / tanh(D11 x2²)`` for each particle (shape ``x.shape[:-1]``)."""
    d00 = np.asarray(D)[..., 0, 0][..., None]
    d11 = np.asarray(D)[..., 1, 1][..., None]
    return np.tanh(d00 * x[..., 0] ** 2) / np.tanh(d11 * x[..., 1] ** 2)


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> list[Path]:
    del seed  # deterministic: the initial square is fixed
    if quick:
        ds, steps = np.array([0.5, 2.0, 5.0, 8.0]), 6000
    else:
        ds, steps = np.arange(1, 21) * 0.5, 20000
    Ds = np.stack([np.diag([1.0, d]) for d in ds])
    start = circle_points(N_PARTICLES, offset=np.pi / N_PARTICLES)
    x0 = np.broadcast_to(start, (len(ds), N_PARTICLES, 2)).copy()
    rows = []
    ratios = {}
    finals = {}
    for tau in bar(TAUS, progress=progress, desc="fig4 step sizes"):
        x = usa_flow(x0, Ds, beta=BETA, tau=tau, steps=steps, sign=1.0, record_every=0).x
        ratio = tanh_ratio(x, Ds)
        energies = energy(x, Ds, BETA)
        ratios[tau] = ratio.mean(axis=1)
        finals[tau] = x
        for k, d in enumerate(ds):
            rows.append(
                [
                    tau,
                    d,
                    ratio[k].mean(),
                    ratio[k].min(),
                    ratio[k].max(),
                    d,
                    np.abs(x[k, 0, 0]),
                    np.abs(x[k, 0, 1]),
                    energies[k],
                ]
            )
    csv_path = write_csv(
        out_dir / "fig4.csv",
        [
            "tau",
            "d",
            "ratio_mean",
            "ratio_min",
            "ratio_max",
            "expected_ratio",
            "abs_x1",
            "abs_x2",
            "energy",
        ],
        rows,
    )

    fig = new_figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(2, 3, width_ratios=(2.4, 1, 1))
    ax = fig.add_subplot(grid[:, 0])
    ax.plot(ds, ds, "k--", linewidth=1, zorder=5, label="ratio = d (stationary state)")
    for tau, marker in zip(TAUS, ("o", "s"), strict=True):
        ax.plot(ds, ratios[tau], marker + "-", label=rf"$\tau = {tau:g}$")
    ax.set_xlabel("$d$  ($D = $diag$(1, d)$)")
    ax.set_ylabel(r"$\tanh(D_{00}x_1^2)\,/\,\tanh(D_{11}x_2^2)$")
    ax.legend(fontsize=8)
    pictures = [(0.5, TAUS[0]), (2.0, TAUS[0]), (8.0, TAUS[0]), (8.0, TAUS[1])]
    specs = [grid[0, 1], grid[0, 2], grid[1, 1], grid[1, 2]]
    for (d, tau), spec in zip(pictures, specs, strict=True):
        k = int(np.argmin(np.abs(ds - d)))
        plot_circle(
            fig.add_subplot(spec),
            Ds[k],
            finals[tau][k],
            point_size=70,
            title=rf"$d = {ds[k]:g}$, $\tau = {tau:g}$",
        )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "fig4.png")]
