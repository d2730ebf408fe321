"""The reference engine against closed forms, hand computations and invariants."""

import math
from dataclasses import replace

import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, render_landscape
from attndyn.engines.numpy_ref import NumpyReferenceEngine, attention_step, residual_step
from attndyn.model.fields import count_clusters
from attndyn.model.params import parse_parameter, pixel_matrices
from attndyn.model.tiles import Tile

from appendix_a import appendix_a_numpy, to_seed_order
from helpers import APPENDIX_B, random_unit_points

I2 = np.eye(2)


def batch(matrix, count=1, dtype=np.float64):
    return np.broadcast_to(np.asarray(matrix, dtype=dtype).reshape(2, 2), (count, 2, 2))


def step(X, wq=I2, wk=I2, wv=I2, beta=1.0, eps=0.0, dtype=np.float64):
    X = np.asarray(X, dtype=dtype)[None]
    return attention_step(
        X,
        batch(wq, dtype=dtype),
        batch(wk, dtype=dtype),
        batch(wv, dtype=dtype),
        np.full(1, beta, dtype=dtype),
        eps,
    )[0]


def test_one_point_is_a_normalised_linear_map():
    # n = 1: the softmax is 1, so x <- W_V x / (|W_V x| + eps). A rotation turns x by theta
    # and the norm follows r <- r / (r + eps) from r = 1.
    theta, eps = 0.3, 1e-3
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    x, r = np.array([[1.0, 0.0]]), 1.0
    for t in range(1, 6):
        x = step(x, wk=np.diag([5.0, -2.0]), wv=rotation, eps=eps)
        r = r / (r + eps)
        expected = r * np.array([math.cos(t * theta), math.sin(t * theta)])
        np.testing.assert_allclose(x[0], expected, rtol=1e-12)


def test_identity_query_and_value_by_hand():
    # W_Q = W_V = I, W_K = diag(a, b), points e1 and e2: scores [[a, 0], [0, b]].
    # Row 1 weighs (e^a, 1), row 2 weighs (1, e^b). With a = b = ln 3 the weights are
    # (3/4, 1/4) and (1/4, 3/4), so the new points are (3, 1)/sqrt(10) and (1, 3)/sqrt(10).
    a = b = math.log(3.0)
    out = step([[1.0, 0.0], [0.0, 1.0]], wk=np.diag([a, b]))
    np.testing.assert_allclose(out, np.array([[3.0, 1.0], [1.0, 3.0]]) / math.sqrt(10), rtol=1e-12)


def test_saturated_softmax_is_a_hard_argmax():
    # a = 2000: scores 2000 x_i0 x_j0, i.e. rows (2000, 1200) and (1200, 720). Both rows put
    # all weight on x1 = e1 (exp(-800) and exp(-480) are 0 in float32), so both points become
    # e1 / (1 + eps) after one step.
    X = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    out = step(X, wk=np.diag([2000.0, 0.0]), eps=1e-8, dtype=np.float32)
    np.testing.assert_array_equal(out, np.float32([[1, 0], [1, 0]]) / np.float32(1 + 1e-8))


def test_rows_stay_unit_norm():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 20, 2)).astype(np.float32)
    X /= np.linalg.norm(X, axis=-1, keepdims=True)
    mats = [rng.standard_normal((64, 2, 2)).astype(np.float32) * 3 for _ in range(3)]
    beta = np.ones(64, dtype=np.float32)
    for _ in range(30):
        X = attention_step(X, *mats, beta, 1e-8)
        np.testing.assert_allclose(np.linalg.norm(X, axis=-1), 1.0, atol=1e-6)


def spec_with(**overrides):
    values = dict(wq=(0.3, -1.2, 0.8, 0.5), wv=(1.1, 0.4, -0.7, 0.9), width=6, height=5, steps=25)
    values.update(overrides)
    return LandscapeSpec(**values)


@pytest.mark.parametrize("chunk", [1, 7, 64, 5000])
def test_chunk_size_does_not_change_results(chunk):
    spec = spec_with(width=9, height=8)
    job = Job(spec)
    tile = Tile(0, spec.height, 0, spec.width)
    reference = NumpyReferenceEngine(chunk_pixels=4096).compute(job, tile)
    other = NumpyReferenceEngine(chunk_pixels=chunk).compute(job, tile)
    assert set(reference.arrays()) == {"delta", "labels", "sync_step", "clusters"}
    for name, array in reference.arrays().items():
        np.testing.assert_array_equal(array, getattr(other, name), err_msg=name)


