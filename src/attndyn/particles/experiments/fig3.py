"""Figure 3: minimisers of the energy for positive (semi-)definite D on S² (d = 3).

Expected minimisers: for ``D = I`` the uniform measure (every moment ``∫ x^{⊗k} dμ``, k ≥ 1,
must vanish since ``E(μ) = Σ_k β^k/k! |∫ x^{⊗k} dμ|²``); for ``D = diag(1, 0.25, 1)`` a
measure concentrating towards the ``x2`` poles but spread; for the semi-definite
``D = diag(1, 0, 1)`` any measure on ``{±e2}`` (then ``E = 1``, the lower bound); for
``D = diag(0, 0, 1)`` any measure on the equator ``x3 = 0`` with ``E = 1`` likewise.

Method (source package ``exps/min_on_sphere.py``): the USA descent (``s = +1``)
``x_i ← Π(x_i − (τ/n) Σ_j exp(β <x_i, D x_j>) D x_j)`` from uniform random particles; all four
cases start from the same random configuration.

Parameters (as the source): ``n = 400``; ``β = 1``; 20000 steps; no noise; step sizes
``τ = 0.1`` for ``I``, ``0.5`` for ``diag(1, 0.25, 1)``, ``0.75`` for ``diag(1, 0, 1)`` and
``diag(0, 0, 1)``.  Quick mode: ``n = 60``, 200 steps.

Outputs: ``fig3.csv`` (every final particle with ``<x, D x>`` and the case's final energy) and
``fig3.png`` (four spheres colored by ``<x, D x>``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import format_matrix, write_csv
from attndyn.particles.plots import new_figure, plot_sphere, quadratic_form, save_png
from attndyn.particles.sphere import random_points

BETA = 1.0
CASES = (
    ("D = I", np.eye(3), 0.1),
    ("D = diag(1, 0.25, 1)", np.diag([1.0, 0.25, 1.0]), 0.5),
    ("D = diag(1, 0, 1)", np.diag([1.0, 0.0, 1.0]), 0.75),
    ("D = diag(0, 0, 1)", np.diag([0.0, 0.0, 1.0]), 0.75),
)


def minimise_cases(
    n: int, steps: int, rng: np.random.Generator, *, progress: bool, snapshot_steps=(), desc=""
):
    """Run the four descents as one batch (shared initial points); returns the :class:`Flow`."""
    x0 = np.broadcast_to(random_points(n, 3, rng), (len(CASES), n, 3)).copy()
    Ds = np.stack([D for _, D, _ in CASES])
    taus = np.array([tau for _, _, tau in CASES])[:, None, None]
    return usa_flow(
        x0,
        Ds,
        beta=BETA,
        tau=taus,
        steps=steps,
        sign=1.0,
        record_every=100,
        snapshot_steps=snapshot_steps,
        progress=progress,
        desc=desc,
    )


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    n, steps = (60, 200) if quick else (400, 20000)
    flow = minimise_cases(n, steps, rng, progress=progress, desc="fig3 descent")
    Ds = np.stack([D for _, D, _ in CASES])
    energies = energy(flow.x, Ds, BETA)
    rows = []
    for c, (label, D, tau) in enumerate(CASES):
        for i, x in enumerate(flow.x[c]):
            rows.append([label, format_matrix(D), tau, i, *x, quadratic_form(x, D), energies[c]])
    csv_path = write_csv(
        out_dir / "fig3.csv",
        ["case", "D", "tau", "particle", "x1", "x2", "x3", "xDx", "case_energy"],
        rows,
    )
    fig = new_figure(figsize=(13, 3.8))
    for c, (label, D, _) in enumerate(CASES):
        ax = fig.add_subplot(1, 4, c + 1, projection="3d")
        ax.view_init(elev=20, azim=-55)
        plot_sphere(ax, D, flow.x[c], point_size=6, title=f"minimiser, {label}")
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "fig3.png")]
