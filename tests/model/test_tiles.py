import math
import re
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from attndyn import LandscapeSpec, UserError
from attndyn.model.initial import pixel_points
from attndyn.model.rng import philox4x32
from attndyn.model.tiles import (
    ROOT,
    TILE_SEED_TAG,
    Quadtree,
    Tile,
    TileAddress,
    Tiling,
    row_bands,
    tile_seed,
)

SPEC = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=11, height=9, dtype="float64")
# A base tile of exactly [-8, 8]^2 in 256 x 256 pixels of 1/16: every centre is dyadic.
DYADIC = Quadtree(-8, -8, Fraction(1, 16), Fraction(1, 16), 256, 256)
# Render's window [-8, 8] in 5 pixels: centres -8, -4, 0, 4, 8; the base tile is [-10, 10].
FIVE = Quadtree.for_window((-8, 8), (-8, 8), 5, 5)


# -- rectangles -------------------------------------------------------------------------------
def test_tile_pixel_coordinates_are_row_major():
    rows, cols = Tile(2, 4, 5, 8).pixel_coordinates()
    assert rows.tolist() == [2, 2, 2, 3, 3, 3]
    assert cols.tolist() == [5, 6, 7, 5, 6, 7]


def test_a_tiling_covers_every_pixel_once():
    tiling = Tiling((9, 11), (2, 3))
    assert tiling.counts == (5, 4) and len(tiling) == 20
    cover = np.zeros((9, 11), dtype=int)
    for tile in tiling:
        cover[tile.slices] += 1
        assert tiling.tile(*tiling.index(tile)) == tile
    assert (cover == 1).all()
    assert tiling.tile(4, 3) == Tile(8, 9, 9, 11)  # the clipped corner
    with pytest.raises(ValueError, match="not a tile"):
        tiling.index(Tile(0, 2, 1, 4))


def test_a_tiling_clips_its_tile_shape_to_the_grid():
    assert Tiling((9, 11), (100, 100)) == Tiling((9, 11), (9, 11))
    with pytest.raises(ValueError):
        Tiling((9, 11), (0, 3))


def test_tiling_for_pixels_keeps_render_bands_and_cuts_wide_grids_in_squares():
    assert list(Tiling.for_pixels((9, 11), 30)) == list(row_bands(9, 11, 30))
    assert Tiling.for_pixels((9, 11), 30).tile_shape == (2, 11)
    assert Tiling.for_pixels((9, 11), 4).tile_shape == (2, 2)  # a row is wider than a tile
    assert Tiling.for_pixels((100, 300_000), 262_144).tile_shape == (100, 512)


# -- the quadtree grid ------------------------------------------------------------------------
def test_the_base_tile_holds_render_pixels_on_the_window_edges():
    assert FIVE.window(ROOT).as_floats() == ((-10.0, 10.0), (-10.0, 10.0))
    assert FIVE.x_values(ROOT).tolist() == [-8.0, -4.0, 0.0, 4.0, 8.0]
    assert FIVE.y_values(ROOT).tolist() == [-8.0, -4.0, 0.0, 4.0, 8.0]


def test_hand_computed_tiles_around_the_base():
    # Zoom 1: pixels of 2, tiles of 10 starting at -10.
    assert FIVE.x_values(TileAddress(1, 0, 0)).tolist() == [-9.0, -7.0, -5.0, -3.0, -1.0]
    assert FIVE.x_values(TileAddress(1, 1, 0)).tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    assert FIVE.x_values(TileAddress(1, -1, 0)).tolist() == [-19.0, -17.0, -15.0, -13.0, -11.0]
    assert FIVE.y_values(TileAddress(1, 0, 2)).tolist() == [11.0, 13.0, 15.0, 17.0, 19.0]
    assert (FIVE.column_offset(TileAddress(1, -1, 2)), FIVE.row_offset(TileAddress(1, -1, 2))) == (
        -5,
        10,
    )


