"""Movies: the frame windows and parameter values, the encoded frame counts, and resume."""

import itertools
from dataclasses import replace

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from attndyn import LandscapeSpec, render_landscape
from attndyn.engines import get_engine
from attndyn.model.errors import UserError
from attndyn.model.fields import Fields
from attndyn.pictures.coloring import COLORINGS, ColorOptions, options_colormap
from attndyn.pictures.images import read_png_spec
from attndyn.pictures.movie_frames import sweep_specs, zoom_specs
from attndyn.pictures.movies import MovieInterrupted, check_outputs, render_movie

from helpers import APPENDIX_B

WQ, WV = APPENDIX_B[1679700]


def small_spec(**changes):
    values = dict(wq=WQ, wv=WV, width=16, height=16, steps=20, init="shared", seed=3)
    values.update(changes)
    return LandscapeSpec(**values)


class CountingEngine:
    """The numpy engine, recording the spec of every computed tile; raises KeyboardInterrupt
    on call number ``stop_at`` (counting from 0) when given."""

    def __init__(self, stop_at=None):
        self.inner = get_engine("numpy")
        self.name = "counting"
        self.specs = []
        self.stop_at = stop_at

    def compute(self, job, tile):
        if self.stop_at is not None and len(self.specs) == self.stop_at:
            raise KeyboardInterrupt
        self.specs.append(job.spec)
        return self.inner.compute(job, tile)

    def pixels_per_second(self, spec):
        return self.inner.pixels_per_second(spec)


def mp4_frames(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    frames = [
        np.frombuffer(f, np.uint8).reshape(meta["size"][1], meta["size"][0], 3) for f in reader
    ]
    return meta["size"], frames


# -- sweep frames rendered --------------------------------------------------------------


def test_sweep_frames_equal_direct_renders(tmp_path):
    specs = sweep_specs(small_spec(init="independent"), "wv01", -2.0, 2.0, 3)
    result = render_movie(specs, outputs=[tmp_path / "s.gif"], engine="numpy", keep_frames=True)
    for spec, path in zip(specs, result.frame_paths, strict=True):
        assert LandscapeSpec.from_json(read_png_spec(path)) == spec
        labels = render_landscape(spec, "numpy").labels
        picture = np.asarray(Image.open(path).convert("L"))
        np.testing.assert_array_equal(picture, np.flipud(labels) * 255)


# -- encoding -------------------------------------------------------------------------------


def test_gif_and_mp4_hold_every_frame_at_the_frame_size(tmp_path):
    spec = small_spec(width=16, height=12)
    specs = zoom_specs(spec, (-3.0682, -1.8253), 16.0, 0.5, 6)  # a boundary point
    options = ColorOptions("log-delta")
    outputs = [tmp_path / "z.mp4", tmp_path / "z.gif"]
    result = render_movie(specs, options, outputs, engine="numpy", fps=10, keep_frames=True)
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in result.frame_paths]
    assert all(f.shape == (12, 16, 3) for f in frames)
    assert all((a != b).any() for a, b in itertools.pairwise(frames))  # all distinct
    with Image.open(tmp_path / "z.gif") as gif:
        assert gif.n_frames == 6 and gif.size == (16, 12)
        assert gif.info["loop"] == 0 and gif.info["duration"] == 100
    size, decoded = mp4_frames(tmp_path / "z.mp4")
    assert tuple(size) == (16, 12) and len(decoded) == 6
    # lossy, but each decoded frame is closest to its own source frame
    for k, image in enumerate(decoded):
        errors = [np.abs(image.astype(int) - f.astype(int)).mean() for f in frames]
        assert int(np.argmin(errors)) == k
    assert sorted(p.name for p in tmp_path.iterdir()) == ["z.frames", "z.gif", "z.mp4"]


def test_outputs_are_checked_before_any_work(tmp_path):
    for bad, size in [
        ([tmp_path / "a.avi"], (16, 16)),
        ([tmp_path / "a.mp4"], (15, 16)),
        ([tmp_path / "a.gif", tmp_path / "a.gif"], (16, 16)),
        ([tmp_path / "missing" / "a.gif"], (16, 16)),
        ([], (16, 16)),
    ]:
        with pytest.raises(UserError):
            check_outputs(bad, size)
    assert check_outputs([tmp_path / "a.gif"], (15, 15)) == [tmp_path / "a.gif"]
    engine = CountingEngine()
    with pytest.raises(UserError, match="even"):
        render_movie([small_spec(width=15)] * 2, outputs=[tmp_path / "o.mp4"], engine=engine)
    assert engine.specs == [] and list(tmp_path.iterdir()) == []


# -- the frame cache ------------------------------------------------------------------------


