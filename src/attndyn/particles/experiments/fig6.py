"""Figure 6: maximisers of the energy for negative (semi-)definite D on S² (d = 3).

For negative definite ``D`` a single cluster has the smallest possible self-interaction; the
energy is maximised by two antipodal Diracs of equal mass, ``½(δ_v + δ_{−v})``, at an
eigenvector ``v`` of the eigenvalue of largest modulus, ``|λ|_max``, with
``E = cosh(β |λ|_max)``.  (Expanding ``E = Σ_k (β^k/k!) ∫∫ <x, D y>^k dμ dμ``, the odd terms are
``≤ 0`` and vanish for a symmetric measure, and each even term is largest when ``μ`` sits on
``±v``.)  For ``D = −I`` every antipodal pair is a maximiser; for ``D = −diag(1, 3, 4)`` only
the pair ``±e3`` (``E = cosh 4``); for the semi-definite ``D = diag(−1, 0, 0)`` only ``±e1``
(``E = cosh 1``); for the semi-definite ``D = −diag(1, 1, 0)`` any antipodal pair in the
``(x1, x2)`` plane (``E = cosh 1``).

Method (source package ``exps/max_on_sphere_nd.py``): the USA ascent (``s = −1``) from uniform
random particles; the clusters of each final state are found by k-means (3 centres, centres
closer than 0.1 merged), and the centres of one repetition are joined by a line.

Parameters: ``n = 100``; ``β = 1``; ``τ = 0.1``; 500 steps; no noise.  The source script's
three modes: ``Id``, ``D = −I`` with 6 repetitions; ``NonId``, ``D = −diag(1, 3, 4)`` with 100
(its code sets ``D = −I`` and then the last two diagonal entries to −3 and −4, which is
``−diag(1, 3, 4)``, the counterpart of Figure 1's ``diag(1, 3, 4)``); ``NonId2``, the mode the
script runs, ``D = diag(−1, 0, 0)`` with 10.  Added as a second semi-definite example:
``D = −diag(1, 1, 0)`` with 20.  Quick mode: 3 repetitions per case, ``n = 30``, 100 steps.

Outputs: ``fig6.csv`` (one row per cluster of each repetition: the source's mode name, centre,
mass, number of clusters, final energy and the maximal energy ``cosh(β |λ|_max)``) and
``fig6.png`` (per case, a see-through sphere colored by ``<x, D x>`` seen from the front and
from the back, the cluster centres in red, faint when on the far side, and each antipodal
pair joined by its chord through the centre).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attndyn.particles.analysis import kmeans_clusters
from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import (
    ParameterError,
    bar,
    format_matrix,
    parameter,
    write_csv,
)
from attndyn.particles.plots import new_figure, plot_sphere_views, save_png
from attndyn.particles.sphere import random_points

BETA = 1.0
TAU = 0.1
CASES = (
    ("Id", "D = -I", -np.eye(3), 6),
    ("NonId", "D = -diag(1, 3, 4)", -np.diag([1.0, 3.0, 4.0]), 100),
    ("NonId2", "D = diag(-1, 0, 0)", np.diag([-1.0, 0.0, 0.0]), 10),
    ("added", "D = -diag(1, 1, 0)", -np.diag([1.0, 1.0, 0.0]), 20),
)


@dataclass(frozen=True)
class Params:
    """Figure 6's parameters (defaults: the paper's values)."""

    particles: int = parameter(100, "particles n", quick=30, low=1)
    beta: float = parameter(BETA, "inverse temperature β", low=0.0, low_open=True)
    tau: float = parameter(TAU, "step size τ of the USA ascent", low=0.0, low_open=True)
    steps: int = parameter(500, "ascent steps", quick=100, low=1)
    repetitions: tuple[int, ...] = parameter(
        tuple(reps for *_, reps in CASES),
        "random starts per case: Id, NonId, NonId2, added",
        quick=(3, 3, 3, 3),
        low=1,
    )

    def check(self) -> None:
        if len(self.repetitions) != len(CASES):
            raise ParameterError(
                f"fig6 parameter repetitions has {len(self.repetitions)} values; give "
                f"{len(CASES)}, one per case ({', '.join(mode for mode, *_ in CASES)})"
            )


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    n, steps, beta = params.particles, params.steps, params.beta
    rows = []
    centres_per_case = []
    cases = [(*case[:3], reps) for case, reps in zip(CASES, params.repetitions, strict=True)]
    for mode, label, D, reps in bar(cases, progress=progress, desc="fig6"):
        x0 = random_points(n, 3, rng, batch=(reps,))
        x = usa_flow(
            x0, D, beta=beta, tau=params.tau, steps=steps, direction="ascent", record_every=0
        ).x
        energies = energy(x, D, beta)
        best = np.cosh(beta * np.abs(np.linalg.eigvalsh(D)).max())
        centres = []
        for r in range(reps):
            clusters = kmeans_clusters(x[r], rng)
            centres.append(clusters.centres)
            for c in range(clusters.count):
                rows.append(
                    [
                        mode,
                        label,
                        format_matrix(D),
                        r,
                        c,
                        *clusters.centres[c],
                        clusters.masses[c],
                        clusters.count,
                        energies[r],
                        best,
                    ]
                )
        centres_per_case.append(centres)
    csv_path = write_csv(
        out_dir / "fig6.csv",
        [
            "mode",
            "case",
            "D",
            "repetition",
            "cluster",
            "c1",
            "c2",
            "c3",
            "mass",
            "clusters",
            "energy",
            "max_energy",
        ],
        rows,
    )
    fig = new_figure(figsize=(4.0 * len(CASES), 7.6))
    grid = fig.add_gridspec(2, len(CASES))
    for k, ((_, label, D, _), centres) in enumerate(zip(CASES, centres_per_case, strict=True)):
        plot_sphere_views(
            fig,
            (grid[0, k], grid[1, k]),
            D,
            np.concatenate(centres),
            alpha=0.3,
            point_size=30,
            point_color="tab:red",
            back_alpha=0.35,
            segments=[c[:2] for c in centres if len(c) > 1],
            title=f"maximisers, {label}",
        )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "fig6.png")]
