"""Phase diagrams of the SA flow over (β, t), for random Q, K, V, in two layouts.

``n`` particles on S^{d−1} follow the softmax self-attention flow

    dx_i/dt = P_{x_i} ( Σ_j exp(β <Q x_i, K x_j>) V x_j / Σ_j exp(β <Q x_i, K x_j>) ).

Small ``β`` gives one cluster quickly; large ``β`` gives long-lived (metastable) states of
several clusters that merge one by one.  Each draw gives one set of matrices and one uniform
random start, shared by every ``β`` (the source below draws afresh for each ``β``; the
expected values are the same, ours vary less from one ``β`` to the next).

Layout ``ours`` (the default): the number of clusters over log ``β`` (x) and log ``t`` (y).

* Families of matrices: ``identity`` (``Q = K = V = I``); ``gaussian`` (independent entries
  ``N(0, 1/d)`` in each of ``Q``, ``K``, ``V``); ``goe`` (each of ``Q``, ``K``, ``V`` from the
  Gaussian orthogonal ensemble, ``(A + Aᵀ)/√2`` with ``A`` as in ``gaussian``).
* Clusters are the connected components of the graph linking particles within Euclidean
  distance ``cluster_distance`` = 0.05 (:func:`~attndyn.model.fields.count_clusters`); at a finite
  time a cluster is a tight group, not yet a point.
* Method: projected RK4 steps (:func:`~attndyn.particles.dynamics.rk4_step`) of size
  ``step`` = 0.1, all draws and all ``β`` as one batch, in float64.
* Parameters: ``d = 3``, ``n = 32``; ``β ∈ geomspace(0.25, 16, 25)``; ``t ∈ [0, 40]``
  recorded every 0.5; 32 draws per family.  Quick mode: 6 values of ``β``, ``t ∈ [0, 10]``
  recorded every 1, 4 draws.
* Outputs: ``phase.csv`` (per family, ``β`` and time: the mean number of clusters over the
  draws, the fraction of draws in one cluster, and the number of draws) and ``phase.png``
  (one panel per family: the mean number of clusters over ``(β, t)``, both axes
  logarithmic, with the contour where half the draws have merged into one cluster).

Layout ``geshkovski``: the layout and measure of Geshkovski, Letrouit, Polyanskiy and
Rigollet ("A mathematical perspective on Transformers", code ``phase-diagrams.py`` of
``borjanG/2023-transformers-rotf``), for comparison cell by cell with their pictures.

* Update (their loop, row vectors ``x_i``): ``A = softmax_j(β x_iᵀ B x_j)`` with the bilinear
  form ``B = QᵀK``; ``y_i = x_i + η (Σ_j A_ij x_j)ᵀ V``; ``x_i ← y_i/|y_i|``: an explicit
  Euler step of size ``η = step`` = 0.1 made tangent by the normalisation, time ``t += η``.
  With ``softmax=false`` the weights are ``exp(β x_iᵀ B x_j)/n`` and the step is
  ``η = step/max(√β e^{β−1/2}, 1)`` (their non-softmax mode; their script then ends at
  ``t_max = 1``).
* ``qk`` draws ``B`` (per draw): ``identity``; ``gaussian`` ``G1 G2/√d``; ``goe``
  ``(G + Gᵀ)/√2`` (``G`` standard normal).  The families draw ``V``: ``identity``; ``psd``
  ``G Gᵀ/√d`` (positive semi-definite); ``plus-qk`` ``+B/c`` and ``minus-qk`` ``−B/c`` with
  ``c = 1, √d, √(d+1)`` for ``qk`` = identity, gaussian, goe (their ``randomV`` 0-3).
* Measure: the share of merged particle pairs, ordered pairs ``i ≠ j`` of all draws with
  ``<x_i, x_j> > merge_threshold`` = 0.999, at ``checkpoints`` = 200 times
  ``linspace(0, t_max, 200)``; a checkpoint takes the state after the first step whose
  accumulated time reaches it (so the first, ``t = 0``, is after one step), as their loop.
* Parameters: ``d = 2``, ``n = 32``, ``β ∈ linspace(0.1, 9, 90)``, ``t ∈ [0, 30]``,
  softmax, ``qk = identity`` (their defaults); families ``identity`` and ``psd`` (with
  ``qk = identity``, ``plus-qk`` is ``identity`` again and ``minus-qk`` never merges: give a
  random ``qk`` for those); 64 draws per family (their script: 2048; ``draws=2048`` takes 32
  times longer).  Quick mode: 6 values of ``β``, ``t ∈ [0, 10]`` with 11 checkpoints, 4 draws.
* Outputs: ``phase.csv`` (per family, ``β`` and checkpoint: the share of merged pairs and
  the number of draws) and ``phase.png`` (one panel per family: the share over ``t`` (x)
  and ``β`` (y), both linear, in their colour map ``RdBu_r``).

Which to use: ``geshkovski`` to set a result beside their figures (same axes, measure,
dimension and scheme); ``ours`` to see the metastable staircase (logarithmic axes spread the
long plateaus), to count clusters rather than pairs, and for ``d ≥ 3`` with an accurate
RK4 flow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm

from attndyn.model.fields import count_clusters
from attndyn.particles.dynamics import rk4_step, sa_velocity
from attndyn.particles.experiments.common import (
    ParameterError,
    bar,
    parameter,
    parameter_specs,
    write_csv,
)
from attndyn.particles.plots import new_figure, save_png
from attndyn.particles.sphere import random_points

LAYOUTS = ("ours", "geshkovski")
FAMILIES = ("identity", "gaussian", "goe")  # ours: Q, K and V drawn alike
V_FAMILIES = ("identity", "psd", "plus-qk", "minus-qk")  # geshkovski: V
QK_KINDS = ("identity", "gaussian", "goe")  # geshkovski: the bilinear form QᵀK
DIMENSION = 3
PARTICLES = 32
DT = 0.1
CLUSTER_DISTANCE = 0.05
CHUNK_ELEMENTS = 1 << 22  # attention weights held at once by the Geshkovski layout (32 MiB)
LAYOUT_DEFAULTS = {
    "ours": {
        "families": FAMILIES,
        "dimension": DIMENSION,
        "beta_min": 0.25,
        "beta_max": 16.0,
        "betas": 25,
        "t_max": 40.0,
        "draws": 32,
    },
    "geshkovski": {
        "families": ("identity", "psd"),
        "dimension": 2,
        "beta_min": 0.1,
        "beta_max": 9.0,
        "betas": 90,
        "t_max": 30.0,
        "draws": 64,
    },
}
OURS_ONLY = ("record", "cluster_distance")
GESHKOVSKI_ONLY = ("checkpoints", "qk", "softmax", "merge_threshold")


def _auto(name: str) -> str:
    """What ``auto`` means for field ``name``: its value in each layout."""
    ours, theirs = (LAYOUT_DEFAULTS[layout][name] for layout in LAYOUTS)
    if isinstance(ours, tuple):
        ours, theirs = ",".join(ours), ",".join(theirs)
    return f"{ours} (ours), {theirs} (geshkovski)"


@dataclass(frozen=True)
class Params:
    """The phase diagram's parameters; ``auto`` ones follow ``layout``."""

    layout: str = parameter(
        "ours",
        "ours: clusters over log β and log t (d = 3, RK4); geshkovski: merged-pair share over "
        "t (x) and β (y), their scheme, d = 2",
        choices=LAYOUTS,
    )
    families: tuple[str, ...] | None = parameter(
        None,
        "panels: ours draws Q, K, V from identity|gaussian|goe; geshkovski draws V from "
        "identity|psd|plus-qk|minus-qk",
        auto=_auto("families"),
    )
    dimension: int | None = parameter(None, "dimension d (S^{d-1})", low=2, auto=_auto("dimension"))
    particles: int = parameter(PARTICLES, "particles n", low=2)
    beta_min: float | None = parameter(
        None, "smallest β (ours: > 0, geometric spacing)", low=0.0, auto=_auto("beta_min")
    )
    beta_max: float | None = parameter(None, "largest β", low=0.0, auto=_auto("beta_max"))
    betas: int | None = parameter(
        None,
        "values of β (ours: geomspace, geshkovski: linspace)",
        quick=6,
        low=1,
        auto=_auto("betas"),
    )
    t_max: float | None = parameter(
        None, "final time", quick=10.0, low=0.0, low_open=True, auto=_auto("t_max")
    )
    step: float = parameter(
        DT, "time step (ours: RK4 dt; geshkovski: Euler η)", low=0.0, low_open=True
    )
    draws: int | None = parameter(
        None, "draws (matrices and start) per family", quick=4, low=1, auto=_auto("draws")
    )
    record: float = parameter(
        0.5,
        "ours: time between records (a multiple of step)",
        quick=1.0,
        low=0.0,
        low_open=True,
    )
    cluster_distance: float = parameter(
        CLUSTER_DISTANCE, "ours: particles closer than this are linked", low=0.0, low_open=True
    )
    checkpoints: int = parameter(
        200, "geshkovski: recorded times, linspace(0, t_max, checkpoints)", quick=11, low=1
    )
    qk: str = parameter("identity", "geshkovski: the bilinear form QᵀK", choices=QK_KINDS)
    softmax: bool = parameter(
        True, "geshkovski: softmax weights (false: exp/n and the shortened step)"
    )
    merge_threshold: float = parameter(
        0.999, "geshkovski: a pair has merged when <x_i, x_j> exceeds this", low=-1.0, high=1.0
    )

    def check(self) -> None:
        layout = self.layout
        specs = parameter_specs(Params)
        unused = GESHKOVSKI_ONLY if layout == "ours" else OURS_ONLY
        for name in unused:
            spec = specs[name]
            value = getattr(self, name)
            if value != spec.default and not (spec.has_quick and value == spec.quick):
                other = "geshkovski" if layout == "ours" else "ours"
                raise ParameterError(
                    f"phase parameter {name} applies to layout={other} only (layout is {layout})"
                )
        allowed = FAMILIES if layout == "ours" else V_FAMILIES
        for family in self.families or ():
            if family not in allowed:
                raise ParameterError(
                    f"phase parameter families has {family!r}, not a family of layout={layout}; "
                    f"it takes {', '.join(allowed)}"
                )
        resolved = self.resolved()
        if resolved.beta_max < resolved.beta_min:
            raise ParameterError(
                f"phase parameters beta_min={resolved.beta_min:g} and "
                f"beta_max={resolved.beta_max:g}: beta_max must be >= beta_min"
            )
        if layout == "ours":
            if resolved.beta_min <= 0:
                raise ParameterError(
                    "phase parameter beta_min=0 is out of range for layout=ours (geometric "
                    "spacing); it takes a float > 0"
                )
            every = self.record / self.step
            if abs(every - round(every)) > 1e-9 or round(every) < 1:
                raise ParameterError(
                    f"phase parameter record={self.record:g} is not a multiple of "
                    f"step={self.step:g}; it takes a multiple >= 1 of step"
                )

    def resolved(self) -> Params:
        """The record with every ``auto`` field set to its layout's value."""
        defaults = LAYOUT_DEFAULTS[self.layout]
        filled = {name: value for name, value in defaults.items() if getattr(self, name) is None}
        return dataclasses.replace(self, **filled)

    def beta_values(self) -> np.ndarray:
        p = self.resolved()
        if p.layout == "ours":
            return np.geomspace(p.beta_min, p.beta_max, p.betas)
        return np.linspace(p.beta_min, p.beta_max, p.betas)


