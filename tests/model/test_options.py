"""User options to a spec: precedence, windows, presets, seeded matrices and error names.

Expected specs are written out by hand from the rules in the module docstring, never built
by the code under test.
"""

import numpy as np
import pytest

from attndyn.cli.common import option_flag, render_options
from attndyn.model.errors import FieldError, UserError
from attndyn.model.job import x0_digest
from attndyn.model.options import (
    OPTION_NAMES,
    RenderOptions,
    build_job,
    option_name,
    spec_options,
    window_around,
)
from attndyn.model.spec import LandscapeSpec
from attndyn.pictures.images import write_png

from helpers import random_unit_points

IDENTITY = (1.0, 0.0, 0.0, 1.0)
# W_Q and W_V drawn from seed 7, as the starting commit wrote them into a picture's spec.
SEED7_WQ = (-0.558482825756073, 0.20110557973384857, 0.8455373644828796, 1.4925113916397095)
SEED7_WV = (-0.4517248272895813, -0.6318578720092773, -0.6448447704315186, -1.8873069286346436)


def spec_of(**strings):
    """The spec of options given as text, with keys written like the option names."""
    return build_job(
        RenderOptions.from_strings({k.replace("_", "-"): v for k, v in strings.items()})
    ).spec


@pytest.fixture
def presets_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[dusk]\ncaption = "mine"\nwq = [0.5, 0, 0, 0.5]\nwv = [1, 2, 3, 4]\n'
        "steps = 40\nseed = 9\nwidth = 64\nheight = 32\nx_range = [-2, 2]\n"
    )
    return str(path)


# The gallery's art1679700: W_Q and W_V of the seed's Appendix B for seed 1679700.
ART_WQ = (1.1646, -0.0278, -0.8054, -0.9405)
ART_WV = (-1.9675, -2.0948, 0.3671, 1.4580)


def test_no_options_give_the_gallerys_art1679700_with_shared_points():
    assert spec_of() == LandscapeSpec(wq=ART_WQ, wv=ART_WV, seed=1679700, init="shared")
    spec = spec_of()
    assert (spec.width, spec.height, spec.x_range, spec.y_range) == (512, 512, (-8, 8), (-8, 8))
    assert spec.wk == (0.0, 0.0, 0.0, 0.0) and (spec.n_points, spec.steps) == (20, 100)


def test_options_that_name_no_map_change_the_default_picture():
    assert spec_of(init="independent", steps="40", size="64") == LandscapeSpec(
        wq=ART_WQ, wv=ART_WV, seed=1679700, init="independent", steps=40, width=64, height=64
    )
    assert spec_of(wk="0,0,0,1", points="8") == LandscapeSpec(
        wq=ART_WQ, wv=ART_WV, wk=(0.0, 0.0, 0.0, 1.0), seed=1679700, init="shared", n_points=8
    )


def test_options_that_name_a_map_leave_the_default_picture():
    seeded = spec_of(seed="7")  # a map drawn from the seed, fresh points per pixel
    assert seeded == LandscapeSpec(wq=SEED7_WQ, wv=SEED7_WV, seed=7)
    assert spec_of(wq="1,0,0,1", wv="1,0,0,1") == LandscapeSpec(wq=IDENTITY, wv=IDENTITY, seed=1)
    assert spec_of(wv="1,0,0,1").init == "independent"
    assert spec_of(preset="art5227590").init == "independent"  # as the gallery names it


def test_degenerate_counts_from_a_presets_file_are_refused_too(tmp_path):
    path = tmp_path / "flat.toml"
    path.write_text("[flat]\nwq = [1, 0, 0, 1]\nwv = [1, 0, 0, 1]\nsteps = 0\n")
    with pytest.raises(FieldError) as error:
        spec_of(preset="flat", presets=str(path))
    assert error.value.spelled(option_flag).startswith("--steps 0 is too few")
    one = tmp_path / "one.npy"
    np.save(one, np.array([[1.0, 0.0]]))
    with pytest.raises(FieldError) as error:
        spec_of(x0=str(one))
    assert error.value.spelled(option_flag).startswith("--x0 holds 1 point; give a file of >= 2")


