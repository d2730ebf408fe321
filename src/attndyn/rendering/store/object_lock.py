"""The lock of a store at an object-store URL: an object created only if absent, and renewed.

Object stores have no file locks, but they can create an object only if none is there
(S3's ``If-None-Match: *``, fsspec's ``pipe_file(..., mode="create")``): of two clients that
create ``OUT.zarr.lock`` at once, one gets it and the other is refused. The holder writes who
it is (host, pid, since, and a random token) and renews the object every
``lease / 4`` seconds from a background thread. A dead holder stops renewing: a lock not
renewed for ``lease`` seconds (:data:`LEASE_SECONDS`, by the renewing host's clock, so the
hosts' clocks must agree to well within it) is taken over by the next render, which deletes
it and creates its own, again only if absent.

The file-system lock (:class:`attndyn.rendering.store.lock.StoreLock`) is freed by the operating
system the moment its holder dies; this one only after ``lease`` seconds, which the refusal says.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from typing import Any

from attndyn.model.errors import UserError
from attndyn.rendering.store.locations import StoreLocation
from attndyn.rendering.store.lock import LOCK_SUFFIX, LockHolder

__all__ = ["LEASE_SECONDS", "ObjectStoreLock"]

LEASE_SECONDS = 60.0


class ObjectStoreLock:
    """The lock object ``<store>.lock`` of the store at URL ``location`` (see the module
    docstring); ``acquire``/``release``, or a context manager."""

    def __init__(self, location: str | StoreLocation, *, lease: float = LEASE_SECONDS) -> None:
        self.where = (
            location if isinstance(location, StoreLocation) else StoreLocation.parse(location)
        )
        self.fs, root = self.where.filesystem()
        self.key = root + LOCK_SUFFIX
        self.lease = lease
        self.holder: LockHolder | None = None
        self._token: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._token is not None

    def acquire(self) -> None:
        if self._token is not None:
            raise RuntimeError(f"the lock {self.key!r} is already held by this object")
        holder, token = LockHolder.this_process(), uuid.uuid4().hex
        for attempt in range(2):
            try:
                self.fs.pipe_file(self.key, self._content(holder, token), mode="create")
            except FileExistsError:
                current = self._read()
                if attempt == 0 and (current is None or self._expired(current)):
                    self._remove()  # a dead holder's lock (or one never written whole)
                    continue
                raise UserError(self._busy(current)) from None
            self.holder, self._token = holder, token
            self._stop.clear()
            self._renewer = threading.Thread(
                target=self._renew, name="attndyn-store-lock", daemon=True
            )
            self._renewer.start()
            return
        raise UserError(  # pragma: no cover - another client took it between our two tries
            f"could not lock store {self.where.given!r}: another render took its lock "
            "meanwhile; try again"
        )

    def release(self) -> None:
        if self._token is None:
            return
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=10)
        current = self._read()
        if current is not None and current.get("token") == self._token:
            self._remove()
        self._token, self.holder, self._renewer = None, None, None

    def __enter__(self) -> ObjectStoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- inside -------------------------------------------------------------------------------
    @staticmethod
    def _content(holder: LockHolder, token: str) -> bytes:
        data = json.loads(holder.to_json()) | {"token": token, "renewed": time.time()}
        return (json.dumps(data) + "\n").encode("utf-8")

    def _read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.fs.cat_file(self.key))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _remove(self) -> None:
        try:
            self.fs.rm(self.key)
        except FileNotFoundError:
            pass

    def _expired(self, data: dict[str, Any]) -> bool:
        try:
            return time.time() - float(data["renewed"]) > self.lease
        except (KeyError, TypeError, ValueError):
            return True

    def _renew(self) -> None:
        """Rewrite the lock object with a fresh time while it is still ours."""
        assert self.holder is not None and self._token is not None
        holder, token = self.holder, self._token
        while not self._stop.wait(self.lease / 4):
            current = self._read()
            if current is None or current.get("token") != token:
                return  # taken over after we stalled past the lease: nothing of ours to renew
            try:
                self.fs.pipe_file(self.key, self._content(holder, token))
            except Exception:  # a renewal missed; the next one may succeed
                continue

    def _busy(self, data: dict[str, Any] | None) -> str:
        holder = LockHolder.from_text(json.dumps(data)) if data is not None else None
        who = holder.describe() if holder is not None else "another render"
        here = socket.gethostname() == (holder.host if holder else None)
        alive = ""
        if here and holder is not None and not _pid_alive(holder.pid):
            alive = " (that process has ended: its lock is taken over once not renewed)"
        return (
            f"store {self.where.given!r} is in use by a render: {who}{alive}; wait for it to "
            "finish (or stop it), then run this command again to resume the store; a lock "
            f"its holder stops renewing is free {self.lease:.0f} s later"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
