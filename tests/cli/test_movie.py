"""``attndyn movie``: outputs, frames reproducible with render --from, Ctrl-C, and errors."""

from dataclasses import replace

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import attndyn.pictures.movies
from attndyn import LandscapeSpec
from attndyn.cli.main import main
from attndyn.pictures.images import read_png_spec

SMALL = ("--preset", "art1679700", "--init", "shared", "--size", "16", "--steps", "20")
FAST = (*SMALL, "--engine", "numpy", "-q")
CENTER = "--center=-3.0682,-1.8253"


def run(*argv):
    return main([str(a) for a in argv])


def files(directory):
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*"))


def test_zoom_writes_mp4_and_gif_with_every_frame(tmp_path, capsys):
    argv = ["movie", "zoom", *SMALL, "--engine", "numpy", CENTER, "--end-width", "0.5"]
    out = ["-o", tmp_path / "z.mp4", "-o", tmp_path / "z.gif", "--frames", "5", "--fps", "8"]
    out.append("--keep-frames")
    assert run(*argv, *out) == 0
    err = capsys.readouterr().err
    assert "wrote" in err and "5 frames 16x16" in err and "5 computed" in err
    with Image.open(tmp_path / "z.gif") as gif:
        assert gif.size == (16, 16) and gif.n_frames >= 2  # identical neighbours are merged
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "z.mp4"))
    assert frames == 5 and seconds == pytest.approx(5 / 8, abs=0.05)
    cached = sorted((tmp_path / "z.frames").iterdir())
    assert [p.name[:5] for p in cached] == ["00000", "00001", "00002", "00003", "00004"]
    specs = [LandscapeSpec.from_json(read_png_spec(p)) for p in cached]
    widths = [s.x_range[1] - s.x_range[0] for s in specs]
    assert widths[0] == pytest.approx(16.0) and widths[-1] == pytest.approx(0.5)
    assert run(*argv, *out) == 0  # a rerun reuses every frame
    assert "0 computed, 5 reused" in capsys.readouterr().err


def test_a_frame_is_reproduced_by_render_from(tmp_path):
    # Coloured on its own (--color-scale per-frame), a frame is what render --from draws.
    argv = ["movie", "sweep", *FAST, "--param", "wv01", "--values=-2,1"]
    out = ["--frames", "3", "-o", tmp_path / "s.gif", "--coloring", "log-delta", "--keep-frames"]
    assert run(*argv, *out, "--color-scale", "per-frame") == 0
    frame = sorted((tmp_path / "s.frames").glob("*.png"))[1]
    assert LandscapeSpec.from_json(read_png_spec(frame)).wv[1] == pytest.approx(-0.5)
    assert run("render", "--from", frame, "--engine", "numpy", "-q", "-o", tmp_path / "r.png") == 0
    np.testing.assert_array_equal(
        np.asarray(Image.open(frame)), np.asarray(Image.open(tmp_path / "r.png"))
    )


def test_on_the_movies_scale_a_frame_keeps_its_spec_and_its_fields(tmp_path):
    # The default colour scale is the movie's: the cache holds each frame's fields next to
    # its picture, and render --from the picture computes those same fields again.
    argv = ["movie", "sweep", *FAST, "--param", "wv01", "--values=-2,1", "--frames", "3"]
    out = ["-o", tmp_path / "s.gif", "--coloring", "log-delta", "--keep-frames"]
    assert run(*argv, *out) == 0
    frames = sorted((tmp_path / "s.frames").glob("*.png"))
    fields = sorted((tmp_path / "s.frames").glob("*.npz"))
    assert (
        [p.name[:5] for p in frames] == [p.name[:5] for p in fields] == ["00000", "00001", "00002"]
    )
    spec = LandscapeSpec.from_json(read_png_spec(frames[1]))
    assert spec.wv[1] == pytest.approx(-0.5)
    saved = np.load(fields[1])
    assert LandscapeSpec.from_json(str(saved["spec"])) == spec
    again = tmp_path / "r.npz"
    assert run("render", "--from", frames[1], "--engine", "numpy", "-q", "--save", again) == 0
    np.testing.assert_array_equal(np.load(again)["delta"], saved["delta"])


def test_a_log_spaced_residual_sweep_carries_h_in_every_frame(tmp_path, capsys):
    # The residual step h from 0.1 to 20 in equal ratios: frame k has h = 0.1 * 200**(k/3);
    # by hand 200**(1/3) = 5.848035476425731. The deprecated --from-value/--to-value still work.
    argv = ["movie", "sweep", *FAST, "--param", "residual", "--frames", "4", "--spacing", "log"]
    out = ["-o", tmp_path / "h.gif", "--keep-frames", "--coloring", "log-delta"]
    assert run(*argv, "--from-value", "0.1", "--to-value", "20", *out) == 0
    frames = sorted((tmp_path / "h.frames").glob("*.png"))
    specs = [LandscapeSpec.from_json(read_png_spec(p)) for p in frames]
    expected = [0.1, 0.5848035476425731, 3.419951893353393, 20.0]
    assert [s.residual for s in specs] == pytest.approx(expected, rel=1e-13)
    assert specs[0].residual == 0.1 and specs[-1].residual == 20.0
    assert len({replace(s, residual=None) for s in specs}) == 1  # nothing else moves
    fields = sorted((tmp_path / "h.frames").glob("*.npz"))
    assert [LandscapeSpec.from_json(str(np.load(p)["spec"])) for p in fields] == specs
    # linear spacing, the default: equal steps
    assert run(*argv[:-2], "--values", "0.1,20", "-o", tmp_path / "l.gif", "--keep-frames") == 0
    linear = sorted((tmp_path / "l.frames").glob("*.png"))
    values = [LandscapeSpec.from_json(read_png_spec(p)).residual for p in linear]
    assert values == pytest.approx([0.1, 6.7333333333333333, 13.366666666666667, 20.0])


