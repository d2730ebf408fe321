import json

import numpy as np
import pytest

from attndyn.model.errors import FieldError, UserError
from attndyn.model.spec import LandscapeSpec

IDENTITY = (1.0, 0.0, 0.0, 1.0)


def make(**overrides):
    values = {"wq": IDENTITY, "wv": IDENTITY}
    values.update(overrides)
    return LandscapeSpec(**values)


def test_json_round_trip_is_exact():
    spec = make(
        wq=(float(np.float32(1.1646)), -0.0278, 1 / 3, 2.0),
        x_range=(-0.1234567891234, 0.3),
        seed=2**63 + 5,
        init="shared",
    )
    again = LandscapeSpec.from_json(spec.to_json())
    assert again == spec
    assert json.loads(spec.to_json())["format"] == "attndyn.landscape/1"


# Near 1 (just above) an ulp is 2**-23 in float32 and 2**-52 in float64; a window from 1 whose
# 5 pixels are exactly 4 ulps apart ends at 1 + 16 ulps.
@pytest.mark.parametrize(("dtype", "ulp"), [("float32", 2.0**-23), ("float64", 2.0**-52)])
@pytest.mark.parametrize("axis", ["x", "y"])
def test_a_grid_spacing_of_exactly_4_ulps_is_resolved_and_just_below_is_refused(dtype, ulp, axis):
    exact = (1.0, 1.0 + 16 * ulp)
    spec = make(dtype=dtype, width=5, height=5, **{f"{axis}_range": exact})
    assert (getattr(spec, f"{axis}_range")[1] - 1.0) / 4 == 4 * ulp
    # the same window seen from its negative side: -1 - 16 ulps .. -1
    make(dtype=dtype, width=5, height=5, **{f"{axis}_range": (-exact[1], -exact[0])})
    below = (1.0, float(np.nextafter(1.0 + 16 * ulp, 0.0)))  # one float64 step narrower
    with pytest.raises(UserError, match=f"{axis} window .* is too narrow for {dtype}"):
        make(dtype=dtype, width=5, height=5, **{f"{axis}_range": below})
    assert float(np.spacing(np.dtype(dtype).type(exact[1]))) == ulp  # the ulp assumed above


def test_default_axes_are_the_seeds():
    spec = make()
    assert (spec.x_param, spec.y_param) == ("wk11", "wk00")
    assert spec.x_range == spec.y_range == (-8.0, 8.0)


def test_axis_values_run_low_to_high():
    spec = make(width=5, height=3, x_range=(-2, 2), y_range=(10, 12))
    np.testing.assert_array_equal(spec.x_values(), np.float32([-2, -1, 0, 1, 2]))
    np.testing.assert_array_equal(spec.y_values(), np.float32([10, 11, 12]))
    assert spec.shape == (3, 5)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"wq": (1, 2, 3)}, "has 3 entries"),
        ({"wq": (1, 2, 3, float("nan"))}, "non-finite"),
        ({"wv": ("x", 0, 0, 1)}, "not a list of numbers"),
        ({"width": 0}, "width 0"),
        ({"height": -4}, "height -4"),
        ({"steps": -1}, "steps -1"),
        ({"tol": 0.0}, "tol 0.0 must be a finite number > 0"),
        ({"eps": -1.0}, "eps -1.0 must be a finite number >= 0"),
        ({"beta": float("nan")}, "beta nan is not finite"),
        ({"n_points": 0}, "n_points 0 is too small; it must be >= 1"),
        ({"supersample": 0}, "supersample 0 is too small; it must be >= 1"),
        ({"samples": 2.5}, "samples 2.5 is not an integer"),
        ({"tol": float("inf")}, "not finite"),
        ({"x_range": (3, 3)}, "lo must be less than hi"),
        ({"x_param": "wk22"}, "unknown parameter 'wk22'"),
        ({"x_param": "wk00"}, "both 'wk00'"),
        ({"init": "random"}, "init 'random' is unknown"),
        ({"seed": -1}, "seed -1 is outside [0, 2**64)"),
        ({"seed": 2**64}, "seed 18446744073709551616 is outside [0, 2**64)"),
        ({"dtype": "float16"}, "dtype 'float16'"),
    ],
)
def test_bad_values_are_named(overrides, fragment):
    with pytest.raises(UserError, match=None) as error:
        make(**overrides)
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


def test_errors_name_the_field_so_a_front_end_can_spell_it():
    with pytest.raises(FieldError) as error:
        make(x_param="wk00", y_param="wk00")
    spelled = error.value.spelled(lambda name: f"<{name}>")
    assert spelled == "<x_param> and <y_param> are both 'wk00'; they must differ"


def test_unknown_json_keys_are_refused():
    data = json.loads(make().to_json())
    data["colour"] = "red"
    with pytest.raises(UserError, match="unknown keys"):
        LandscapeSpec.from_dict(data)


# -- the residual map (issue 29 A) ------------------------------------------------------------


def test_residual_defaults_to_none_and_then_is_absent_from_the_json():
    spec = make()
    assert spec.residual is None and not spec.residual_map
    assert "residual" not in json.loads(spec.to_json())


def test_json_written_before_the_residual_field_reads_back_byte_for_byte():
    # A spec's JSON as the package wrote it before the field existed (keys of this version
    # without "residual"): it loads as the seed's map and writes back the same text.
    old = make(seed=7, init="shared", width=12, height=8).to_json()
    assert '"residual"' not in old
    again = LandscapeSpec.from_json(old)
    assert again.residual is None and again.to_json() == old


@pytest.mark.parametrize("h", [1e-9, 0.5, 3, 1e6])
def test_a_residual_step_round_trips_through_json(h):
    spec = make(residual=h)
    assert spec.residual == float(h) and isinstance(spec.residual, float) and spec.residual_map
    assert json.loads(spec.to_json())["residual"] == float(h)
    assert LandscapeSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0, "residual 0.0 is not allowed"),
        (-1.5, "residual -1.5 is not allowed"),
        (float("nan"), "residual nan is not allowed"),
        (float("inf"), "residual inf is not allowed"),
        ("0.5", "residual '0.5' is not a number"),
        (True, "residual True is not a number"),
    ],
)
def test_bad_residuals_are_one_line_naming_the_field_and_what_is_allowed(value, fragment):
    with pytest.raises(FieldError) as error:
        make(residual=value)
    message = error.value.spelled(lambda name: name)
    assert fragment in message and "give a finite number > 0" in message
    assert "\n" not in message


def test_residual_can_be_an_axis_whose_window_lies_above_zero():
    spec = make(x_param="residual", x_range=(0.1, 20.0), width=5)
    assert spec.residual is None and spec.residual_map
    assert spec.x_values()[0] == np.float32(0.1)
    with pytest.raises(FieldError) as error:
        make(y_param="residual", y_range=(0.0, 1.0), height=5)
    assert "y_range 0.0,1.0 sweeps y_param residual" in error.value.spelled(lambda name: name)
    # supersampling widens the window by part of a pixel: it must stay above 0 as well
    with pytest.raises(FieldError, match="residual step must be > 0"):
        make(x_param="residual", x_range=(0.1, 4.1), width=3, supersample=3)
