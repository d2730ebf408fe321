"""The lock of a store at a URL: created only if absent, renewed, taken over once stale.

On fsspec's in-memory file system (an object store's semantics, in this process); the S3
version runs against moto's server in tests/store/test_object_stores.py."""

import json
import os
import time

import pytest

from attndyn import UserError
from attndyn.rendering.store.lock import store_lock
from attndyn.rendering.store.object_lock import ObjectStoreLock

fsspec = pytest.importorskip("fsspec")


@pytest.fixture
def url(request):
    name = f"memory://locks-{request.node.name}/poster.zarr"
    yield name
    fs = fsspec.filesystem("memory")
    if fs.exists(f"/locks-{request.node.name}"):
        fs.rm(f"/locks-{request.node.name}", recursive=True)


def lock_object(url):
    fs, root = fsspec.core.url_to_fs(url)
    return fs, root + ".lock"


def test_a_second_client_is_refused_naming_the_holder(url):
    with ObjectStoreLock(url):
        fs, key = lock_object(url)
        held = json.loads(fs.cat_file(key))
        assert held["pid"] == os.getpid() and held["token"]
        with pytest.raises(UserError, match=rf"is in use by a render: pid {os.getpid()} on "):
            ObjectStoreLock(url).acquire()
        with pytest.raises(UserError, match="is in use"):
            with store_lock(url):
                pass
    assert not fs.exists(key)  # released: the object is gone
    with ObjectStoreLock(url):  # and the store is free again
        pass


def test_a_lock_not_renewed_within_the_lease_is_taken_over(url):
    fs, key = lock_object(url)
    dead = {"host": "elsewhere", "pid": 1, "since": "2026-01-01T00:00:00Z", "token": "old"}
    fs.pipe_file(key, json.dumps(dead | {"renewed": time.time() - 61}).encode())
    with ObjectStoreLock(url, lease=60) as lock:
        assert json.loads(fs.cat_file(key))["token"] == lock._token != "old"
    fs.pipe_file(key, json.dumps(dead | {"renewed": time.time() - 5}).encode())
    with pytest.raises(UserError, match="pid 1 on elsewhere since 2026-01-01T00:00:00Z"):
        ObjectStoreLock(url, lease=60).acquire()


def test_the_holder_renews_its_lock_and_stops_when_taken_over(url):
    fs, key = lock_object(url)
    with ObjectStoreLock(url, lease=0.4) as lock:
        first = json.loads(fs.cat_file(key))["renewed"]
        deadline = time.monotonic() + 5
        while json.loads(fs.cat_file(key))["renewed"] == first:
            assert time.monotonic() < deadline, "never renewed"
            time.sleep(0.05)
        # Stalled past the lease and taken over: the old holder neither renews nor removes it.
        fs.pipe_file(key, json.dumps({"token": "new", "renewed": time.time() + 100}).encode())
        time.sleep(0.3)
        assert json.loads(fs.cat_file(key))["token"] == "new"
        assert lock.held
    assert json.loads(fs.cat_file(key))["token"] == "new"
