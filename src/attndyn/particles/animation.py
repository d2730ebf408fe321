"""Animations of particle flows on the circle and on the sphere (GIF via Pillow, MP4 via ffmpeg).

Frames are rendered off-screen with matplotlib's Agg backend from a sequence of snapshots of
shape ``(T, n, d)``.  Both writers are atomic: the movie is written to a temporary file in the
target directory and renamed into place when complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from attndyn.particles.plots import figure_to_rgb, new_figure, plot_circle, plot_sphere
from attndyn.pictures import video

__all__ = ["render_frames", "write_gif", "write_mp4"]


def render_frames(
    snapshots: np.ndarray,
    D: np.ndarray | None,
    *,
    labels: Sequence[str] | None = None,
    size_px: int = 320,
    dpi: int = 80,
    resolution: int = 36,
    point_size: float | None = None,
    azimuths: Sequence[float] | None = None,
    elevation: float = 25.0,
    progress: bool = False,
) -> list[np.ndarray]:
    """One RGB frame per snapshot: circle pictures for ``d = 2``, sphere pictures for ``d = 3``.

    Spheres are seen from ``elevation`` degrees and azimuth ``azimuths[t]`` in frame ``t``
    (default −55° throughout; a sequence of angles turns the camera). ``D = None`` draws a
    plain circle or sphere. ``size_px`` should be a multiple of 16 so that MP4 encoders need
    not rescale. ``progress`` shows a progress bar over the frames.
    """
    snapshots = np.asarray(snapshots)
    d = snapshots.shape[-1]
    if d not in (2, 3):
        raise ValueError(f"animations are drawn on S^1 or S^2, got points in R^{d}")
    inches = size_px / dpi
    frames = []
    steps = enumerate(snapshots)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, total=len(snapshots), desc="frames", leave=False, mininterval=0.5)
    for t, points in steps:
        fig = new_figure(figsize=(inches, inches), dpi=dpi)
        title = labels[t] if labels is not None else None
        if d == 2:
            ax = fig.add_axes((0.02, 0.02, 0.96, 0.9))
            plot_circle(ax, D, points, title=title, point_size=point_size or 40.0)
        else:
            ax = fig.add_axes((0.0, 0.0, 1.0, 0.92), projection="3d")
            ax.view_init(elev=elevation, azim=-55.0 if azimuths is None else azimuths[t])
            plot_sphere(
                ax,
                D,
                points,
                colorbar=False,
                resolution=resolution,
                point_size=point_size or 6.0,
                title=title,
            )
            ax.set_axis_off()
        frames.append(figure_to_rgb(fig))
    return frames


def write_gif(frames: Sequence[np.ndarray], path: Path, *, fps: float = 12.0) -> Path:
    """Write RGB frames as a looping GIF (adaptive palette of 128 colors), atomically."""
    return video.write_gif(frames, path, fps=fps, colors=128)


def write_mp4(frames: Sequence[np.ndarray], path: Path, *, fps: float = 12.0) -> Path:
    """Write RGB frames as an H.264 MP4 (odd sizes padded by one pixel), atomically."""
    return video.write_mp4(frames, path, fps=fps, pad_odd=True)
