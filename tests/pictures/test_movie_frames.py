"""A movie's frames: a zoom's windows, a sweep's values (linear and log-spaced), and a sweep of
the residual step h."""

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest

from attndyn import LandscapeSpec
from attndyn.model.errors import UserError
from attndyn.pictures.movie_frames import sweep_specs, sweep_values, zoom_specs, zoom_widths

from helpers import APPENDIX_B

WQ, WV = APPENDIX_B[1679700]


def small_spec(**changes):
    values = dict(wq=WQ, wv=WV, width=16, height=16, steps=20, init="shared", seed=3)
    values.update(changes)
    return LandscapeSpec(**values)


# -- zoom -----------------------------------------------------------------------------------


def test_zoom_windows_are_centred_and_shrink_geometrically():
    spec = small_spec(width=16, height=8, dtype="float64")
    target = (-1.25, 0.75)
    frames = zoom_specs(spec, target, 4.0, 0.01, 9)
    assert len(frames) == 9
    widths = [f.x_range[1] - f.x_range[0] for f in frames]
    heights = [f.y_range[1] - f.y_range[0] for f in frames]
    for frame, width, height in zip(frames, widths, heights, strict=True):
        assert sum(frame.x_range) / 2 == pytest.approx(target[0], abs=1e-12)
        assert sum(frame.y_range) / 2 == pytest.approx(target[1], abs=1e-12)
        assert height == pytest.approx(width / 2, rel=1e-9)  # 16x8 pixels, square pixels
    assert widths[0] == pytest.approx(4.0, rel=1e-12)
    assert widths[-1] == pytest.approx(0.01, rel=1e-9)
    ratios = [b / a for a, b in itertools.pairwise(widths)]
    expected = (0.01 / 4.0) ** (1 / 8)
    assert ratios == pytest.approx([expected] * 8, rel=1e-9)
    # only the window changes
    assert {f.wq for f in frames} == {spec.wq} and {f.steps for f in frames} == {20}


def test_zoom_widths_end_exactly_on_the_widths_asked_for():
    # 7 * (0.9 / 7) ** (4 / 4) is 0.9000000000000001 in floating point: the ends are set
    # to the widths given, so a zoom ends on the window asked for, bit for bit.
    assert 7.0 * (0.9 / 7.0) ** (4 / 4) != 0.9
    widths = zoom_widths(7.0, 0.9, 5)
    assert widths[0] == 7.0 and widths[-1] == 0.9
    assert widths[1:4] == pytest.approx([7.0 * (0.9 / 7.0) ** (i / 4) for i in (1, 2, 3)])
    assert zoom_widths(0.9, 7.0, 5)[-1] == 7.0 and zoom_widths(3.0, 1e-7, 2) == [3.0, 1e-7]


def test_zoom_start_width_defaults_to_the_spec_window_and_can_zoom_out():
    spec = small_spec(x_range=(-3.0, 1.0), y_range=(0.0, 4.0))
    frames = zoom_specs(spec, (0.0, 0.0), None, 40.0, 3)
    widths = [f.x_range[1] - f.x_range[0] for f in frames]
    assert widths == pytest.approx([4.0, math.sqrt(4.0 * 40.0), 40.0])


def test_zoom_refuses_frames_too_narrow_for_float32_naming_the_frame():
    spec = small_spec(width=16, height=16)
    with pytest.raises(UserError) as caught:
        zoom_specs(spec, (3.0, 2.0), 16.0, 1e-6, 10)
    message = str(caught.value)
    assert "\n" not in message and "float64" in message
    # the first frame whose 16-pixel grid spacing is below 4 ulps of its edge 3 + w/2 in float32
    widths = [16.0 * (1e-6 / 16.0) ** (i / 9) for i in range(10)]
    first_bad = next(
        i for i, w in enumerate(widths) if w / 15 < 4 * np.spacing(np.float32(3.0 + w / 2))
    )
    assert 0 < first_bad < 9 and f"zoom frame {first_bad} " in message
    assert len(zoom_specs(small_spec(dtype="float64"), (3.0, 2.0), 16.0, 1e-6, 10)) == 10


@pytest.mark.parametrize(
    "args", [((0.0, 0.0), 1.0, 0.0, 5), ((0.0, 0.0), -1.0, 1.0, 5), ((0.0, 0.0), 1.0, 0.5, 1)]
)
def test_zoom_refuses_bad_widths_and_too_few_frames(args):
    with pytest.raises(UserError):
        zoom_specs(small_spec(), *args)


