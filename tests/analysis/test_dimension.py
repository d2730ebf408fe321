"""Box-counting dimension: hand-made counts, and sets of known dimension.

Tolerances. A straight edge meets exactly ~1/s boxes per unit length at every scale, so its
estimate is 1 up to the rounding of the box sizes (0.01). A circle meets ~c R/s boxes plus a
bounded number of extra boxes where it turns, which bends log N(s) slightly at the largest
boxes (a radius of 300 px against boxes up to 64 px): 0.03. The Koch snowflake is
self-similar only between its finest segments (~3 px at depth 6 on 1024 px) and its size, and
the box counts of Koch sets oscillate log-periodically (period log 3 in log s) around
C s^-D; across depths 5-7 and rasters of 1024 and 2048 px the estimate stays within 0.045 of
log 4 / log 3 = 1.2619, hence 0.05 (still far from 1 and from 1.5).
"""

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import stats

from attndyn.analysis.dimension import (
    boundary_mask,
    box_counts,
    box_sizes,
    estimate_dimension,
    fit_dimension,
)
from attndyn.model.errors import FieldError, UserError

N = 1024


def test_boundary_mask_marks_each_changing_edge_at_its_lower_left_pixel():
    labels = np.array([[0, 0, 1], [0, 0, 1], [1, 1, 1]])
    assert boundary_mask(labels).astype(int).tolist() == [[0, 1, 0], [1, 1, 0], [0, 0, 0]]


def test_box_counts_by_hand():
    mask = np.zeros((8, 8), dtype=bool)
    mask[0, 0] = mask[0, 7] = mask[5, 3] = True
    # boxes of 4 from the origin: (0,0), (0,1), (1,0) hold a pixel; shifting the grid by 1, 2
    # or 3 cannot do better (the three pixels lie in three different 4x4 boxes in any case)
    assert box_counts(mask, [1, 2, 4, 8]).tolist() == [3, 3, 3, 1]
    # one offset only: box 3 from the origin puts (0,0) and (0,7) in boxes 0 and 2 of row 0
    # and (5,3) in box (1, 1)
    assert box_counts(mask, [3], offsets=1).tolist() == [3]