def test_unset_matrices_are_drawn_from_the_seed():
    spec = spec_of(seed="7")
    assert (spec.wq, spec.wv) == (SEED7_WQ, SEED7_WV)
    half = spec_of(seed="7", wq="1,0,0,1")  # only the missing one is drawn
    assert (half.wq, half.wv) == (IDENTITY, SEED7_WV)


def test_explicit_options_set_their_fields():
    spec = spec_of(
        wq="1,0,0,1",
        wv="0,1,-1,0",
        wk="2,0,0,3",
        beta="0.5",
        seed="12",
        points="8",
        steps="60",
        tol="1e-3",
        eps="0",
        precision="float64",
        size="30x20",
        x_param="wq01",
        y_param="beta",
        supersample="2",
        init="shared",
        samples="3",
    )
    assert spec == LandscapeSpec(
        wq=IDENTITY,
        wv=(0.0, 1.0, -1.0, 0.0),
        wk=(2.0, 0.0, 0.0, 3.0),
        beta=0.5,
        seed=12,
        n_points=8,
        steps=60,
        tol=1e-3,
        eps=0.0,
        dtype="float64",
        width=30,
        height=20,
        x_param="wq01",
        y_param="beta",
        supersample=2,
        init="shared",
        samples=3,
    )


def test_a_preset_is_over_the_defaults_and_under_the_options(presets_file):
    spec = spec_of(preset="dusk", presets=presets_file, steps="7", y_range="0,1")
    assert spec == LandscapeSpec(
        wq=(0.5, 0.0, 0.0, 0.5),
        wv=(1.0, 2.0, 3.0, 4.0),
        steps=7,  # the option wins over the preset's 40
        seed=9,
        width=64,
        height=32,
        x_range=(-2.0, 2.0),  # the preset's
        y_range=(0.0, 1.0),  # the option's
    )


def test_an_explicit_seed_replaces_the_presets_but_not_its_matrices(presets_file):
    spec = spec_of(preset="dusk", presets=presets_file, seed="3")
    assert spec.seed == 3 and spec.wq == (0.5, 0.0, 0.0, 0.5)


def test_the_builtin_presets_need_no_file():
    spec = spec_of(preset="art1679700", init="shared")
    assert spec.wq == (1.1646, -0.0278, -0.8054, -0.9405)
    assert spec.wv == (-1.9675, -2.0948, 0.3671, 1.458)
    assert (spec.seed, spec.init) == (1679700, "shared")


def test_range_sets_both_axes_and_x_range_or_y_range_win():
    spec = spec_of(range="-3,3", x_range="0,1")
    assert (spec.x_range, spec.y_range) == ((0.0, 1.0), (-3.0, 3.0))


def test_center_and_width_give_a_window_with_square_pixels():
    # 64 x 32 pixels, width 0.5 -> height 0.25, around (-3, -1.75)
    spec = spec_of(center="-3,-1.75", width="0.5", size="64x32")
    assert spec.x_range == (-3.25, -2.75) and spec.y_range == (-1.875, -1.625)
    assert window_around((1.0, -2.0), 4.0, (8, 4)) == ((-1.0, 3.0), (-3.0, -1.0))
    # a tall picture: 10 x 40 pixels, width 2 -> height 8
    assert window_around((0.0, 0.0), 2.0, (10, 40)) == ((-1.0, 1.0), (-4.0, 4.0))


def test_the_window_follows_the_aspect_ratio_of_the_presets_size(presets_file):
    spec = spec_of(preset="dusk", presets=presets_file, center="0,0", width="4")
    assert (spec.width, spec.height) == (64, 32)
    assert spec.x_range == (-2.0, 2.0) and spec.y_range == (-1.0, 1.0)


