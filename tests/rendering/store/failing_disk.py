"""A disk that fails: Zarr's local store raises an OSError once some chunks are written.

``fail_chunk_writes(after, code)`` patches :meth:`zarr.storage.LocalStore.set` in this process
so that the chunk writes after the first ``after`` raise ``OSError(code)`` (errno.ENOSPC: a
full disk; errno.EACCES: permission denied), as the file system would; metadata writes are
untouched. Imported as a Dask worker's ``--preload`` with ``ATTNDYN_FAIL_AFTER`` and
``ATTNDYN_FAIL_ERRNO`` in its environment, it does the same in that worker. Nothing is
mounted, so it runs anywhere and as any user.
"""

from __future__ import annotations

import os

from zarr.storage import LocalStore

_original_set = LocalStore.set


def fail_chunk_writes(after: int, code: int) -> None:
    written = 0

    async def set_or_fail(self, key, value):
        nonlocal written
        if "/c/" in key:  # a chunk of some array (zarr v3's default chunk key encoding)
            if written >= after:
                raise OSError(code, os.strerror(code), os.path.join(str(self.root), key))
            written += 1
        return await _original_set(self, key, value)

    LocalStore.set = set_or_fail


def restore() -> None:
    LocalStore.set = _original_set


if "ATTNDYN_FAIL_ERRNO" in os.environ:  # a Dask worker's --preload
    fail_chunk_writes(
        int(os.environ.get("ATTNDYN_FAIL_AFTER", "0")), int(os.environ["ATTNDYN_FAIL_ERRNO"])
    )
