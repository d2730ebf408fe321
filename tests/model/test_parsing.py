import math

import pytest

from attndyn.model.errors import FieldError
from attndyn.model.parsing import (
    close_matches,
    did_you_mean,
    parse_flag,
    parse_float,
    parse_int,
    parse_numbers,
    parse_size,
)


def dashed(error):
    return error.value.spelled(lambda name: "--" + name.replace("_", "-"))


def test_numbers_sizes_and_scalars_parse():
    assert parse_numbers("range", " -8 ,8", 2) == (-8.0, 8.0)
    assert parse_numbers("wq", "1,0,0,1e-3", 4) == (1.0, 0.0, 0.0, 0.001)
    assert math.isnan(parse_numbers("center", "nan,1", 2)[0])  # finiteness is the user's call
    assert parse_size("size", "800x600") == (800, 600)
    assert parse_size("size", " 64 ") == (64, 64)
    assert parse_size("size", "3X2") == (3, 2)
    assert parse_int("seed", " 18446744073709551615") == 2**64 - 1
    assert parse_float("tol", "1e-5") == 1e-5
    assert parse_int("steps", 7) == 7 and parse_float("beta", 0.1) == 0.1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("", True), ("1", True), ("Yes", True), ("on", True),
     ("0", False), ("false", False), ("NO", False), ("off", False)],
)  # fmt: skip
def test_flags(value, expected):
    assert parse_flag("invert", value) is expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_numbers("x_range", "1,2,3", 2), "--x-range '1,2,3' has 3 numbers; give 2"),
        (lambda: parse_numbers("wq", "1,a,0,1", 4), "--wq '1,a,0,1' is not 4 comma-separated"),
        (lambda: parse_size("size", "0"), "--size '0' must be at least 1 pixel in each direction"),
        (lambda: parse_size("resize", "10x-1"), "--resize '10x-1' must be at least 1 pixel"),
        (lambda: parse_size("size", "big"), "--size 'big' is not R or WxH with whole numbers"),
        (lambda: parse_int("seed", "1.5"), "--seed '1.5' is not an integer"),
        (lambda: parse_float("tol", "small"), "--tol 'small' is not a number"),
        (lambda: parse_flag("normalize_x0", "maybe"), "--normalize-x0 'maybe' is not a switch"),
    ],
)
def test_errors_name_the_option(call, message):
    with pytest.raises(FieldError) as error:
        call()
    assert dashed(error).startswith(message)


COLORMAPS = ["viridis", "cividis", "magma", "twilight", "twilight_shifted", "copper"]


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("virdis", COLORMAPS, ["viridis"]),  # one typo: the closest alone
        ("Magma", COLORMAPS, ["magma"]),  # case only
        ("twilight_s", COLORMAPS, ["twilight_shifted"]),  # the one choice it starts
        ("twi", COLORMAPS, ["twilight", "twilight_shifted"]),  # two that it starts
        ("nope", COLORMAPS, []),  # nothing close enough (ratio < 0.7)
        ("fig9", [f"fig{k}" for k in range(1, 8)], []),  # seven equally close: no guess
        ("--colormap", ["--cmap", "--coloring", "--invert"], ["--cmap", "--coloring"]),
        ("magma", COLORMAPS, []),  # a known word needs no suggestion
    ],
)
def test_close_matches(word, choices, expected):
    assert close_matches(word, choices) == expected


def test_did_you_mean_is_a_clause_or_nothing():
    assert did_you_mean("sync_step", ["binary", "sync-step"]) == " (did you mean 'sync-step'?)"
    assert did_you_mean("--ouput", ["--output", "--save"], quote=False) == (
        " (did you mean --output?)"
    )
    assert did_you_mean("zzz", ["binary"]) == ""