@pytest.mark.parametrize(
    ("width", "height", "supersample", "x_range", "y_range"),
    [
        (512, 512, 1, (-8.0, 8.0), (-8.0, 8.0)),
        (768, 300, 1, (-3.06919, -3.06719), (-1.82631, -1.82431)),
        (64, 48, 3, (-8.0, 8.0), (-2.5, 7.25)),
        (200, 150, 2, (-3.06819 - 1e-6, -3.06819 + 1e-6), (0.1, 0.3)),
        (1, 1, 1, (0.0, 1.0), (2.0, 3.0)),
        (1, 2, 3, (0.0, 1.0), (-1.0, 1.0)),
    ],
)
def test_the_zoom_0_tile_is_render_grid(width, height, supersample, x_range, y_range):
    spec = replace(
        SPEC,
        width=width,
        height=height,
        supersample=supersample,
        x_range=x_range,
        y_range=y_range,
    )
    tree = Quadtree.for_spec(spec)
    assert (tree.rows, tree.columns) == spec.shape
    for exact, linspace, (lo, hi) in (
        (tree.x_values(ROOT), spec.x_values(), x_range),
        (tree.y_values(ROOT), spec.y_values(), y_range),
    ):
        # linspace rounds its step and each product: a few ulps of the window's largest value.
        ulp = np.spacing(max(abs(lo), abs(hi)))
        np.testing.assert_allclose(exact, linspace, rtol=0, atol=4 * ulp)


def test_render_ranges_of_the_base_tile_are_the_spec_window():
    assert Quadtree.for_spec(SPEC).render_ranges(ROOT) == (SPEC.x_range, SPEC.y_range)


def test_children_tile_their_parent_exactly():
    parent = TileAddress(3, 5, -2)
    window = DYADIC.window(parent)
    low_left, low_right, up_left, up_right = (DYADIC.window(c) for c in parent.children())
    assert (low_left.x_lo, low_left.x_hi, low_right.x_hi) == (
        window.x_lo,
        (window.x_lo + window.x_hi) / 2,
        window.x_hi,
    )
    assert (low_left.y_lo, up_left.y_lo, up_right.y_hi) == (
        window.y_lo,
        (window.y_lo + window.y_hi) / 2,
        window.y_hi,
    )
    # Each parent pixel is split in two: its centre is the mean of its two children's.
    children = parent.children()
    children_x = np.concatenate([DYADIC.x_values(children[0]), DYADIC.x_values(children[1])])
    means = (children_x[0::2] + children_x[1::2]) / 2
    np.testing.assert_array_equal(means, DYADIC.x_values(parent))
    assert all(child.parent() == parent for child in parent.children())


def test_no_pixel_centre_repeats_across_tile_borders():
    tree = Quadtree.for_spec(replace(SPEC, width=7, x_range=(-1.3, 2.9)))
    for zoom in (0, 1, 5):
        row = np.concatenate([tree.x_values(TileAddress(zoom, x, 0)) for x in range(-2, 4)])
        assert (np.diff(row) > 0).all()
        pixel = float(tree.pixel_size(zoom)[0])
        np.testing.assert_allclose(np.diff(row), pixel, rtol=1e-9)


def test_parent_of_negative_tiles_rounds_down():
    assert TileAddress(3, -1, -3).parent() == TileAddress(2, -1, -2)
    assert TileAddress(3, -1, -3) in TileAddress(2, -1, -2).children()
    with pytest.raises(ValueError):
        ROOT.parent()
    with pytest.raises(UserError, match="zoom -1"):
        TileAddress(-1, 0, 0)
    with pytest.raises(UserError, match="not an integer"):
        TileAddress(1, 0.5, 0)


def test_coordinates_are_exact_at_the_float64_limit():
    # Zoom 44 over [-8, 8] in 256 px: pixels of 2**-48 (two ulps just above 8).
    zoom = 44
    left = DYADIC.x_values(TileAddress(zoom, 2**zoom - 1, 0))  # the last tile below 8
    right = DYADIC.x_values(TileAddress(zoom, 2**zoom, 0))  # the first tile above 8
    i = np.arange(256)
    np.testing.assert_array_equal(left, 8.0 - (255.5 - i) * 2.0**-48)
    np.testing.assert_array_equal(right, 8.0 + (i + 0.5) * 2.0**-48)
    assert (np.diff(np.concatenate([left, right])) > 0).all()


def test_coordinates_are_correctly_rounded_for_any_origin():
    tree = Quadtree(Fraction(1, 3), Fraction(-2, 7), Fraction(1, 10), Fraction(1, 6), 4, 3)
    address = TileAddress(40, 3 * 2**38 + 11, -(2**39) - 5)
    u = 4 * address.x + np.arange(4)
    v = 3 * address.y + np.arange(3)
    expected_x = [float(Fraction(1, 3) + Fraction(2 * k + 1, 10 * 2**41)) for k in u.tolist()]
    expected_y = [float(Fraction(-2, 7) + Fraction(2 * k + 1, 6 * 2**41)) for k in v.tolist()]
    assert tree.x_values(address).tolist() == expected_x
    assert tree.y_values(address).tolist() == expected_y


