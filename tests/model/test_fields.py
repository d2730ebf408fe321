"""The landscape's cluster distance, pinned by points placed around it.

The README and :mod:`attndyn.model.fields` define ``clusters``: points i and j are in one cluster
when a chain of links of Euclidean length <= 1e-3 joins them. Every engine shares the
constant, so comparing engines cannot see it move; these cases are placed by hand just inside
(1% below), exactly at, and just outside (1% above) the distance.
"""

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, render_landscape
from attndyn.model.fields import count_clusters

DISTANCE = 1e-3  # the documented link length, written out here on purpose

# (points, clusters by hand). (1, 0) and (1, y) differ by exactly (0, y) in float64, and
# y * y is then the very float64 that DISTANCE**2 is when y = DISTANCE: an exact tie.
CASES = [
    ([(1.0, 0.0), (1.0, 0.99 * DISTANCE), (-1.0, 0.0)], 2),  # just inside: linked
    ([(1.0, 0.0), (1.0, DISTANCE), (-1.0, 0.0)], 2),  # exactly at: linked (<=)
    ([(1.0, 0.0), (1.0, 1.01 * DISTANCE), (-1.0, 0.0)], 3),  # just outside: apart
    ([(0.0, 1.0), (-DISTANCE, 1.0), (0.0, -1.0)], 2),  # at, along the other axis
    ([(0.0, 1.0), (1.01 * DISTANCE, 1.0), (0.0, -1.0)], 3),
    ([(1.0, 0.0), (1.0, 0.8 * DISTANCE), (1.0, 1.6 * DISTANCE)], 1),  # a chain of two links
    ([(1.0, 0.0), (1.0, 1.6 * DISTANCE), (-1.0, 0.0)], 3),  # the chain's ends alone
]


@pytest.mark.parametrize(("points", "expected"), CASES)
def test_count_clusters_around_the_link_distance(points, expected):
    assert count_clusters(np.array(points)) == expected


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_engines_count_clusters_around_the_link_distance(engine):
    # One pixel per case (a per-pixel x0), no steps: the clusters are those of the points.
    x0 = np.array([[points for points, _ in CASES]])  # (1, cases, 3, 2)
    spec = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), steps=0, dtype="float64")
    fields = render_landscape(Job.with_x0(spec, x0), engine).fields
    np.testing.assert_array_equal(fields.clusters, [[expected for _, expected in CASES]])