def test_exact_power_law_gives_its_exponent_with_a_zero_width_interval():
    # a filled 64 x 64 square meets (64/s)² boxes of size s: N = 4096 s^-2 exactly
    sizes = np.array([2, 4, 8, 16, 32])
    estimate = fit_dimension(sizes, (64 // sizes) ** 2)
    assert np.isclose(estimate.dimension, 2.0, rtol=1e-12)
    assert np.isclose(estimate.intercept, np.log(4096.0))
    low, high = estimate.interval
    assert high - low < 1e-9 and estimate.stderr < 1e-9
    assert np.allclose(estimate.local_slopes, 2.0)
    # every window of 3 sizes (half of 5, at least 3) has the same slope: no spread
    assert estimate.window == 3 and np.allclose(estimate.window_slopes, 2.0)
    assert np.allclose(estimate.reported_interval, 2.0) and not estimate.range_exceeds_interval


def test_a_power_law_with_a_bend_spreads_its_window_slopes_over_both_exponents():
    # N = C/s for s = 2..17 and C/17 (17/s)² for s = 17..33: 32 sizes, windows of 16; the
    # first window (2..17) has slope 1 exactly, the last (18..33) slope 2; the fit over all
    # of them lies between, with an interval that holds neither 1 nor 2
    sizes = np.arange(2, 34)
    counts = np.where(sizes <= 17, 1e12 / sizes, 1e12 / 17 * (17 / sizes) ** 2)
    estimate = fit_dimension(sizes, np.rint(counts).astype(np.int64))
    assert estimate.window == 16 and len(estimate.window_slopes) == 17
    assert estimate.window_slopes[0] == pytest.approx(1.0, abs=1e-9)
    assert estimate.window_slopes[-1] == pytest.approx(2.0, abs=1e-9)
    assert np.all(np.diff(estimate.window_slopes) > 0)  # steeper as the windows move up
    low, high = estimate.interval
    assert 1.0 < low < high < 2.0
    assert estimate.range_spread == pytest.approx((1.0, 2.0), abs=1e-9)
    assert estimate.reported_interval == pytest.approx((1.0, 2.0), abs=1e-9)
    assert estimate.range_exceeds_interval


def test_noisy_counts_give_the_least_squares_fit_and_t_interval_of_scipy():
    # Counts off a power law by a few percent: the slope, its standard error and the 95%
    # interval slope +- t_{0.975, m-2} * stderr (m - 2 degrees of freedom: two fitted
    # coefficients) are those of scipy.stats.linregress on (log 1/s, log N).
    sizes = np.array([2, 3, 4, 6, 8, 11, 16, 23, 32])
    noise = np.array([1.04, 0.97, 1.06, 0.95, 1.02, 0.93, 1.08, 0.99, 1.05])
    counts = np.rint(5000.0 * sizes**-1.4 * noise).astype(np.int64)
    estimate = fit_dimension(sizes, counts)
    fit = stats.linregress(-np.log(sizes), np.log(counts))
    assert fit.stderr > 0.01  # the noise gives the interval a width
    assert estimate.dimension == pytest.approx(fit.slope, rel=1e-12)
    assert estimate.intercept == pytest.approx(fit.intercept, rel=1e-12)
    assert estimate.stderr == pytest.approx(fit.stderr, rel=1e-12)
    half = stats.t.ppf(0.975, len(sizes) - 2) * fit.stderr
    assert estimate.interval == pytest.approx((fit.slope - half, fit.slope + half), rel=1e-12)
    # a 90% interval takes t_{0.95, m-2}
    narrower = fit_dimension(sizes, counts, confidence=0.9).interval
    half90 = stats.t.ppf(0.95, len(sizes) - 2) * fit.stderr
    assert narrower == pytest.approx((fit.slope - half90, fit.slope + half90), rel=1e-12)


def test_a_straight_edge_has_dimension_one():
    rows, cols = np.mgrid[0:N, 0:N]
    for slope in (0.0, 0.37, 2.9):
        estimate = estimate_dimension((rows > slope * cols * 0.5 + 50).astype(np.uint8))
        assert abs(estimate.dimension - 1.0) < 0.01


def test_the_boundary_of_a_disc_has_dimension_one():
    rows, cols = np.mgrid[0:N, 0:N]
    disc = (rows - 511.3) ** 2 + (cols - 509.8) ** 2 < 300.0**2
    assert abs(estimate_dimension(disc).dimension - 1.0) < 0.03


def _koch_snowflake(depth: int, size: int) -> np.ndarray:
    """Interior of the Koch snowflake of ``depth`` refinements, filled on a size x size raster."""
    points = np.array([[0.0, 0.0], [0.5, -np.sqrt(3) / 2], [1.0, 0.0], [0.0, 0.0]])
    turn = np.array([[0.5, np.sqrt(3) / 2], [-np.sqrt(3) / 2, 0.5]])  # rotate by -60°
    for _ in range(depth):
        a, b = points[:-1], points[1:]
        third = (b - a) / 3
        bump = a + third + third @ turn
        points = np.concatenate(
            [np.stack([a, a + third, bump, a + 2 * third], axis=1).reshape(-1, 2), points[-1:]]
        )
    points = points - points.min(axis=0)
    points = points / points.max() * size * 0.9 + size * 0.05
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).polygon([tuple(p) for p in points], fill=1)
    return np.asarray(image)


def test_the_koch_snowflake_has_dimension_log4_over_log3():
    estimate = estimate_dimension(_koch_snowflake(6, N))
    assert abs(estimate.dimension - np.log(4) / np.log(3)) < 0.05


def _filled_region(size: int) -> np.ndarray:
    """Independent random labels: every pixel's edges may change, the boundary fills the
    plane (dimension 2)."""
    return np.random.default_rng(0).integers(0, 2, (size, size))


@pytest.mark.parametrize(
    ("name", "known", "tolerance"),
    [
        # straight edges: 1 at every scale, up to the rounding of the box sizes
        ("edge", 1.0, 0.01),
        ("steep edge", 1.0, 0.01),
        # the filled region: 2 at every scale
        ("filled", 2.0, 0.01),
        # the circle bends log N at the largest boxes (radius 300 px, boxes up to 64 px)
        ("disc", 1.0, 0.03),
        # the Koch counts oscillate log-periodically (period log 3) around C s^-D: windows
        # of half the range (2.5 octaves) swing by about ±0.1
        ("koch", np.log(4) / np.log(3), 0.12),
    ],
)
def test_the_window_slopes_and_reported_interval_hold_the_known_dimension(name, known, tolerance):
    rows, cols = np.mgrid[0:N, 0:N]
    labels = {
        "edge": lambda: rows > 0.37 * cols * 0.5 + 50,
        "steep edge": lambda: rows > 2.9 * cols * 0.5 + 50,
        "filled": lambda: _filled_region(N),
        "disc": lambda: (rows - 511.3) ** 2 + (cols - 509.8) ** 2 < 300.0**2,
        "koch": lambda: _koch_snowflake(6, N),
    }[name]()
    estimate = estimate_dimension(labels.astype(np.uint8))
    assert np.all(np.abs(estimate.window_slopes - known) < tolerance)
    low, high = estimate.reported_interval
    assert low <= known <= high
    # straight edges and the filled region keep within the margin: no warning
    if tolerance <= 0.01:
        assert not estimate.range_exceeds_interval


def test_errors():
    with pytest.raises(UserError, match="no boundary"):
        estimate_dimension(np.ones((64, 64)))
    with pytest.raises(FieldError, match="leaves 0 box sizes"):
        box_sizes((64, 64), min_box=16)
    with pytest.raises(FieldError, match="min_box 0 is too small"):
        box_sizes((64, 64), min_box=0)
    # four sizes per doubling from 2 to the shorter side / 16, rounded to whole pixels
    sizes = box_sizes((1024, 2048)).tolist()
    assert sizes[0] == 2 and sizes[-1] == 64 and sizes[6:10] == [8, 10, 11, 13]