def test_the_zoom_of_the_golden_corpus():
    """--center=-3.06819,-1.82531 --width 0.002 at 128x128, as the starting commit computed."""
    spec = spec_of(preset="art1679700", size="128", center="-3.06819,-1.82531", width="0.002")
    assert spec.x_range == (-3.06919, -3.06719)
    assert spec.y_range == (-1.8263099999999999, -1.82431)


def test_from_reproduces_the_stored_spec(tmp_path):
    stored = LandscapeSpec(
        wq=IDENTITY, wv=IDENTITY, width=5, height=3, steps=9, seed=4, init="shared"
    )
    png = tmp_path / "p.png"
    write_png(png, _blank(), stored.to_json())
    job = build_job(RenderOptions(from_picture=str(png)))
    assert job.spec == stored and job.x0 is None
    with pytest.raises(FieldError) as error:
        build_job(RenderOptions(from_picture=str(png), steps=0))
    assert error.value.spelled(option_flag) == ("--from reproduces a picture exactly; drop --steps")


def test_from_a_picture_made_from_an_x0_file_needs_that_file(tmp_path):
    x0 = random_unit_points((6,), seed=1)
    np.save(tmp_path / "x0.npy", x0)
    other = tmp_path / "other.npy"
    np.save(other, random_unit_points((6,), seed=2))
    job = build_job(RenderOptions(x0=str(tmp_path / "x0.npy"), size=(4, 4), steps=3))
    assert job.spec.init == "file" and job.spec.x0_sha256 == x0_digest(x0)
    png = tmp_path / "p.png"
    write_png(png, _blank(), job.spec.to_json())
    again = build_job(RenderOptions(from_picture=str(png), x0=str(tmp_path / "x0.npy")))
    assert again.spec == job.spec
    np.testing.assert_array_equal(again.x0, x0)
    for options, fragment in [
        (RenderOptions(from_picture=str(png)), "give it again with --x0"),
        (RenderOptions(from_picture=str(png), x0=str(other)), "is not the file"),
    ]:
        with pytest.raises(FieldError) as error:
            build_job(options)
        assert fragment in error.value.spelled(option_flag)


def test_an_x0_file_sets_the_points_and_a_per_pixel_one_the_grid(tmp_path):
    shared = random_unit_points((7,), seed=3)
    np.save(tmp_path / "s.npy", shared)
    spec = spec_of(x0=str(tmp_path / "s.npy"), size="4")
    assert (spec.init, spec.n_points, spec.width) == ("file", 7, 4) and not spec.x0_per_pixel
    per_pixel = random_unit_points((3, 5, 2), seed=4)  # H = 3, W = 5, n = 2
    np.save(tmp_path / "p.npy", per_pixel)
    spec = spec_of(x0=str(tmp_path / "p.npy"))
    assert (spec.height, spec.width, spec.n_points, spec.x0_per_pixel) == (3, 5, 2, True)


def _blank():
    from PIL import Image

    return Image.new("L", (2, 2))


