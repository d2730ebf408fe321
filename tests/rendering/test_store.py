from dataclasses import replace

import numpy as np
import pytest

from attndyn import LandscapeSpec, UserError
from attndyn.model.fields import Fields
from attndyn.model.tiles import Tile, Tiling
from attndyn.rendering.store import Landscape, NpzStore, load_landscape, save_landscape

SPEC = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=11, height=9, steps=20)
TILING = Tiling(SPEC.shape, (4, 5))  # 3 x 3 tiles; the last row and column are narrower


def numbered_fields(tile: Tile, *, probability: bool = False) -> Fields:
    """Fields whose values name their pixel: delta = 100 row + col, and so on."""
    rows, cols = np.mgrid[tile.row0 : tile.row1, tile.col0 : tile.col1]
    return Fields(
        delta=(100 * rows + cols).astype(np.float32),
        labels=((rows + cols) % 2).astype(np.uint8),
        sync_step=(rows - 0.5 * cols).astype(np.float32),
        clusters=(rows * cols).astype(np.uint16),
        probability=(cols / 16).astype(np.float32) if probability else None,
    )


def fill(store: NpzStore, tiles) -> None:
    for tile in tiles:
        store.write_tile(tile, numbered_fields(tile, probability=store.spec.samples > 1))
        store.mark_done(tile)


# -- the render --save file -------------------------------------------------------------------
def test_a_saved_landscape_has_render_save_keys_and_dtypes(tmp_path):
    fields = numbered_fields(Tile(0, 9, 0, 11))
    save_landscape(tmp_path / "f.npz", Landscape(SPEC, fields))
    with np.load(tmp_path / "f.npz") as data:
        assert sorted(data.files) == ["clusters", "delta", "labels", "spec", "sync_step"]
        assert str(data["spec"]) == SPEC.to_json() and data["spec"].shape == ()
        assert data["delta"].dtype == np.float32 and data["labels"].dtype == np.uint8
        assert data["sync_step"].dtype == np.float32 and data["clusters"].dtype == np.uint16
        assert data["delta"][3, 7] == 307.0 and data["clusters"][8, 10] == 80
    loaded = load_landscape(tmp_path / "f.npz")
    assert loaded.spec == SPEC
    for name, array in fields.arrays().items():
        np.testing.assert_array_equal(getattr(loaded.fields, name), array)
    assert loaded.fields.probability is None


def test_a_file_in_the_older_layout_still_loads(tmp_path):
    # What 'render --save' wrote before the store existed: np.savez_compressed of the keys.
    spec = replace(SPEC, samples=2)
    fields = numbered_fields(Tile(0, 9, 0, 11), probability=True)
    np.savez_compressed(tmp_path / "old.npz", spec=np.array(spec.to_json()), **fields.arrays())
    loaded = load_landscape(tmp_path / "old.npz")
    assert loaded.spec == spec
    np.testing.assert_array_equal(loaded.fields.probability, fields.probability)


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("missing", "does not exist"),
        ("text", "is not a fields file saved by 'render --save'"),
        ("truncated", "is not a readable .npz"),
        ("foreign", "lacks ['labels', 'delta']"),
        ("shape", "holds arrays of shape (2, 2)"),
        ("unfinished", "unfinished render's resume file"),
    ],
)
def test_bad_landscape_files_are_refused_in_one_line(tmp_path, setup, fragment):
    path = tmp_path / "f.npz"
    spec_json = np.array(SPEC.to_json())
    if setup == "text":
        path.write_text("hello")
    elif setup == "truncated":
        save_landscape(path, Landscape(SPEC, numbered_fields(Tile(0, 9, 0, 11))))
        path.write_bytes(path.read_bytes()[:200])
    elif setup == "foreign":
        np.savez(path, spec=np.array("{}"))
    elif setup == "shape":
        np.savez(path, spec=spec_json, labels=np.zeros((2, 2), np.uint8), delta=np.zeros((2, 2)))
    elif setup == "unfinished":
        store = NpzStore(SPEC, TILING, path)
        fill(store, [TILING.tile(0, 0)])
        store.flush()
    with pytest.raises(UserError) as error:
        load_landscape(path)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "f.npz"
    save_landscape(path, Landscape(SPEC, numbered_fields(Tile(0, 9, 0, 11))))
    before = path.read_bytes()

    def half_then_interrupt(stream, **arrays):
        stream.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_landscape(path, Landscape(SPEC, Fields.empty(*SPEC.shape)))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["f.npz"]  # no temporary file left


