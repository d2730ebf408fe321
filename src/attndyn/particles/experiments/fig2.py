"""Figure 2: the split study on the circle (d = 2): one cluster or two antipodal clusters?

For ``D = diag(d, 1)`` the maximiser of ``E`` is the single Dirac at the top eigenvector
``v`` (``e2`` for ``d < 1``, ``e1`` for ``d > 1``), with energy ``exp(β max(d, 1))``.  The USA
ascent from random particles can, however, stop at two antipodal clusters ``±v``.  Perturbing
the equal-mass pair ``½(δ_v + δ_{−v})`` towards each other in the plane of ``v`` and the other
eigenvector (eigenvalues ``λ1 > λ2``) changes the energy at rate
``(β/2)(−(λ1 − λ2) e^{βλ1} + (λ1 + λ2) e^{−βλ1})``, so the pair is a local maximiser exactly
when ``λ2/λ1 < tanh(βλ1)``: for ``d < tanh(1) ≈ 0.7616`` and for ``d > d*``, where
``d* tanh(d*) = 1`` (``d* ≈ 1.1997``).  Between the two thresholds only one cluster survives.

Method (source package ``exps/max_on_sphere_split.py`` and ``exps/max_on_circle_split_vis.py``):
for each ``d`` run independent repetitions of the USA ascent (``s = −1``) from uniform random
particles, count clusters of the final state with k-means (3 centres, centres closer than 0.1
merged), and record the energy and ``min_{i,j} |<x_i, x_j>|`` (≈ 1 when all particles sit at
``±v``).

Parameters: ``d ∈ linspace(0, 1.5, 20)``; ``n = 100`` particles; 100 repetitions; ``β = 1``;
``τ = 0.1``; 1500 steps; no noise (all as in the source).  The batched flows run in float32.
Circle pictures: ``n = 100``, ``τ = 0.075``, 1400 steps (as the source's picture script) for
``d = 0.3`` (two clusters), ``d = 1`` (one cluster) and ``d = 1.25`` (the source's example).
Quick mode: 5 values of ``d``, 8 repetitions, ``n = 30``, 300 steps.

Outputs: ``fig2.csv`` (per ``d``: counts of one/two/more clusters, the fraction of two-cluster
runs, the mean final energy and the single-Dirac energy, the mean and smallest
``min |<x_i, x_j>|`` (of the final points renormalised in float64, clipped to ``[0, 1]``
against rounding), and whether the antipodal pair is locally stable by the criterion above)
and ``fig2.png`` (frequencies and energies against ``d`` with the analytic thresholds, and the
three circle pictures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize

from attndyn.particles.analysis import kmeans_clusters, min_abs_inner_product
from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import ParameterError, bar, parameter, write_csv
from attndyn.particles.plots import new_figure, plot_circle, save_png
from attndyn.particles.sphere import project, random_points

BETA = 1.0
EXAMPLES = (0.3, 1.0, 1.25)  # the circle pictures' values of d


@dataclass(frozen=True)
class Params:
    """Figure 2's parameters (defaults: the paper's values)."""

    d_min: float = parameter(0.0, "smallest d of the study (D = diag(d, 1))")
    d_max: float = parameter(1.5, "largest d of the study")
    d_count: int = parameter(20, "values of d, evenly spaced from d_min to d_max", quick=5, low=1)
    particles: int = parameter(100, "particles n per run of the study", quick=30, low=1)
    repetitions: int = parameter(100, "runs per value of d", quick=8, low=1)
    beta: float = parameter(1.0, "inverse temperature β", low=0.0, low_open=True)
    tau: float = parameter(0.1, "step size τ of the study's ascent", low=0.0, low_open=True)
    steps: int = parameter(1500, "steps of the study's ascent", quick=300, low=1)
    picture_particles: int = parameter(
        100, "particles of the circle pictures (d = 0.3, 1, 1.25)", quick=30, low=1
    )
    picture_tau: float = parameter(
        0.075, "step size of the pictures' ascent", low=0.0, low_open=True
    )
    picture_steps: int = parameter(1400, "steps of the pictures' ascent", quick=300, low=1)

    def check(self) -> None:
        if self.d_max < self.d_min:
            raise ParameterError(
                f"fig2 parameters d_min={self.d_min:g} and d_max={self.d_max:g}: "
                "d_max must be >= d_min"
            )


def antipodal_pair_stable(D: np.ndarray, beta: float = BETA) -> bool:
    """Whether ``½(δ_v + δ_{−v})`` at the top eigenvector is a local maximiser (criterion above)."""
    eigenvalues = np.sort(np.linalg.eigvalsh(D))[::-1]
    top, second = eigenvalues[0], eigenvalues[1]
    return bool(top > 0 and second < top * np.tanh(beta * top))


def thresholds(beta: float = BETA) -> tuple[float, float]:
    """The two values of ``d`` where the pair changes stability, for ``D = diag(d, 1)``."""
    lower = float(np.tanh(beta))
    high = 3.0
    while high * np.tanh(beta * high) < 1.0:  # small β: the root lies beyond 3
        high *= 2.0
    upper = float(optimize.brentq(lambda d: d * np.tanh(beta * d) - 1.0, 1.0, high))
    return lower, upper


def crossings(ds: np.ndarray, fraction: np.ndarray, level: float = 0.5) -> list[float]:
    """Linear-interpolated values of ``d`` where ``fraction`` crosses ``level``."""
    found = []
    for k in range(len(ds) - 1):
        a, b = fraction[k] - level, fraction[k + 1] - level
        if a == 0.0:
            found.append(float(ds[k]))
        elif a * b < 0.0:
            found.append(float(ds[k] + (ds[k + 1] - ds[k]) * a / (a - b)))
    return found


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    ds = np.linspace(params.d_min, params.d_max, params.d_count)
    reps, n, steps, beta = params.repetitions, params.particles, params.steps, params.beta
    rows = []
    fractions = np.zeros(len(ds))
    mean_energy = np.zeros(len(ds))
    single = np.zeros(len(ds))
    for k, d in enumerate(bar(ds, progress=progress, desc="fig2 split study")):
        D = np.diag([d, 1.0])
        x0 = random_points(n, 2, rng, batch=(reps,), dtype=np.float32)
        x = usa_flow(
            x0, D, beta=beta, tau=params.tau, steps=steps, direction="ascent", record_every=0
        ).x
        x = project(x.astype(np.float64))  # renormalised in float64: |<x_i, x_j>| <= 1
        counts = np.array([kmeans_clusters(x[r], rng).count for r in range(reps)])
        energies = energy(x, D, beta)
        products = min_abs_inner_product(x)
        one, two = int(np.sum(counts == 1)), int(np.sum(counts == 2))
        fractions[k] = two / reps
        mean_energy[k] = energies.mean()
        single[k] = np.exp(beta * max(d, 1.0))
        rows.append(
            [
                d,
                reps,
                one,
                two,
                reps - one - two,
                fractions[k],
                mean_energy[k],
                single[k],
                products.mean(),
                products.min(),
                antipodal_pair_stable(D, beta),
            ]
        )
    csv_path = write_csv(
        out_dir / "fig2.csv",
        [
            "d",
            "runs",
            "one_cluster",
            "two_clusters",
            "more_clusters",
            "fraction_two_clusters",
            "mean_energy",
            "single_dirac_energy",
            "mean_min_abs_inner_product",
            "min_min_abs_inner_product",
            "antipodal_pair_locally_stable",
        ],
        rows,
    )

    examples = EXAMPLES
    pic_n, pic_steps = params.picture_particles, params.picture_steps
    Ds = np.stack([np.diag([d, 1.0]) for d in examples])
    pictures = usa_flow(
        random_points(pic_n, 2, rng, batch=(len(examples),)),
        Ds,
        beta=beta,
        tau=params.picture_tau,
        steps=pic_steps,
        direction="ascent",
        record_every=0,
    ).x

    lower, upper = thresholds(beta)
    fig = new_figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(2, 4, width_ratios=(2.2, 2.2, 1, 1))
    ax = fig.add_subplot(grid[:, 0])
    ax.plot(ds, fractions, "o-", label="two clusters")
    ax.plot(ds, 1.0 - fractions, "s-", label="one cluster")
    for t in (lower, upper):
        ax.axvline(t, color="gray", linestyle="--", linewidth=1)
    ax.set_xlabel("$d$  ($D = $diag$(d, 1)$)")
    ax.set_ylabel("fraction of runs")
    ax.set_title("cluster count (dashed: analytic thresholds)", fontsize=9)
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[:, 1])
    ax.plot(ds, mean_energy, "o-", label="mean final energy")
    ax.plot(ds, single, "k--", label=r"single Dirac $e^{\beta\max(d,1)}$")
    ax.set_xlabel("$d$")
    ax.set_ylabel("energy")
    ax.legend(fontsize=8)
    positions = [grid[0, 2], grid[0, 3], grid[1, 2]]
    for d, points, spec in zip(examples, pictures, positions, strict=True):
        plot_circle(
            fig.add_subplot(spec), np.diag([d, 1.0]), points, point_size=30, title=f"d = {d:g}"
        )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "fig2.png")]