def test_an_interrupted_movie_resumes_and_equals_an_uninterrupted_one(tmp_path):
    specs = zoom_specs(small_spec(), (-3.0682, -1.8253), 16.0, 1.0, 5)
    options = ColorOptions("sync-step")

    whole = tmp_path / "whole"
    whole.mkdir()
    render_movie(
        specs, options, [whole / "m.gif", whole / "m.mp4"], engine="numpy", keep_frames=True
    )

    parts = tmp_path / "parts"
    parts.mkdir()
    outputs = [parts / "m.gif", parts / "m.mp4"]
    first = CountingEngine(stop_at=2)  # one tile per 16x16 frame: stops during frame 2
    with pytest.raises(MovieInterrupted) as caught:
        render_movie(specs, options, outputs, engine=first)
    assert (caught.value.frames_done, caught.value.frames_total) == (2, 5)
    assert len(list((parts / "m.frames").iterdir())) == 2
    assert not outputs[0].exists() and not outputs[1].exists()

    second = CountingEngine()
    result = render_movie(specs, options, outputs, engine=second, keep_frames=True)
    assert result.computed == [2, 3, 4]
    assert second.specs == specs[2:]
    assert (parts / "m.gif").read_bytes() == (whole / "m.gif").read_bytes()
    for a, b in zip(mp4_frames(parts / "m.mp4")[1], mp4_frames(whole / "m.mp4")[1], strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(
        sorted((parts / "m.frames").iterdir()), sorted((whole / "m.frames").iterdir()), strict=True
    ):
        assert a.name == b.name and a.read_bytes() == b.read_bytes()

    third = CountingEngine()  # everything cached: nothing recomputed
    assert render_movie(specs, options, outputs, engine=third).computed == []
    assert third.specs == []


def test_other_settings_do_not_reuse_frames_and_a_finished_movie_removes_its_frames(tmp_path):
    specs = sweep_specs(small_spec(), "beta", 0.5, 1.5, 3)
    engine = CountingEngine()
    render_movie(
        specs, ColorOptions("binary"), [tmp_path / "a.gif"], engine=engine, keep_frames=True
    )
    assert len(engine.specs) == 3
    other = CountingEngine()
    render_movie(specs, ColorOptions("log-delta"), [tmp_path / "a.gif"], engine=other)
    assert len(other.specs) == 3  # another coloring: other frame names
    assert len(list((tmp_path / "a.frames").iterdir())) == 3  # only the binary ones are left
    render_movie(specs, ColorOptions(), [tmp_path / "b.gif"], engine="numpy")
    assert not (tmp_path / "b.frames").exists()
    assert (tmp_path / "b.gif").exists()


def test_a_movie_without_outputs_keeps_its_frames(tmp_path):
    # The frames are then the product: nothing else would be left of the work.
    specs = sweep_specs(small_spec(), "beta", 0.5, 1.5, 2)
    result = render_movie(specs, frames_dir=tmp_path / "f", engine="numpy")
    assert all(path.is_file() for path in result.frame_paths)


def test_the_cost_of_a_movie_counts_only_the_frames_not_in_the_cache(tmp_path):
    from attndyn.model.job import Job
    from attndyn.pictures.movies import estimate_movie_cost, frame_name
    from attndyn.rendering.estimate import estimate_cost

    engine = get_engine("numpy")
    options = ColorOptions()
    jobs = [Job(spec) for spec in zoom_specs(small_spec(), (0.0, 0.0), 16.0, 1.0, 3)]
    jobs[2] = Job(replace(jobs[2].spec, width=32))  # the most memory: 32 x 16 pixels
    (tmp_path / frame_name(0, jobs[0].spec, options)).write_bytes(b"cached")
    cost = estimate_movie_cost(jobs, options, engine, frames_dir=tmp_path)
    one, two = (estimate_cost(job.spec, engine) for job in jobs[1:])
    assert cost.seconds == pytest.approx(one.seconds + two.seconds)
    assert cost.bytes == max(one.bytes, two.bytes)


# -- the colour scale -----------------------------------------------------------------------


class MadeUpEngine:
    """Fields made up from the frame's beta b, so that frames hold different ranges of values:
    on a ramp r from 1 (top left) to 0 (bottom right), the gap 10 ** (-8 + 8 b r), the step
    1 + 20 b r, 1 + floor(4 b r) clusters, synchronised where r < b / 2, probability b r / 2.
    Pixel (0, 0) is the same in every frame: gap 1e-3, step 5, 2 clusters, not synchronised,
    probability 0.25."""

    name = "made-up"
    tile_pixels = 1 << 20
    supports_float64 = True
    last_diagnostics = None

    def compute(self, job, tile):
        rows, cols = job.spec.shape
        b = job.spec.beta
        r = np.linspace(1.0, 0.0, rows * cols).reshape(rows, cols)
        made = Fields(
            delta=np.float32(10.0 ** (-8 + 8 * b * r)),
            labels=np.uint8(r < b / 2),
            sync_step=np.float32(1 + 20 * b * r),
            clusters=np.uint16(1 + np.floor(4 * b * r)),
            probability=np.float32(b * r / 2),
        )
        for name, value in (
            ("delta", 1e-3),
            ("labels", 0),
            ("sync_step", 5),
            ("clusters", 2),
            ("probability", 0.25),
        ):
            getattr(made, name)[0, 0] = value
        rows_slice, cols_slice = tile.slices
        return Fields(
            **{name: array[rows_slice, cols_slice] for name, array in made.arrays().items()}
        )

    def pixels_per_second(self, spec):
        return 1e9


def colours_of_the_shared_pixel(tmp_path, options, color_scale):
    spec = small_spec(width=8, height=6, samples=2, init="independent")
    specs = sweep_specs(spec, "beta", 0.5, 1.0, 2)
    result = render_movie(
        specs,
        options,
        [tmp_path / f"{color_scale}.gif"],
        frames_dir=tmp_path / f"{color_scale}.frames",
        engine=MadeUpEngine(),
        keep_frames=True,
        color_scale=color_scale,
    )
    # field pixel (0, 0) is the picture's bottom-left pixel
    return [tuple(np.asarray(Image.open(p).convert("RGB"))[-1, 0]) for p in result.frame_paths]


@pytest.mark.parametrize("equalize", [False, True])
@pytest.mark.parametrize("coloring", COLORINGS)
def test_a_value_keeps_its_colour_from_frame_to_frame_on_the_movies_scale(
    tmp_path, coloring, equalize
):
    options = ColorOptions(coloring, equalize=equalize)
    first, second = colours_of_the_shared_pixel(tmp_path, options, "movie")
    assert first == second
    adapts = equalize or coloring in ("log-delta", "sync-step")
    first, second = colours_of_the_shared_pixel(tmp_path, options, "per-frame")
    assert (first != second) == adapts  # each frame's own scale moves the colour


def test_the_movies_log_delta_range_is_that_of_all_frames(tmp_path):
    # By hand: the gaps of both frames run from 1e-8 up to 10 ** (-8 + 8 (1 - 1/47)) (frame 2,
    # b = 1, the largest ramp value after the top-left pixel's), so 1e-3 sits at
    # (log 1e-3 + 8) / (8 (1 - 1/47)) of the colormap in both frames.
    options = ColorOptions("log-delta")
    lo = np.log10(np.float64(np.float32(1e-8)))
    hi = np.log10(np.float64(np.float32(10.0 ** (-8 + 8 * (1 - 1 / 47)))))
    unit = (np.log10(np.float64(np.float32(1e-3))) - lo) / (hi - lo)
    expected = tuple(options_colormap(options)(unit, bytes=True)[:3])
    assert colours_of_the_shared_pixel(tmp_path, options, "movie") == [expected, expected]


def test_the_movies_scale_is_a_pass_over_the_cache_and_resumes(tmp_path):
    # Interrupted, the movie keeps the fields of its finished frames; the rerun computes only
    # the others, and its pictures are those of an uninterrupted movie.
    specs = sweep_specs(small_spec(), "wv01", -2.0, 1.0, 4)
    options = ColorOptions("log-delta", equalize=True)
    whole = render_movie(specs, options, frames_dir=tmp_path / "whole", engine="numpy")
    first = CountingEngine(stop_at=2)
    with pytest.raises(MovieInterrupted):
        render_movie(specs, options, [tmp_path / "m.gif"], engine=first)
    assert sorted(p.suffix for p in (tmp_path / "m.frames").iterdir()) == [".npz", ".npz"]
    second = CountingEngine()
    result = render_movie(specs, options, [tmp_path / "m.gif"], engine=second, keep_frames=True)
    assert result.computed == [2, 3] and second.specs == specs[2:]
    for a, b in zip(result.frame_paths, whole.frame_paths, strict=True):
        assert a.name == b.name and a.read_bytes() == b.read_bytes()
    other = CountingEngine()  # another colouring of the kept movie: its fields, no compute
    render_movie(
        specs,
        ColorOptions("sync-step"),
        [tmp_path / "s.gif"],
        engine=other,
        frames_dir=tmp_path / "m.frames",
    )
    assert other.specs == []


def test_an_unknown_colour_scale_is_refused(tmp_path):
    with pytest.raises(UserError, match="per-frame"):
        render_movie(
            [small_spec()] * 2,
            ColorOptions("log-delta"),
            [tmp_path / "m.gif"],
            engine="numpy",
            color_scale="frame",
        )
    assert list(tmp_path.iterdir()) == []
