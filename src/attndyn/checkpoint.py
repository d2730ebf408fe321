"""Resumable renders: finished rows kept on disk while a picture is computed.

A checkpoint is an ``.npz`` holding the spec JSON, the fields computed so far and a per-row
``done`` mask. It is rewritten atomically every few seconds and when a render is
interrupted. A later render of the *same* spec (compared as JSON, which includes the x0
sha256) picks up the finished rows; a checkpoint of another spec is ignored and replaced.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np

from attndyn.fields import Fields
from attndyn.outputs import save_npz
from attndyn.spec import LandscapeSpec


class Checkpoint:
    """Fields under construction plus the rows already finished."""

    def __init__(
        self,
        spec: LandscapeSpec,
        path: str | Path | None = None,
        *,
        save_every_seconds: float = 10.0,
    ) -> None:
        self.spec = spec
        self.path = Path(path) if path is not None else None
        self.save_every_seconds = save_every_seconds
        self.fields = Fields.empty(*spec.shape, probability=spec.samples > 1)
        self.rows_done = np.zeros(spec.shape[0], dtype=bool)
        self._last_save = time.monotonic()
        self.resumed_rows = 0
        if self.path is not None and self.path.exists():
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["spec"]) != self.spec.to_json():
                    return
                arrays = {name: data[name] for name in data.files if name != "spec"}
        except (OSError, ValueError, KeyError):
            return  # unreadable or foreign: start afresh, it will be overwritten
        rows_done = arrays.pop("rows_done", None)
        if rows_done is None or rows_done.shape != (self.spec.shape[0],):
            return
        expected = self.fields.arrays()
        for name, array in arrays.items():
            if name not in expected or array.shape != expected[name].shape:
                return
        for name in expected:
            setattr(self.fields, name, arrays[name] if name in arrays else None)
        self.rows_done = rows_done.astype(bool)
        self.resumed_rows = int(self.rows_done.sum())

    def record(self, rows: slice, cols: slice, tile_fields: Fields) -> None:
        """Store a tile's fields; its rows count as done when the tile spans the full width."""
        self.fields.put(rows, cols, tile_fields)
        if cols.start == 0 and cols.stop == self.spec.shape[1]:
            self.rows_done[rows] = True
        if time.monotonic() - self._last_save >= self.save_every_seconds:
            self.save()

    def save(self) -> None:
        if self.path is None:
            return
        save_npz(
            self.path,
            compress=False,  # speed matters more than size for a file that lives minutes
            spec=np.array(self.spec.to_json()),
            rows_done=self.rows_done,
            **self.fields.arrays(),
        )
        self._last_save = time.monotonic()

    def remove(self) -> None:
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
