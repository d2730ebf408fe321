"""Shared machinery of the experiments: the registry entry type, CSV writing, progress bars."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from attndyn.model.errors import FieldError
from attndyn.model.outputs import atomic_file

__all__ = ["Choice", "Experiment", "bar", "checked_seed", "format_matrix", "write_csv"]

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
class Choice:
    """An option of an experiment that takes one of a few words; the first is the default."""

    name: str
    values: tuple[str, ...]
    help: str

    @property
    def default(self) -> str:
        return self.values[0]


@dataclass(frozen=True)
class Experiment:
    """A reproducible experiment: ``run(out_dir, quick=, seed=, progress=)`` writes its files.

    ``runner`` is the module-level function doing the work; its module docstring states the
    mathematics and every parameter (see :attr:`description`).  ``choices`` are the options
    the runner takes as keyword arguments (``view`` of the animations).
    """

    name: str
    aliases: tuple[str, ...]
    summary: str
    runner: Runner
    choices: tuple[Choice, ...] = ()

    def options(self, given: Mapping[str, str | None]) -> dict[str, str]:
        """Every choice of this experiment, from ``given`` (None = not given) or its default.

        Raises :class:`~attndyn.model.errors.FieldError` naming the option for a choice this
        experiment does not take, or a value it does not know.
        """
        known = {choice.name: choice for choice in self.choices}
        for name, value in given.items():
            if value is not None and name not in known:
                takes = f"; it takes {', '.join(known)}" if known else ""
                raise FieldError(
                    lambda n, name=name, takes=takes: (
                        f"{n(name)} does not apply to experiment {self.name!r}{takes}"
                    )
                )
        options = {}
        for name, choice in known.items():
            value = given.get(name)
            if value is None:
                value = choice.default
            if value not in choice.values:
                raise FieldError(
                    lambda n, name=name, value=value, choice=choice: (
                        f"{n(name)} {value!r} is unknown; choose one of {', '.join(choice.values)}"
                    )
                )
            options[name] = value
        return options

    def run(
        self,
        out_dir: Path,
        *,
        quick: bool = False,
        seed: int = 0,
        progress: bool = False,
        **options: str | None,
    ) -> list[Path]:
        """Run the experiment, writing ``NAME.csv``, ``NAME.png`` (and extras) into ``out_dir``.

        ``options`` are the experiment's :attr:`choices` (checked by :meth:`options`).
        """
        seed = checked_seed(seed)
        chosen = self.options(options)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        return list(self.runner(out_dir, quick=quick, seed=seed, progress=progress, **chosen))

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
    """``diag(a, b, c)`` for diagonal matrices, else a nested list; numbers in short form.

    Zeros are written ``0``, never ``-0`` (adding ``+0.0`` turns ``−0.0`` into ``0.0``).
    """
    D = np.asarray(D, dtype=float) + 0.0
    if np.allclose(D, np.diag(np.diag(D))):
        return "diag(" + ", ".join(f"{v:g}" for v in np.diag(D)) + ")"
    return str((np.round(D, 6) + 0.0).tolist())
