"""The art options of ``attndyn render``: --from, slices, windows, precision, sampling."""

import json

import numpy as np
import pytest
from PIL import Image

from attndyn import Job, LandscapeSpec
from attndyn.cli.main import main
from attndyn.engines.numpy_ref import attention_step
from attndyn.model.fields import synchronisation_gap
from attndyn.model.initial import pixel_points
from attndyn.pictures.images import read_png_spec

SMALL = ["--size", "12x10", "--steps", "20", "-q"]


def run(*argv):
    return main([str(a) for a in argv])


def load(path):
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def test_from_reproduces_a_picture_exactly(tmp_path):
    first = ["--preset", "art1679700", "--supersample", "2", "--coloring", "log-delta"]
    first += ["--cmap", "viridis", "--init", "shared", *SMALL]
    assert run("render", *first, "-o", tmp_path / "a.png", "--save", tmp_path / "a.npz") == 0
    assert (
        run(
            "render",
            "--from",
            tmp_path / "a.png",
            "-q",
            "-o",
            tmp_path / "b.png",
            "--save",
            tmp_path / "b.npz",
        )
        == 0
    )
    a, b = load(tmp_path / "a.npz"), load(tmp_path / "b.npz")
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png"))
    )
    assert read_png_spec(tmp_path / "a.png") == read_png_spec(tmp_path / "b.png")


def test_from_refuses_spec_options(tmp_path, capsys):
    assert run("render", *SMALL, "-o", tmp_path / "a.png") == 0
    assert (
        run("render", "--from", tmp_path / "a.png", "--steps", "5", "-o", tmp_path / "b.png") == 2
    )
    assert "drop --steps" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()


def direct_delta(spec, row, col):
    """A plain single-pixel computation from the spec's own definitions."""
    wq, wk, wv = (np.array(m, dtype=np.float32).reshape(2, 2) for m in (spec.wq, spec.wk, spec.wv))
    beta = np.float32(spec.beta)
    x = np.linspace(*spec.x_range, spec.width)[col]
    y = np.linspace(*spec.y_range, spec.height)[row]
    wv[0, 1] = np.float32(x)  # x_param wv01
    beta = np.float32(y)  # y_param beta
    X = pixel_points(spec.seed, np.array([row]), np.array([col]), spec.n_points)
    for _ in range(spec.steps):
        X = attention_step(X, wq[None], wk[None], wv[None], np.array([beta]), spec.eps)
    return float(synchronisation_gap(X)[0])


def test_a_slice_at_fixed_values_equals_a_direct_computation(tmp_path):
    argv = [
        "render",
        "--x-param",
        "wv01",
        "--y-param",
        "beta",
        "--x-range=-2,2",
        "--y-range",
        "0.5,4",
    ]
    argv += ["--wk", "1.5,0,0,-2", "--seed", "7", "--engine", "numpy", *SMALL]
    assert run(*argv, "--save", tmp_path / "s.npz") == 0
    fields = load(tmp_path / "s.npz")
    spec = LandscapeSpec.from_json(str(fields["spec"]))
    for row, col in [(0, 0), (3, 7), (9, 11), (5, 2)]:
        assert fields["delta"][row, col] == pytest.approx(
            direct_delta(spec, row, col), rel=1e-4, abs=1e-6
        )


