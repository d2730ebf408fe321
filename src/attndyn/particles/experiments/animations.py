"""Animations MinA–MinD: the minimisers of Figure 3 on S², seen turning or being reached.

The four animations of the source package's README, one per matrix of Figure 3:
MinA ``D = I``, MinB ``D = diag(1, 0.25, 1)``, MinC ``D = diag(1, 0, 1)``, MinD
``D = diag(0, 0, 1)``, each on the sphere colored by ``<x, D x>``.  Two views (``view``):

``rotate`` (the default, as the source's GIFs)
    The converged state of the Figure 3 descent
    ``x_i ← Π(x_i − (τ/n) Σ_j exp(β <x_i, D x_j>) D x_j)``, fixed, while the camera turns once
    around the vertical axis: frame ``k`` of ``F`` is seen from azimuth ``−55° + 360° k/F`` at
    elevation 25°, so the loop closes without a repeated frame.
``descent``
    The descent itself from the shared random start, with the camera fixed (azimuth −55°):
    frames at geometrically spaced steps, since the early motion is fast and the late motion
    slow.

Parameters: as Figure 3 (``n = 400``, ``β = 1``, 20000 steps, ``τ = 0.1, 0.5, 0.75, 0.75``, one
shared random start); ``rotate``: 72 frames (5° apart); ``descent``: 48 frames; 12 frames per
second, 320 × 320 pixels.  Quick mode: ``n = 60``, 200 steps, 4 frames (a quarter turn
apart for ``rotate``).

Outputs: ``MinA.gif`` ... ``MinD.gif`` and the same as ``.mp4`` (H.264 via the ffmpeg of
``imageio-ffmpeg``), ``animations.csv`` (per animation and frame: the view, the step shown,
the camera's azimuth and the energy of the points shown) and ``animations.png`` (a poster: two
frames of each animation, the first and the half-turn for ``rotate``, the first and the last
for ``descent``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attndyn.particles.animation import render_frames, write_gif, write_mp4
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import Choice, bar, write_csv
from attndyn.particles.experiments.fig3 import BETA, CASES, minimise_cases
from attndyn.particles.plots import new_figure, save_png

NAMES = ("MinA", "MinB", "MinC", "MinD")
FPS = 12.0
START_AZIMUTH = -55.0
VIEW = Choice(
    "view",
    ("rotate", "descent"),
    "animations: rotate (the camera turns around the converged states, as the source's GIFs) "
    "or descent (the particles moving towards them)",
)


def frame_steps(steps: int, frames: int) -> np.ndarray:
    """``frames`` distinct steps from 0 to ``steps``, geometrically spaced after step 0."""
    candidates = np.unique(np.round(np.geomspace(1, steps, 4 * frames)).astype(int))
    picks = np.unique(np.round(np.linspace(0, len(candidates) - 1, frames - 1)).astype(int))
    return np.concatenate([[0], candidates[picks]])


def turn_azimuths(frames: int, start: float = START_AZIMUTH) -> np.ndarray:
    """One full turn in ``frames`` equal steps: ``start + 360° k / frames``, k = 0..frames-1."""
    return start + 360.0 * np.arange(frames) / frames


def run(
    out_dir: Path, *, quick: bool, seed: int, progress: bool, view: str = VIEW.default
) -> list[Path]:
    rng = np.random.default_rng(seed)
    n, steps = (60, 200) if quick else (400, 20000)
    if view == "rotate":
        frames = 4 if quick else 72
        flow = minimise_cases(n, steps, rng, progress=progress, desc="animations descent")
        shown_steps = np.full(frames, steps)
        azimuths = turn_azimuths(frames)
        states = np.broadcast_to(flow.x, (frames, *flow.x.shape))  # (F, 4, n, 3)
        poster_frames, poster_title = (0, frames // 2), "first frame and half a turn"
    else:
        frames = 4 if quick else 48
        wanted = frame_steps(steps, frames)
        flow = minimise_cases(
            n, steps, rng, progress=progress, snapshot_steps=wanted, desc="animations descent"
        )
        shown_steps = flow.snapshot_steps
        azimuths = np.full(len(shown_steps), START_AZIMUTH)
        states = flow.snapshots  # (F, 4, n, 3)
        poster_frames, poster_title = (0, len(shown_steps) - 1), "first and last frames"
    written: list[Path] = []
    rows = []
    posters = []
    for c in bar(range(len(CASES)), progress=progress, desc="animations frames"):
        label, D, _ = CASES[c]
        points = states[:, c]
        energies = energy(points, D, BETA)
        labels = [f"{NAMES[c]}: {label}, step {s}" for s in shown_steps]
        rgb = render_frames(points, D, labels=labels, azimuths=azimuths)
        written.append(write_gif(rgb, out_dir / f"{NAMES[c]}.gif", fps=FPS))
        written.append(write_mp4(rgb, out_dir / f"{NAMES[c]}.mp4", fps=FPS))
        posters.append([rgb[k] for k in poster_frames])
        rows.extend(
            [NAMES[c], label, view, t, int(s), azimuths[t], energies[t]]
            for t, s in enumerate(shown_steps)
        )
    written.append(
        write_csv(
            out_dir / "animations.csv",
            ["animation", "case", "view", "frame", "step", "azimuth", "energy"],
            rows,
        )
    )
    fig = new_figure((3 * len(CASES), 6.2))
    axes = fig.subplots(2, len(CASES))
    for c, images in enumerate(posters):
        for row, image in enumerate(images):
            axes[row, c].imshow(image)
            axes[row, c].axis("off")
    fig.suptitle(f"USA minimisers on S², view '{view}': {poster_title} of MinA–MinD")
    fig.tight_layout()
    written.append(save_png(fig, out_dir / "animations.png"))
    return written
