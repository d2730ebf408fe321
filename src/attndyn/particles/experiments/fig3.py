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

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import (
    ParameterError,
    format_matrix,
    parameter,
    write_csv,
)
from attndyn.particles.plots import new_figure, plot_sphere, quadratic_form, save_png
from attndyn.particles.sphere import random_points

BETA = 1.0
CASES = (
    ("D = I", np.eye(3), 0.1),
    ("D = diag(1, 0.25, 1)", np.diag([1.0, 0.25, 1.0]), 0.5),
    ("D = diag(1, 0, 1)", np.diag([1.0, 0.0, 1.0]), 0.75),
    ("D = diag(0, 0, 1)", np.diag([0.0, 0.0, 1.0]), 0.75),
)
TAUS = tuple(tau for _, _, tau in CASES)


def check_taus(name: str, taus: tuple[float, ...]) -> None:
    """One step size per case of :data:`CASES`; a :class:`ParameterError` otherwise."""
    if len(taus) != len(CASES):
        raise ParameterError(
            f"{name} parameter taus has {len(taus)} values; give {len(CASES)}, one per matrix "
            f"({', '.join(label for label, _, _ in CASES)})"
        )


@dataclass(frozen=True)
class Params:
    """Figure 3's parameters (defaults: the paper's values)."""

    particles: int = parameter(400, "particles n", quick=60, low=1)
    beta: float = parameter(BETA, "inverse temperature β", low=0.0, low_open=True)
    steps: int = parameter(20000, "descent steps", quick=200, low=1)
    taus: tuple[float, ...] = parameter(
        TAUS,
        "step sizes τ, one per matrix: I, diag(1, .25, 1), diag(1, 0, 1), diag(0, 0, 1)",
        low=0.0,
        low_open=True,
    )

    def check(self) -> None:
        check_taus("fig3", self.taus)


def minimise_cases(
    n: int,
    steps: int,
    rng: np.random.Generator,
    *,
    progress: bool,
    taus: tuple[float, ...] = TAUS,
    beta: float = BETA,
    snapshot_steps=(),
    desc="",
):
    """Run the four descents as one batch (shared initial points); returns the :class:`Flow`."""
    x0 = np.broadcast_to(random_points(n, 3, rng), (len(CASES), n, 3)).copy()
    Ds = np.stack([D for _, D, _ in CASES])
    taus = np.array(taus, dtype=float)[:, None, None]
    return usa_flow(
        x0,
        Ds,
        beta=beta,
        tau=taus,
        steps=steps,
        direction="descent",
        record_every=100,
        snapshot_steps=snapshot_steps,
        progress=progress,
        desc=desc,
    )


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    flow = minimise_cases(
        params.particles,
        params.steps,
        rng,
        progress=progress,
        taus=params.taus,
        beta=params.beta,
        desc="fig3 descent",
    )
    Ds = np.stack([D for _, D, _ in CASES])
    energies = energy(flow.x, Ds, params.beta)
    rows = []
    for c, ((label, D, _), tau) in enumerate(zip(CASES, params.taus, strict=True)):
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