@pytest.mark.parametrize("flag", [[], ["--clean-frames"]])
def test_a_finished_movie_leaves_only_the_movie(tmp_path, flag):
    # --clean-frames, once needed for this, is the default now and still accepted.
    argv = ["movie", "sweep", *FAST, "--param", "beta", "--values", "0.5,2"]
    assert run(*argv, "--frames", "2", "-o", tmp_path / "b.gif", *flag) == 0
    assert files(tmp_path) == ["b.gif"]


def test_ctrl_c_exits_130_and_a_rerun_resumes(tmp_path, monkeypatch, capsys):
    real = attndyn.pictures.movies.render_landscape
    calls = []

    def interrupting(job, engine, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(job.spec)
        return real(job, engine, **kwargs)

    monkeypatch.setattr(attndyn.pictures.movies, "render_landscape", interrupting)
    argv = ["movie", "zoom", *FAST, CENTER, "--end-width", "1", "--frames", "4"]
    assert run(*argv, "-o", tmp_path / "m.gif") == 130
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "2 of 4 frames" in err and "again to resume" in err
    assert len(list((tmp_path / "m.frames").iterdir())) == 2 and not (tmp_path / "m.gif").exists()

    computed = []
    monkeypatch.setattr(
        attndyn.pictures.movies,
        "render_landscape",
        lambda job, engine, **kw: computed.append(job.spec) or real(job, engine, **kw),
    )
    assert run(*argv, "-o", tmp_path / "m.gif") == 0
    assert len(computed) == 2 and computed[0] != calls[0] and computed[0] != calls[1]
    with Image.open(tmp_path / "m.gif") as gif:
        assert gif.size == (16, 16)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["zoom", CENTER, "--end-width", "1", "--frames", "1"], "at least 2 frames"),
        (["zoom", CENTER, "--end-width", "0", "--frames", "3"], "--end-width 0.0"),
        (["zoom", CENTER, "--end-width", "1", "--width=-2", "--frames", "3"], "> 0"),
        (["zoom", "--center", "1", "--end-width", "1", "--frames", "3"], "--center '1' has 1"),
        (["zoom", CENTER, "--end-width", "1e-6", "--frames", "9"], "--precision float64"),
        (["sweep", "--param", "wq22", "--values", "0,1", "--frames", "3"],
         "wv01"),
        (["sweep", "--param", "wk11", "--values", "0,1", "--frames", "3"],
         "axis"),
        (["sweep", "--param", "wv00", "--values", "nan,1", "--frames", "3"],
         "not finite"),
        (["zoom", CENTER, "--end-width", "1", "--frames", "3", "--fps", "0"], "--fps"),
        (["zoom", CENTER, "--end-width", "1", "--frames", "3", "-o", "{tmp}/m.avi"], ".mp4, .gif"),
        (["zoom", CENTER, "--end-width", "1", "--frames", "3", "-o", "{tmp}/no/m.gif"],
         "does not exist"),
        (["zoom", CENTER, "--end-width", "1", "--frames", "3", "--size", "15", "-o", "{tmp}/m.mp4"],
         "even"),
        (["zoom", CENTER, "--end-width", "1", "--frames", "3", "-o", "{tmp}/m.gif", "-o",
          "{tmp}/m.gif"], "twice"),
        (["zoom", CENTER, "--end-width", "1", "--frames", "3", "--frames-dir", "{tmp}/f.gif",
          "-o", "{tmp}/m.gif"], "is a file"),
        (["zoom", "--end-width", "1", "--frames", "3"], "needs --center CX,CY"),
        (["sweep", "--param", "wv00", "--frames", "3"], "needs --values A,B"),
        (["sweep", "--param", "wv00", "--from", "-3", "--frames", "3"],
         "--from -3 names a picture to start from (PICTURE.png); the swept values are --values"),
        (["sweep", "--param", "wv00", "--values", "1", "--frames", "3"], "--values '1' has 1"),
        ([], "zoom or sweep"),
        (["sweep", "--param", "residual", "--values=-1,20", "--spacing", "log", "--frames", "3"],
         "--values -1.0 is not > 0; a log-spaced sweep (--spacing log) needs both ends > 0"),
        (["sweep", "--param", "residual", "--values=-1,20", "--frames", "3"],
         "sweep frame 0 (counting from 0, of 3; residual = -1.0): --residual -1.0 is not allowed"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, argv, fragment):
    (tmp_path / "f.gif").write_bytes(b"x")  # an existing file, for --frames-dir
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if argv and "-o" not in argv:
        argv += ["-o", str(tmp_path / "m.mp4")]
    kind = argv[:1]
    try:
        code = run("movie", *kind, *(FAST if kind else ()), *argv[1:])
    except SystemExit as stop:  # argparse's own errors (a missing required option)
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("attndyn") and fragment in err, err
    assert files(tmp_path) == ["f.gif"]
