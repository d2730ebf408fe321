import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, render_landscape
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.render import RenderInterrupted, render_into
from attndyn.store import NpzStore
from attndyn.tiles import Tiling

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


def test_job_with_explicit_points_runs_through_the_api():
    x0 = np.array([[1.0, 0.0], [0.0, 1.0], [-0.6, 0.8]])
    result = render_landscape(Job.with_x0(SPEC, x0))
    assert result.labels.shape == (9, 11) and result.delta.dtype == np.float32
