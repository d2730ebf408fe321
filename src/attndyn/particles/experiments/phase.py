"""Phase diagrams: the number of clusters of the SA flow over (β, t), for random Q, K, V.

In the manner of Geshkovski, Letrouit, Polyanskiy and Rigollet ("A mathematical perspective on
Transformers"): ``n`` particles on S^{d−1} follow the softmax self-attention flow

    dx_i/dt = P_{x_i} ( Σ_j exp(β <Q x_i, K x_j>) V x_j / Σ_j exp(β <Q x_i, K x_j>) ),

and the number of clusters is recorded over time, for a range of inverse temperatures ``β``.
Small ``β`` gives one cluster quickly; large ``β`` gives long-lived (metastable) states of
several clusters that merge one by one, so the count falls in steps over ``log t``.

Families of matrices (each draw gives one ``(Q, K, V)`` and one uniform random start, shared
by every ``β``):

* ``identity``: ``Q = K = V = I`` (the reference case);
* ``gaussian``: independent entries ``N(0, 1/d)`` in each of ``Q``, ``K``, ``V``;
* ``goe``: each of ``Q``, ``K``, ``V`` from the Gaussian orthogonal ensemble,
  ``(A + Aᵀ)/√2`` with ``A`` as in ``gaussian`` (symmetric, real spectrum).

Clusters are the connected components of the graph linking particles within Euclidean
distance 0.05 (:func:`~attndyn.model.fields.count_clusters`); at a finite time a
cluster is a tight group, not yet a point.

Method: the flow is integrated with projected RK4 steps (:func:`~attndyn.particles.dynamics.
rk4_step`) of size ``dt = 0.1``, all draws and all ``β`` as one batch, in float64.

Parameters: ``d = 3``, ``n = 32``; ``β ∈ geomspace(0.25, 16, 25)``; ``t ∈ [0, 40]`` recorded
every 0.5; 32 draws per family.  Quick mode: 6 values of ``β``, ``t ∈ [0, 10]`` recorded
every 1, 4 draws.

Outputs: ``phase.csv`` (per family, ``β`` and time: the mean number of clusters over the
draws, the fraction of draws in one cluster, and the number of draws) and ``phase.png`` (one
panel per family: the mean number of clusters over ``(β, t)``, both axes logarithmic, with the
contour where half the draws have merged into one cluster).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm

from attndyn.model.fields import count_clusters
from attndyn.particles.dynamics import rk4_step, sa_velocity
from attndyn.particles.experiments.common import bar, write_csv
from attndyn.particles.plots import new_figure, save_png
from attndyn.particles.sphere import random_points

FAMILIES = ("identity", "gaussian", "goe")
DIMENSION = 3
PARTICLES = 32
DT = 0.1
CLUSTER_DISTANCE = 0.05


def sample_matrices(
    family: str, d: int, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Q, K, V)`` for ``draws`` draws of ``family``, each of shape ``(draws, d, d)``."""
    if family == "identity":
        eye = np.broadcast_to(np.eye(d), (draws, d, d)).copy()
        return eye, eye.copy(), eye.copy()
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    out = []
    for _ in range(3):
        A = rng.standard_normal((draws, d, d)) / np.sqrt(d)
        out.append((A + A.swapaxes(-1, -2)) / np.sqrt(2.0) if family == "goe" else A)
    return out[0], out[1], out[2]


def cluster_history(
    family: str,
    betas: np.ndarray,
    *,
    draws: int,
    t_max: float,
    record: float,
    rng: np.random.Generator,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster counts of every draw and ``β`` at the recorded times.

    Returns ``(times (m,), counts (m, draws, len(betas)))``.
    """
    betas = np.asarray(betas, dtype=float)
    B, d, n = betas.size, DIMENSION, PARTICLES
    Q, K, V = (
        np.repeat(M[:, None], B, axis=1).reshape(draws * B, d, d)
        for M in sample_matrices(family, d, draws, rng)
    )
    beta = np.tile(betas, draws)[:, None, None]
    x = np.repeat(random_points(n, d, rng, batch=(draws,))[:, None], B, axis=1)
    x = x.reshape(draws * B, n, d)
    steps = round(float(t_max) / DT)
    every = max(1, round(float(record) / DT))
    times, counts = [0.0], [count_clusters(x, CLUSTER_DISTANCE)]
    for k in bar(range(1, steps + 1), progress=progress, desc=f"phase {family}"):
        x = rk4_step(lambda y: sa_velocity(y, Q, K, V, beta), x, DT)
        if k % every == 0:
            times.append(k * DT)
            counts.append(count_clusters(x, CLUSTER_DISTANCE))
    return np.asarray(times), np.stack(counts).reshape(len(times), draws, B)


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    if quick:
        betas, draws, t_max, record = np.geomspace(0.25, 16, 6), 4, 10.0, 1.0
    else:
        betas, draws, t_max, record = np.geomspace(0.25, 16, 25), 32, 40.0, 0.5
    rows = []
    panels = []
    for family in FAMILIES:
        times, counts = cluster_history(
            family, betas, draws=draws, t_max=t_max, record=record, rng=rng, progress=progress
        )
        mean = counts.mean(axis=1)  # (m, B)
        one = (counts == 1).mean(axis=1)
        panels.append((family, times, mean, one))
        for i, t in enumerate(times):
            for j, b in enumerate(betas):
                rows.append([family, b, t, mean[i, j], one[i, j], draws])
    csv_path = write_csv(
        out_dir / "phase.csv",
        ["family", "beta", "time", "mean_clusters", "fraction_one_cluster", "draws"],
        rows,
    )
    fig = new_figure(figsize=(4.4 * len(FAMILIES), 4.2))
    norm = LogNorm(1.0, float(PARTICLES))
    for k, (family, times, mean, one) in enumerate(panels):
        ax = fig.add_subplot(1, len(FAMILIES), k + 1)
        shown = slice(1, None)  # t = 0 has no place on a log axis
        mesh = ax.pcolormesh(
            betas, times[shown], mean[shown], norm=norm, cmap="viridis", shading="nearest"
        )
        if (one[shown] >= 0.5).any() and (one[shown] < 0.5).any():
            ax.contour(betas, times[shown], one[shown], levels=[0.5], colors="w", linewidths=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"$\beta$")
        ax.set_ylabel("t")
        ax.set_title(f"{family}: mean number of clusters ({draws} draws)", fontsize=9)
        fig.colorbar(mesh, ax=ax, shrink=0.85)
    fig.suptitle(
        f"SA flow on S^{DIMENSION - 1}, n = {PARTICLES}; white: half the draws in one cluster",
        fontsize=10,
    )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "phase.png")]
