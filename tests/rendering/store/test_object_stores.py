"""Stores at fsspec URLs: an S3 API (moto's server on 127.0.0.1) and fsspec's memory file
system hold the same bytes as the in-memory render, with the manifest one object per chunk and
the lock an object; locations are reported as given."""

import socket

import numpy as np
import pytest
from PIL import Image

from attndyn import Job, render_landscape
from attndyn.cli.main import main
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.model.tiles import Tiling
from attndyn.rendering.render import render_into

from helpers import appendix_b, same_bytes

pytest.importorskip("zarr")
fsspec = pytest.importorskip("fsspec")
from attndyn.rendering.store.zarr_store import ZarrStore  # noqa: E402

PICTURE = ["--preset", "art1679700", "--size", "14x10", "--steps", "20", "--points", "6",
           "--engine", "numpy"]  # fmt: skip
SPEC = appendix_b(1679700, width=11, height=9, steps=20, n_points=6, samples=2)


def run(*argv):
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on a free loopback port, with s3fs pointed at it (and nowhere else)
    through the environment; yields the file system, with the bucket 'posters' made."""
    server_module = pytest.importorskip("moto.server")
    s3fs = pytest.importorskip("s3fs")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.delenv("AWS_PROFILE", raising=False)
        s3fs.S3FileSystem.clear_instance_cache()
        fs = fsspec.filesystem("s3")
        fs.mkdir("posters")
        try:
            yield fs
        finally:
            s3fs.S3FileSystem.clear_instance_cache()
            server.stop()


def test_a_cli_render_into_s3_writes_what_the_in_memory_render_writes(tmp_path, capsys, s3):
    url = "s3://posters/p.zarr"
    assert run("render", *PICTURE, "--store", url, "--chunk", 4, "-o", tmp_path / "s.png") == 0
    assert f"wrote {url}, " in capsys.readouterr().err  # as given
    assert run("render", *PICTURE, "-q", "-o", tmp_path / "m.png") == 0
    with Image.open(tmp_path / "s.png") as ours, Image.open(tmp_path / "m.png") as theirs:
        assert (np.asarray(ours) == np.asarray(theirs)).all()
    # the manifest is an object per chunk (3 x 4 of them), the lock object is gone
    records = s3.find("posters/p.zarr/manifest")
    assert len(records) == 12 and records[0].endswith("/0.0.0.json")
    assert not s3.exists("posters/p.zarr.lock")
    assert s3.exists("posters/p.zarr/labels/0/zarr.json")
    # run again: resumed from the store, nothing computed
    assert run("render", *PICTURE, "--store", url, "--chunk", 4) == 0
    assert "0 of 12 chunks computed (12 done before)" in capsys.readouterr().err
    assert run("export", url, "-o", tmp_path / "e.png") == 0
    with Image.open(tmp_path / "e.png") as exported, Image.open(tmp_path / "m.png") as theirs:
        assert (np.asarray(exported) == np.asarray(theirs)).all()


def test_s3_errors_name_the_url_as_given(tmp_path, capsys, s3):
    assert run("render", *PICTURE, "--store", "s3://no-such-bucket/p.zarr") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "store URL 's3://no-such-bucket/p.zarr': bucket 'no-such-bucket' does not exist" in err
    assert run("export", "s3://posters/none.zarr", "-o", tmp_path / "e.png") == 2
    assert "store 's3://posters/none.zarr' does not exist" in capsys.readouterr().err
    # a second client while the lock object is held
    from attndyn.rendering.store.object_lock import ObjectStoreLock

    with ObjectStoreLock("s3://posters/busy.zarr"):
        assert run("render", *PICTURE, "--store", "s3://posters/busy.zarr") == 2
        assert "'s3://posters/busy.zarr' is in use by a render: pid" in capsys.readouterr().err


@pytest.fixture
def memory_url(request):
    folder = f"/stores-{request.node.name}"
    yield f"memory://{folder.lstrip('/')}/s.zarr"
    fs = fsspec.filesystem("memory")
    if fs.exists(folder):
        fs.rm(folder, recursive=True)


def test_a_memory_store_holds_the_in_memory_fields_and_resumes(memory_url):
    reference = render_landscape(SPEC, "numpy").fields
    tiling = Tiling(SPEC.shape, (4, 4))
    store = ZarrStore.open(memory_url, SPEC, tiling, pyramid_min_side=3)
    assert store.path is None and store.location == memory_url
    engine, job = NumpyReferenceEngine(), Job(SPEC)
    render_into(job, engine, store)
    store.finalize()
    again = ZarrStore.load(memory_url)
    assert again.complete and again.uid == store.uid
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(again.read(), name), array), name
        assert same_bytes(getattr(again.read(level=1), name), array[::2, ::2]), name
    # a damaged record object is skipped with its reason and its chunk counts as not done
    fs = fsspec.filesystem("memory")
    record = f"/{memory_url.removeprefix('memory://')}/manifest/0.1.2.json"
    fs.pipe_file(record, b"{not json")
    fs.pipe_file(record.replace("0.1.2", "0.9.9"), fs.cat_file(record.replace("0.1.2", "0.0.0")))
    damaged = ZarrStore.open(memory_url, SPEC, tiling)
    assert not damaged.done()[1, 2] and damaged.done().sum() == 8
    assert len(damaged.skipped_records) == 2
    assert "object 0.1.2.json is not a chunk record" in damaged.skipped_records[0]
    assert "0.9.9.json holds the record of chunk (0, 0, 0)" in damaged.skipped_records[1]
    render_into(job, engine, damaged)  # recomputes the chunk; the bad objects go
    assert not fs.exists(record.replace("0.1.2", "0.9.9"))
    assert ZarrStore.load(memory_url).done().all()
    # a corrupt chunk is found and dropped there too
    fs.pipe_file(f"/{memory_url.removeprefix('memory://')}/delta/0/c/0/0", b"garbage")
    failures = ZarrStore.load(memory_url, mode="r+").verify()
    assert [f.key for f in failures] == [(0, 0, 0)]
    assert not fs.exists(record.replace("0.1.2", "0.0.0"))
