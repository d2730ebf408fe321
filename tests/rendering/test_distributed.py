"""Rendering into a Zarr store in-process and on Dask: resume after kills, checksums.

Servers here are started by the tests themselves on 127.0.0.1 (free ports), every wait is
bounded, and everything started is stopped by its process id.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from attndyn import UserError, render_landscape

from helpers import SlowEngine, appendix_b, logged_tiles, manifest_lines, same_bytes

pytest.importorskip("zarr")
distributed = pytest.importorskip("distributed")
from attndyn.rendering.distributed import (  # noqa: E402
    chunk_tiling,
    dask_client,
    engine_threads_by_worker,
    render_store,
)
from attndyn.rendering.store.zarr_store import ZarrStore  # noqa: E402

from local_servers import CHILD_ENV, DaskCluster, free_port, stop_process, wait_until  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPEC = appendix_b(1679700, width=16, height=12, steps=20, n_points=6)
CHUNK = 4  # 3 x 4 chunks


@pytest.fixture(scope="module")
def reference():
    return render_landscape(SPEC, "numpy").fields


def assert_same_fields(store, reference):
    fields = store.read()
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(fields, name), array), name


def test_in_process_render_equals_the_in_memory_render_and_a_rerun_computes_nothing(
    tmp_path, reference
):
    log = tmp_path / "calls"
    done = render_store(SPEC, tmp_path / "s.zarr", chunk=CHUNK, engine=SlowEngine(log=str(log)),
                        pyramid_min_side=4)  # fmt: skip
    assert done.computed == 12 and done.resumed == 0 and done.store.complete
    assert sorted(logged_tiles(log)) == sorted((t.row0, t.col0) for t in done.store.tiling)
    assert_same_fields(done.store, reference)
    log.unlink()
    again = render_store(SPEC, tmp_path / "s.zarr", chunk=CHUNK, engine=SlowEngine(log=str(log)))
    assert again.computed == 0 and again.resumed == 12 and logged_tiles(log) == []


def test_a_local_cluster_in_this_process_with_the_numba_engine(tmp_path):
    from distributed import Client, LocalCluster

    expected = render_landscape(SPEC, "numba").fields
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=False,  # in-process transport: no network at all
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        threads = engine_threads_by_worker(client)
        assert set(threads.values()) == {max(1, (os.cpu_count() or 1) // 2)}
        done = render_store(SPEC, tmp_path / "s.zarr", client, chunk=CHUNK, engine="numba")
    assert done.computed == 12 and done.where.startswith("Dask cluster inproc://")
    assert_same_fields(done.store, expected)


def test_kill_9_of_the_client_then_a_rerun_computes_only_the_missing_chunks(tmp_path, reference):
    path, first_log, second_log = tmp_path / "s.zarr", tmp_path / "first", tmp_path / "second"
    script = (
        "from helpers import SlowEngine, appendix_b\n"
        "from attndyn.rendering.distributed import render_store\n"
        "spec = appendix_b(1679700, width=16, height=12, steps=20, n_points=6)\n"
        f"render_store(spec, {str(path)!r}, chunk={CHUNK}, "
        f"engine=SlowEngine(0.25, {str(first_log)!r}))\n"
    )
    client = subprocess.Popen([sys.executable, "-c", script], env=CHILD_ENV, cwd=tmp_path)
    try:
        wait_until(lambda: manifest_lines(path) >= 4, 60, "four finished chunks")
        os.kill(client.pid, signal.SIGKILL)
        client.wait(timeout=10)
    finally:
        stop_process(client, 10)
    before = ZarrStore.load(path)
    done_before = {(t.row0, t.col0) for t in before.tiling if before.done()[before.tiling.index(t)]}
    assert 4 <= len(done_before) < 12

    again = render_store(SPEC, path, chunk=CHUNK, engine=SlowEngine(log=str(second_log)))
    recomputed = logged_tiles(second_log)
    assert len(recomputed) == len(set(recomputed)) == 12 - len(done_before)
    assert not set(recomputed) & done_before  # no finished chunk computed again
    assert again.resumed == len(done_before) and again.computed == len(recomputed)
    assert_same_fields(again.store, reference)


@pytest.mark.parametrize("damage", ["garbage", "deleted"])
def test_a_corrupt_chunk_is_found_by_its_checksum_and_recomputed(tmp_path, reference, damage):
    path, log = tmp_path / "s.zarr", tmp_path / "calls"
    render_store(SPEC, path, chunk=CHUNK, engine=SlowEngine())
    chunk_file = path / "sync_step" / "0" / "c" / "2" / "1"
    if damage == "garbage":
        chunk_file.write_bytes(b"\x28\xb5\x2f\xfd broken")
    else:
        chunk_file.unlink()
    again = render_store(SPEC, path, chunk=CHUNK, engine=SlowEngine(log=str(log)))
    assert [failure.key for failure in again.corrupt] == [(0, 2, 1)]
    assert logged_tiles(log) == [(8, 4)] and again.computed == 1
    assert_same_fields(again.store, reference)


def test_a_real_scheduler_and_two_workers_survive_a_worker_killed_mid_render(tmp_path, reference):
    from distributed import Client

    cluster = DaskCluster(tmp_path, 2, worker_args=["--memory-limit", "0"], death_timeout=60)
    try:
        address = cluster.address
        assert address.startswith("tcp://127.0.0.1:")
        victim = cluster.workers[0]
        path = tmp_path / "s.zarr"
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)

            def kill_a_worker():
                try:
                    wait_until(lambda: manifest_lines(path) >= 2, 60, "two chunks")
                finally:
                    os.kill(victim.pid, signal.SIGKILL)

            killer = threading.Thread(target=kill_a_worker, daemon=True)
            killer.start()
            done = render_store(SPEC, path, client, chunk=CHUNK, engine=SlowEngine(0.4))
            killer.join(timeout=70)
        assert victim.wait(timeout=10) == -signal.SIGKILL
        assert done.computed == 12 and done.store.complete
        assert_same_fields(done.store, reference)
    finally:
        cluster.stop()


def test_where_to_run_is_checked_in_one_line():
    with pytest.raises(UserError, match="is not a Dask scheduler address"):
        with dask_client(scheduler="localhost:8786"):
            pass
    with pytest.raises(UserError, match="must be an integer >= 1"):
        with dask_client(workers=0):
            pass
    with pytest.raises(UserError, match="give one"):
        with dask_client(workers=1, scheduler="tcp://127.0.0.1:1"):
            pass
    port = free_port()  # nothing listens there
    with pytest.raises(
        UserError, match=f"cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}'"
    ):
        with dask_client(scheduler=f"tcp://127.0.0.1:{port}", timeout=1):
            pass
    with dask_client() as client:
        assert client is None


def test_chunks_hold_whole_output_pixels():
    spec = appendix_b(1679700, width=10, height=10, supersample=3)
    assert chunk_tiling(spec, 2048).tile_shape == (30, 30)  # clipped to the 30 x 30 grid
    assert chunk_tiling(spec, 8).tile_shape == (6, 6)
    assert chunk_tiling(spec, 2).tile_shape == (3, 3)
    with pytest.raises(UserError):
        chunk_tiling(spec, 0)
    assert np.all(np.array(chunk_tiling(SPEC, 5).tile_shape) == 5)
