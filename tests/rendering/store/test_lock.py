"""The store lock: a second holder is refused in one line naming the first; a dead holder's
lock is taken over; only file-system stores can be locked."""

import datetime
import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from attndyn import UserError
from attndyn.rendering.store.lock import StoreLock, lock_path, store_lock

from local_servers import stop_process

HOLD = """
import sys, time
from attndyn.rendering.store.lock import StoreLock
lock = StoreLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_process_is_refused_and_a_killed_holders_lock_is_taken_over(tmp_path):
    store = tmp_path / "s.zarr"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(store)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError) as refused:
            StoreLock(store).acquire()
        message = str(refused.value)
        assert "\n" not in message
        assert f"store {str(store)!r} is in use by a render: pid {holder.pid} " in message
        assert f"on {socket.gethostname()} (this machine) since " in message
        assert "run this command again to resume" in message
        since = message.split(" since ")[1].split(";")[0]
        taken = datetime.datetime.fromisoformat(since.replace("Z", "+00:00"))
        age = datetime.datetime.now(datetime.UTC) - taken
        assert datetime.timedelta(0) <= age < datetime.timedelta(seconds=60)

        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        assert lock_path(store).exists()  # what the killed process left
        with StoreLock(store) as lock:
            assert lock.held
            assert json.loads(lock_path(store).read_text())["pid"] == os.getpid()
        assert not lock_path(store).exists()
    finally:
        stop_process(holder)


def test_one_process_holds_a_store_once(tmp_path):
    with StoreLock(tmp_path / "s.zarr"):
        with pytest.raises(UserError, match=f"pid {os.getpid()} "):
            StoreLock(tmp_path / "s.zarr").acquire()
        StoreLock(tmp_path / "other.zarr").acquire()  # another store is free
    with StoreLock(tmp_path / "s.zarr"):
        pass


def test_a_path_gets_the_file_lock_and_a_url_the_object_lock(tmp_path):
    from attndyn.rendering.store.object_lock import ObjectStoreLock

    with store_lock("memory://locks/poster.zarr") as object_lock:  # tests/store/test_object_lock
        assert isinstance(object_lock, ObjectStoreLock) and object_lock.held
    with store_lock(f"file://{tmp_path}/s.zarr") as lock:
        assert lock.path == tmp_path / "s.zarr.lock" and lock.path.exists()
    with pytest.raises(UserError, match="cannot make the lock file"):
        StoreLock(tmp_path / "missing" / "s.zarr").acquire()


def test_a_holder_that_has_not_yet_written_who_it_is_is_named_once_it_has(tmp_path):
    # The holder locks the file and writes who it is just after; a client refused in between
    # reads again for a moment, so it names the holder rather than "another process".
    import fcntl
    import threading
    import time

    store = tmp_path / "s.zarr"
    path = lock_path(store)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # (this descriptor is the holder; the file is still empty)
    holder = {"host": "elsewhere", "pid": 4242, "since": "2026-12-06T17:00:00+00:00"}

    def write_later():
        time.sleep(0.1)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)

    writer = threading.Thread(target=write_later)
    writer.start()
    try:
        with pytest.raises(UserError, match="pid 4242 on elsewhere"):
            StoreLock(store).acquire()
    finally:
        writer.join(5)
        os.close(fd)
