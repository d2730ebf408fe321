"""Writing outputs safely: check up front, write to a temporary file, then rename.

A reader never sees a half-written file, and an interrupted or failed write leaves the
previous file (if any) untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from attndyn.model.errors import UserError


def check_writable(path: str | Path, *, suffix: str | None = None, what: str = "output") -> Path:
    """Refuse, before any work, an output path that cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{what} path {str(path)!r} is a directory; give a file name")
    if suffix is not None and path.suffix.lower() != suffix:
        raise UserError(f"{what} path {str(path)!r} must end in {suffix}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{what} directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{what} directory {str(parent)!r} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"{what} file {str(path)!r} exists and is not writable")
    return path


def ensure_directory(path: str | Path, *, what: str = "output directory") -> Path:
    """Create the directory ``path`` if missing; refuse a file or an uncreatable path."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{what} {str(path)!r} is a file; give a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {what} {str(path)!r}: {error.strerror}") from None
    return path


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success rename it to ``path``."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(stream)`` on a temporary file, then rename it to ``path``."""
    try:
        with atomic_file(path) as stream:
            write(stream)
    except OSError as error:
        raise UserError(f"cannot write {str(path)!r}: {error.strerror or error}") from None


def save_npz(path: str | Path, *, compress: bool = True, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` atomically, streaming into the temporary file (no copy in memory)."""
    save = np.savez_compressed if compress else np.savez
    write_atomic(path, lambda stream: save(stream, **arrays))
