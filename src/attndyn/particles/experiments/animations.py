"""Animations MinA–MinD: the USA descent towards the minimisers of Figure 3, on S².

The four animations of the source package's README, one per matrix of Figure 3:
MinA ``D = I``, MinB ``D = diag(1, 0.25, 1)``, MinC ``D = diag(1, 0, 1)``, MinD
``D = diag(0, 0, 1)``.  Each shows the particles of the descent
``x_i ← Π(x_i − (τ/n) Σ_j exp(β <x_i, D x_j>) D x_j)`` on the sphere colored by ``<x, D x>``.

Parameters: as Figure 3 (``n = 400``, ``β = 1``, 20000 steps, ``τ = 0.1, 0.5, 0.75, 0.75``, one
shared random start), with 48 frames at geometrically spaced steps (the early motion is fast
and the late motion slow), 12 frames per second, 320 × 320 pixels.  Quick mode: ``n = 60``,
200 steps, 4 frames.

Outputs: ``MinA.gif`` ... ``MinD.gif`` and the same as ``.mp4`` (H.264 via the ffmpeg of
``imageio-ffmpeg``), ``animations.csv`` (per animation and frame: the step and the energy) and
``animations.png`` (a poster: first and last frame of each animation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attndyn.particles.animation import render_frames, write_gif, write_mp4
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import bar, write_csv
from attndyn.particles.experiments.fig3 import BETA, CASES, minimise_cases
from attndyn.particles.plots import new_figure, save_png

NAMES = ("MinA", "MinB", "MinC", "MinD")
FPS = 12.0


def frame_steps(steps: int, frames: int) -> np.ndarray:
    """``frames`` distinct steps from 0 to ``steps``, geometrically spaced after step 0."""
    candidates = np.unique(np.round(np.geomspace(1, steps, 4 * frames)).astype(int))
    picks = np.unique(np.round(np.linspace(0, len(candidates) - 1, frames - 1)).astype(int))
    return np.concatenate([[0], candidates[picks]])


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    n, steps, frames = (60, 200, 4) if quick else (400, 20000, 48)
    wanted = frame_steps(steps, frames)
    flow = minimise_cases(
        n, steps, rng, progress=progress, snapshot_steps=wanted, desc="animations descent"
    )
    snapshots = flow.snapshots  # (T, 4, n, 3)
    written: list[Path] = []
    rows = []
    posters = []
    for c in bar(range(len(CASES)), progress=progress, desc="animations frames"):
        label, D, _ = CASES[c]
        points = snapshots[:, c]
        energies = energy(points, D, BETA)
        labels = [f"{NAMES[c]}: {label}, step {s}" for s in flow.snapshot_steps]
        rgb = render_frames(points, D, labels=labels)
        written.append(write_gif(rgb, out_dir / f"{NAMES[c]}.gif", fps=FPS))
        written.append(write_mp4(rgb, out_dir / f"{NAMES[c]}.mp4", fps=FPS))
        posters.append((rgb[0], rgb[-1]))
        rows.extend(
            [NAMES[c], label, t, int(s), energies[t]] for t, s in enumerate(flow.snapshot_steps)
        )
    written.append(
        write_csv(
            out_dir / "animations.csv", ["animation", "case", "frame", "step", "energy"], rows
        )
    )
    fig = new_figure((3 * len(CASES), 6.2))
    axes = fig.subplots(2, len(CASES))
    for c, (first, last) in enumerate(posters):
        for row, image in enumerate((first, last)):
            axes[row, c].imshow(image)
            axes[row, c].axis("off")
    fig.suptitle("USA descent on S²: first (top) and last (bottom) frames of MinA–MinD")
    fig.tight_layout()
    written.append(save_png(fig, out_dir / "animations.png"))
    return written
