"""The done manifest of a chunked store: which chunks hold their final values, with checksums.

A chunked store cannot tell a finished chunk from an unwritten one by looking at it: Zarr
does not write a chunk whose values all equal the fill value (an all-black tile of labels
reads back the same whether it was computed or not), and a crash can leave a chunk written
but not finished. So a chunk counts as done only once its :class:`ChunkRecord` is in the
manifest.

A record names the chunk (pyramid ``level``, chunk row ``i``, chunk column ``j``) and holds
one checksum per field: the sha256 of the field's values in that chunk (:func:`digest`:
dtype, shape, then the C-order bytes), computed from the arrays that were written, before
any encoding. Reading the chunk back and hashing it again detects a chunk file that was
lost, truncated, overwritten or damaged on disk.

The manifest file is JSON lines, one record a line, appended and fsync'ed by the one process
that collects the records (the client of a distributed render), so a kill -9 loses at most
the line being written; a torn last line is ignored when the file is read, and a later line
for the same chunk replaces an earlier one. :meth:`Manifest.rewrite` replaces the whole file
atomically (after dropping chunks that failed their checksum).

A bad line anywhere else (not a record, or the record of a chunk outside the store's grid) is
skipped with a reason in :attr:`Manifest.skipped`, so its chunk counts as not done and is
computed again; the first record appended afterwards rewrites the file without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from attndyn.model.outputs import atomic_file

ChunkKey = tuple[int, int, int]  # (level, i, j)


def digest(array: np.ndarray) -> str:
    """sha256 of an array's dtype, shape and C-order bytes (the checksum of one field)."""
    array = np.ascontiguousarray(array)
    hasher = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    hasher.update(memoryview(array).cast("B"))
    return hasher.hexdigest()


@dataclass(frozen=True)
class ChunkRecord:
    """A finished chunk: where it is and the :func:`digest` of each field's values there."""

    level: int
    i: int
    j: int
    sha256: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> ChunkKey:
        return self.level, self.i, self.j

    def to_json(self) -> str:
        return json.dumps(
            {"level": self.level, "chunk": [self.i, self.j], "sha256": self.sha256},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, line: str) -> ChunkRecord:
        """A record from one manifest line; ValueError (or KeyError, TypeError) if torn."""
        data = json.loads(line)
        i, j = data["chunk"]
        sha = data["sha256"]
        if not isinstance(sha, dict) or not all(isinstance(v, str) for v in sha.values()):
            raise ValueError("sha256 must map field names to hex digests")
        return cls(int(data["level"]), int(i), int(j), dict(sha))


def record_for(level: int, index: tuple[int, int], arrays: dict[str, np.ndarray]) -> ChunkRecord:
    """The record of chunk ``index`` at ``level`` holding ``arrays`` (field name -> values)."""
    return ChunkRecord(level, index[0], index[1], {n: digest(a) for n, a in arrays.items()})


class Manifest:
    """The JSON-lines file of :class:`ChunkRecord` at ``path`` (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stream: IO[str] | None = None
        self.skipped: list[str] = []
        self._loaded: dict[ChunkKey, ChunkRecord] = {}

    def load(self, grids: Sequence[tuple[int, int]] | None = None) -> dict[ChunkKey, ChunkRecord]:
        """Every record in the file, the last one for each chunk.

        ``grids``: the chunk counts (rows, columns) of each pyramid level; a record outside
        them is skipped. Bad lines are skipped, each with a reason in :attr:`skipped`, except
        a torn last line (what a kill mid-write leaves), which is skipped silently.
        """
        records: dict[ChunkKey, ChunkRecord] = {}
        self.skipped = []
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return records
        lines = text.splitlines()
        for number, line in enumerate(lines, 1):
            try:
                record = ChunkRecord.from_json(line)
            except (ValueError, KeyError, TypeError) as error:
                torn = number == len(lines) and not text.endswith("\n")
                if not torn and line.strip():
                    self.skipped.append(f"line {number} is not a chunk record ({error})")
                continue
            outside = _outside(record, grids)
            if outside:
                self.skipped.append(f"line {number} {outside}")
                continue
            records[record.key] = record
        self._loaded = dict(records)
        return records

    def append(self, record: ChunkRecord) -> None:
        """Add one record, durably (written, flushed and fsync'ed before returning)."""
        if self.skipped and self._stream is None:
            self.rewrite(self._loaded[key] for key in sorted(self._loaded))  # drop bad lines
        if self._stream is None:
            self._stream = open(self.path, "a", encoding="utf-8")
            # A torn last line (a crash mid-write) must not swallow the first new record.
            if self._stream.tell() > 0 and not self._ends_with_newline():
                self._stream.write("\n")
        self._stream.write(record.to_json() + "\n")
        self._stream.flush()
        os.fsync(self._stream.fileno())

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as file:
            file.seek(-1, os.SEEK_END)
            return file.read(1) == b"\n"

    def rewrite(self, records: Iterable[ChunkRecord]) -> None:
        """Replace the file atomically with exactly ``records``."""
        self.close()
        self.skipped = []
        text = "".join(record.to_json() + "\n" for record in records)
        with atomic_file(self.path) as stream:
            stream.write(text.encode("utf-8"))

    def close(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(OSError):
                self._stream.close()
            self._stream = None


def _outside(record: ChunkRecord, grids: Sequence[tuple[int, int]] | None) -> str | None:
    """Why ``record`` names no chunk of a store with chunk counts ``grids``; None if it does."""
    if grids is None:
        return None
    if not 0 <= record.level < len(grids):
        return f"names level {record.level}; the store has levels 0 to {len(grids) - 1}"
    rows, cols = grids[record.level]
    if not (0 <= record.i < rows and 0 <= record.j < cols):
        return (
            f"names chunk ({record.i}, {record.j}) at level {record.level}, outside its "
            f"{rows} x {cols} chunks"
        )
    return None