def test_float64_agrees_with_float32_away_from_the_threshold():
    spec = spec_with(width=12, height=12)
    single = render_landscape(spec, "numpy")
    double = render_landscape(LandscapeSpec(**{**spec.__dict__, "dtype": "float64"}), "numpy")
    clear = np.abs(np.log10(np.maximum(double.delta, 1e-30)) + 5) > 1.5
    assert (single.labels[clear] == double.labels[clear]).mean() > 0.98


# -- sync_step and clusters against plain transcriptions ------------------------------------


def hand_clusters(points, distance=1e-3):
    """Single-linkage clusters by a breadth-first search over math.dist (no numpy)."""
    points = [tuple(float(v) for v in p) for p in points]
    if not all(math.isfinite(v) for p in points for v in p):
        return 0
    seen, count = set(), 0
    for start in range(len(points)):
        if start in seen:
            continue
        count += 1
        queue = [start]
        seen.add(start)
        while queue:
            i = queue.pop()
            for j in range(len(points)):
                if j not in seen and math.dist(points[i], points[j]) <= distance:
                    seen.add(j)
                    queue.append(j)
    return count


def hand_sync_step(gaps, tol):
    """The definition in attndyn.model.fields, transcribed with plain Python loops."""
    if not gaps[-1] < tol:
        return math.nan
    t0 = 0
    for t, gap in enumerate(gaps):
        if gap >= tol:
            t0 = t + 1
    if t0 == 0:
        return 0.0

    def l(x):  # noqa: E743
        return math.log(max(x, tol * 1e-2))

    before, after = float(gaps[t0 - 1]), float(gaps[t0])
    return (t0 - 1) + (l(before) - l(tol)) / (l(before) - l(after))


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_sync_step_and_clusters_match_a_plain_transcription(init):
    # Run the map pixel by pixel with attention_step, record Δ_t after every step, and apply
    # the definitions by hand; the engine must give the same numbers.
    wq, wv = APPENDIX_B[1679700]
    spec = LandscapeSpec(wq=wq, wv=wv, seed=1679700, init=init, width=9, height=8, steps=60)
    job = Job(spec)
    fields = NumpyReferenceEngine(chunk_pixels=5).compute(job, Tile(0, 8, 0, 9))
    base = {name: spec.matrix(name) for name in ("wq", "wk", "wv")}
    x_param, y_param = parse_parameter(spec.x_param), parse_parameter(spec.y_param)
    synchronised = 0
    for r in range(8):
        for c in range(9):
            WQ, WK, WV, beta = pixel_matrices(
                base,
                spec.beta,
                [(x_param, spec.x_values()[[c]]), (y_param, spec.y_values()[[r]])],
                np.float32,
            )
            X = np.array(job.initial_points(np.array([r]), np.array([c])), dtype=np.float32)
            gaps = [float(max(abs(p[0] - X[0, 0, 0]) for p in X[0]))]
            for _ in range(spec.steps):
                X = attention_step(X, WQ, WK, WV, beta, spec.eps)
                gaps.append(float(max(abs(p[0] - X[0, 0, 0]) for p in X[0])))
            expected = hand_sync_step(np.float32(gaps), spec.tol)
            got = fields.sync_step[r, c]
            if math.isnan(expected):
                assert math.isnan(got), (r, c)
            else:
                synchronised += 1
                assert got == pytest.approx(expected, rel=1e-6, abs=1e-6), (r, c)
            assert fields.clusters[r, c] == hand_clusters(X[0]), (r, c)
    assert 0 < synchronised < 72  # both kinds of pixel are tested


def test_count_clusters_by_hand():
    def at(*angles):
        return np.stack([np.cos(angles), np.sin(angles)], axis=-1)

    cases = [
        (at(0.0), 1),
        (at(0.0, 0.0, 0.0), 1),
        (at(0.0, 0.0009), 1),  # within 0.001
        (at(0.0, 0.0011), 2),  # just beyond
        (at(0.0, 0.0009, 0.0018, 0.0027), 1),  # a chain: single linkage
        (at(0.0027, 0.0, 2.0, 0.0018, 0.0009), 2),  # the same chain in another order
        (at(0.0, 1.0, 2.0, 3.0), 4),
    ]
    for points, expected in cases:
        assert count_clusters(points) == expected == hand_clusters(points)
    batch = np.stack([at(0.0, 0.5, 1.0), at(0.0, 0.0005, 1.0), at(0.0, 0.0005, 0.001)])
    np.testing.assert_array_equal(count_clusters(batch), [3, 2, 1])
    broken = at(0.0, 0.5)
    broken[1, 0] = np.nan
    assert count_clusters(broken) == 0  # a non-finite state has no clusters
    assert count_clusters(at(0.0, 0.5).astype(np.float32)).dtype == np.uint16


