"""attndyn.render / Landscape / Picture / load against the command line, which is the
independent path here: the same options through argparse and ``attndyn render`` in another
process must give the same bytes, and what is saved must load back equal."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import attndyn as ad
from attndyn.engines.numpy_ref import NumpyReferenceEngine

SMALL = {"size": 24, "steps": 30, "engine": "numpy", "quiet": True}


def attndyn_render(*argv, cwd) -> None:
    """``attndyn render ARGV`` in its own process."""
    command = [sys.executable, "-m", "attndyn.cli.main", "render", *map(str, argv), "--quiet"]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def same_fields(a, b) -> bool:
    one, two = a.arrays(), b.arrays()
    return one.keys() == two.keys() and all(
        np.array_equal(one[k], two[k], equal_nan=one[k].dtype.kind == "f") for k in one
    )


def test_the_issues_line_writes_the_commands_picture_byte_for_byte(tmp_path):
    ad.render(preset="art1679700", init="shared", size=256).color(
        coloring="sync-step", cmap="twilight_shifted", equalize=True
    ).save(tmp_path / "x.png")
    attndyn_render(
        "--preset", "art1679700", "--init", "shared", "--size", "256", "--coloring",
        "sync-step", "--cmap", "twilight_shifted", "--equalize", "-o", "y.png", cwd=tmp_path,
    )  # fmt: skip
    assert (tmp_path / "x.png").read_bytes() == (tmp_path / "y.png").read_bytes()


def test_python_values_and_the_command_lines_text_give_one_picture_and_fields(tmp_path):
    """Tuples, a 2x2 array, and resize as (W, H): the command line's strings for the same."""
    landscape = ad.render(
        wq=np.array([[1.1646, -0.0278], [-0.8054, -0.9405]]),
        wv=(-1.9675, -2.0948, 0.3671, 1.4580),
        size=(32, 20),
        center=(-3, -1.75),
        width=0.5,
        steps=25,
        engine="numpy",
        quiet=True,
    )
    landscape.save(tmp_path / "a.npz")
    landscape.color("log-delta", "magma", invert=True, resize=(16, 10)).save(tmp_path / "a.png")
    attndyn_render(
        "--wq", "1.1646,-0.0278,-0.8054,-0.9405", "--wv", "-1.9675,-2.0948,0.3671,1.4580",
        "--size", "32x20", "--center=-3,-1.75", "--width", "0.5", "--steps", "25",
        "--engine", "numpy", "--coloring", "log-delta", "--cmap", "magma", "--invert",
        "--resize", "16x10", "-o", "b.png", "--save", "b.npz", cwd=tmp_path,
    )  # fmt: skip
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    with np.load(tmp_path / "a.npz") as ours, np.load(tmp_path / "b.npz") as theirs:
        assert sorted(ours.files) == sorted(theirs.files)
        for name in ours.files:
            assert np.array_equal(
                ours[name], theirs[name], equal_nan=ours[name].dtype.kind == "f"
            ), name
    # the window by hand: width 0.5 around (-3, -1.75), height 0.5 * 20 / 32
    assert landscape.spec.x_range == (-3.25, -2.75)
    assert landscape.spec.y_range == (-1.75 - 0.15625, -1.75 + 0.15625)


def test_the_defaults_are_the_commands(tmp_path):
    """No option: the gallery's art1679700, shared, 512 wide (checked on the spec alone)."""
    spec = ad.render(size=8, steps=2, engine="numpy", quiet=True).spec
    assert (spec.seed, spec.init, spec.width, spec.height) == (1679700, "shared", 8, 8)
    assert (spec.x_param, spec.y_param, spec.x_range) == ("wk11", "wk00", (-8.0, 8.0))


