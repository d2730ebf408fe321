from dataclasses import replace

import numpy as np
import pytest

from attndyn import Job, UserError, render_landscape
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.model.tiles import Tiling
from attndyn.rendering.render import compute_tile, render_into

from helpers import appendix_b, same_bytes

zarr = pytest.importorskip("zarr")
from attndyn.rendering.store.zarr_store import CorruptChunk, ZarrStore, pyramid_shapes  # noqa: E402

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
    # the spec JSON is in the group's attributes, each field its own group of levels
    group = zarr.open_group(str(finished.path), mode="r")
    assert group.attrs["attndyn"]["spec"] == SPEC.to_json()
    assert group["labels/0"].chunks == (4, 4) and group["labels/0"].dtype == np.uint8


def test_each_pyramid_level_holds_every_other_pixel_of_the_level_below(finished, reference):
    assert finished.level_shapes == [(9, 11), (5, 6), (3, 3)] == pyramid_shapes((9, 11), 3)
    for level in (1, 2):
        fields = finished.read(level=level)
        step = 2**level
        for name, array in reference.arrays().items():
            assert same_bytes(getattr(fields, name), array[::step, ::step]), (level, name)


@pytest.mark.parametrize(("width", "height"), [(11, 9), (16, 16)])
def test_each_level_is_every_other_row_and_column_of_the_level_below(tmp_path, width, height):
    # Value by value, level k against level k - 1 read back. Levels halve, rounding up, until
    # both sides are <= 3. With 16 x 16 pixels and chunks of 4 x 4 the chunk of every level
    # has a source of even sides, so a decimation that takes the wrong rows or columns keeps
    # the shapes and only the values tell.
    spec = replace(SPEC, width=width, height=height, samples=1)
    store = ZarrStore.open(
        tmp_path / "s.zarr", spec, Tiling(spec.shape, (4, 4)), pyramid_min_side=3
    )
    render_into(Job(spec), NumpyReferenceEngine(), store)
    store.finalize()
    expected_shapes = {
        (11, 9): [(9, 11), (5, 6), (3, 3)],
        (16, 16): [(16, 16), (8, 8), (4, 4), (2, 2)],
    }
    assert store.level_shapes == expected_shapes[width, height]
    below = store.read(level=0)
    assert len(np.unique(below.delta)) > 20  # neighbouring pixels differ
    for level in range(1, len(store.level_shapes)):
        fields = store.read(level=level)
        for name, array in below.arrays().items():
            assert same_bytes(getattr(fields, name), array[::2, ::2]), (level, name)
        below = fields


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
    chunk_file = finished.path / "delta" / "0" / "c" / "1" / "2"
    if damage == "garbage":
        chunk_file.write_bytes(b"\x00not zstd at all" * 3)
    elif damage == "other values":
        group = zarr.open_group(str(finished.path), mode="r+")
        group["delta/0"][4:8, 8:11] = np.float32(0.25)
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


def test_each_field_is_an_ome_zarr_image_that_third_party_readers_open(finished, reference):
    """ome-zarr-py reads every level of each field; ome-zarr-models validates the NGFF 0.5
    metadata (axes, datasets, dimension_names) of each field's group."""
    reader = pytest.importorskip("ome_zarr.reader")
    ome_io = pytest.importorskip("ome_zarr.io")
    models = pytest.importorskip("ome_zarr_models.v05.image")
    for name, array in reference.arrays().items():
        location = ome_io.parse_url(str(finished.path / name))
        assert location is not None and location.version == "0.5"
        (image,) = [node for node in reader.Reader(location)() if node.data]
        assert [tuple(level.shape) for level in image.data] == [(9, 11), (5, 6), (3, 3)]
        for level, data in enumerate(image.data):
            assert same_bytes(np.asarray(data), array[:: 2**level, :: 2**level]), (name, level)
        multiscale = models.Image.from_zarr(
            zarr.open_group(str(finished.path / name), mode="r")
        ).attributes.ome.multiscales[0]
        assert [d.path for d in multiscale.datasets] == ["0", "1", "2"]
        assert [d.coordinateTransformations[0].scale for d in multiscale.datasets] == [
            [1.0, 1.0], [2.0, 2.0], [4.0, 4.0],
        ]  # fmt: skip
    # pixel (i, j) maps to the swept values y[i], x[j]: linspace over the window (the spec)
    scale, shift = multiscale.coordinateTransformations
    y = np.linspace(*SPEC.y_range, SPEC.shape[0])
    x = np.linspace(*SPEC.x_range, SPEC.shape[1])
    assert shift.translation == pytest.approx([y[0], x[0]])
    assert scale.scale == pytest.approx([y[1] - y[0], x[1] - x[0]])


def test_the_arrays_metadata_is_consolidated_into_the_root(finished):
    import json

    root = json.loads((finished.path / "zarr.json").read_text())
    arrays = {
        key
        for key, meta in root["consolidated_metadata"]["metadata"].items()
        if meta["node_type"] == "array"
    }
    names = finished.field_names
    assert arrays == {f"{name}/{level}" for name in names for level in range(3)}
    assert root["consolidated_metadata"]["metadata"]["labels/0"]["dimension_names"] == ["y", "x"]