# -- non-symmetric W_Q and W_V through the whole engine -------------------------------------


def test_one_step_with_a_rotation_query_and_a_shear_value_by_hand():
    # Points e1, e2; W_Q = [[0, -1], [1, 0]] (turns by +90°), W_K = diag(a, b), W_V = [[1, s],
    # [0, 1]], beta = 1, eps = 0. Queries W_Q e1 = e2 and W_Q e2 = -e1, keys (a, 0) and (0, b):
    # scores [[0, b], [-a, 0]]. Values W_V e1 = (1, 0), W_V e2 = (s, 1). So
    #   x1 ∝ (1, 0) + e^b (s, 1) = (1 + s e^b, e^b),   x2 ∝ e^-a (1, 0) + (s, 1) = (e^-a + s, 1),
    # and delta = |x2[0] - x1[0]| after normalising. With X W_Q (W_Q transposed) the scores
    # would be [[0, -b], [a, 0]], with X W_V the values (1, s) and (0, 1).
    s = 0.5
    spec = LandscapeSpec(
        wq=(0, -1, 1, 0), wv=(1, s, 0, 1), eps=0.0, steps=1, dtype="float64",
        x_range=(-2.0, 1.5), y_range=(-1.0, 2.0), width=6, height=5,
    )  # fmt: skip
    landscape = render_landscape(Job.with_x0(spec, np.eye(2)), "numpy")
    b = np.linspace(-2.0, 1.5, 6)[None, :]  # columns sweep wk11
    a = np.linspace(-1.0, 2.0, 5)[:, None]  # rows sweep wk00
    first = (1 + s * np.exp(b)) / np.hypot(1 + s * np.exp(b), np.exp(b))
    second = (np.exp(-a) + s) / np.hypot(np.exp(-a) + s, 1.0)
    np.testing.assert_allclose(landscape.delta, np.abs(second - first), rtol=1e-6)
    assert landscape.delta.min() > 0.01  # no gap near 0, where rtol would mean little
    transposed_q = np.abs(
        (np.exp(a) + s) / np.hypot(np.exp(a) + s, 1.0)
        - (1 + s * np.exp(-b)) / np.hypot(1 + s * np.exp(-b), np.exp(-b))
    )
    assert (np.abs(transposed_q - landscape.delta) > 1e-3).mean() > 0.9  # the test can tell


@pytest.mark.parametrize("seed", [1679700, 6306593])
def test_numpy_engine_agrees_with_the_appendix_a_transcription(seed):
    # benchmarks/appendix_a.py is the seed's batched loop, written apart from the engines; the
    # same float32 operations give the same numbers (measured: every label and every delta of
    # the five Appendix B maps at 48 x 48 identical).
    size = 48
    wq, wv = APPENDIX_B[seed]
    x0 = random_unit_points((size, size, 20), seed=2024).astype(np.float32)
    spec = LandscapeSpec(wq=wq, wv=wv, width=size, height=size)
    ours = render_landscape(Job.with_x0(spec, x0), "numpy")
    labels_grid, diff_grid = appendix_a_numpy(
        np.reshape(wq, (2, 2)), np.reshape(wv, (2, 2)), to_seed_order(x0), size
    )
    np.testing.assert_array_equal(ours.labels, labels_grid.T)
    np.testing.assert_array_equal(ours.delta, diff_grid.T)
    assert 0.05 < ours.labels.mean() < 0.95  # both colours: not a trivial picture


# -- the residual map (issue 29 A) ------------------------------------------------------------