BAD = [
    ({"seed": "-2"}, "--seed -2 is outside [0, 2**64)"),
    ({"seed": str(2**64)}, "--seed 18446744073709551616 is outside [0, 2**64)"),
    ({"seed": "1.5"}, "--seed '1.5' is not an integer"),
    ({"steps": "-1"}, "--steps -1 is too few; give an integer >= 1"),
    ({"tol": "0"}, "--tol 0.0 must be a finite number > 0"),
    ({"tol": "nan"}, "--tol nan is not finite; give a finite number > 0"),
    ({"eps": "-1"}, "--eps -1.0 must be a finite number >= 0"),
    ({"beta": "inf"}, "--beta inf is not finite"),
    ({"beta": "x"}, "--beta 'x' is not a number"),
    ({"points": "0"}, "--points 0 is too few; give an integer >= 2"),
    ({"points": "1"}, "--points 1 is too few; give an integer >= 2 (a single point is always"),
    ({"steps": "0"}, "--steps 0 is too few; give an integer >= 1 (with no step every pixel"),
    ({"preset": "art167"}, "preset 'art167' is unknown (did you mean 'art1679700'?); choose"),
    ({"init": "shard"}, "--init 'shard' is unknown (did you mean 'shared'?); choose one of"),
    ({"samples": "0"}, "--samples 0 is too small; it must be >= 1"),
    ({"supersample": "0"}, "--supersample 0 is too small; it must be >= 1"),
    ({"size": "0"}, "--size '0' must be at least 1 pixel in each direction"),
    ({"size": "big"}, "--size 'big' is not R or WxH"),
    (
        {"precision": "float16"},
        "--precision 'float16' is unknown (did you mean 'float64'?); choose",
    ),
    ({"init": "sometimes"}, "--init 'sometimes' is unknown; choose one of independent"),
    ({"init": "file"}, "--init 'file' is what --x0 sets; choose independent or shared"),
    ({"x-param": "wz00"}, "--x-param names an unknown parameter 'wz00'; choose one of wq00"),
    ({"x-param": "wk01x"}, "parameter 'wk01x' (did you mean 'wk01'?); choose one of wq00"),
    ({"y-param": "wk11"}, "--x-param and --y-param are both 'wk11'; they must differ"),
    ({"wq": "1,2"}, "--wq '1,2' has 2 numbers; give 4"),
    ({"wv": "1,a,0,1"}, "--wv '1,a,0,1' is not 4 comma-separated numbers"),
    ({"wk": "inf,0,0,1"}, "--wk [inf, 0.0, 0.0, 1.0] holds a non-finite value"),
    ({"range": "3,1"}, "--range 3.0,1.0 is empty; lo must be less than hi"),
    ({"range": "0,1", "y-range": "2,2"}, "--y-range 2.0,2.0 is empty"),
    ({"x-range": "nan,1"}, "--x-range nan,1.0 is not finite"),
    ({"center": "1,2"}, "--center and --width go together; give both"),
    ({"width": "1"}, "--center and --width go together; give both"),
    ({"center": "1,2", "width": "0"}, "--width 0.0 must be a finite number > 0"),
    ({"center": "nan,2", "width": "1"}, "--center nan,2.0 is not finite"),
    ({"center": "1,2", "width": "1", "range": "0,1"}, "both set the window; give one"),
    ({"center": "3,3", "width": "1e-20"}, "--width 1e-20 is too narrow to make a window around"),
    ({"preset": "nope"}, "preset 'nope' is unknown; choose one of seed1-identity"),
    ({"normalize-x0": "true"}, "--normalize-x0 needs --x0"),
    ({"normalize-x0": "maybe"}, "--normalize-x0 'maybe' is not a switch"),
    ({"colour": "red"}, "option 'colour' is unknown; known options are preset, presets, from"),
]


@pytest.mark.parametrize(("strings", "message"), BAD, ids=[m for _, m in BAD])
def test_every_bad_value_is_one_line_naming_the_option(strings, message):
    with pytest.raises(UserError) as error:
        build_job(RenderOptions.from_strings(strings))
    spelled = (
        error.value.spelled(option_flag)
        if isinstance(error.value, FieldError)
        else str(error.value)
    )
    assert message in spelled and "\n" not in spelled


def test_a_url_spells_the_options_without_dashes():
    with pytest.raises(FieldError) as error:
        build_job(RenderOptions.from_strings({"points": "0"}))
    assert error.value.spelled(option_name) == (
        "points 0 is too few; give an integer >= 2 (a single point is always synchronised, so "
        "every pixel would be white)"
    )
    with pytest.raises(FieldError) as error:
        build_job(RenderOptions.from_strings({"x-param": "beta", "y-param": "beta"}))
    assert error.value.spelled(option_name).startswith("x-param and y-param are both 'beta'")