def old_format_store(path, spec, tiling, reference, done):
    """A store as attndyn wrote it before OME-Zarr (format attndyn.zarr/1), made with zarr
    directly: level 0 of each field at <field>, level K at levels/K/<field>; the chunks
    ``done`` hold the reference and are in the manifest."""
    from attndyn.rendering.store.manifest import record_for

    group = zarr.open_group(str(path), mode="w-", zarr_format=3)
    shapes = pyramid_shapes(spec.shape, 256)
    fills = {"delta": np.nan, "sync_step": np.nan}
    arrays = reference.arrays()
    for name, values in arrays.items():
        group.create_array(
            name, shape=spec.shape, chunks=tiling.tile_shape, dtype=values.dtype,
            fill_value=fills.get(name, 0),
        )  # fmt: skip
    lines = []
    for index in done:
        tile = tiling.tile(*index)
        chunk = {name: values[tile.slices] for name, values in arrays.items()}
        for name, values in chunk.items():
            group[name][tile.slices] = values
        lines.append(record_for(0, index, chunk).to_json() + "\n")
    (path / "manifest.jsonl").write_text("".join(lines))
    group.attrs["attndyn"] = {
        "format": "attndyn.zarr/1",
        "spec": spec.to_json(),
        "uid": "0" * 32,
        "fields": list(arrays),
        "chunk": list(tiling.tile_shape),
        "levels": [list(s) for s in shapes],
    }


def test_a_store_of_the_first_format_resumes_and_reads(tmp_path, reference):
    path = tmp_path / "old.zarr"
    old_format_store(path, SPEC, TILING, reference, [(0, 0), (1, 2)])
    store = ZarrStore.open(path, SPEC, TILING)
    assert store.format == "attndyn.zarr/1" and store.resumed_tiles == 2
    render_into(Job(SPEC), NumpyReferenceEngine(), store)
    store.finalize()
    again = ZarrStore.load(path)
    assert again.complete
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(again.read(), name), array), name
    assert (path / "delta" / "c").is_dir() and not (path / "delta" / "0").exists()


def test_a_sharded_store_holds_the_same_bytes_in_fewer_files(tmp_path, reference):
    big_chunks = Tiling(SPEC.shape, (2, 2))  # 5 x 6 chunks; 2 x 2 of them to a shard
    plain = ZarrStore.open(tmp_path / "plain.zarr", SPEC, big_chunks, pyramid_min_side=3)
    sharded = ZarrStore.open(
        tmp_path / "sharded.zarr", SPEC, big_chunks, pyramid_min_side=3, shard=2
    )
    assert sharded.tiling == TILING and sharded.chunk_shape == (2, 2) and sharded.shard == 2
    for store in (plain, sharded):
        render_into(Job(SPEC), NumpyReferenceEngine(), store)
        store.finalize()
    again = ZarrStore.load(tmp_path / "sharded.zarr")
    assert again.shard == 2 and again.tiling == TILING
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(again.read(), name), array), name
        for level in (1, 2):
            assert same_bytes(
                getattr(again.read(level=level), name), array[:: 2**level, :: 2**level]
            )
    group = zarr.open_group(str(tmp_path / "sharded.zarr"), mode="r")
    assert group["delta/0"].chunks == (2, 2) and group["delta/0"].shards == (4, 4)

    def chunk_files(root, name):
        return sum(1 for p in (root / name / "0" / "c").rglob("*") if p.is_file())

    # level 0 of delta: 5 x 6 chunk files, or 3 x 3 shard files
    assert chunk_files(tmp_path / "plain.zarr", "delta") == 30
    assert chunk_files(tmp_path / "sharded.zarr", "delta") == 9
    with pytest.raises(UserError, match="shard 0 is not allowed"):
        ZarrStore.open(tmp_path / "s0.zarr", SPEC, big_chunks, shard=0)


def test_a_file_url_is_a_store_path_and_bad_locations_get_one_line(tmp_path):
    url = f"file://{tmp_path}/u.zarr"
    store = ZarrStore.open(url, SPEC, TILING)
    assert store.path == tmp_path / "u.zarr" and (tmp_path / "u.zarr" / "zarr.json").is_file()
    assert ZarrStore.load(url).uid == store.uid
    with pytest.raises(UserError, match=r"store path '' is empty"):
        ZarrStore.open("", SPEC, TILING)
    with pytest.raises(
        UserError, match=r"'/no/such/dir' does not exist \(store 'file:///no/such/dir/u.zarr'\)"
    ):
        ZarrStore.open("file:///no/such/dir/u.zarr", SPEC, TILING)
    with pytest.raises(UserError, match=r"store 'memory://none/u.zarr' does not exist"):
        ZarrStore.load("memory://none/u.zarr")  # object stores: tests/store/test_object_stores
    with pytest.raises(UserError, match=r"'nope' is not a protocol fsspec knows"):
        ZarrStore.open("nope://x", SPEC, TILING)
