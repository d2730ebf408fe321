"""Figure 7: energies of one- and two-cluster states for the indefinite D = diag(−1, d), d = 2.

Three candidate maximisers on the circle (equal masses; ``β = 1``):

* one cluster at ``e2``:                ``E = exp(β d)``;
* two clusters at ``±e1``:              ``E = (e^{−β} + e^{β})/2 = cosh β``;
* two clusters at ``±e2``:              ``E = cosh(β d)``.

The single cluster wins for ``d > log(cosh β)/β`` (``log cosh(1) ≈ 0.4338`` at ``β = 1``) and
the pair ``±e1`` below; the pair ``±e2`` is never better than ``±e1`` for ``|d| ≤ 1``.  The
energies are evaluated with the particle energy ``E(x)`` on two-particle configurations.  As
an independent check, the best two-Dirac configuration is also searched directly: gradient
ascent on the Dirac angles with decaying uniform noise, keeping the best, from several random
starts per ``d``.

Parameters: ``d ∈ linspace(−1, 1, 100)`` (as the source package ``exps/max_on_sphere_id.py``);
``β = 1``; the Dirac search uses 2 Diracs, 8 random starts, 400 steps of size 0.2, initial
noise 0.5 decaying by 0.9 per step.  Circle pictures of the three states for ``d = 1`` (the
source draws them for the last matrix of its loop, ``d = 1``).  Quick mode: 21 values of
``d``, 2 starts, 100 steps.

Outputs: ``fig7.csv`` (per ``d``: the three energies, the best of them, and the best energy
found by the Dirac search) and ``fig7.png`` (energies against ``d`` and the three states).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import ParameterError, parameter, write_csv
from attndyn.particles.optimise import optimise_diracs
from attndyn.particles.plots import new_figure, plot_circle, save_png

BETA = 1.0
STATES = (
    ("one cluster at e2", np.array([[0.0, 1.0], [0.0, 1.0]])),
    ("two clusters at ±e1", np.array([[1.0, 0.0], [-1.0, 0.0]])),
    ("two clusters at ±e2", np.array([[0.0, 1.0], [0.0, -1.0]])),
)


@dataclass(frozen=True)
class Params:
    """Figure 7's parameters (defaults: the paper's values)."""

    d_min: float = parameter(-1.0, "smallest d in D = diag(-1, d)")
    d_max: float = parameter(1.0, "largest d")
    d_count: int = parameter(100, "values of d, evenly spaced from d_min to d_max", quick=21, low=1)
    beta: float = parameter(BETA, "inverse temperature β", low=0.0, low_open=True)
    starts: int = parameter(8, "random starts of the 2-Dirac search per d", quick=2, low=1)
    steps: int = parameter(400, "steps of the 2-Dirac search", quick=100, low=1)
    lr: float = parameter(0.2, "step size of the 2-Dirac search", low=0.0, low_open=True)
    noise: float = parameter(0.5, "initial noise of the 2-Dirac search", low=0.0)
    noise_decay: float = parameter(
        0.9, "factor of the noise per step", low=0.0, low_open=True, high=1.0
    )

    def check(self) -> None:
        if self.d_max < self.d_min:
            raise ParameterError(
                f"fig7 parameters d_min={self.d_min:g} and d_max={self.d_max:g}: "
                "d_max must be >= d_min"
            )


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    del progress  # a few seconds at most
    rng = np.random.default_rng(seed)
    ds = np.linspace(params.d_min, params.d_max, params.d_count)
    starts, steps, beta = params.starts, params.steps, params.beta
    Ds = np.stack([np.diag([-1.0, d]) for d in ds])
    energies = np.stack([energy(x, Ds, beta) for _, x in STATES], axis=1)  # (len(ds), 3)
    batch_D = np.repeat(Ds, starts, axis=0)
    search = optimise_diracs(
        batch_D,
        2,
        rng,
        beta=beta,
        maximise=True,
        steps=steps,
        lr=params.lr,
        sigma=params.noise,
        sigma_decay=params.noise_decay,
        batch=(len(ds) * starts,),
    )
    found = search.energy.reshape(len(ds), starts).max(axis=1)
    rows = [[d, *energies[k], energies[k].max(), found[k]] for k, d in enumerate(ds)]
    csv_path = write_csv(
        out_dir / "fig7.csv",
        [
            "d",
            "energy_one_cluster_e2",
            "energy_two_clusters_e1",
            "energy_two_clusters_e2",
            "best_candidate",
            "best_found_by_dirac_search",
        ],
        rows,
    )
    fig = new_figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(2, 3, width_ratios=(2.4, 1, 1))
    ax = fig.add_subplot(grid[:, 0])
    for (label, _), column in zip(STATES, energies.T, strict=True):
        ax.plot(ds, column, label=label)
    ax.plot(ds, found, "k.", markersize=3, label="best 2-Dirac search")
    ax.axvline(np.log(np.cosh(beta)) / beta, color="gray", linestyle="--", linewidth=1)
    ax.set_xlabel("$d$  ($D = $diag$(-1, d)$)")
    ax.set_ylabel("energy")
    ax.legend(fontsize=8)
    D_picture = np.diag([-1.0, 1.0])
    colors = ("C0", "C1", "C2")  # the colors of the energy curves
    specs = (grid[0, 1], grid[0, 2], grid[1, 1])
    for (label, x), color, spec in zip(STATES, colors, specs, strict=True):
        plot_circle(
            fig.add_subplot(spec),
            D_picture,
            x,
            point_size=120,
            point_color=color,
            title=f"{label}, d = 1",
        )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "fig7.png")]
