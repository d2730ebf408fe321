import hashlib

import numpy as np

from attndyn.rendering.store.manifest import ChunkRecord, Manifest, digest, record_for


def test_digest_is_sha256_of_dtype_shape_and_c_order_bytes():
    array = np.arange(6, dtype=np.uint16).reshape(2, 3)
    expected = hashlib.sha256(b"<u2(2, 3)" + array.tobytes()).hexdigest()
    assert digest(array) == expected
    assert digest(np.asfortranarray(array)) == expected  # the values, not the memory layout
    assert digest(array.astype(np.float32)) != expected
    assert digest(array.reshape(3, 2)) != expected


def test_records_survive_a_torn_last_line_and_the_last_record_wins(tmp_path):
    manifest = Manifest(tmp_path / "m.jsonl")
    first = record_for(0, (0, 1), {"labels": np.zeros(3, np.uint8)})
    manifest.append(first)
    manifest.append(ChunkRecord(0, 2, 0, {"labels": "aa"}))
    manifest.close()
    with open(tmp_path / "m.jsonl", "a") as file:
        file.write('{"level": 0, "chunk": [5')  # a kill -9 in the middle of a line
    assert set(Manifest(tmp_path / "m.jsonl").load()) == {(0, 0, 1), (0, 2, 0)}

    again = Manifest(tmp_path / "m.jsonl")
    again.append(ChunkRecord(0, 2, 0, {"labels": "bb"}))  # starts on a fresh line
    again.close()
    records = Manifest(tmp_path / "m.jsonl").load()
    assert records[(0, 2, 0)].sha256 == {"labels": "bb"}
    assert records[(0, 0, 1)] == first


def test_rewrite_replaces_the_whole_file(tmp_path):
    manifest = Manifest(tmp_path / "m.jsonl")
    for j in range(3):
        manifest.append(ChunkRecord(1, 0, j, {"delta": str(j)}))
    manifest.rewrite([ChunkRecord(1, 0, 2, {"delta": "2"})])
    assert list(Manifest(tmp_path / "m.jsonl").load()) == [(1, 0, 2)]
    assert [p.name for p in tmp_path.iterdir()] == ["m.jsonl"]


def test_bad_lines_are_skipped_with_a_reason_and_dropped_at_the_next_append(tmp_path):
    path = tmp_path / "m.jsonl"
    good = [ChunkRecord(0, 1, 2, {"labels": "aa"}), ChunkRecord(1, 0, 0, {"labels": "bb"})]
    lines = [
        good[0].to_json(),
        ChunkRecord(0, 2, 0, {"labels": "cc"}).to_json(),  # row 2 of a 2 x 3 grid
        "not json at all",
        ChunkRecord(2, 0, 0, {"labels": "dd"}).to_json(),  # a level the store lacks
        good[1].to_json(),
        ChunkRecord(0, 0, -1, {"labels": "ee"}).to_json(),
    ]
    path.write_text("\n".join(lines) + "\n")
    manifest = Manifest(path)
    grids = [(2, 3), (1, 2)]
    assert manifest.load(grids) == {record.key: record for record in good}
    assert manifest.skipped == [
        "line 2 names chunk (2, 0) at level 0, outside its 2 x 3 chunks",
        "line 3 is not a chunk record (Expecting value: line 1 column 1 (char 0))",
        "line 4 names level 2; the store has levels 0 to 1",
        "line 6 names chunk (0, -1) at level 0, outside its 2 x 3 chunks",
    ]
    assert len(Manifest(path).load()) == 5  # without the grids only line 3 is bad

    manifest.append(ChunkRecord(0, 0, 0, {"labels": "ff"}))
    manifest.close()
    again = Manifest(path)
    assert set(again.load(grids)) == {(0, 1, 2), (1, 0, 0), (0, 0, 0)} and not again.skipped
    assert path.read_text().count("\n") == 3