# -- the resume store -------------------------------------------------------------------------
def test_the_done_mask_is_per_2d_tile_and_survives_a_reopen(tmp_path):
    path = tmp_path / "r.npz"
    store = NpzStore.open(path, SPEC, TILING)
    assert store.done().shape == (3, 3) and not store.done().any()
    finished = [TILING.tile(0, 1), TILING.tile(2, 2), TILING.tile(1, 0)]
    fill(store, finished)
    store.write_tile(TILING.tile(2, 0), numbered_fields(TILING.tile(2, 0)))  # written, not marked
    store.flush()

    again = NpzStore.open(path, SPEC, Tiling(SPEC.shape, (2, 2)))  # the file's tiling wins
    assert again.tiling == TILING and again.resumed_tiles == 3
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 1] = expected[2, 2] = expected[1, 0] = True
    np.testing.assert_array_equal(again.done(), expected)
    for tile in finished:
        read = again.read(tile)
        reference = numbered_fields(tile)
        for name, array in reference.arrays().items():
            np.testing.assert_array_equal(getattr(read, name), array)
    # Rows 4..8 x cols 5..9 hold delta 100 r + c.
    assert again.read(TILING.tile(2, 2)).delta[0, 0] == 810.0
    assert again.read().delta.shape == SPEC.shape


def test_the_resume_file_layout(tmp_path):
    path = tmp_path / "r.npz"
    store = NpzStore(SPEC, TILING, path)
    fill(store, [TILING.tile(1, 1)])
    store.flush()
    with np.load(path) as data:
        assert sorted(data.files) == [
            "clusters",
            "delta",
            "labels",
            "spec",
            "sync_step",
            "tile_shape",
            "tiles_done",
        ]
        assert data["tile_shape"].tolist() == [4, 5]
        assert data["tiles_done"].tolist() == [[False] * 3, [False, True, False], [False] * 3]


def test_marking_a_tile_saves_once_the_interval_has_passed(tmp_path):
    path = tmp_path / "r.npz"
    store = NpzStore(SPEC, TILING, path, save_every_seconds=0.0)
    fill(store, [TILING.tile(0, 0)])
    assert NpzStore.open(path, SPEC, TILING).done()[0, 0]


def test_a_store_of_another_spec_is_replaced_or_refused(tmp_path):
    path = tmp_path / "r.npz"
    store = NpzStore(SPEC, TILING, path)
    fill(store, list(TILING)[:2])
    store.flush()
    other = replace(SPEC, steps=21)
    fresh = NpzStore.open(path, other, TILING)
    assert not fresh.done().any()
    with pytest.raises(UserError, match="was made for another spec"):
        NpzStore.open(path, other, TILING, on_foreign="refuse")
    path.write_text("not an npz")
    assert not NpzStore.open(path, SPEC, TILING).done().any()
    with pytest.raises(UserError, match=r"is not a readable \.npz"):
        NpzStore.open(path, SPEC, TILING, on_foreign="refuse")


def test_a_resume_file_of_the_row_layout_resumes_its_full_rows(tmp_path):
    # The earlier checkpoint: spec, a per-row mask and the fields, uncompressed.
    path = tmp_path / "r.npz"
    whole = numbered_fields(Tile(0, 9, 0, 11))
    rows_done = np.zeros(9, dtype=bool)
    rows_done[:6] = True
    np.savez(path, spec=np.array(SPEC.to_json()), rows_done=rows_done, **whole.arrays())
    store = NpzStore.open(path, SPEC, TILING)
    # Tile rows 0..3 are done, 4..7 only partly, 8 not at all.
    assert store.done().tolist() == [[True] * 3, [False] * 3, [False] * 3]
    np.testing.assert_array_equal(store.read(TILING.tile(0, 2)).clusters, whole.clusters[:4, 10:])


def test_an_interrupted_flush_leaves_the_last_resume_file(tmp_path, monkeypatch):
    path = tmp_path / "r.npz"
    store = NpzStore(SPEC, TILING, path)
    fill(store, [TILING.tile(0, 0)])
    store.flush()
    fill(store, [TILING.tile(0, 1)])

    def interrupt(stream, **arrays):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupt)
    with pytest.raises(KeyboardInterrupt):
        store.flush()
    monkeypatch.undo()
    assert NpzStore.open(path, SPEC, TILING).done().sum() == 1


def test_finalize_needs_every_tile_and_removes_the_resume_file(tmp_path):
    path = tmp_path / "r.npz"
    spec = replace(SPEC, samples=3)
    store = NpzStore(spec, TILING, path)
    fill(store, list(TILING)[:-1])
    store.flush()
    with pytest.raises(ValueError, match="1 of 9 tiles are not done"):
        store.finalize()
    fill(store, list(TILING)[-1:])
    store.finalize()
    assert not path.exists()
    np.testing.assert_array_equal(
        store.read().probability, numbered_fields(Tile(0, 9, 0, 11), probability=True).probability
    )


def test_only_tiles_of_the_tiling_can_be_marked():
    store = NpzStore(SPEC, TILING)
    with pytest.raises(ValueError, match="not a tile"):
        store.mark_done(Tile(0, 4, 0, 4))
    with pytest.raises(ValueError, match="tiling of"):
        NpzStore(SPEC, Tiling((3, 3), (1, 1)))