def test_the_window_of_a_tile():
    window = FIVE.window(TileAddress(2, 1, -1))  # pixels of 1, tiles of 5
    assert (window.x_lo, window.x_hi, window.y_lo, window.y_hi) == (-5, 0, -15, -10)


def test_the_tiles_covering_a_window():
    # DYADIC at zoom 1: tiles [-8, 0] and [0, 8] on each axis.
    assert list(DYADIC.covering(1, (-1, 1), (2, 3))) == [TileAddress(1, 0, 1), TileAddress(1, 1, 1)]
    assert list(DYADIC.covering(1, (0, 8), (0, 8))) == [TileAddress(1, 1, 1)]
    assert list(DYADIC.covering(1, (-9, -8.5), (0, 0))) == [TileAddress(1, -1, 1)]
    assert list(DYADIC.covering(2, ("-0.5", "4.5"), (-8, -7))) == [
        TileAddress(2, 1, 0),
        TileAddress(2, 2, 0),
        TileAddress(2, 3, 0),
    ]
    assert len(list(DYADIC.covering(3, (-8, 8), (-8, 8)))) == 64
    with pytest.raises(UserError, match="hi < lo"):
        list(DYADIC.covering(1, (1, 0), (0, 1)))


def test_resolution_limits():
    assert DYADIC.resolves(ROOT, np.float32)
    deep = TileAddress(44, 2**44 - 1, 2**43)  # pixels of 2**-48 next to 8, ulp(8) = 2**-49
    assert DYADIC.resolves(deep, "float64", ulps=2)
    assert not DYADIC.resolves(deep, "float64", ulps=4)
    assert not DYADIC.resolves(deep, np.float32)
    assert not DYADIC.resolves(TileAddress(46, 2**46 - 1, 0), "float64", ulps=1)


def test_bad_windows_are_refused():
    with pytest.raises(UserError, match="empty"):
        Quadtree.for_window((1, 1), (0, 1), 4, 4)
    with pytest.raises(UserError, match="not a finite number"):
        Quadtree.for_window((0, float("inf")), (0, 1), 4, 4)
    with pytest.raises(UserError, match="tile columns 0"):
        Quadtree.for_window((0, 1), (0, 1), 0, 4)


# -- stable noise -----------------------------------------------------------------------------
def test_the_base_tile_keeps_render_points():
    assert tile_seed(1679700, ROOT) == 1679700
    rows, cols = Tile(0, 9, 0, 11).pixel_coordinates()
    np.testing.assert_array_equal(
        pixel_points(tile_seed(5, ROOT), rows, cols, 7), pixel_points(5, rows, cols, 7)
    )


def test_tile_seed_is_the_documented_double_philox():
    seed, address = 0x0123456789ABCDEF, TileAddress(5, -3, 2**40 + 7)
    x, y = (-3) % 2**64, 2**40 + 7
    counter = np.array([[x % 2**32], [x >> 32], [y % 2**32], [y >> 32]], dtype=np.uint64)
    first = philox4x32(counter, (0x89ABCDEF, 0x01234567))
    second = philox4x32(first, (5, TILE_SEED_TAG))
    assert tile_seed(seed, address) == int(second[0, 0]) + 2**32 * int(second[1, 0])


