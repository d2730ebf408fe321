from dataclasses import replace

import numpy as np
import pytest

from attndyn import Job, UserError, render_landscape
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.render import compute_tile, render_into
from attndyn.tiles import Tiling

from helpers import appendix_b, same_bytes

zarr = pytest.importorskip("zarr")
from attndyn.store.zarr_store import CorruptChunk, ZarrStore, pyramid_shapes  # noqa: E402

SPEC = appendix_b(1679700, width=11, height=9, steps=20, n_points=6, samples=2)
TILING = Tiling(SPEC.shape, (4, 4))  # 3 x 3 chunks, the last row and column narrower


@pytest.fixture(scope="module")
def reference():
    return render_landscape(SPEC, "numpy").fields


@pytest.fixture
def finished(tmp_path, reference):
    store = ZarrStore.open(tmp_path / "s.zarr", SPEC, TILING, pyramid_min_side=3)
    render_into(Job(SPEC), NumpyReferenceEngine(), store)
    store.finalize()
    return store


def test_render_into_a_zarr_store_gives_the_in_memory_fields(finished, reference):
    assert finished.complete and finished.field_names == (
        "delta", "labels", "sync_step", "clusters", "probability",
    )  # fmt: skip
    again = ZarrStore.load(finished.path)
    assert again.spec == SPEC and again.tiling == TILING
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(again.read(), name), array), name
    # the spec JSON is in the group's attributes, each field its own array
    group = zarr.open_group(str(finished.path), mode="r")
    assert group.attrs["attndyn"]["spec"] == SPEC.to_json()
    assert group["labels"].chunks == (4, 4) and group["labels"].dtype == np.uint8


def test_each_pyramid_level_holds_every_other_pixel_of_the_level_below(finished, reference):
    assert finished.level_shapes == [(9, 11), (5, 6), (3, 3)] == pyramid_shapes((9, 11), 3)
    for level in (1, 2):
        fields = finished.read(level=level)
        step = 2**level
        for name, array in reference.arrays().items():
            assert same_bytes(getattr(fields, name), array[::step, ::step]), (level, name)


def test_only_marked_chunks_are_done_after_a_reopen(tmp_path, reference):
    store = ZarrStore.open(tmp_path / "s.zarr", SPEC, TILING)
    engine, job = NumpyReferenceEngine(), Job(SPEC)
    for index in [(0, 1), (2, 2)]:
        tile = TILING.tile(*index)
        store.mark_done(tile, store.write_tile(tile, compute_tile(job, engine, tile)))
    written = TILING.tile(1, 0)
    store.write_tile(written, compute_tile(job, engine, written))  # written, never marked
    store.close()
    again = ZarrStore.open(tmp_path / "s.zarr", SPEC, Tiling(SPEC.shape, (2, 2)))
    assert again.tiling == TILING  # the store keeps its own chunks
    expected = np.zeros((3, 3), bool)
    expected[0, 1] = expected[2, 2] = True
    assert (again.done() == expected).all() and again.resumed_tiles == 2
    assert len(again.missing()) == 7


def test_a_store_of_another_spec_or_a_foreign_directory_is_refused(tmp_path, finished):
    other = replace(SPEC, steps=21)
    with pytest.raises(UserError, match="was made for another spec"):
        ZarrStore.open(finished.path, other, Tiling(other.shape, (4, 4)))
    (tmp_path / "plain").mkdir()
    with pytest.raises(UserError, match="is not an attndyn Zarr store"):
        ZarrStore.open(tmp_path / "plain", SPEC, TILING)
    (tmp_path / "file.zarr").write_text("x")
    with pytest.raises(UserError, match="is a file"):
        ZarrStore.open(tmp_path / "file.zarr", SPEC, TILING)
    with pytest.raises(UserError, match="does not exist"):
        ZarrStore.open(tmp_path / "no" / "s.zarr", SPEC, TILING)
    replaced = ZarrStore.open(
        finished.path, other, Tiling(other.shape, (4, 4)), on_foreign="replace"
    )
    assert replaced.spec == other and not replaced.done().any()
    with pytest.raises(UserError, match="is not an attndyn Zarr store"):
        ZarrStore.open(tmp_path / "plain", SPEC, TILING, on_foreign="replace")
    assert (tmp_path / "plain").is_dir()  # never deletes what it did not make


@pytest.mark.parametrize("damage", ["garbage", "other values", "deleted"])
def test_a_damaged_chunk_fails_its_checksum_and_is_dropped(finished, damage):
    chunk_file = finished.path / "delta" / "c" / "1" / "2"
    if damage == "garbage":
        chunk_file.write_bytes(b"\x00not zstd at all" * 3)
    elif damage == "other values":
        group = zarr.open_group(str(finished.path), mode="r+")
        group["delta"][4:8, 8:11] = np.float32(0.25)
    else:
        chunk_file.unlink()
    tile = finished.tiling.tile(1, 2)
    with pytest.raises(CorruptChunk, match=r"chunk \(1, 2\) of field 'delta' at level 0"):
        finished.read_verified(tile)
    finished.read_verified(finished.tiling.tile(1, 1))  # its neighbours are fine
    failures = finished.verify()
    assert [f.key for f in failures] == [(0, 1, 2)]
    again = ZarrStore.load(finished.path)
    assert not again.done()[1, 2] and again.done().sum() == 8
    assert all(not again.done(level).any() for level in (1, 2))  # made from what failed
