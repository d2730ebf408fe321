import matplotlib
import numpy as np
import pytest

from attndyn import LandscapeSpec, UserError
from attndyn.model.fields import Fields
from attndyn.pictures.coloring import ColorOptions, average_blocks, color_array, normalise, picture

SPEC = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=3, height=2)


def fields(**overrides):
    values = dict(
        delta=np.float32([[1e-8, 1e-3, 2.0], [np.nan, 1e-6, 0.5]]),
        labels=np.uint8([[1, 0, 0], [0, 1, 0]]),
        sync_step=np.float32([[3.5, np.nan, np.nan], [np.nan, 10.0, np.nan]]),
        clusters=np.uint16([[1, 2, 3], [0, 1, 2]]),
    )
    values.update(overrides)
    return Fields(**values)


def test_binary_is_white_where_synchronised_with_the_lowest_row_at_the_bottom():
    rgb = color_array(fields(), SPEC, ColorOptions("binary"))
    expected = np.flipud(fields().labels) * 255
    for channel in range(3):
        np.testing.assert_array_equal(rgb[..., channel], expected)


def test_log_delta_is_monotone_and_nan_is_the_bad_color():
    unit = normalise(np.log10(np.float64([1e-8, 1e-3, 2.0])), "log-delta", equalize=False)
    np.testing.assert_allclose(unit, [0.0, (5) / (8 + np.log10(2)), 1.0])
    rgb = color_array(fields(), SPEC, ColorOptions("log-delta", cmap="viridis"))
    viridis = matplotlib.colormaps["viridis"]
    assert tuple(rgb[1, 0]) == tuple(viridis(0.0, bytes=True)[:3])  # delta 1e-8, bottom left
    assert tuple(rgb[1, 2]) == tuple(viridis(1.0, bytes=True)[:3])  # delta 2, bottom right
    assert tuple(rgb[0, 0]) == (0, 0, 0)  # delta nan, top left


def test_sync_step_colors_only_synchronised_pixels():
    rgb = color_array(fields(), SPEC, ColorOptions("sync-step", cmap="viridis"))
    viridis = matplotlib.colormaps["viridis"]
    assert tuple(rgb[1, 0]) == tuple(viridis(0.0, bytes=True)[:3])  # step 3.5: the lowest
    assert tuple(rgb[0, 1]) == tuple(viridis(1.0, bytes=True)[:3])  # step 10: the highest
    assert tuple(rgb[1, 1]) == (0, 0, 0)  # never synchronised


def test_clusters_and_probability_need_their_fields():
    with pytest.raises(UserError, match=r"needs the field 'probability'.*--samples"):
        color_array(fields(), SPEC, ColorOptions("probability"))
    with pytest.raises(UserError, match="needs the field 'clusters'"):
        color_array(fields(clusters=None), SPEC, ColorOptions("clusters"))
    rgb = color_array(fields(), SPEC, ColorOptions("clusters", cmap="tab10"))
    tab10 = matplotlib.colormaps["tab10"]
    assert tuple(rgb[1, 0]) == tuple(tab10(0.0, bytes=True)[:3])  # 1 cluster: first color
    assert tuple(rgb[0, 0]) == (0, 0, 0)  # 0 clusters: a non-finite state


def test_probability_maps_linearly_to_grey():
    probability = np.float32([[0, 0.25, 0.5], [0.75, 1, 1]])
    image = picture(fields(probability=probability), SPEC, ColorOptions("probability"))
    assert image.mode == "L"
    np.testing.assert_allclose(np.asarray(image), np.flipud(probability) * 255, atol=1)


def test_invert_reverses_and_equalize_spreads_evenly():
    plain = color_array(fields(), SPEC, ColorOptions("log-delta", cmap="viridis"))
    inverted = color_array(fields(), SPEC, ColorOptions("log-delta", cmap="viridis_r"))
    np.testing.assert_array_equal(
        color_array(fields(), SPEC, ColorOptions("log-delta", cmap="viridis", invert=True)),
        inverted,
    )
    assert not np.array_equal(plain, inverted)
    skewed = np.float64([1, 1.001, 1.002, 1.003, 100])
    ranks = normalise(skewed, "log-delta", equalize=True)
    np.testing.assert_allclose(ranks, [0.2, 0.4, 0.6, 0.8, 1.0])


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UserError, match="coloring 'rainbow' is unknown; choose one of binary"):
        ColorOptions("rainbow")
    with pytest.raises(UserError, match=r"colormap 'nope' is unknown; choose one of .*viridis"):
        ColorOptions("log-delta", cmap="nope")


