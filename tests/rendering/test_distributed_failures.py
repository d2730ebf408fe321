"""Every failure around a store render in one line, and nothing lost: a lost scheduler, a
worker lost beyond the retries, no workers left, permission denied on the workers, a full
disk, and a second client on the same store. After each, every chunk recorded before is
intact, and running the render again computes exactly the chunks that are missing.

The scheduler and workers are started here on 127.0.0.1 (free ports), every wait is bounded,
and everything started is stopped by its process id. The failing disk is a fake
(tests/rendering/store/failing_disk.py): Zarr's writes raise the OSError a full disk or a
denied write raises, in this process or in a worker that preloads it.
"""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from attndyn import UserError, render_landscape
from attndyn.cli.main import main

from helpers import SlowEngine, appendix_b, logged_tiles, manifest_lines, same_bytes

pytest.importorskip("zarr")
pytest.importorskip("distributed")
from attndyn.rendering.distributed import RenderFailed, dask_client, render_store
from attndyn.rendering.store.zarr_store import ZarrStore

from local_servers import CHILD_ENV, DaskCluster, stop_process, wait_until

ROOT = Path(__file__).resolve().parents[2]
FAILING_DISK = ROOT / "tests" / "rendering" / "store" / "failing_disk.py"
SPEC = appendix_b(1679700, width=16, height=12, steps=20, n_points=6)
CHUNK = 4  # 3 x 4 chunks
PICTURE = ["render", "--preset", "art1679700", "--size", "16x12", "--steps", "20", "--points",
           "6", "--engine", "numpy", "--chunk", "4"]  # fmt: skip


@pytest.fixture(scope="module")
def reference():
    return render_landscape(SPEC, "numpy").fields


def intact_and_resumable(path: Path, reference, log: Path) -> None:
    """Every chunk the manifest records matches its checksum, and a rerun (in this process)
    computes exactly the others and gives the in-memory render's fields."""
    store = ZarrStore.load(path)
    assert store.verify() == []
    done = {(t.row0, t.col0) for t in store.tiling if store.done()[store.tiling.index(t)]}
    assert len(done) < len(store.tiling)
    again = render_store(SPEC, path, chunk=CHUNK, engine=SlowEngine(log=str(log)))
    assert again.resumed == len(done) and not again.corrupt
    assert sorted(logged_tiles(log)) == sorted(
        (t.row0, t.col0) for t in store.tiling if (t.row0, t.col0) not in done
    )
    fields = again.store.read()
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(fields, name), array), name


FAILURES = {
    # what fails: (workers, their env, worker args, what the test kills, the line's words)
    "scheduler": (1, {}, [], "scheduler", "lost the connection to the Dask scheduler at {address}"),
    "worker": (2, {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}, [], "a worker",
               "on the Dask cluster failed: every Dask worker that ran it died (KilledWorker"),
    "last worker": (1, {}, [], "a worker",
                    "no Dask worker was connected to the scheduler at {address} for 2 s"),
    "permission": (1, {"ATTNDYN_FAIL_AFTER": "6", "ATTNDYN_FAIL_ERRNO": str(errno.EACCES)},
                   ["--preload", str(FAILING_DISK)], None,
                   "on the Dask cluster failed writing '{path}/"),
}  # fmt: skip


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failure_on_the_cluster_is_one_line_and_the_store_resumes(tmp_path, reference, failure):
    workers, env, worker_args, victim, words = FAILURES[failure]
    path = tmp_path / "s.zarr"
    cluster = DaskCluster(tmp_path, workers, env, worker_args)
    try:
        with dask_client(scheduler=cluster.address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)

            def kill():
                wait_until(lambda: manifest_lines(path) >= 2, 60, "two chunks")
                target = cluster.scheduler if victim == "scheduler" else cluster.workers[0]
                os.kill(target.pid, signal.SIGKILL)

            killer = threading.Thread(target=kill, daemon=True) if victim else None
            if killer is not None:
                killer.start()
            started = time.monotonic()
            with pytest.raises(RenderFailed) as failed:
                render_store(SPEC, path, client, chunk=CHUNK, engine=SlowEngine(0.3),
                             no_worker_seconds=2)  # fmt: skip
            assert time.monotonic() - started < 30
            if killer is not None:
                killer.join(timeout=5)
    finally:
        cluster.stop()
    line = str(failed.value)
    assert "\n" not in line
    assert words.format(address=cluster.address, path=path.resolve()) in line, line
    if failure == "permission":
        assert line.endswith(
            f": permission denied (OSError errno 13); the store {str(path)!r} keeps the "
            f"{failed.value.done} of 12 chunks finished so far: fix that and run the same "
            "command again to resume it"
        ), line
    intact_and_resumable(path, reference, tmp_path / "rerun")


def test_a_full_disk_on_the_command_line_is_one_line_exit_1_and_resumes(tmp_path, capsys):
    from rendering.store.failing_disk import fail_chunk_writes, restore

    picture = [*PICTURE, "--store", str(tmp_path / "s.zarr")]
    fail_chunk_writes(after=10, code=errno.ENOSPC)
    try:
        assert main(picture) == 1
    finally:
        restore()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("attndyn: error: chunk ("), err
    assert "the disk is full (OSError errno 28)" in err and "run the same command again" in err
    store = ZarrStore.load(tmp_path / "s.zarr")
    done = int(store.done().sum())
    assert 0 < done < 12 and store.verify() == []
    assert f"keeps the {done} of 12 chunks" in err
    assert main([*picture, "--save", str(tmp_path / "s.npz")]) == 0
    assert f"{12 - done} of 12 chunks computed ({done} done before)" in capsys.readouterr().err
    expected = render_landscape(store.spec, "numpy").fields
    import numpy as np

    with np.load(tmp_path / "s.npz") as saved:
        for name, array in expected.arrays().items():
            assert same_bytes(saved[name], array), name


