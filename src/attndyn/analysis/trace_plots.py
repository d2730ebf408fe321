"""Pictures of a pixel's trace (:mod:`attndyn.analysis.trace`): the plot and the movie of the
points.

The plot has three panels: the gap ``Δ_t`` on a log scale with the threshold ``tol`` and the
sync step, the cluster count against the step, and the points on the circle at the first
(faint) and the last step. The movie shows the n points on the unit circle, one frame per
step (evenly thinned to at most ``max_frames``), with the step, ``Δ_t`` and the cluster count
in the title.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attndyn.analysis.trace import Trace


def _title(trace: Trace) -> str:
    spec = trace.spec
    return (
        f"pixel ({trace.row}, {trace.col}): {spec.x_param} = {trace.x_value:.6g}, "
        f"{spec.y_param} = {trace.y_value:.6g}, {spec.dtype}"
    )


def plot_trace(trace: Trace, path: str | Path) -> Path:
    """Write the three-panel plot of ``trace`` as a PNG, atomically."""
    from attndyn.particles.plots import new_figure, plot_circle, save_png

    fig = new_figure(figsize=(12, 3.8))
    grid = fig.add_gridspec(1, 3, width_ratios=(1.4, 1.4, 1))
    steps = trace.steps
    ax = fig.add_subplot(grid[0, 0])
    floor = trace.spec.tol * 1e-6
    with np.errstate(invalid="ignore"):
        ax.semilogy(steps, np.maximum(trace.delta.astype(np.float64), floor), "-", color="C0")
    ax.axhline(trace.spec.tol, color="gray", linestyle="--", linewidth=1, label="tol")
    if np.isfinite(trace.sync_step):
        ax.axvline(trace.sync_step, color="C3", linewidth=1, label="sync step")
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$\Delta_t = \max_i |x_{i1} - x_{11}|$")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[0, 1])
    ax.step(steps, trace.clusters, where="post", color="C1")
    ax.set_xlabel("step t")
    ax.set_ylabel("clusters")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, max(int(trace.clusters.max()), 1) + 1)
    ax = fig.add_subplot(grid[0, 2])
    plot_circle(ax, None, trace.points[0], point_size=25, point_color="0.75")
    plot_circle(ax, None, trace.points[-1], point_size=40, title=f"points at t = 0 and {steps[-1]}")
    fig.suptitle(_title(trace), fontsize=10)
    fig.tight_layout()
    return save_png(fig, Path(path))


def write_trace_movie(
    trace: Trace,
    path: str | Path,
    *,
    fps: float = 10.0,
    max_frames: int = 200,
    progress: bool = False,
) -> Path:
    """Write the movie of the points (GIF or MP4 by the suffix of ``path``), atomically."""
    from attndyn.particles.animation import render_frames, write_gif, write_mp4

    path = Path(path)
    count = trace.delta.size
    picks = np.unique(np.round(np.linspace(0, count - 1, min(count, max_frames))).astype(int))
    labels = [
        f"t = {t}, Δ = {float(trace.delta[t]):.2e}, {int(trace.clusters[t])} clusters"
        for t in picks
    ]
    frames = render_frames(
        trace.points[picks].astype(np.float64), None, labels=labels, progress=progress
    )
    write = write_gif if path.suffix.lower() == ".gif" else write_mp4
    return write(frames, path, fps=fps)
