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

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attndyn.particles.animation import render_frames, write_gif, write_mp4
from attndyn.particles.energy import energy
from attndyn.particles.experiments.common import bar, parameter, write_csv
from attndyn.particles.experiments.fig3 import BETA, CASES, TAUS, check_taus, minimise_cases
from attndyn.particles.plots import new_figure, save_png

NAMES = ("MinA", "MinB", "MinC", "MinD")
FPS = 12.0
START_AZIMUTH = -55.0
VIEWS = ("rotate", "descent")
FRAMES = {"rotate": 72, "descent": 48}


@dataclass(frozen=True)
class Params:
    """The animations' parameters (defaults: the paper's values, as Figure 3)."""

    view: str = parameter(
        "rotate",
        "rotate: the camera turns around the converged states (as the source's GIFs); "
        "descent: the particles moving towards them",
        choices=VIEWS,
    )
    particles: int = parameter(400, "particles n", quick=60, low=1)
    beta: float = parameter(BETA, "inverse temperature β", low=0.0, low_open=True)
    steps: int = parameter(20000, "descent steps", quick=200, low=1)
    taus: tuple[float, ...] = parameter(
        TAUS, "step sizes τ, one per matrix (as Figure 3)", low=0.0, low_open=True
    )
    frames: int | None = parameter(
        None, "frames per animation", quick=4, low=2, auto="72 for rotate, 48 for descent"
    )
    fps: float = parameter(FPS, "frames per second", low=0.0, low_open=True)
    size: int = parameter(320, "width and height of a frame in pixels", low=32, high=4096)

    def check(self) -> None:
        check_taus("animations", self.taus)

    @property
    def frame_count(self) -> int:
        return FRAMES[self.view] if self.frames is None else self.frames

    def resolved(self) -> Params:
        """The record with ``frames`` set (``auto``: the view's number of frames)."""
        return dataclasses.replace(self, frames=self.frame_count)


def frame_steps(steps: int, frames: int) -> np.ndarray:
    """``frames`` distinct steps from 0 to ``steps``, geometrically spaced after step 0."""
    candidates = np.unique(np.round(np.geomspace(1, steps, 4 * frames)).astype(int))
    picks = np.unique(np.round(np.linspace(0, len(candidates) - 1, frames - 1)).astype(int))
    return np.concatenate([[0], candidates[picks]])


def turn_azimuths(frames: int, start: float = START_AZIMUTH) -> np.ndarray:
    """One full turn in ``frames`` equal steps: ``start + 360° k / frames``, k = 0..frames-1."""
    return start + 360.0 * np.arange(frames) / frames


def run(out_dir: Path, params: Params, *, seed: int, progress: bool) -> list[Path]:
    rng = np.random.default_rng(seed)
    n, steps, view, frames = params.particles, params.steps, params.view, params.frame_count
    flow_options = {"progress": progress, "taus": params.taus, "beta": params.beta}
    if view == "rotate":
        flow = minimise_cases(n, steps, rng, desc="animations descent", **flow_options)
        shown_steps = np.full(frames, steps)
        azimuths = turn_azimuths(frames)
        states = np.broadcast_to(flow.x, (frames, *flow.x.shape))  # (F, 4, n, 3)
        poster_frames, poster_title = (0, frames // 2), "first frame and half a turn"
    else:
        wanted = frame_steps(steps, frames)
        flow = minimise_cases(
            n, steps, rng, snapshot_steps=wanted, desc="animations descent", **flow_options
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
        energies = energy(points, D, params.beta)
        labels = [f"{NAMES[c]}: {label}, step {s}" for s in shown_steps]
        rgb = render_frames(points, D, labels=labels, azimuths=azimuths, size_px=params.size)
        written.append(write_gif(rgb, out_dir / f"{NAMES[c]}.gif", fps=params.fps))
        written.append(write_mp4(rgb, out_dir / f"{NAMES[c]}.mp4", fps=params.fps))
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
