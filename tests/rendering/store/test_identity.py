"""Stores survive upgrades: a store written by another attndyn version resumes when its
fields would be the same, and is refused with the precise reason when they would not."""

import json
from dataclasses import replace

import pytest

from attndyn import Job, UserError, render_landscape
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.model.tiles import Tiling
from attndyn.rendering.render import compute_tile

from helpers import SlowEngine, appendix_b, logged_tiles, same_bytes

pytest.importorskip("zarr")
from attndyn.rendering.distributed import render_store
from attndyn.rendering.store.identity import FIELDS_FORMAT, identity_mismatch
from attndyn.rendering.store.zarr_store import ZarrStore

SPEC = appendix_b(1679700, width=12, height=8, steps=20, n_points=6)
TILING = Tiling(SPEC.shape, (4, 4))  # 2 x 3 chunks
DONE = [(0, 1), (1, 2)]


def unfinished_store_of_an_older_version(path, version="0.1.0", **attributes):
    """A store with two chunks done, then rewritten as an older attndyn would have left it:
    its spec JSON names that version and, by default, there is no fields format."""
    store = ZarrStore.open(path, SPEC, TILING)
    for index in DONE:
        tile = TILING.tile(*index)
        fields = compute_tile(Job(SPEC), NumpyReferenceEngine(), tile)
        store.mark_done(tile, store.write_tile(tile, fields))
    store.close()
    metadata = json.loads((path / "zarr.json").read_text())
    info = metadata["attributes"]["attndyn"]
    spec = json.loads(info["spec"])
    spec["attndyn_version"] = version
    info["spec"] = json.dumps(spec, sort_keys=True)
    del info["fields_format"]
    info.update(attributes)
    (path / "zarr.json").write_text(json.dumps(metadata))
    return info


def test_a_store_of_an_older_version_resumes_when_its_fields_would_be_the_same(tmp_path):
    path, log = tmp_path / "s.zarr", tmp_path / "calls"
    info = unfinished_store_of_an_older_version(path)
    assert '"attndyn_version": "0.1.0"' in info["spec"]
    done = render_store(SPEC, path, chunk=4, engine=SlowEngine(log=str(log)))
    assert done.resumed == 2 and done.computed == 4 and not done.corrupt
    assert sorted(logged_tiles(log)) == sorted(
        (t.row0, t.col0) for t in TILING if TILING.index(t) not in DONE
    )
    reference = render_landscape(SPEC, "numpy").fields
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(done.store.read(), name), array), name


def test_a_store_whose_fields_format_differs_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "s.zarr"
    unfinished_store_of_an_older_version(path, "0.0.9", fields_format=FIELDS_FORMAT - 1)
    with pytest.raises(UserError) as refused:
        render_store(SPEC, path, chunk=4, engine=SlowEngine())
    assert (
        f"its fields are in fields format {FIELDS_FORMAT - 1} (written by attndyn 0.0.9), and "
        f"this attndyn computes format {FIELDS_FORMAT}: an engine change altered the fields"
    ) in str(refused.value)


def test_the_reason_names_the_values_that_differ():
    info = {"spec": SPEC.to_json(), "fields_format": FIELDS_FORMAT}
    assert identity_mismatch(info, SPEC) is None
    other = replace(SPEC, steps=21, seed=7)
    assert identity_mismatch(info, other) == (
        "seed 1679700 in the store, 7 here, steps 20 in the store, 21 here"
    )
    newer = json.loads(SPEC.to_json()) | {"colour_of_the_sky": "blue"}
    reason = identity_mismatch({"spec": json.dumps(newer)}, SPEC)
    assert reason.startswith("its spec cannot be read by this attndyn: spec has unknown keys")
