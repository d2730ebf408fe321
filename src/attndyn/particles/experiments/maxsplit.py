"""MaxSplit A/B (and C): where the USA ascent for D = diag(1, 1.25) on the circle ends.

The top eigenvector of ``D = diag(1, 1.25)`` is ``e2`` (``λ1 = 1.25``, ``λ2 = 1``).  The
maximiser of ``E(μ) = ∫∫ exp(β <x, D y>) dμ dμ`` is one cluster, at ``+e2`` or at ``−e2``
(``E = exp(β λ1)``): the two one-cluster outcomes, the source's pictures MaxSplitA and
MaxSplitB.  Since ``λ2/λ1 = 0.8 < tanh(β λ1) ≈ 0.848``, the antipodal pair ``±e2`` is a local
maximiser too (the criterion of Figure 2), so the ascent may also stop at two clusters with
masses ``m`` and ``1 − m``, of energy ``(m² + (1 − m)²) e^{βλ1} + 2m(1 − m) e^{−βλ1}``
(MaxSplitC, also Figure 2's third circle).  The flow commutes with ``x ↦ −x``, so the two
one-cluster outcomes are equally likely.

Method (source package ``exps/max_on_circle_split_vis.py``): the USA ascent (``s = −1``)
``x_i ← Π(x_i + (τ/n) Σ_j exp(β <x_i, D x_j>) D x_j)`` from uniform random particles, repeated;
each final state is classified by its clusters (k-means with 3 centres, centres closer than
0.1 merged): ``A`` one cluster near ``+e2``, ``B`` one cluster near ``−e2``, ``C`` two
clusters near ``±e2``, ``other`` otherwise (not converged).

Parameters (as the source's script): ``n = 100``, ``β = 1``, ``τ = 0.075``, 1400 steps, no
noise; 60 repetitions.  Quick mode: 12 repetitions, ``n = 30``, 300 steps.

Outputs: ``maxsplit.csv`` (one row per repetition: the outcome, the number of clusters, the
mass at ``x2 > 0``, the final energy and the energy of that outcome's ideal state) and
``maxsplit.png`` (the first run of each outcome on the circle colored by ``<x, D x>``, and
the frequencies of the outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attndyn.particles.analysis import Clusters, kmeans_clusters
from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import parameter, write_csv
from attndyn.particles.plots import new_figure, plot_circle, save_png
from attndyn.particles.sphere import random_points

BETA = 1.0
TAU = 0.075
D = np.diag([1.0, 1.25])
OUTCOMES = {
    "A": "one cluster at +e2",
    "B": "one cluster at -e2",
    "C": "two clusters at ±e2",
    "other": "other (not converged)",
}
NEAR = 0.05  # a centre within this (Euclidean) distance of ±e2 sits there


@dataclass(frozen=True)
class Params:
    """MaxSplit's parameters (defaults: the source's picture script)."""

    particles: int = parameter(100, "particles n", quick=30, low=1)
    repetitions: int = parameter(60, "random starts", quick=12, low=1)
    beta: float = parameter(BETA, "inverse temperature β", low=0.0, low_open=True)
    tau: float = parameter(TAU, "step size τ of the USA ascent", low=0.0, low_open=True)
    steps: int = parameter(1400, "ascent steps", quick=300, low=1)


def classify(clusters: Clusters) -> str:
    """``A``, ``B``, ``C`` or ``other`` for the clusters of a final state (see above)."""
    at_top = [float(c[1]) for c in clusters.centres if abs(abs(float(c[1])) - 1.0) < NEAR]
    if clusters.count == 1 and len(at_top) == 1:
        return "A" if at_top[0] > 0 else "B"
    if clusters.count == 2 and len(at_top) == 2 and at_top[0] * at_top[1] < 0:
        return "C"
    return "other"


def ideal_energy(outcome: str, mass_up: float, beta: float = BETA) -> float:
    """Energy of the outcome's ideal state: one Dirac at ``±e2`` or ``m δ_{e2} + (1−m) δ_{−e2}``."""
    top = float(np.linalg.eigvalsh(D).max())
    if outcome in ("A", "B"):
        return float(np.exp(beta * top))
    if outcome == "C":
        m = mass_up
        return float(
            (m * m + (1 - m) ** 2) * np.exp(beta * top) + 2 * m * (1 - m) * np.exp(-beta * top)
        )
    return float("nan")


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    del progress  # a second or two
    rng = np.random.default_rng(seed)
    reps, n, steps, beta = params.repetitions, params.particles, params.steps, params.beta
    x0 = random_points(n, 2, rng, batch=(reps,))
    x = usa_flow(
        x0, D, beta=beta, tau=params.tau, steps=steps, direction="ascent", record_every=0
    ).x
    energies = energy(x, D, beta)
    rows = []
    first: dict[str, int] = {}
    for r in range(reps):
        clusters = kmeans_clusters(x[r], rng)
        outcome = classify(clusters)
        first.setdefault(outcome, r)
        mass_up = float(np.mean(x[r, :, 1] > 0))
        rows.append(
            [
                r,
                outcome,
                OUTCOMES[outcome],
                clusters.count,
                mass_up,
                energies[r],
                ideal_energy(outcome, mass_up, beta),
            ]
        )
    csv_path = write_csv(
        out_dir / "maxsplit.csv",
        [
            "repetition",
            "outcome",
            "description",
            "clusters",
            "mass_x2_positive",
            "energy",
            "ideal_energy",
        ],
        rows,
    )
    fig = new_figure(figsize=(12, 3.4))
    grid = fig.add_gridspec(1, 4, width_ratios=(1, 1, 1, 1.4))
    for k, name in enumerate(("A", "B", "C")):
        ax = fig.add_subplot(grid[0, k])
        if name in first:
            plot_circle(
                ax,
                D,
                x[first[name]],
                point_size=40,
                title=f"MaxSplit{name}: {OUTCOMES[name]}",
            )
        else:
            plot_circle(ax, D, None, title=f"MaxSplit{name}: not reached in {reps} runs")
    ax = fig.add_subplot(grid[0, 3])
    names = list(OUTCOMES)
    counts = [sum(1 for row in rows if row[1] == name) for name in names]
    ax.bar(names, counts, color=["C0", "C1", "C2", "0.6"])
    ax.set_ylabel(f"runs (of {reps})")
    ax.set_title("D = diag(1, 1.25): outcomes of the ascent", fontsize=9)
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "maxsplit.png")]
