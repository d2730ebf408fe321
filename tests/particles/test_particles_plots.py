"""Figures and movies: circle and sphere pictures, GIF and MP4 writers."""

import numpy as np
import pytest
from PIL import Image

from attndyn.particles.animation import render_frames, write_gif, write_mp4
from attndyn.particles.dynamics import usa_flow
from attndyn.particles.experiments import EXPERIMENTS
from attndyn.particles.plots import new_figure, plot_circle, plot_sphere, quadratic_form, save_png
from attndyn.particles.sphere import random_points


def test_quadratic_form():
    x = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert np.allclose(quadratic_form(x, np.diag([2.0, -1.0])), [2.0, 0.72 - 0.64])


def test_circle_and_sphere_pictures_save_as_png(tmp_path):
    fig = new_figure((6, 3))
    plot_circle(fig.add_subplot(1, 2, 1), np.diag([0.5, 1.0]), np.eye(2), colorbar=True)
    ax = fig.add_subplot(1, 2, 2, projection="3d")
    plot_sphere(ax, np.eye(3), random_points(20, 3, np.random.default_rng(0)), resolution=12)
    path = save_png(fig, tmp_path / "picture.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 300
    assert [p.name for p in tmp_path.iterdir()] == ["picture.png"]


def test_circle_animation_as_gif_and_mp4(tmp_path):
    D = np.diag([0.5, 1.0])
    x0 = random_points(12, 2, np.random.default_rng(1))
    flow = usa_flow(x0, D, tau=0.1, steps=20, direction="ascent", snapshot_steps=[0, 10, 20])
    frames = render_frames(flow.snapshots, D, size_px=160, labels=["a", "b", "c"])
    assert len(frames) == 3 and frames[0].shape == (160, 160, 3)
    gif = write_gif(frames, tmp_path / "flow.gif", fps=5)
    with Image.open(gif) as image:
        assert image.n_frames == 3
    mp4 = write_mp4(frames, tmp_path / "flow.mp4", fps=5)
    assert b"ftyp" in mp4.read_bytes()[:64]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.gif", "flow.mp4"]


def test_animations_only_on_circle_or_sphere():
    with pytest.raises(ValueError):
        render_frames(np.zeros((1, 3, 4)), np.eye(4))


def test_progress_bars_do_not_break_a_run(tmp_path, capsys):
    EXPERIMENTS["fig4"].run(tmp_path, quick=True, seed=1, progress=True)
    assert (tmp_path / "fig4.csv").is_file()
