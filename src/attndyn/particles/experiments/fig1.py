"""Figure 1: maximisers of the energy for positive definite D on S² (d = 3).

For positive definite ``D`` the maximisers of ``E(μ) = ∫∫ exp(β <x, D y>) dμ dμ`` are single
Diracs ``δ_v`` at eigenvectors ``v`` of the largest eigenvalue ``λ_max``, with energy
``exp(β λ_max)``.  For ``D = I`` every ``δ_x`` is a maximiser; for ``D = diag(1, 3, 4)`` only
``δ_{±e3}``.

Method (source package ``exps/max_on_sphere.py``): each repetition starts one particle
(``n = 1``, a single Dirac) at a uniform random point and runs the USA ascent
``x ← Π(x + (τ/n) Σ_j exp(β <x, D x_j>) D x_j)`` (``s = −1``).

Parameters: ``D = I`` and ``D = diag(1, 3, 4)`` (fixed);
``β = 1``; ``τ = 0.1``; 500 steps; no noise; 30 repetitions per matrix.  Quick mode: 6
repetitions, 60 steps.

Outputs: ``fig1.csv`` (one row per repetition: final point, ``<x, D x>``, its energy and the
maximal energy ``exp(β λ_max)``) and ``fig1.png`` (the final points on spheres colored by
``<x, D x>``, each sphere seen from the front and from the back, so that the points of both
hemispheres are shown: for ``D = I`` the maximisers are spread over the whole sphere).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import bar, format_matrix, parameter, write_csv
from attndyn.particles.plots import new_figure, plot_sphere_views, quadratic_form, save_png
from attndyn.particles.sphere import random_points

CASES = (("D = I", np.eye(3)), ("D = diag(1, 3, 4)", np.diag([1.0, 3.0, 4.0])))


@dataclass(frozen=True)
class Params:
    """Figure 1's parameters (defaults: the paper's values)."""

    beta: float = parameter(1.0, "inverse temperature β of the energy", low=0.0, low_open=True)
    tau: float = parameter(0.1, "step size τ of the USA ascent", low=0.0, low_open=True)
    steps: int = parameter(500, "ascent steps", quick=60, low=1)
    repetitions: int = parameter(30, "random starts per matrix", quick=6, low=1)


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    reps, steps, beta = params.repetitions, params.steps, params.beta
    rows = []
    finals = []
    for label, D in bar(CASES, progress=progress, desc="fig1"):
        x0 = random_points(1, 3, rng, batch=(reps,))
        flow = usa_flow(
            x0, D, beta=beta, tau=params.tau, steps=steps, direction="ascent", record_every=0
        )
        x = flow.x[:, 0, :]
        finals.append(x)
        top = np.exp(beta * np.linalg.eigvalsh(D).max())
        energies = energy(flow.x, D, beta)
        for r in range(reps):
            rows.append(
                [label, format_matrix(D), r, *x[r], quadratic_form(x[r], D), energies[r], top]
            )
    csv_path = write_csv(
        out_dir / "fig1.csv",
        ["case", "D", "repetition", "x1", "x2", "x3", "xDx", "energy", "max_energy"],
        rows,
    )
    fig = new_figure(figsize=(9, 8.4))
    grid = fig.add_gridspec(len(CASES), 2)
    for k, ((label, D), x) in enumerate(zip(CASES, finals, strict=True)):
        plot_sphere_views(
            fig,
            (grid[k, 0], grid[k, 1]),
            D,
            x,
            point_size=25,
            back_alpha=0.25,
            title=f"maximisers, {label}",
        )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "fig1.png")]