def test_a_server_refuses_options_that_name_files():
    for key in ("from", "presets", "x0", "normalize-x0"):
        with pytest.raises(FieldError, match=f"option '{key}' is unknown"):
            RenderOptions.from_strings({key: "x"}, files=False)
    assert RenderOptions.from_strings({"x-param": "wq01"}, files=False).x_param == "wq01"


def test_strings_parse_to_typed_values():
    options = RenderOptions.from_strings(
        {
            "preset": "art1679700",
            "wq": "1, 0, 0, 1",
            "seed": "12",
            "size": "300x200",
            "center": "-3.06819,-1.82531",
            "width": "2e-6",
            "x_param": "wq01",
            "normalize-x0": "0",
            "steps": None,
        }
    )
    assert options == RenderOptions(
        preset="art1679700",
        wq=IDENTITY,
        seed=12,
        size=(300, 200),
        center=(-3.06819, -1.82531),
        width=2e-6,
        x_param="wq01",
    )


def test_strings_and_argv_round_trip_exactly():
    options = RenderOptions(
        preset="art1679700",
        presets=("a.toml", "b.toml"),
        wk=(0.1, -1 / 3, 0.0, 2.0),
        beta=-0.7,
        seed=2**63 + 5,
        tol=1e-7,
        size=(30, 20),
        range=(-8.0, 8.0),
        x_range=(-0.1234567891234, 0.3),
        x_param="wv01",
        init="shared",
        normalize_x0=True,
    )
    assert RenderOptions.from_strings(options.to_strings()) == options
    from attndyn.cli.main import _build_parser, _join_negative_values

    args = _build_parser().parse_args(_join_negative_values(["render", *options.to_argv()]))
    assert render_options(args) == options


def test_spec_options_rebuild_the_spec():
    spec = LandscapeSpec(
        wq=(1.1646, -0.0278, -0.8054, -0.9405),
        wv=(0.25, 0.5, 1 / 3, 1.0),
        wk=(0.0, 0.7, 0.0, 0.0),
        x_range=(-3.06919, -3.06719),
        y_range=(-1.8263099999999999, -1.82431),
        width=96,
        height=64,
        dtype="float64",
        seed=5,
        init="shared",
    )
    assert build_job(spec_options(spec)).spec == spec
    assert build_job(RenderOptions.from_strings(spec_options(spec).to_strings())).spec == spec


def test_option_names_are_the_render_options():
    assert option_name("x_param") == "x-param" and option_name("from_picture") == "from"
    for name in ("preset", "wq", "wv", "init", "seed", "steps", "points", "tol", "x-param",
                 "y-param", "beta", "precision", "center", "width"):  # fmt: skip
        assert name in OPTION_NAMES


def test_residual_is_an_option_that_sets_the_spec_field_and_round_trips():
    assert spec_of(size="16").residual is None
    spec = spec_of(residual="0.5", size="16")
    assert spec.residual == 0.5
    options = RenderOptions.from_strings({"residual": "0.5", "size": "16"})
    assert options.to_strings()["residual"] == "0.5"
    assert ["--residual", "0.5"] == options.to_argv()[:2]
    assert build_job(spec_options(spec)).spec == spec
    # a URL (files=False) takes it too, under the same name
    assert RenderOptions.from_strings({"residual": "2"}, files=False).residual == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "--residual 0.0 is not allowed; give a finite number > 0"),
        ("-3", "--residual -3.0 is not allowed; give a finite number > 0"),
        ("inf", "--residual inf is not allowed"),
        ("h", "--residual 'h' is not a number"),
    ],
)
def test_a_bad_residual_is_one_line_naming_the_option(text, message):
    with pytest.raises(UserError) as error:
        build_job(RenderOptions.from_strings({"residual": text}))
    spelled = error.value.spelled(option_flag)
    assert message in spelled and "\n" not in spelled