def test_center_and_width_set_the_window_with_square_pixels(tmp_path):
    assert (
        run(
            "render",
            "--center",
            "1,-2",
            "--width",
            "4",
            "--size",
            "8x4",
            "--steps",
            "1",
            "-q",
            "-o",
            tmp_path / "w.png",
        )
        == 0
    )
    spec = json.loads(read_png_spec(tmp_path / "w.png"))
    assert spec["x_range"] == [-1.0, 3.0] and spec["y_range"] == [-3.0, -1.0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--center", "1,2"], "--center and --width go together"),
        (["--center", "1,2", "--width", "1", "--range", "0,1"], "give one"),
        (["--center", "1,2", "--width", "0"], "--width 0.0 must be a finite number > 0"),
        (["--center", "3.1,2", "--width", "1e-6"], "too narrow for float32"),
        (["--preset", "nope"], "preset 'nope' is unknown; choose one of seed1-identity"),
        (["--coloring", "clusterz"], "invalid choice: 'clusterz'"),
        (["--cmap", "nope"], "colormap 'nope' is unknown; choose one of Accent"),
        (["--cmap", "virdis"], "colormap 'virdis' is unknown (did you mean 'viridis'?); choose"),
        (["--coloring", "sync_step"], "invalid choice: 'sync_step' (did you mean 'sync-step'?)"),
        (["--supersample", "0"], "--supersample 0 is too small"),
        (["--samples", "0"], "--samples 0 is too small"),
    ],
)
def test_bad_art_options(tmp_path, capsys, argv, fragment):
    with pytest.raises(SystemExit) if "invalid choice" in fragment else _no_exit():
        assert run("render", *argv, "-o", tmp_path / "x.png") == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_deep_zoom_works_in_float64(tmp_path, capsys):
    argv = ["--center", "3.1,2", "--width", "1e-6", "--size", "4", "--steps", "5", "-q"]
    assert run("render", *argv, "-o", tmp_path / "z.png") == 2
    assert "use --precision float64" in capsys.readouterr().err
    assert run("render", *argv, "--precision", "float64", "-o", tmp_path / "z.png") == 0
    assert json.loads(read_png_spec(tmp_path / "z.png"))["dtype"] == "float64"


def test_supersampled_pixels_average_their_samples(tmp_path):
    assert (
        run(
            "render",
            "--supersample",
            "3",
            "--preset",
            "art5227590",
            *SMALL,
            "-o",
            tmp_path / "s.png",
            "--save",
            tmp_path / "s.npz",
        )
        == 0
    )
    labels = load(tmp_path / "s.npz")["labels"]
    assert labels.shape == (30, 36)
    image = np.asarray(Image.open(tmp_path / "s.png").convert("L")).astype(float)
    assert image.shape == (10, 12)
    expected = np.flipud(labels.reshape(10, 3, 12, 3).mean(axis=(1, 3))) * 255
    np.testing.assert_allclose(image, expected, atol=0.51)
    assert ((image > 0) & (image < 255)).any()  # some pixels are really anti-aliased


def test_probability_is_the_share_of_samples_that_synchronise(tmp_path):
    argv = ["render", "--samples", "4", "--preset", "art1679700", "--engine", "numpy", *SMALL]
    assert run(*argv, "--save", tmp_path / "p.npz") == 0
    fields = load(tmp_path / "p.npz")
    spec = LandscapeSpec.from_json(str(fields["spec"]))
    rows, cols = np.meshgrid(np.arange(10), np.arange(12), indexing="ij")
    from attndyn import render_landscape

    per_sample = []
    for sample in range(4):  # each sample's points, given explicitly as a per-pixel file
        x0 = pixel_points(spec.seed, rows.ravel(), cols.ravel(), 20, sample=sample).reshape(
            10, 12, 20, 2
        )
        plain = LandscapeSpec(**{**spec.__dict__, "samples": 1})
        job = Job.with_x0(plain, x0.astype(np.float64))
        per_sample.append(render_landscape(job, "numpy").labels)
    total = np.sum(per_sample, axis=0, dtype=np.float64)
    # The README: `probability` is the mean of the K labels, the other fields are sample 0's.
    np.testing.assert_allclose(fields["probability"], total / 4)
    np.testing.assert_array_equal(fields["labels"], per_sample[0])
    assert 0 < fields["probability"].mean() < 1
    # The picture can tell sample 0 from a vote over the samples (majority or any tie rule).
    assert (per_sample[0] != (total > 2)).any() and (per_sample[0] != (total >= 2)).any()


def test_preset_values_yield_to_explicit_options(tmp_path):
    assert (
        run(
            "render",
            "--preset",
            "art6306593",
            "--steps",
            "7",
            "--size",
            "5",
            "-q",
            "-o",
            tmp_path / "p.png",
        )
        == 0
    )
    spec = json.loads(read_png_spec(tmp_path / "p.png"))
    assert spec["steps"] == 7 and spec["wq"] == [-0.4323, -0.6186, -1.1823, -0.0825]