# -- sweep ----------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["wv01", "wq10", "wk01", "beta"])
def test_sweep_sets_one_parameter_linearly_and_nothing_else(param):
    spec = small_spec(wk=(0.5, 0.25, -0.75, 0.0))
    a, b, n = -1.5, 2.0, 5

    def value_of(frame):
        if param == "beta":
            return frame.beta
        return getattr(frame, param[:2])[2 * int(param[2]) + int(param[3])]

    def with_value(value):
        if param == "beta":
            return replace(spec, beta=value)
        entries = list(getattr(spec, param[:2]))
        entries[2 * int(param[2]) + int(param[3])] = value
        return replace(spec, **{param[:2]: tuple(entries)})

    frames = sweep_specs(spec, param, a, b, n)
    assert len(frames) == n
    for k, frame in enumerate(frames):
        assert value_of(frame) == pytest.approx(a + (b - a) * k / (n - 1), abs=1e-15)
        assert frame == with_value(value_of(frame))  # every other field untouched
    assert [value_of(frames[0]), value_of(frames[-1])] == [a, b]  # exact at both ends


@pytest.mark.parametrize("param", ["wk00", "wk11", "gamma", "wk22"])
def test_sweep_refuses_axis_and_unknown_parameters(param):
    with pytest.raises(UserError) as caught:
        sweep_specs(small_spec(), param, 0.0, 1.0, 4)
    assert "wv01" in str(caught.value)  # lists what is allowed
    assert "\n" not in str(caught.value)


# -- log-spaced sweeps ----------------------------------------------------------------------


def test_a_log_sweep_is_the_geometric_sequence_with_exact_ends():
    # by hand: 0.1 * 10**k for k = 0..4, and 0.1 * 200**(k/3): 200**(1/3) = 5.848035476425731
    assert sweep_values(0.1, 1000.0, 5, "log") == pytest.approx(
        [0.1, 1.0, 10.0, 100.0, 1000.0], rel=1e-13
    )
    values = sweep_values(0.1, 20.0, 4, "log")
    assert values == pytest.approx([0.1, 0.5848035476425731, 3.419951893353393, 20.0], rel=1e-13)
    assert values[0] == 0.1 and values[-1] == 20.0  # exact ends, as a zoom's widths
    ratios = [b / a for a, b in itertools.pairwise(values)]
    assert ratios == pytest.approx([200 ** (1 / 3)] * 3, rel=1e-13)
    assert sweep_values(20.0, 0.1, 4, "log") == pytest.approx(values[::-1], rel=1e-13)
    assert sweep_values(-1.0, 2.0, 4) == pytest.approx([-1.0, 0.0, 1.0, 2.0], abs=1e-15)


@pytest.mark.parametrize(
    ("a", "b", "named"), [(0.0, 20.0, "from_value 0.0"), (1.0, -2.0, "to_value -2.0")]
)
def test_a_log_sweep_refuses_an_end_that_is_not_positive(a, b, named):
    with pytest.raises(UserError) as caught:
        sweep_values(a, b, 5, "log")
    message = str(caught.value)
    assert message.startswith(named) and "> 0" in message and "\n" not in message


def test_an_unknown_spacing_is_refused_naming_the_choices():
    with pytest.raises(UserError, match=r"spacing 'cubic' is unknown; choose one of linear, log"):
        sweep_values(1.0, 2.0, 3, "cubic")


# -- the residual step h --------------------------------------------------------------------


def test_a_residual_sweep_sets_h_on_every_frame_and_nothing_else():
    spec = small_spec()
    assert spec.residual is None
    frames = sweep_specs(spec, "residual", 0.1, 1000.0, 5, "log")
    assert [f.residual for f in frames] == pytest.approx([0.1, 1.0, 10.0, 100.0, 1000.0])
    for frame in frames:
        assert frame == replace(spec, residual=frame.residual)
        assert LandscapeSpec.from_json(frame.to_json()).residual == frame.residual
        assert '"residual"' in frame.to_json()


def test_a_sweep_to_a_value_the_spec_refuses_names_the_frame():
    with pytest.raises(UserError) as caught:
        sweep_specs(small_spec(), "residual", 1.0, -1.0, 3)  # frame 1 has h = 0
    message = str(caught.value)
    assert message.startswith("sweep frame 1 (counting from 0, of 3; residual = 0.0): residual")
    assert "\n" not in message
