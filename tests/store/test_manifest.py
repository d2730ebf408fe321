import hashlib

import numpy as np

from attndyn.store.manifest import ChunkRecord, Manifest, digest, record_for


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