@pytest.mark.parametrize(
    ("keywords", "named", "fragment"),
    [
        ({"size": 0}, ("size",), "size '0' must be at least 1 pixel"),
        ({"size": (10, 0)}, ("size",), "size '10x0' must be at least 1 pixel"),
        ({"steps": 0}, ("steps",), "steps 0 is too few"),
        ({"points": 1}, ("points",), "points 1 is too few"),
        ({"seed": 1.5}, ("seed",), "seed '1.5' is not an integer"),
        ({"wq": [1, 2, 3]}, ("wq",), "wq '1.0,2.0,3.0' has 3 numbers; give 4"),
        ({"wq": "a,b"}, ("wq",), "wq 'a,b' is not 4 comma-separated numbers"),
        ({"center": (0, 0)}, ("center", "width"), "center and width go together"),
        ({"precision": "float16"}, ("precision",), "precision 'float16' is unknown"),
        ({"init": "file"}, ("init", "x0"), "init 'file' is what x0 sets"),
        ({"from_": "p.png", "seed": 3}, ("from_", "seed"), "from_ reproduces a picture"),
        ({"engine": "fast"}, ("engine",), "engine 'fast' is unknown"),
        ({"sise": 64}, ("sise",), "unknown keyword sise (did you mean size?)"),
        ({"x_rang": "0,1"}, ("x_rang",), "(did you mean x_range"),
    ],
)
def test_a_bad_keyword_is_a_one_line_value_error_naming_it(keywords, named, fragment):
    with pytest.raises(ValueError) as caught:
        ad.render(quiet=True, **keywords)
    error = caught.value
    assert isinstance(error, ad.OptionError) and isinstance(error, ad.UserError)
    assert error.keywords == named
    assert fragment in str(error) and "\n" not in str(error)
    assert "--" not in str(error)  # the command line's spelling stays on the command line


@pytest.mark.parametrize(
    ("keywords", "fragment"),
    [
        ({"coloring": "sync_step"}, "coloring 'sync_step' is unknown (did you mean 'sync-step'?)"),
        ({"cmap": "virdis"}, "cmap='virdis': colormap 'virdis' is unknown (did you mean"),
        ({"equalize": "maybe"}, "equalize 'maybe' is not a switch"),
        ({"resize": 0}, "resize '0' must be at least 1 pixel"),
        ({"coloring": "probability"}, "coloring 'probability' needs the field 'probability'"),
    ],
)
def test_a_bad_colour_keyword_names_it(keywords, fragment):
    landscape = ad.render(**SMALL)
    with pytest.raises(ad.OptionError) as caught:
        landscape.color(**keywords)
    assert fragment in str(caught.value)
    assert caught.value.keywords == (next(iter(keywords)),)


def test_a_huge_job_is_refused_with_the_python_spelling_of_force():
    with pytest.raises(ValueError, match=r"job is huge: .*; pass force=True to run it anyway"):
        ad.render(size=200_000, engine="numpy", quiet=True)


def test_the_fields_file_loads_back_equal(tmp_path):
    landscape = ad.render(**SMALL, samples=2)
    landscape.save(tmp_path / "f.npz")
    loaded = ad.load(tmp_path / "f.npz")
    assert loaded.spec == landscape.spec
    assert same_fields(loaded.fields, landscape.fields)
    assert loaded.fields.probability is not None


class Refusing(NumpyReferenceEngine):
    """An engine that fails if asked to compute: loading must not render."""

    def compute(self, job, tile):
        raise AssertionError("computed")


def test_a_picture_loads_from_the_fields_beside_it_coloured_as_it_was(tmp_path):
    landscape = ad.render(**SMALL)
    picture = landscape.color("sync-step", "twilight", equalize=True)
    picture.save(tmp_path / "x.png")
    landscape.save(tmp_path / "x.npz")
    loaded = ad.load(tmp_path / "x.png", engine=Refusing())
    assert same_fields(loaded.fields, landscape.fields) and loaded.spec == landscape.spec
    loaded.color().save(tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "x.png").read_bytes()


def test_a_picture_alone_is_rendered_again_from_its_spec(tmp_path):
    landscape = ad.render(**SMALL, init="independent", seed=5)
    landscape.color("clusters").save(tmp_path / "x.png")
    (tmp_path / "x.npz").write_bytes(b"not the fields")  # unreadable beside: ignored
    with pytest.raises(AssertionError, match="computed"):
        ad.load(tmp_path / "x.png", engine=Refusing())
    loaded = ad.load(tmp_path / "x.png", engine="numpy", quiet=True)
    assert loaded.spec == landscape.spec
    assert same_fields(loaded.fields, landscape.fields)
    assert loaded.color().color_options.coloring == "clusters"