def test_distinct_tiles_get_distinct_seeds():
    addresses = {
        TileAddress(zoom, x, y)
        for zoom in range(4)
        for x in range(-2, 2**zoom + 2)
        for y in range(-2, 2**zoom + 2)
    }
    addresses |= {TileAddress(44, 2**43 + dx, 2**43 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    addresses |= {TileAddress(33, x, y) for x in (2**32 - 1, 2**32, 0) for y in (0, 2**32)}
    addresses |= {TileAddress(62, -(2**63), 2**63 - 1), TileAddress(2**32 - 1, 0, 0)}
    for seed in (1, 2**64 - 1):
        seeds = [tile_seed(seed, address) for address in sorted(addresses)]
        assert len(set(seeds)) == len(addresses)
        assert all(0 <= s < 2**64 for s in seeds)
    assert tile_seed(1, TileAddress(1, 0, 0)) != tile_seed(2, TileAddress(1, 0, 0))


def test_a_tile_points_do_not_depend_on_who_computes_them():
    seed = tile_seed(7, TileAddress(12, -40, 1234))
    rows, cols = Tile(0, 6, 0, 5).pixel_coordinates()
    whole = pixel_points(seed, rows, cols, 9)
    for piece in (Tile(0, 3, 0, 5), Tile(3, 6, 2, 5), Tile(5, 6, 4, 5)):
        r, c = piece.pixel_coordinates()
        np.testing.assert_array_equal(pixel_points(seed, r, c, 9), whole[r * 5 + c])


def test_tile_seed_refuses_addresses_beyond_64_bits():
    with pytest.raises(UserError, match="outside"):
        tile_seed(1, TileAddress(70, 2**63, 0))
    with pytest.raises(UserError, match="zoom"):
        tile_seed(1, TileAddress(2**32, 0, 0))


# -- how far float64 reaches: bounds checked before any arithmetic -------------------------
def test_max_zoom_is_where_a_pixel_meets_the_smallest_float():
    """Pixels of [-8, 8] at 256 are 16/255 wide: at zoom z, 16/255 / 2**z; float64's
    smallest positive number is 2**-1074, so pixels of 4 of it need 2**z <= 16/255 * 2**1072,
    z <= 1072 + 4 - log2(255) = 1068.006; float32's is 2**-149: z <= 147 + 4 - 7.99."""
    tree = Quadtree.for_window((-8, 8), (-8, 8), 256, 256)
    assert math.floor(1072 + 4 - math.log2(255)) == 1068
    assert tree.max_zoom("float64") in (1068, 1069)  # the bound, or one more (rounding up)
    assert tree.max_zoom("float32") in (143, 144)
    assert tree.resolves(TileAddress(1068, 1 << 1067, 1 << 1067), "float64")  # at the origin
    assert not tree.resolves(TileAddress(1070, 1 << 1069, 1 << 1069), "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("zoom", [0, 5, 30, 44, 60, 140])
def test_index_bounds_hold_every_resolving_tile(dtype, zoom):
    """Just outside the bounds no tile resolves (the bound is sound); in the middle of the
    plane near zero one does, while the zoom is within reach."""
    tree = Quadtree.for_window((-8, 8), (-3, 5.5), 256, 200)
    if zoom > tree.max_zoom(dtype):
        return
    (x_lo, x_hi), (y_lo, y_hi) = tree.index_bounds(zoom, dtype)
    for x, y in [(x_lo - 1, 0), (x_hi + 1, 0), (0, y_lo - 1), (0, y_hi + 1), (x_lo - 9, y_hi + 9)]:
        assert not tree.resolves(TileAddress(zoom, x, y), dtype)
    zero = next(tree.covering(zoom, (0, 0), (0, 0)))
    assert x_lo <= zero.x <= x_hi and y_lo <= zero.y <= y_hi
    assert tree.resolves(zero, dtype)


def test_check_address_refuses_in_one_line_without_growing_numbers():
    tree = Quadtree.for_window((-8, 8), (-8, 8), 256, 256)
    tree.check_address(TileAddress(40, 5, -7))
    for address, named in [
        (TileAddress(300_000_000, 0, 0), "tile zoom 300000000 is beyond float64's limit"),
        (TileAddress(10**22, 0, 0), "tile zoom 10000000... (23 digits)"),
        (TileAddress(30, 10**22, 0), "tile x 10000000... (23 digits) at zoom 30"),
        (TileAddress(30, 0, -(10**5000)), "tile y -... (about 5001 digits)"),
    ]:
        with pytest.raises(UserError, match=re.escape(named)) as refused:
            tree.check_address(address)
        assert "\n" not in str(refused.value) and len(str(refused.value)) < 200


def test_deepest_zoom_at_a_point():
    """At x = 3 (ulp 2**-51 in [2, 4)), pixels 16/255 / 2**z reach 4 ulps up to
    z = floor(53 - log2 255) = 45; at the origin, down to the smallest floats."""
    tree = Quadtree.for_window((-8, 8), (-8, 8), 256, 256)
    assert tree.deepest_zoom((3.0, 0.0)) == 45
    assert tree.deepest_zoom((3.0, 3.0)) == 45
    assert tree.deepest_zoom((0.0, 0.0)) >= 1060