RACE = """
import sys, time
from pathlib import Path
from helpers import SlowEngine, appendix_b
from attndyn import UserError
from attndyn.rendering.distributed import render_store
path, log, go = sys.argv[1:4]
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.01)
try:
    render_store(appendix_b(1679700, width=16, height=12, steps=20, n_points=6), path, chunk=4,
                 engine=SlowEngine(0.2, log))
    print("rendered")
except UserError as error:
    print(error)
"""


def test_two_clients_on_one_store_never_compute_a_chunk_twice(tmp_path, reference):
    path, go = tmp_path / "s.zarr", tmp_path / "go"
    logs = [tmp_path / "first", tmp_path / "second"]
    clients = [
        subprocess.Popen([sys.executable, "-c", RACE, str(path), str(log), str(go)],
                         env=CHILD_ENV, stdout=subprocess.PIPE, text=True)
        for log in logs
    ]  # fmt: skip
    try:
        assert [client.stdout.readline().strip() for client in clients] == ["ready"] * 2
        go.touch()  # both are at the start line
        outputs = [client.communicate(timeout=60)[0].strip() for client in clients]
    finally:
        for client in clients:
            stop_process(client, 10)
    winner = outputs.index("rendered")
    loser = 1 - winner
    assert outputs[loser].startswith(f"store {str(path)!r} is in use by a render: pid "
                                     f"{clients[winner].pid} on ")  # fmt: skip
    assert logged_tiles(logs[loser]) == []
    computed = logged_tiles(logs[winner])
    assert len(computed) == len(set(computed)) == 12
    assert manifest_lines(path) == 12
    store = ZarrStore.load(path)
    assert store.complete and not (tmp_path / "s.zarr.lock").exists()
    for name, array in reference.arrays().items():
        assert same_bytes(getattr(store.read(), name), array), name


def test_a_bad_manifest_record_is_skipped_with_a_warning_and_its_chunk_recomputed(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    picture = [*PICTURE, "--store", str(store)]
    assert main([*picture, "-q"]) == 0
    lines = (store / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 12
    broken = json.loads(lines[5])
    lines[5] = json.dumps({**broken, "chunk": [7, 0]})  # outside the 3 x 4 chunks
    (store / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    assert main(picture) == 0
    err = capsys.readouterr().err
    i, j = broken["chunk"]
    assert (
        f"attndyn: warning: store {str(store)!r}: manifest line 6 names chunk (7, 0) at level "
        "0, outside its 3 x 4 chunks; skipped, its chunk recomputed"
    ) in err
    assert "1 of 12 chunks computed (11 done before)" in err
    records = [json.loads(line) for line in (store / "manifest.jsonl").read_text().splitlines()]
    assert sorted(tuple(r["chunk"]) for r in records) == [
        (a, b) for a in range(3) for b in range(4)
    ]
    assert next(r for r in records if r["chunk"] == [i, j])["sha256"] == broken["sha256"]


def test_a_second_render_is_refused_while_the_first_holds_the_store(tmp_path):
    path = tmp_path / "s.zarr"
    from attndyn.rendering.store.lock import StoreLock

    with StoreLock(path):
        with pytest.raises(UserError, match=f"is in use by a render: pid {os.getpid()} on "):
            render_store(SPEC, path, chunk=CHUNK, engine=SlowEngine())
    assert not path.exists()  # refused before the store was made


def test_a_full_disk_under_the_manifest_is_one_line_and_the_records_before_stay(
    tmp_path, reference, monkeypatch
):
    import attndyn.rendering.store.manifest

    path = tmp_path / "s.zarr"
    synced = []

    class DiskFillsUp(types.ModuleType):  # the manifest's os, whose sixth fsync finds no space
        def __getattr__(self, name):
            return getattr(os, name)

        def fsync(self, fd):
            if len(synced) == 5:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            synced.append(fd)
            os.fsync(fd)

    monkeypatch.setattr(attndyn.rendering.store.manifest, "os", DiskFillsUp("os"))
    with pytest.raises(RenderFailed) as failed:
        render_store(SPEC, path, chunk=CHUNK, engine=SlowEngine())
    monkeypatch.undo()
    assert str(failed.value).startswith("the manifest of chunk (1, 1) failed: the disk is full")
    assert failed.value.done == 5
    intact_and_resumable(path, reference, tmp_path / "rerun")


def test_a_store_the_workers_cannot_reach_is_named_in_one_line(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    import attndyn.rendering.chunk_tasks

    def elsewhere(path, uid):  # a worker on a machine where the store's path is not mounted
        return ZarrStore.load(str(tmp_path / "not-mounted-here" / Path(path).name))

    monkeypatch.setattr(attndyn.rendering.chunk_tasks, "_store_in_this_process", elsewhere)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
        as cluster,
        Client(cluster, set_as_default=False) as client,
    ):  # fmt: skip
        with pytest.raises(RenderFailed) as failed:
            render_store(SPEC, tmp_path / "s.zarr", client, chunk=CHUNK, engine=SlowEngine())
    line = str(failed.value)
    assert re.match(r"chunk \(\d, \d\) on the Dask cluster failed on a Dask worker: ", line)
    assert line.split(" failed on a Dask worker: ")[1].startswith(
        f"store '{tmp_path}/not-mounted-here/s.zarr' does not exist; every worker must reach "
        "the store at the same path as this client"
    )
    assert failed.value.done == 0