def test_supersamples_are_averaged_by_hand():
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[0, 0] = rgb[0, 1] = rgb[1, 0] = 255  # three of four white in the top-left block
    out = average_blocks(rgb, 2)
    assert out.shape == (2, 2, 3)
    assert out[0, 0, 0] == 191 and out[1, 1, 0] == 0  # round(3 * 255 / 4)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ((1, 2, 2, 2), 2),  # mean 1.75: the nearest integer, not the truncation 1
        ((127, 128, 127, 128), 128),  # mean 127.5: a half goes to the even neighbour
        ((0, 0, 1, 1), 0),  # mean 0.5: to the even 0
        ((2, 3, 2, 3), 2),  # mean 2.5: to the even 2
        ((3, 4, 3, 4), 4),  # mean 3.5: to the even 4
        ((254, 255, 254, 255), 254),  # mean 254.5: to the even 254
        ((0, 0, 0, 1), 0),  # mean 0.25
        ((255, 255, 255, 254), 255),  # mean 254.75
    ],
)
def test_block_means_round_to_the_nearest_integer_halves_to_even(block, expected):
    # The rounding rule of average_blocks: each channel's block mean is rounded to the nearest
    # integer, a mean exactly halfway (x.5) to the even neighbour (numpy's rint).
    rgb = np.zeros((2, 4, 3), dtype=np.uint8)
    rgb[:, :2, 1] = np.reshape(block, (2, 2))  # the left block's green channel
    rgb[:, 2:, 0] = 9  # the right block, red 9 throughout
    out = average_blocks(rgb, 2)
    assert out.dtype == np.uint8
    assert out.tolist() == [[[0, expected, 0], [9, 0, 0]]]


def test_three_by_three_blocks_round_their_ninths():
    rgb = np.zeros((3, 3, 3), dtype=np.uint8)
    rgb[0, :, 2] = (1, 2, 2)  # sum 5, mean 5/9 = 0.56 -> 1
    rgb[..., 0] = 200
    rgb[2, 2, 0] = 204  # sum 1804, mean 200.44 -> 200
    assert average_blocks(rgb, 3).tolist() == [[[200, 0, 1]]]


def test_resize_gives_the_requested_size():
    image = picture(fields(), SPEC, ColorOptions("binary"), size=(6, 4))
    assert image.size == (6, 4)


def test_color_options_from_strings_over_a_base():
    assert ColorOptions.from_strings({}) == ColorOptions()
    given = {"coloring": "log-delta", "cmap": "magma", "invert": "true", "equalize": None}
    assert ColorOptions.from_strings(given) == ColorOptions("log-delta", "magma", True, False)
    stored = ColorOptions("sync-step", "twilight", False, True)
    # explicit values replace the stored ones; a switch that is off keeps the stored one
    assert ColorOptions.from_strings(
        {"cmap": "viridis", "invert": True, "equalize": False, "coloring": None}, base=stored
    ) == ColorOptions("sync-step", "viridis", True, True)
    with pytest.raises(UserError, match="option 'colour' is unknown; known color options are"):
        ColorOptions.from_strings({"colour": "red"})


def test_equalized_log_delta_gives_gaps_equal_up_to_float32_rounding_one_colour():
    # A plateau of the gap (three pixels at one float32 value, one a unit in the last place
    # above it, as float32 arithmetic leaves the unsynchronised region) is one value to the
    # equalisation; gaps apart by more than the resolution keep their own ranks. By hand, of
    # six values: 0 (the floor) -> 1/6, 0.5 -> 2/6, 1.9868 * (1 - 1e-5) -> 3/6, the plateau and
    # its neighbour -> 6/6 (before: 5/6 and 6/6, two colours).
    plateau = np.float32(1.9868379)
    above = np.nextafter(plateau, np.float32(3))
    below = np.float32(plateau * (1 - 1e-5))
    delta = np.float32([[0.0, 0.5, below], [plateau, plateau, above]])
    values = np.log10(np.maximum(delta.astype(np.float64), 1e-12)).ravel()
    for dtype in ("float32", "float64"):
        ranks = normalise(values, "log-delta", equalize=True, dtype=dtype)
        np.testing.assert_allclose(ranks, np.array([1, 2, 3, 6, 6, 6]) / 6)
    spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=3, height=2)
    rgb = color_array(fields(delta=delta), spec, ColorOptions("log-delta", equalize=True))
    assert len({tuple(rgb[0, i]) for i in range(3)}) == 1  # top row: the plateau, one colour
    assert len({tuple(rgb[1, i]) for i in range(3)}) == 3  # bottom row: three apart


def test_equalization_ranks_ties_alike_wherever_they_are():
    # Equal values get one rank, the number of values <= them, whatever their positions.
    values = np.float64([3.0, 1.0, 3.0, 2.0, 3.0, 1.0])
    for coloring in ("sync-step", "clusters", "log-delta"):
        ranks = normalise(values, coloring, equalize=True)
        np.testing.assert_allclose(ranks, np.array([6, 2, 6, 3, 6, 2]) / 6)
        shuffled = normalise(values[::-1], coloring, equalize=True)
        np.testing.assert_allclose(shuffled, ranks[::-1])
