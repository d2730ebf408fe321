"""Python values to the command line's text: exact numbers, sizes, matrices, and errors that
name the keyword."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from attndyn.api.keywords import (
    OptionError,
    color_options,
    keyword_errors,
    number_text,
    numbers_text,
    option_text,
    render_options,
    resize_size,
    size_text,
)
from attndyn.model.errors import FieldError, UserError
from attndyn.model.options import RenderOptions


@pytest.mark.parametrize(
    "value", [0.1, 1 / 3, -2.5e-300, np.float32(0.1), np.float64(np.pi), 1e308, np.int64(7)]
)
def test_a_number_is_written_so_that_it_parses_back_exactly(value):
    assert float(number_text(value)) == float(value)


def test_ints_bools_and_text():
    assert number_text(np.int16(-3)) == "-3"
    assert number_text(True) == "True"  # no number parser takes it
    assert number_text("1e-5") == "1e-5"


def test_a_matrix_is_row_major():
    assert numbers_text("wq", [[1, 2], [3, 4]]) == "1.0,2.0,3.0,4.0"
    assert numbers_text("wq", np.arange(4.0).reshape(2, 2).T) == "0.0,2.0,1.0,3.0"
    assert numbers_text("wq", "1,2,3,4") == "1,2,3,4"
    with pytest.raises(OptionError, match=r"^wq=\['a', 'b'\] is not numbers") as caught:
        numbers_text("wq", ["a", "b"])
    assert caught.value.keywords == ("wq",)


def test_sizes():
    assert size_text(256) == "256"
    assert size_text((800, 600)) == "800x600"
    assert size_text(np.array([3, 4])) == "3x4"
    assert size_text("800x600") == "800x600"
    assert resize_size((16, 10)) == (16, 10) and resize_size(None) is None


def test_the_options_are_those_of_the_command_lines_text():
    ours = render_options(
        {
            "size": (800, 600),
            "center": (-3, -1.75),
            "width": 0.5,
            "wq": np.eye(2),
            "presets": Path("a.toml"),
            "from_": None,
            "normalize_x0": True,
            "x0": Path("p.npy"),
        }
    )
    theirs = RenderOptions.from_strings(
        {
            "size": "800x600",
            "center": "-3,-1.75",
            "width": "0.5",
            "wq": "1,0,0,1",
            "presets": "a.toml",
            "normalize-x0": "true",
            "x0": "p.npy",
        }
    )
    assert ours == theirs


def test_every_option_of_the_render_command_has_a_keyword():
    """Each field's annotation maps to a writer (a new option needs no change here)."""
    from dataclasses import fields

    for field in fields(RenderOptions):
        option_text(field.name, str(field.type), "1")
    with pytest.raises(TypeError, match="no writer"):
        option_text("shape", "complex | None", 1j)


def test_field_errors_are_spelled_in_keywords():
    with pytest.raises(OptionError) as caught, keyword_errors():
        raise FieldError(lambda n: f"{n('from_picture')} and {n('x_range')} clash")
    assert str(caught.value) == "from_ and x_range clash"
    assert caught.value.keywords == ("from_", "x_range")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, UserError)


def test_colour_switches_turn_a_base_on_and_never_off():
    base = color_options("log-delta", equalize=True)
    assert color_options(equalize=False, base=base).equalize
    assert color_options("clusters", base=base).coloring == "clusters"
    assert color_options(invert=True, base=base).invert