# ----------------------------------------------------------------------------- layout "ours"


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
    dimension: int = DIMENSION,
    particles: int = PARTICLES,
    dt: float = DT,
    cluster_distance: float = CLUSTER_DISTANCE,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster counts of every draw and ``β`` at the recorded times.

    Returns ``(times (m,), counts (m, draws, len(betas)))``.
    """
    betas = np.asarray(betas, dtype=float)
    B, d, n = betas.size, dimension, particles
    Q, K, V = (
        np.repeat(M[:, None], B, axis=1).reshape(draws * B, d, d)
        for M in sample_matrices(family, d, draws, rng)
    )
    beta = np.tile(betas, draws)[:, None, None]
    x = np.repeat(random_points(n, d, rng, batch=(draws,))[:, None], B, axis=1)
    x = x.reshape(draws * B, n, d)
    steps = round(float(t_max) / dt)
    every = max(1, round(float(record) / dt))
    times, counts = [0.0], [count_clusters(x, cluster_distance)]
    for k in bar(range(1, steps + 1), progress=progress, desc=f"phase {family}"):
        x = rk4_step(lambda y: sa_velocity(y, Q, K, V, beta), x, dt)
        if k % every == 0:
            times.append(k * dt)
            counts.append(count_clusters(x, cluster_distance))
    return np.asarray(times), np.stack(counts).reshape(len(times), draws, B)


def _run_ours(out_dir: Path, p: Params, rng: np.random.Generator, progress: bool) -> list[Path]:
    betas = p.beta_values()
    rows = []
    panels = []
    for family in p.families:
        times, counts = cluster_history(
            family,
            betas,
            draws=p.draws,
            t_max=p.t_max,
            record=p.record,
            rng=rng,
            progress=progress,
            dimension=p.dimension,
            particles=p.particles,
            dt=p.step,
            cluster_distance=p.cluster_distance,
        )
        mean = counts.mean(axis=1)  # (m, B)
        one = (counts == 1).mean(axis=1)
        panels.append((family, times, mean, one))
        for i, t in enumerate(times):
            for j, b in enumerate(betas):
                rows.append([family, b, t, mean[i, j], one[i, j], p.draws])
    csv_path = write_csv(
        out_dir / "phase.csv",
        ["family", "beta", "time", "mean_clusters", "fraction_one_cluster", "draws"],
        rows,
    )
    fig = new_figure(figsize=(4.4 * len(panels), 4.2))
    norm = LogNorm(1.0, float(p.particles))
    for k, (family, times, mean, one) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
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
        ax.set_title(f"{family}: mean number of clusters ({p.draws} draws)", fontsize=9)
        fig.colorbar(mesh, ax=ax, shrink=0.85)
    fig.suptitle(
        f"SA flow on S^{p.dimension - 1}, n = {p.particles}; white: half the draws in one cluster",
        fontsize=10,
    )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "phase.png")]


# ----------------------------------------------------------------------- layout "geshkovski"


def sample_geshkovski(
    family: str, qk: str, d: int, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(B, V)`` of shape ``(draws, d, d)``: the bilinear form ``QᵀK`` drawn as ``qk`` and
    the value matrix drawn as ``family`` (``None`` for the identity, which their loop skips)."""
    if qk == "identity":
        B, scale = np.broadcast_to(np.eye(d), (draws, d, d)).copy(), 1.0
    elif qk == "gaussian":
        G1 = rng.standard_normal((draws, d, d))
        B, scale = G1 @ rng.standard_normal((draws, d, d)) / np.sqrt(d), np.sqrt(d)
    elif qk == "goe":
        G = rng.standard_normal((draws, d, d))
        B, scale = (G + G.swapaxes(-1, -2)) / np.sqrt(2.0), np.sqrt(d + 1.0)
    else:
        raise ValueError(f"unknown qk {qk!r}; choose one of {', '.join(QK_KINDS)}")
    if family == "identity":
        return B, None
    if family == "psd":
        G = rng.standard_normal((draws, d, d))
        return B, G @ G.swapaxes(-1, -2) / np.sqrt(d)
    if family == "plus-qk":
        return B, B / scale
    if family == "minus-qk":
        return B, -B / scale
    raise ValueError(f"unknown family {family!r}; choose one of {', '.join(V_FAMILIES)}")