@pytest.mark.parametrize("h", [0.1, 1.0, 7.5])
def test_residual_step_with_uniform_attention_has_a_closed_form(h):
    # W_K = 0 makes every score 0, so A = 1/n everywhere and A V (W_V = I) is the mean. Two
    # points at angles +-theta have the mean (cos theta, 0), so x + h m = (cos theta (1 + h),
    # +-sin theta): tan theta' = tan theta / (1 + h), and after T steps tan theta_0 / (1+h)^T.
    theta0, steps = 1.1, 6
    X = np.array([[[math.cos(theta0), math.sin(theta0)], [math.cos(theta0), -math.sin(theta0)]]])
    for _ in range(steps):
        X = residual_step(
            X, batch(I2), batch(np.zeros((2, 2))), batch(I2), np.ones(1), np.array([h]), 0.0
        )
    expected = math.atan(math.tan(theta0) / (1 + h) ** steps)
    assert np.arctan2(X[0, :, 1], X[0, :, 0]) == pytest.approx([expected, -expected], abs=1e-14)
    # without the skip connection the mean itself is the next point: both are (1, 0) at once
    Y = step(X[0], wk=np.zeros((2, 2)))
    assert np.allclose(Y[0], [[1.0, 0.0], [1.0, 0.0]], rtol=0, atol=1e-15)


def plain_residual_run(x, wq, wk, wv, beta, h, eps, steps):
    """The residual map of one pixel, written out point by point in float64 (no numpy
    batching): gaps Δ_0..Δ_T and the final points."""
    x = [np.asarray(p, dtype=np.float64) for p in x]
    gaps = [max(abs(p[0] - x[0][0]) for p in x)]
    for _ in range(steps):
        new = []
        for xi in x:
            scores = [beta * float((wq @ xi) @ (wk @ xj)) for xj in x]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            av = sum(w / total * (wv @ xj) for w, xj in zip(weights, x, strict=True))
            z = xi + h * av
            new.append(z / (math.hypot(z[0], z[1]) + eps))
        x = new
        gaps.append(max(abs(p[0] - x[0][0]) for p in x))
    return np.array(gaps), np.array(x)


@pytest.mark.parametrize(("h", "x_param"), [(0.7, "wk11"), (None, "residual")])
def test_the_residual_map_matches_a_point_by_point_transcription_in_float64(h, x_param):
    wq, wv = APPENDIX_B[1679700]
    x_range = (0.05, 3.0) if x_param == "residual" else (-8.0, 8.0)
    spec = LandscapeSpec(
        wq=wq, wv=wv, seed=5, width=6, height=5, n_points=6, steps=40, dtype="float64",
        residual=h, x_param=x_param, x_range=x_range, y_range=(-6.0, 6.0),
    )  # fmt: skip
    job = Job(spec)
    fields = NumpyReferenceEngine(chunk_pixels=7).compute(job, Tile(0, 5, 0, 6))
    labels = set()
    for r in range(5):
        for c in range(6):
            W = {m: spec.matrix(m).astype(np.float64) for m in ("wq", "wk", "wv")}
            pixel_h = spec.residual if h is not None else float(spec.x_values()[c])
            if x_param == "wk11":
                W["wk"][1, 1] = spec.x_values()[c]
            W["wk"][0, 0] = spec.y_values()[r]
            x0 = job.initial_points(np.array([r]), np.array([c]))[0]
            gaps, points = plain_residual_run(x0, *W.values(), spec.beta, pixel_h, spec.eps, 40)
            # delta is stored as float32: equal up to that rounding
            assert fields.delta[r, c] == pytest.approx(gaps[-1], rel=1e-7, abs=1e-12)
            assert fields.labels[r, c] == (gaps[-1] < spec.tol)
            assert fields.clusters[r, c] == hand_clusters(points)
            labels.add(int(fields.labels[r, c]))
    assert labels == {0, 1}  # both kinds of pixel are tested


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_at_h_1e6_the_residual_map_has_the_seed_maps_labels(dtype):
    # normalize(X + h A V) = normalize(X / h + A V): at h = 1e6 the skip connection is a
    # perturbation of 1e-6 per step. Measured on a 48 x 48 grid: no pixel differs (seeds
    # 1679700 and 5227590, float32 and float64); at 256² a handful do (docs/residual.md).
    spec = LandscapeSpec(
        wq=APPENDIX_B[1679700][0], wv=APPENDIX_B[1679700][1], seed=1679700, init="shared",
        width=32, height=32, dtype=dtype,
    )  # fmt: skip
    tile = Tile(0, 32, 0, 32)
    seed_map = NumpyReferenceEngine().compute(Job(spec), tile)
    residual = NumpyReferenceEngine().compute(Job(replace(spec, residual=1e6)), tile)
    assert 100 < seed_map.labels.sum() < 32 * 32 - 100
    assert (residual.labels != seed_map.labels).sum() <= 2
    # and a moderate h gives another picture
    other = NumpyReferenceEngine().compute(Job(replace(spec, residual=1.0)), tile)
    assert (other.labels != seed_map.labels).sum() > 100
