"""Shared machinery of the experiments: the registry entry type, CSV writing, progress bars."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from attndyn.errors import FieldError
from attndyn.outputs import atomic_file

__all__ = ["Experiment", "bar", "checked_seed", "format_matrix", "write_csv"]

Runner = Callable[..., list[Path]]


def checked_seed(seed: Any) -> int:
    """The seed as an int >= 0 (numpy's generators refuse negative seeds); a FieldError
    naming ``seed`` otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise FieldError(lambda n: f"{n('seed')} {seed!r} is not an integer; give one >= 0")
    if seed < 0:
        raise FieldError(lambda n: f"{n('seed')} {seed} is negative; give an integer >= 0")
    return int(seed)


@dataclass(frozen=True)
class Experiment:
    """A reproducible experiment: ``run(out_dir, quick=, seed=, progress=)`` writes its files.

    ``runner`` is the module-level function doing the work; its module docstring states the
    mathematics and every parameter (see :attr:`description`).
    """

    name: str
    aliases: tuple[str, ...]
    summary: str
    runner: Runner

    def run(
        self, out_dir: Path, *, quick: bool = False, seed: int = 0, progress: bool = False
    ) -> list[Path]:
        """Run the experiment, writing ``NAME.csv``, ``NAME.png`` (and extras) into ``out_dir``."""
        seed = checked_seed(seed)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        return list(self.runner(out_dir, quick=quick, seed=seed, progress=progress))

    @property
    def description(self) -> str:
        """The docstring of the module that implements the experiment."""
        module = sys.modules.get(self.runner.__module__)
        return (module.__doc__ or "").strip() if module is not None else ""


def _cell(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV with a header row atomically; floats are written with full precision."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row has {len(row)} cells, header has {len(header)}")
        writer.writerow([_cell(value) for value in row])
    with atomic_file(path) as stream:
        stream.write(buffer.getvalue().encode("utf-8"))
    return Path(path)


def bar(iterable: Iterable, *, progress: bool, desc: str, total: int | None = None):
    """A tqdm progress bar over ``iterable`` when ``progress`` is true, else the iterable."""
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False, mininterval=0.3)


def format_matrix(D: np.ndarray) -> str:
    """``diag(a, b, c)`` for diagonal matrices, else a nested list; numbers in short form."""
    D = np.asarray(D)
    if np.allclose(D, np.diag(np.diag(D))):
        return "diag(" + ", ".join(f"{v:g}" for v in np.diag(D)) + ")"
    return str(np.round(D, 6).tolist())