class _Meter:
    """A tqdm bar over the Euler steps of every chunk when ``progress``, else nothing."""

    def __init__(self, progress: bool, desc: str, total: int) -> None:
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, leave=False, mininterval=0.3)

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def euler_step_size(step: float, beta: float, softmax: bool) -> float:
    """Their step: ``step`` with softmax, else ``step/max(√β e^{β−1/2}, 1)`` (moves of at
    most about ``step`` radians)."""
    if softmax:
        return float(step)
    return float(step) / max(np.sqrt(beta) * np.exp(beta - 0.5), 1.0)


def merged_pair_history(
    B: np.ndarray,
    V: np.ndarray | None,
    x0: np.ndarray,
    betas: np.ndarray,
    times: np.ndarray,
    *,
    step: float,
    t_max: float,
    softmax: bool = True,
    threshold: float = 0.999,
    progress: bool = False,
    desc: str = "phase",
) -> np.ndarray:
    """The share of merged pairs at each checkpoint and ``β``, shape ``(len(times), len(betas))``.

    ``B`` and ``V`` (or ``None``) have shape ``(draws, d, d)`` and ``x0`` ``(draws, n, d)``,
    shared by every ``β``.  The update, the step size, the checkpoint rule and the measure
    are those of the module docstring (their loop, vectorised over draws and over the ``β``
    that share a step size).
    """
    betas = np.asarray(betas, dtype=float)
    times = np.asarray(times, dtype=float)
    draws, n, _ = x0.shape
    pairs = draws * n * (n - 1)
    off_diagonal = ~np.eye(n, dtype=bool)
    share = np.zeros((times.size, betas.size))
    etas = [euler_step_size(step, b, softmax) for b in betas]
    groups: dict[float, list[int]] = {}
    for j, eta in enumerate(etas):
        groups.setdefault(eta, []).append(j)
    per_chunk = max(1, CHUNK_ELEMENTS // (draws * n * n))  # values of β simulated together
    chunks = [
        (eta, columns[k : k + per_chunk])
        for eta, columns in groups.items()
        for k in range(0, len(columns), per_chunk)
    ]
    meter = _Meter(progress, desc, total=sum(int(np.ceil(t_max / eta)) for eta, _ in chunks))
    for eta, columns in chunks:
        beta = betas[columns][:, None, None, None]  # (G, 1, 1, 1)
        x = np.broadcast_to(x0, (len(columns), *x0.shape)).copy()  # (G, draws, n, d)
        now, checkpoint = 0.0, 0
        while True:
            logits = beta * ((x @ B) @ x.swapaxes(-1, -2))
            if softmax:
                logits -= logits.max(axis=-1, keepdims=True)
                weights = np.exp(logits)
                weights /= weights.sum(axis=-1, keepdims=True)
            else:
                weights = np.exp(logits) / n
            move = (weights @ x) * eta
            if V is not None:
                move = move @ V
            y = move + x
            x = y / np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), 1e-12)
            now = now + eta
            meter.update()
            if now >= times[checkpoint]:
                gram = x @ x.swapaxes(-1, -2)
                merged = ((gram > threshold) & off_diagonal).sum(axis=(1, 2, 3)) / pairs
                while now >= times[checkpoint]:
                    share[checkpoint, columns] = merged
                    checkpoint += 1
                    if checkpoint >= times.size:
                        break
            if now >= t_max or checkpoint >= times.size:
                break
    meter.close()
    return share


