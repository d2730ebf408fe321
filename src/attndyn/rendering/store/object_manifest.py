"""The done manifest of a store on an object store: one object per finished chunk.

Objects cannot be appended to, so the JSON-lines file of :mod:`attndyn.rendering.store.manifest`
becomes a folder ``OUT.zarr/manifest/`` with one object ``L.I.J.json`` per :class:`ChunkRecord` (the
same JSON as a manifest line). Writing an object is atomic on object stores: a record is there
whole or not at all, and a chunk's record can be written once only in its own name, so two
writers never leave two records of one chunk. The interface is :class:`Manifest`'s: ``load``,
``append``, ``rewrite``, ``close`` and ``skipped``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from attndyn.rendering.store.manifest import ChunkKey, ChunkRecord, _outside

FOLDER = "manifest"


class ObjectManifest:
    """The records of a store at ``root`` in the fsspec file system ``fs``."""

    def __init__(self, fs: Any, root: str) -> None:
        self.fs = fs
        self.folder = f"{root}/{FOLDER}"
        self.skipped: list[str] = []
        self._bad: list[str] = []  # objects skipped, removed at the next append

    def _name(self, key: ChunkKey) -> str:
        level, i, j = key
        return f"{self.folder}/{level}.{i}.{j}.json"

    def load(self, grids: Sequence[tuple[int, int]] | None = None) -> dict[ChunkKey, ChunkRecord]:
        """Every record; an object that is not the record its name says, or one outside
        ``grids`` (the chunk counts of each level), is skipped with a reason in
        :attr:`skipped`."""
        self.skipped, self._bad = [], []
        try:
            names = sorted(self.fs.find(self.folder))
        except FileNotFoundError:
            return {}
        contents = self.fs.cat(names) if names else {}
        records: dict[ChunkKey, ChunkRecord] = {}
        for name in names:
            short = name.rsplit("/", 1)[-1]
            data = contents.get(name)
            try:
                if isinstance(data, Exception):
                    raise ValueError(f"cannot be read: {data}")
                record = ChunkRecord.from_json(bytes(data).decode("utf-8"))
            except (ValueError, KeyError, TypeError) as error:
                self.skipped.append(f"object {short} is not a chunk record ({error})")
                self._bad.append(name)
                continue
            if self._name(record.key).rsplit("/", 1)[-1] != short:
                self.skipped.append(f"object {short} holds the record of chunk {record.key}")
                self._bad.append(name)
                continue
            outside = _outside(record, grids)
            if outside:
                self.skipped.append(f"object {short} {outside}")
                self._bad.append(name)
                continue
            records[record.key] = record
        return records

    def append(self, record: ChunkRecord) -> None:
        """Add one record (an atomic put of its object)."""
        if self._bad:
            self.fs.rm(self._bad)
            self._bad = []
        self.fs.pipe_file(self._name(record.key), (record.to_json() + "\n").encode("utf-8"))

    def rewrite(self, records: Iterable[ChunkRecord]) -> None:
        """Keep exactly ``records``: remove every other record object, and write those whose
        object is missing or differs (after a verify, only removals: no object is rewritten)."""
        keep = {self._name(record.key): record for record in records}
        try:
            present = set(self.fs.find(self.folder))
        except FileNotFoundError:
            present = set()
        gone = sorted(present - set(keep))
        if gone:
            self.fs.rm(gone)
        kept = sorted(present & set(keep))
        stored = self.fs.cat(kept) if kept else {}
        for name, record in keep.items():
            data = (record.to_json() + "\n").encode("utf-8")
            if stored.get(name) != data:
                self.fs.pipe_file(name, data)
        self.skipped, self._bad = [], []

    def close(self) -> None:
        """Nothing is held open."""