def test_fields_beside_a_picture_of_another_spec_are_not_used(tmp_path):
    ad.render(**SMALL).color().save(tmp_path / "x.png")
    ad.render(**{**SMALL, "steps": 31}).save(tmp_path / "x.npz")
    assert ad.load(tmp_path / "x.png", engine="numpy", quiet=True).spec.steps == 30


def test_render_from_a_picture_is_the_picture(tmp_path):
    ad.render(**SMALL).color("log-delta", invert=True).save(tmp_path / "x.png")
    again = ad.render(from_=tmp_path / "x.png", engine="numpy", quiet=True)
    again.color().save(tmp_path / "y.png")
    assert (tmp_path / "x.png").read_bytes() == (tmp_path / "y.png").read_bytes()


def test_a_zarr_store_loads_its_fields(tmp_path):
    pytest.importorskip("zarr")
    attndyn_render(
        "--size", "24", "--steps", "30", "--engine", "numpy", "--store", "s.zarr",
        "--chunk", "16", cwd=tmp_path,
    )  # fmt: skip
    loaded = ad.load(tmp_path / "s.zarr")
    landscape = ad.render(**SMALL)
    assert loaded.spec == landscape.spec
    assert same_fields(loaded.fields, landscape.fields)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.npz", None, "'{path}' does not exist; give a fields file (.npz)"),
        ("notes.txt", b"hello", "is not a fields file saved by 'render --save'"),
        ("plain.png", "png", "carries no 'attndyn-spec' text"),
    ],
)
def test_load_refuses_what_it_cannot_read_in_one_line(tmp_path, name, content, fragment):
    path = tmp_path / name
    if content == "png":
        Image.new("L", (4, 4)).save(path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ad.UserError) as caught:
        ad.load(path)
    assert fragment.format(path=path) in str(caught.value) and "\n" not in str(caught.value)


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_a_big_landscape_displays_at_most_512_pixels_wide():
    big = ad.render(size=(1030, 40), steps=2, points=2, engine="numpy", quiet=True)
    assert png_size(big._repr_png_()) == (512, 20)  # 40 * 512 / 1030 = 19.9
    assert png_size(big.color("log-delta")._repr_png_()) == (512, 20)
    small = ad.render(**SMALL)
    assert png_size(small._repr_png_()) == (24, 24)


def test_the_html_shows_the_picture_and_the_specs_key_values():
    import base64
    import re

    landscape = ad.render(**SMALL)
    html = landscape._repr_html_()
    (data,) = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert base64.b64decode(data) == landscape._repr_png_()
    for cell in ("size", "24x24", "seed", "1679700", "init", "shared", "steps", "30"):
        assert f">{cell}<" in html
    assert len(html) < 20_000
    picture_html = landscape.color("sync-step")._repr_html_()
    assert ">sync-step inferno<" in picture_html and ">24x24<" in picture_html


def test_the_picture_array_is_the_image(tmp_path):
    landscape = ad.render(**SMALL)
    binary = landscape.color()
    assert binary.image.mode == "1"
    assert binary.array.dtype == np.uint8 and set(np.unique(binary.array)) <= {0, 255}
    # white = synchronised, lowest row at the bottom
    assert np.array_equal(binary.array == 255, np.flipud(landscape.fields.labels == 1))


def test_a_picture_made_from_an_x0_file_needs_the_file_again(tmp_path):
    points = np.random.default_rng(3).standard_normal((5, 2))
    np.save(tmp_path / "p.npy", points / np.linalg.norm(points, axis=1, keepdims=True))
    landscape = ad.render(x0=tmp_path / "p.npy", size=12, steps=20, engine="numpy", quiet=True)
    landscape.color().save(tmp_path / "x.png")
    with pytest.raises(ad.OptionError, match="was made from an x0 file; give it again with x0"):
        ad.load(tmp_path / "x.png", engine="numpy", quiet=True)
    loaded = ad.load(tmp_path / "x.png", x0=tmp_path / "p.npy", engine="numpy", quiet=True)
    assert loaded.spec == landscape.spec and same_fields(loaded.fields, landscape.fields)