def _run_geshkovski(
    out_dir: Path, p: Params, rng: np.random.Generator, progress: bool
) -> list[Path]:
    betas = p.beta_values()
    times = np.linspace(0.0, p.t_max, p.checkpoints)
    rows = []
    panels = []
    for family in p.families:
        B, V = sample_geshkovski(family, p.qk, p.dimension, p.draws, rng)
        x0 = random_points(p.particles, p.dimension, rng, batch=(p.draws,))
        share = merged_pair_history(
            B,
            V,
            x0,
            betas,
            times,
            step=p.step,
            t_max=p.t_max,
            softmax=p.softmax,
            threshold=p.merge_threshold,
            progress=progress,
            desc=f"phase {family}",
        )
        panels.append((family, share))
        for j, b in enumerate(betas):
            for i, t in enumerate(times):
                rows.append([family, p.qk, b, t, share[i, j], p.draws])
    csv_path = write_csv(
        out_dir / "phase.csv",
        ["family", "qk", "beta", "time", "merged_pair_share", "draws"],
        rows,
    )
    fig = new_figure(figsize=(4.4 * len(panels), 3.9))
    for k, (family, share) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        mesh = ax.pcolormesh(
            times,
            betas,
            share.T,
            cmap="RdBu_r",
            vmin=0.0,
            vmax=1.0,
            shading="nearest",
            rasterized=True,
        )
        ax.set_xlabel("$t$")
        ax.set_ylabel(r"$\beta$")
        ax.set_title(f"V: {family}, QᵀK: {p.qk} ({p.draws} draws)", fontsize=9)
        fig.colorbar(mesh, ax=ax, shrink=0.85, label="share of merged pairs")
    weights = "softmax" if p.softmax else "exp/n"
    fig.suptitle(
        f"self-attention on S^{p.dimension - 1}, n = {p.particles}, {weights}, η = {p.step:g}; "
        f"pairs with <x_i, x_j> > {p.merge_threshold:g}",
        fontsize=10,
    )
    fig.tight_layout()
    return [csv_path, save_png(fig, out_dir / "phase.png")]


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    p = params.resolved()
    if p.layout == "ours":
        return _run_ours(out_dir, p, rng, progress)
    return _run_geshkovski(out_dir, p, rng, progress)
