"""attndyn.movie: the files ``attndyn movie zoom`` and ``movie sweep`` write, a notebook's
inline GIF and video, and errors that name the keyword."""

from __future__ import annotations

import base64
import os
from contextlib import chdir
from pathlib import Path

import pytest

import attndyn as ad

from helpers import run_cli


def attndyn_command(folder: Path, *argv: str) -> None:
    """``attndyn ARGV`` run in ``folder`` (in this process: the command's own code path)."""
    with chdir(folder):
        assert run_cli(*argv) == 0


def test_a_zoom_and_a_sweep_are_the_commands_files(tmp_path, monkeypatch):
    cli, api = tmp_path / "cli", tmp_path / "api"
    cli.mkdir(), api.mkdir()
    attndyn_command(cli, "movie", "zoom", "--end-width", "0.5", "--frames", "3", "--center",
                    "-1.8,-3.0", "--size", "32", "-o", "z.gif", "--quiet")  # fmt: skip
    attndyn_command(cli, "movie", "sweep", "--param", "wq01", "--values=-1,1", "--frames", "3",
                    "--size", "32", "--coloring", "sync-step", "--equalize", "-o", "s.gif",
                    "--quiet")  # fmt: skip
    monkeypatch.chdir(api)
    zoom = ad.movie("zoom", end_width=0.5, frames=3, center=(-1.8, -3.0), size=32,
                    output="z.gif", quiet=True)  # fmt: skip
    sweep = ad.movie("sweep", param="wq01", values=(-1, 1), frames=3, size=32,
                     coloring="sync-step", equalize=True, output=["s.gif", "s.mp4"],
                     quiet=True)  # fmt: skip
    for name in ("z.gif", "s.gif"):
        assert (api / name).read_bytes() == (cli / name).read_bytes()
    assert sorted(p.name for p in api.iterdir()) == ["s.gif", "s.mp4", "z.gif"]  # no frames
    assert os.fspath(zoom) == "z.gif" and zoom.outputs == [Path("z.gif")]
    assert (zoom.frames, zoom.frame_size, zoom.computed) == (3, (32, 32), [0, 1, 2])
    gif = zoom._repr_html_().split("data:image/gif;base64,")[1].split("'")[0]
    assert base64.b64decode(gif) == (api / "z.gif").read_bytes()
    video = sweep._repr_html_()  # the mp4 first, as an HTML5 video
    assert video.startswith("<video") and "data:video/mp4;base64," in video
    mp4 = video.split("data:video/mp4;base64,")[1].split("'")[0]
    assert base64.b64decode(mp4) == (api / "s.mp4").read_bytes()


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"kind": "pan"}, "kind 'pan' is unknown; choose one of zoom, sweep"),
        ({"end_width": 0.5}, "movie zoom needs center CX,CY, the point zoomed into"),
        ({"center": (0, 0)}, "movie zoom needs end_width W1"),
        ({"kind": "sweep"}, "movie sweep needs param NAME"),
        ({"kind": "sweep", "param": "wq01"}, "movie sweep needs values A,B"),
        ({"kind": "sweep", "param": "wk11", "values": (0, 1)}, "param 'wk11' is the horizontal"),
        ({"center": (0, 0), "end_width": 1, "frames": 1}, "frames 1 is too few"),
        ({"center": (0, 0), "end_width": 1, "output": "m.avi"}, "output 'm.avi' has an unknown"),
        ({"center": (0, 0), "end_width": 1, "color_scale": "x"}, "color_scale 'x' is unknown"),
        ({"center": (0, 0), "end_width": 1, "cmap": "nope"}, "cmap='nope': colormap 'nope'"),
        ({"center": (0, 0), "end_width": 1, "sise": 8}, "movie() got an unknown keyword sise"),
    ],
)
def test_a_bad_movie_keyword_is_a_value_error_naming_it(keywords, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ad.OptionError) as refused:
        ad.movie(**{"frames": 3, "size": 32, "quiet": True, **keywords})
    assert str(refused.value).startswith(message), str(refused.value)
    assert "\n" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []
