import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, render_landscape
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.model.tiles import Tiling
from attndyn.rendering.render import RenderInterrupted, render_into
from attndyn.rendering.store import NpzStore

SPEC = LandscapeSpec(
    wq=(1.1646, -0.0278, -0.8054, -0.9405),
    wv=(-1.9675, -2.0948, 0.3671, 1.4580),
    width=11,
    height=9,
    steps=20,
)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_tiling_does_not_change_results(init, engine):
    spec = LandscapeSpec(**{**SPEC.__dict__, "init": init})
    whole = render_landscape(spec, engine, pixels_per_tile=10**6)
    for pixels_per_tile in (1, 11, 30):
        tiled = render_landscape(spec, engine, pixels_per_tile=pixels_per_tile)
        np.testing.assert_array_equal(whole.delta, tiled.delta)
        np.testing.assert_array_equal(whole.labels, tiled.labels)


def test_reference_chunk_size_does_not_change_results():
    whole = render_landscape(SPEC, "numpy")
    chunked = render_landscape(SPEC, NumpyReferenceEngine(chunk_pixels=5), pixels_per_tile=11)
    np.testing.assert_array_equal(whole.delta, chunked.delta)


def test_a_sub_window_reproduces_the_same_pixels():
    # The same grid points in a larger picture keep their seeded points and their results.
    small = render_landscape(LandscapeSpec(**{**SPEC.__dict__, "width": 5, "x_range": (-8.0, 0.0)}))
    large = render_landscape(
        SPEC.__class__(**{**SPEC.__dict__, "width": 9, "x_range": (-8.0, 8.0)})
    )
    np.testing.assert_array_equal(small.delta, large.delta[:, :5])


class InterruptingEngine(NumpyReferenceEngine):
    """Computes ``allowed`` tiles, then behaves as if the user pressed Ctrl-C."""

    def __init__(self, allowed):
        super().__init__()
        self.allowed = allowed
        self.tiles = []

    def compute(self, job, tile):
        if self.allowed is not None and len(self.tiles) >= self.allowed:
            raise KeyboardInterrupt
        self.tiles.append(tile)
        return super().compute(job, tile)


def test_an_interrupted_render_resumes_where_it_stopped(tmp_path):
    checkpoint = tmp_path / "out.partial.npz"
    expected = render_landscape(SPEC, "numpy")
    first = InterruptingEngine(allowed=4)
    with pytest.raises(RenderInterrupted) as stop:
        render_landscape(SPEC, first, pixels_per_tile=11, checkpoint=checkpoint)
    assert (stop.value.tiles_done, stop.value.tiles_total) == (4, 9)
    assert stop.value.rows_done == 4 and checkpoint.exists()
    second = InterruptingEngine(allowed=None)
    result = render_landscape(SPEC, second, pixels_per_tile=11, checkpoint=checkpoint)
    assert [tile.row0 for tile in second.tiles] == [4, 5, 6, 7, 8]
    np.testing.assert_array_equal(result.delta, expected.delta)
    np.testing.assert_array_equal(result.labels, expected.labels)
    assert not checkpoint.exists()


@pytest.mark.parametrize("samples", [1, 2])
def test_a_render_resumes_its_missing_2d_tiles_only(tmp_path, samples):
    # 4 pixels per tile and rows of 11: 2 x 2 tiles, 5 x 6 of them (the last ones clipped).
    spec = LandscapeSpec(**{**SPEC.__dict__, "samples": samples})
    checkpoint = tmp_path / "out.partial.npz"
    expected = render_landscape(spec, "numpy")
    first = InterruptingEngine(allowed=7 * samples)
    with pytest.raises(RenderInterrupted) as stop:
        render_landscape(spec, first, pixels_per_tile=4 * samples, checkpoint=checkpoint)
    assert (stop.value.tiles_done, stop.value.tiles_total) == (7, 30)
    assert (stop.value.rows_done, stop.value.rows_total) == (2, 9)  # tile row 0 is complete
    assert all(tile.shape in ((2, 2), (2, 1), (1, 2), (1, 1)) for tile in first.tiles)
    second = InterruptingEngine(allowed=None)
    # Another tile size now: the resume file's 2 x 2 tiling wins.
    result = render_landscape(spec, second, pixels_per_tile=10**6, checkpoint=checkpoint)
    first_tiles, second_tiles = set(first.tiles), set(second.tiles)
    assert len(second.tiles) == 23 * samples and len(second_tiles) == 23
    assert not first_tiles & second_tiles
    cover = np.zeros(spec.shape, dtype=int)
    for tile in first_tiles | second_tiles:
        cover[tile.slices] += 1
    assert (cover == 1).all()
    for name, array in expected.fields.arrays().items():
        np.testing.assert_array_equal(getattr(result.fields, name), array)
    assert not checkpoint.exists()


def test_render_into_fills_a_store_in_the_store_tiling():
    tiling = Tiling(SPEC.shape, (3, 4))
    store = NpzStore(SPEC, tiling)
    engine = InterruptingEngine(allowed=None)
    render_into(Job(SPEC), engine, store)
    assert engine.tiles == list(tiling) and store.done().all()
    np.testing.assert_array_equal(store.read().delta, render_landscape(SPEC, "numpy").delta)


def test_a_checkpoint_of_another_spec_is_ignored(tmp_path):
    checkpoint = tmp_path / "out.partial.npz"
    with pytest.raises(RenderInterrupted):
        render_landscape(
            SPEC, InterruptingEngine(allowed=3), pixels_per_tile=11, checkpoint=checkpoint
        )
    other = LandscapeSpec(**{**SPEC.__dict__, "steps": 21})
    engine = InterruptingEngine(allowed=None)
    render_landscape(other, engine, pixels_per_tile=11, checkpoint=checkpoint)
    assert len(engine.tiles) == other.height


def transcribed_gap(x0, wq, wk, wv, steps, beta=1.0, eps=1e-8):
    """Δ after ``steps`` steps from x0, one pixel, float64, the map written out point by point:
    x_i <- y_i / (|y_i| + eps), y_i = sum_j softmax_j(beta q_i . k_j) v_j."""
    x = [np.array(p, dtype=np.float64) for p in x0]
    for _ in range(steps):
        q, k, v = [wq @ p for p in x], [wk @ p for p in x], [wv @ p for p in x]
        new = []
        for qi in q:
            scores = [beta * float(qi @ kj) for kj in k]
            top = max(scores)
            weights = [np.exp(s - top) for s in scores]
            y = sum(w * vj for w, vj in zip(weights, v, strict=True)) / sum(weights)
            new.append(y / (np.hypot(y[0], y[1]) + eps))
        x = new
    return max(abs(p[0] - x[0][0]) for p in x)


def test_job_with_explicit_points_runs_through_the_api():
    x0 = np.array([[1.0, 0.0], [0.0, 1.0], [-0.6, 0.8]])
    result = render_landscape(Job.with_x0(SPEC, x0))
    assert result.labels.shape == (9, 11) and result.delta.dtype == np.float32
    # No step: every pixel keeps x0, whose gap is |-0.6 - 1| = 1.6 (not synchronised), and
    # whose three points are far apart (3 clusters).
    start = render_landscape(Job.with_x0(LandscapeSpec(**{**SPEC.__dict__, "steps": 0}), x0))
    np.testing.assert_allclose(start.delta, 1.6, rtol=1e-7)
    assert (start.labels == 0).all() and (start.fields.clusters == 3).all()
    # Three steps in float64 against the map written out for each pixel: W_K is 0 but for
    # the swept wk00 (rows, y) and wk11 (columns, x), each from -8 to 8.
    spec = LandscapeSpec(**{**SPEC.__dict__, "steps": 3, "dtype": "float64"})
    stepped = render_landscape(Job.with_x0(spec, x0))
    wq, wv = np.reshape(SPEC.wq, (2, 2)), np.reshape(SPEC.wv, (2, 2))
    expected = np.array(
        [
            [
                transcribed_gap(x0, wq, np.diag([-8 + 2 * row, -8 + 1.6 * col]), wv, 3)
                for col in range(11)
            ]
            for row in range(9)
        ]
    )
    assert expected.std() > 0.1  # the pixels differ: the swept values reach the map
    # delta is stored in float32 whatever the precision: rounded once, within 2**-24 relative;
    # where the points nearly meet, Δ is a difference of coordinates near 1 and carries their
    # float64 rounding, an ulp of 1 (2**-52) or so (measured: at most 1.1e-16 beyond float32)
    np.testing.assert_allclose(stepped.delta, expected, rtol=2.0**-23, atol=8 * 2.0**-52)
    np.testing.assert_array_equal(stepped.labels, expected < SPEC.tol)


# -- tiles of the quadtree ---------------------------------------------------------------------
from dataclasses import replace  # noqa: E402

from attndyn import TileAddress, render_tile  # noqa: E402
from attndyn.engines import get_engine  # noqa: E402
from attndyn.model.tiles import Tile, tile_seed  # noqa: E402

# 5 x 5 pixels over [-8, 8]^2: pixels 4 wide, the base tile [-10, 10]^2. At zoom 2 a pixel is
# 1 wide, so tile (2, 1, 2) has its columns at -4.5 .. -0.5 and its rows at 0.5 .. 4.5, which
# numpy's linspace also gives exactly.
BASE = replace(SPEC, width=5, height=5, steps=30)
ADDRESS = TileAddress(2, 1, 2)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_a_tile_is_the_picture_of_its_window(engine, init):
    base = replace(BASE, init=init, seed=99)
    seed = tile_seed(99, ADDRESS) if init == "independent" else 99
    window = replace(base, x_range=(-4.5, -0.5), y_range=(0.5, 4.5), seed=seed)
    expected = render_landscape(window, engine).fields
    fields = render_tile(base, ADDRESS, engine)
    for name, array in expected.arrays().items():
        np.testing.assert_array_equal(getattr(fields, name), array, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_tile_is_the_same_whoever_computes_it(dtype):
    base = replace(BASE, width=8, height=6, dtype=dtype)
    address = TileAddress(7, -40, 93)
    job = Job(base).for_tile(address)
    numba = get_engine("numba")
    whole = numba.compute(job, Tile(0, 6, 0, 8))
    left, right = numba.compute(job, Tile(0, 6, 0, 3)), numba.compute(job, Tile(0, 6, 3, 8))
    np.testing.assert_array_equal(np.hstack([left.delta, right.delta]), whole.delta)
    reference = render_tile(base, address, "numpy")
    np.testing.assert_array_equal(reference.labels, whole.labels)
    np.testing.assert_array_equal(reference.clusters, whole.clusters)


def test_a_deep_float64_tile_agrees_with_the_reference():
    # A 16 x 16 tile 2**-36 of the base window wide near a boundary of the seed's picture.
    base = replace(BASE, width=16, height=16, init="shared", seed=1679700, dtype="float64")
    zoom = 36
    quadtree = Job(base).quadtree
    (address,) = quadtree.covering(zoom, (-1.82531, -1.82531), (-3.06819, -3.06819))
    fields = render_tile(base, address, "numba")
    reference = render_tile(base, address, "numpy")
    np.testing.assert_array_equal(fields.labels, reference.labels)
    values = Job(base, address=address).x_values()
    assert 0 < values[1] - values[0] < 1e-10
