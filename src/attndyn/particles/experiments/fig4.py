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
10).  Four runs, each from the same square:

* ours, in float64, 20000 steps: ``τ = 0.002`` (stable for every ``d`` here) and ``τ = 0.01``
  (fails from ``d = 8`` on, the source's "FP8bad" picture);
* the source's settings, in float32 (torch's default, which the source uses), 10000 steps:
  ``τ = 0.0005`` and ``τ = 0.05`` (the script's default, which fails from ``d = 5.5``), so
  that the rows can be compared one by one with the published ``tanh_min0.0005.csv`` and
  ``tanh_min0.05.csv``.  With ``τ = 0.0005`` the 10000 steps reach only ``t = 5``: the ratio
  is still a little below ``d`` (``1.99961`` for ``d = 2``), as in the published data.

Circle pictures (the source's FP05, FP2, FP5, FP8, FP10 and FP8bad): ``d = 0.5, 2, 5, 8, 10``
with ``τ = 0.002`` and ``d = 8`` with ``τ = 0.01``.  Quick mode: ``d ∈ {0.5, 2, 5, 8, 10}``,
6000 steps for our runs (the source's runs keep their 10000 steps, which take a fraction of a
second).

Outputs: ``fig4.csv`` (per run and ``d``: the settings (``ours`` or ``source``), the precision,
``τ``, the number of steps, the mean, min and max ratio over the particles, the expected ratio
``d``, the final ``|x1|``, ``|x2|`` and energy) and ``fig4.png`` (ratio against ``d`` for all
four runs with the line ``ratio = d``, and the six circle pictures).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

import numpy as np

from attndyn.particles.dynamics import usa_flow
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import bar, parameter, write_csv
from attndyn.particles.plots import new_figure, plot_circle, save_png
from attndyn.particles.sphere import circle_points

BETA = 1.0
N_PARTICLES = 4


@dataclass(frozen=True)
class Run:
    """One batch of descents: whose settings, step size, number of steps and precision."""

    settings: str
    tau: float
    steps: int
    dtype: type

    @property
    def precision(self) -> str:
        return np.dtype(self.dtype).name


PICTURES = (  # (name in the source, d, which of our runs: the first or the last step size)
    ("FP05", 0.5, 0),
    ("FP2", 2.0, 0),
    ("FP5", 5.0, 0),
    ("FP8", 8.0, 0),
    ("FP10", 10.0, 0),
    ("FP8bad", 8.0, -1),
)


@dataclass(frozen=True)
class Params:
    """Figure 4's parameters (defaults: the paper's values)."""

    d_values: tuple[float, ...] = parameter(
        tuple(float(d) for d in np.arange(1, 21) * 0.5),
        "values of d in D = diag(1, d)",
        quick=(0.5, 2.0, 5.0, 8.0, 10.0),
    )
    beta: float = parameter(BETA, "inverse temperature β", low=0.0, low_open=True)
    taus: tuple[float, ...] = parameter(
        (0.002, 0.01),
        "step sizes τ of our float64 runs (pictures: FP05-FP10 at the first, FP8bad at the last)",
        low=0.0,
        low_open=True,
    )
    steps: int = parameter(20000, "steps of our runs", quick=6000, low=1)
    source_taus: tuple[float, ...] = parameter(
        (0.0005, 0.05),
        "step sizes τ of the runs at the source's settings (float32)",
        low=0.0,
        low_open=True,
    )
    source_steps: int = parameter(10000, "steps of the runs at the source's settings", low=1)

    def runs(self) -> tuple[Run, ...]:
        """Our runs (float64), then the runs at the source's settings (float32)."""
        ours = tuple(Run("ours", tau, self.steps, np.float64) for tau in self.taus)
        return ours + tuple(
            Run("source", tau, self.source_steps, np.float32) for tau in self.source_taus
        )


def tanh_ratio(x: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``tanh(D00 x1²) / tanh(D11 x2²)`` for each particle (shape ``x.shape[:-1]``)."""
    d00 = np.asarray(D)[..., 0, 0][..., None]
    d11 = np.asarray(D)[..., 1, 1][..., None]
    return np.tanh(d00 * x[..., 0] ** 2) / np.tanh(d11 * x[..., 1] ** 2)


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    del seed  # deterministic: the initial square is fixed
    ds = np.array(params.d_values, dtype=float)
    beta = params.beta
    start = circle_points(N_PARTICLES, offset=np.pi / N_PARTICLES)
    runs = params.runs()
    rows = []
    ratios = []
    finals = []
    for spec in bar(runs, progress=progress, desc="fig4 runs"):
        steps = spec.steps
        Ds = np.stack([np.diag([1.0, d]) for d in ds]).astype(spec.dtype)
        x0 = np.broadcast_to(start, (len(ds), N_PARTICLES, 2)).astype(spec.dtype)
        x = usa_flow(
            x0,
            Ds,
            beta=beta,
            tau=spec.dtype(spec.tau),
            steps=steps,
            direction="descent",
            record_every=0,
        ).x
        ratio = tanh_ratio(x, Ds).astype(np.float64)
        energies = energy(x.astype(np.float64), Ds.astype(np.float64), beta)
        ratios.append(ratio.mean(axis=1))
        finals.append(x.astype(np.float64))
        for k, d in enumerate(ds):
            rows.append(
                [
                    spec.settings,
                    spec.precision,
                    spec.tau,
                    steps,
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
            "settings",
            "precision",
            "tau",
            "steps",
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

    fig = new_figure(figsize=(13, 4.6))
    grid = fig.add_gridspec(2, 4, width_ratios=(2.6, 1, 1, 1))
    ax = fig.add_subplot(grid[:, 0])
    ax.plot(ds, ds, "k--", linewidth=1, zorder=5, label="ratio = d (stationary state)")
    markers = cycle(("o", "s", "^", "v", "D", "P", "X", "*"))
    for spec, ratio, marker in zip(runs, ratios, markers, strict=False):
        ax.plot(
            ds,
            ratio,
            marker + "-",
            markersize=4,
            label=rf"$\tau = {spec.tau:g}$ ({spec.settings}, {spec.precision})",
        )
    ax.set_xlabel("$d$  ($D = $diag$(1, d)$)")
    ax.set_ylabel(r"$\tanh(D_{00}x_1^2)\,/\,\tanh(D_{11}x_2^2)$")
    ax.legend(fontsize=7)
    cells = [grid[r, c] for r in range(2) for c in range(1, 4)]
    for (name, d, which), cell in zip(PICTURES, cells, strict=True):
        k = int(np.argmin(np.abs(ds - d)))
        tau = params.taus[which]
        plot_circle(
            fig.add_subplot(cell),
            np.diag([1.0, ds[k]]),
            finals[which % len(params.taus)][k],
            point_size=60,
            title=rf"{name}: $d = {ds[k]:g}$, $\tau = {tau:g}$",
        )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "fig4.png")]
