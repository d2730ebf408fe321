"""The lock of a store: one render at a time computes a store's chunks and keeps its manifest.

Two clients rendering into one store would compute the same chunks twice and write the
manifest twice (and race to create it). So a render holds the store's lock, the file
``OUT.zarr.lock`` beside the store, from before the store is opened until it ends. The lock is
an exclusive ``flock`` on that file, which the operating system drops when the holder dies in
any way (kill -9 included): a lock left by a dead process is simply taken by the next render.
On NFS, Linux maps ``flock`` to the file system's byte-range locks, so clients on several
machines sharing the store see each other's locks.

While it holds the lock, the holder writes who it is into the file (host, pid, since when), so
that a second client is refused in one line that names the holder and says how to proceed. The
holder removes the file when it lets go; a file whose lock nobody holds is one a dead process
left, and is reused.

A store that is not a local path (an fsspec URL such as ``s3://``) has no file to lock:
:func:`store_lock` takes :mod:`attndyn.rendering.store.object_lock`'s lock object instead.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from attndyn.model.errors import UserError

if TYPE_CHECKING:
    from attndyn.rendering.store.object_lock import ObjectStoreLock

__all__ = ["LOCK_SUFFIX", "LockHolder", "StoreLock", "is_local", "lock_path", "store_lock"]

LOCK_SUFFIX = ".lock"
_ATTEMPTS = 5  # the file can be replaced between opening and locking it; try again that often
# A client refused by a holder that has locked the file but not yet written who it is reads
# the file again, this often and this long apart (0.5 s in all), before naming no one.
_HOLDER_WAITS = 20
_HOLDER_WAIT_SECONDS = 0.025


@dataclass(frozen=True)
class LockHolder:
    """Who holds a store's lock: the host and process id of its render, and since when (UTC,
    ISO 8601)."""

    host: str
    pid: int
    since: str

    @classmethod
    def this_process(cls) -> LockHolder:
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        return cls(socket.gethostname(), os.getpid(), now.isoformat().replace("+00:00", "Z"))

    def to_json(self) -> str:
        return json.dumps({"host": self.host, "pid": self.pid, "since": self.since})

    @classmethod
    def from_text(cls, text: str) -> LockHolder | None:
        """The holder written in a lock file, or None if the text is not one (yet)."""
        try:
            data = json.loads(text)
            return cls(str(data["host"]), int(data["pid"]), str(data["since"]))
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        here = " (this machine)" if self.host == socket.gethostname() else ""
        return f"pid {self.pid} on {self.host}{here} since {self.since}"


def lock_path(store: str | Path) -> Path:
    """The lock file of the store at ``store``: ``OUT.zarr.lock`` beside ``OUT.zarr``."""
    path = Path(store)
    return path.with_name(path.name + LOCK_SUFFIX)


class StoreLock:
    """The exclusive lock of the store at ``store`` (see the module docstring).

    ``acquire`` takes it or raises a :class:`~attndyn.model.errors.UserError` naming the holder;
    ``release`` lets it go and removes the lock file. Also a context manager.
    """

    def __init__(self, store: str | Path) -> None:
        self.store = Path(store)
        self.path = lock_path(self.store)
        self._fd: int | None = None
        self.holder: LockHolder | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"the lock {str(self.path)!r} is already held by this object")
        for _ in range(_ATTEMPTS):
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                holder = _read_holder(fd)
                for _ in range(_HOLDER_WAITS):  # it writes who it is just after locking
                    if holder is not None:
                        break
                    time.sleep(_HOLDER_WAIT_SECONDS)
                    holder = _read_holder(fd)
                os.close(fd)
                if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise UserError(self._busy(holder)) from None
                raise UserError(
                    f"cannot lock store {str(self.store)!r} ({error.strerror or error}): its "
                    "file system has no file locks; put the store on one that has (a local "
                    "disk or NFS)"
                ) from None
            if _same_file(fd, self.path):  # not removed by its last holder meanwhile
                self._fd = fd
                self.holder = LockHolder.this_process()
                _write_holder(fd, self.holder)
                return
            os.close(fd)
        raise UserError(
            f"could not lock store {str(self.store)!r}: its lock file {str(self.path)!r} kept "
            "changing; is another render starting on it? Try again"
        )

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # while still held, so no one locks a file that is going
        os.close(self._fd)  # closing the last descriptor drops the lock
        self._fd = None
        self.holder = None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise UserError(
                f"cannot make the lock file {str(self.path)!r} of store {str(self.store)!r}: "
                f"{error.strerror or error}; the store's directory must be writable"
            ) from None

    def _busy(self, holder: LockHolder | None) -> str:
        who = holder.describe() if holder is not None else "another process (starting up)"
        return (
            f"store {str(self.store)!r} is in use by a render: {who}; wait for it to finish "
            "(or stop it), then run this command again to resume the store; it is free as soon "
            "as that process ends, even if it is killed"
        )


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read_holder(fd: int) -> LockHolder | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return LockHolder.from_text(os.read(fd, 4096).decode("utf-8", "replace"))
    except OSError:
        return None


def _write_holder(fd: int, holder: LockHolder) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, holder.to_json().encode("utf-8") + b"\n", 0)
    with contextlib.suppress(OSError):
        os.fsync(fd)


def is_local(location: str | Path) -> bool:
    """Whether ``location`` is a path on this machine's file systems (no URL scheme other than
    ``file://``)."""
    text = str(location)
    return "://" not in text or text.startswith("file://")


@contextlib.contextmanager
def store_lock(location: str | Path) -> Iterator[StoreLock | ObjectStoreLock]:
    """Hold the lock of the store at ``location`` for the ``with`` block: this file lock for
    a local path or a ``file://`` URL, :class:`attndyn.rendering.store.object_lock.ObjectStoreLock`
    (an object created only if absent, renewed while held) for any other URL."""
    text = str(location)
    if not is_local(text):
        from attndyn.rendering.store.object_lock import ObjectStoreLock

        with ObjectStoreLock(text) as object_lock:
            yield object_lock
        return
    path = Path(text[len("file://") :] if text.startswith("file://") else text)
    with StoreLock(path) as lock:
        yield lock
