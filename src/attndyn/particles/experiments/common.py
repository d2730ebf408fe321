"""Shared machinery of the experiments: the registry entry type, parameters, CSV writing,
progress bars.

Each experiment declares its parameters in one frozen dataclass (``Params`` in its module),
each field made by :func:`parameter`: its default is the paper's value, ``quick=`` its value
in quick mode (where quick mode changes it), ``help=`` its meaning and the other keywords the
values it allows.  :meth:`Experiment.parameters` builds the record from the defaults (or the
quick values) and the overrides given as text (``--param KEY=VALUE``) or as Python values,
and checks every field; the runner uses only the record.  :meth:`Experiment.run` records it
next to the outputs (``NAME.params.json``) and in each PNG (a ``tEXt`` chunk
``attndyn-parameters``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import struct
import sys
import types
import typing
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from attndyn.model.errors import FieldError, UserError
from attndyn.model.outputs import atomic_file
from attndyn.model.parsing import did_you_mean

__all__ = [
    "PNG_PARAMETERS_KEY",
    "Experiment",
    "ParameterError",
    "ParameterSpec",
    "add_png_text",
    "bar",
    "checked_seed",
    "format_matrix",
    "parameter",
    "parameter_specs",
    "write_csv",
]

Runner = Callable[..., list[Path]]
PNG_PARAMETERS_KEY = "attndyn-parameters"
_NOT_QUICK = object()  # the field keeps its default in quick mode
AUTO = "auto"  # the text of None in an optional field: the value follows another field


def checked_seed(seed: Any) -> int:
    """The seed as an int >= 0 (numpy's generators refuse negative seeds); a FieldError
    naming ``seed`` otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise FieldError(lambda n: f"{n('seed')} {seed!r} is not an integer; give one >= 0")
    if seed < 0:
        raise FieldError(lambda n: f"{n('seed')} {seed} is negative; give an integer >= 0")
    return int(seed)


class ParameterError(UserError):
    """A bad experiment parameter: an unknown key, or a value it does not allow (one line)."""


def parameter(
    default: Any,
    help: str,
    *,
    quick: Any = _NOT_QUICK,
    low: float | None = None,
    low_open: bool = False,
    high: float | None = None,
    choices: Sequence[str] | None = None,
    auto: str | None = None,
) -> Any:
    """A field of an experiment's ``Params``.

    ``default`` is the paper's value and ``quick`` the value in quick mode (when quick mode
    changes it); ``help`` says what it means, in one line.  ``low``/``high`` bound a number
    (and every item of a tuple; ``low_open``: strictly above ``low``), ``choices`` lists the
    words a ``str`` (or each item of a ``tuple[str, ...]``) may take.  An optional field
    (``X | None``, default None, written ``auto``) says in ``auto`` what None stands for.
    """
    metadata = {
        "help": help,
        "quick": quick,
        "low": low,
        "low_open": low_open,
        "high": high,
        "choices": tuple(choices) if choices else None,
        "auto": auto,
    }
    return dataclasses.field(default=default, metadata=metadata)


def _number_text(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of an experiment: its type, default, quick value and allowed values."""

    name: str
    kind: type  # int, float, bool or str
    sequence: bool  # a tuple of ``kind`` (written comma-separated)
    optional: bool  # None allowed (written ``auto``)
    default: Any
    quick: Any
    help: str
    low: float | None
    low_open: bool
    high: float | None
    choices: tuple[str, ...] | None
    auto: str | None

    @property
    def has_quick(self) -> bool:
        return self.quick is not _NOT_QUICK

    @property
    def type_name(self) -> str:
        name = {int: "int", float: "float", bool: "bool", str: "word"}[self.kind]
        return f"list of {name}" if self.sequence else name

    def allowed(self) -> str:
        """What values it takes, e.g. ``float > 0`` or ``one of rotate, descent``."""
        if self.choices:
            words = f"one of {', '.join(self.choices)}"
            text = f"a list of {words}" if self.sequence else words
        else:
            bounds = []
            if self.low is not None:
                bounds.append(f"{'>' if self.low_open else '>='} {_number_text(self.low)}")
            if self.high is not None:
                bounds.append(f"<= {_number_text(self.high)}")
            text = self.type_name + (" " + " and ".join(bounds) if bounds else "")
            if self.sequence:
                text = f"{text}, comma-separated" + (
                    " or START:STOP:COUNT" if self.kind is float else ""
                )
        return f"{text}, or auto" if self.optional else text

    def text(self, value: Any) -> str:
        """``value`` as it is written in ``--param`` (the inverse of :meth:`parse`)."""
        if value is None:
            return AUTO
        if self.sequence:
            return ",".join(self._item_text(item) for item in value)
        return self._item_text(value)

    def _item_text(self, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return _number_text(value)
        return str(value)

    def json(self, value: Any) -> Any:
        """``value`` as JSON data (tuples become lists)."""
        return list(value) if isinstance(value, tuple) else value

    def _fail(self, where: str, shown: Any, problem: str) -> ParameterError:
        return ParameterError(
            f"{where} parameter {self.name}={shown} {problem}; it takes {self.allowed()}"
        )

    def parse(self, text: str, where: str) -> Any:
        """The value written ``text`` (``--param NAME=text``), checked."""
        text = str(text).strip()
        if self.optional and text.lower() == AUTO:
            return None
        if not self.sequence:
            return self.check(self._parse_item(text, text, where), where)
        parts = text.split(":")
        if self.kind is float and len(parts) == 3:
            start, stop = (self._parse_item(p, text, where) for p in parts[:2])
            count = self._count(parts[2], text, where)
            values = tuple(float(v) for v in np.linspace(start, stop, count))
        else:
            items = [item.strip() for item in text.split(",")]
            if not all(items):
                raise self._fail(where, repr(text), "has an empty item")
            values = tuple(self._parse_item(item, text, where) for item in items)
        return self.check(values, where)

    def _count(self, text: str, whole: str, where: str) -> int:
        try:
            count = int(text)
        except ValueError:
            count = 0
        if count < 1:
            raise self._fail(where, repr(whole), f"has COUNT {text!r}, not an integer >= 1")
        return count

    def _parse_item(self, text: str, whole: str, where: str) -> Any:
        def fail(what: str) -> ParameterError:
            if self.sequence:
                return self._fail(where, repr(whole), f"has {text!r}, not {what}")
            return self._fail(where, text, f"is not {what}")

        if self.kind is bool:
            word = text.lower()
            if word in ("true", "yes", "on", "1"):
                return True
            if word in ("false", "no", "off", "0"):
                return False
            raise fail("true or false")
        if self.kind is str:
            return text
        try:
            number = float(text)
        except ValueError:
            raise fail("a number") from None
        if not math.isfinite(number):
            raise fail("a finite number")
        if self.kind is int:
            if not number.is_integer():
                raise fail("an integer")
            return int(number)
        return number

    def coerce(self, value: Any, where: str) -> Any:
        """A value given in Python (or as text), as this parameter's type, checked."""
        if isinstance(value, str):
            return self.parse(value, where)
        if value is None and self.optional:
            return None
        if self.sequence:
            if not isinstance(value, Iterable):
                raise self._fail(where, repr(value), "is not a list")
            items = tuple(self._coerce_item(item, value, where) for item in value)
            return self.check(items, where)
        return self.check(self._coerce_item(value, value, where), where)

    def _coerce_item(self, item: Any, whole: Any, where: str) -> Any:
        if self.kind is bool and isinstance(item, bool | np.bool_):
            return bool(item)
        if self.kind is str and isinstance(item, str):
            return item
        numeric = isinstance(item, int | float | np.integer | np.floating)
        if self.kind in (int, float) and numeric and not isinstance(item, bool | np.bool_):
            number = float(item)
            if math.isfinite(number) and (self.kind is float or number.is_integer()):
                return int(item) if self.kind is int else number
        raise self._fail(where, repr(whole), f"has {item!r}, not a {self.type_name}")

    def check(self, value: Any, where: str) -> Any:
        """``value`` if this parameter allows it; a :class:`ParameterError` otherwise."""
        if value is None:
            if self.optional:
                return value
            raise self._fail(where, AUTO, "is not allowed")
        items = value if self.sequence else (value,)
        if self.sequence and not items:
            raise self._fail(where, "''", "is empty")
        for item in items:
            if self.choices and item not in self.choices:
                hint = did_you_mean(str(item), self.choices)
                raise self._fail(where, self.text(value), f"has the unknown {item!r}{hint}")
            if self.low is not None and (item < self.low or (self.low_open and item == self.low)):
                raise self._fail(where, self.text(value), "is out of range")
            if self.high is not None and item > self.high:
                raise self._fail(where, self.text(value), "is out of range")
        return value


def _analyse(hint: Any) -> tuple[type, bool, bool]:
    """``(kind, sequence, optional)`` of a field's type: ``int``, ``tuple[float, ...]``,
    ``int | None`` and so on."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        optional, hint = True, args[0]
    sequence = typing.get_origin(hint) is tuple
    kind = typing.get_args(hint)[0] if sequence else hint
    if kind not in (int, float, bool, str):
        raise TypeError(f"unsupported parameter type {hint!r}")
    return kind, sequence, optional


def parameter_specs(params: type) -> dict[str, ParameterSpec]:
    """The :class:`ParameterSpec` of every field of a ``Params`` dataclass, in order."""
    hints = typing.get_type_hints(params)
    specs = {}
    for item in dataclasses.fields(params):
        kind, sequence, optional = _analyse(hints[item.name])
        meta = item.metadata
        specs[item.name] = ParameterSpec(
            name=item.name,
            kind=kind,
            sequence=sequence,
            optional=optional,
            default=item.default,
            quick=meta.get("quick", _NOT_QUICK),
            help=meta.get("help", ""),
            low=meta.get("low"),
            low_open=meta.get("low_open", False),
            high=meta.get("high"),
            choices=meta.get("choices"),
            auto=meta.get("auto"),
        )
    return specs


def add_png_text(path: Path, key: str, text: str) -> Path:
    """Add a ``tEXt`` chunk ``key``/``text`` (Latin-1) before the PNG's ``IEND``, atomically.

    The image data stay byte for byte as they were; readers show the chunk as text metadata
    (``PIL.Image.open(path).text[key]``).
    """
    data = Path(path).read_bytes()
    end = data.rfind(b"IEND") - 4  # the chunk starts with its 4-byte length
    if data[:8] != b"\x89PNG\r\n\x1a\n" or end < 8:
        raise ValueError(f"{path} is not a PNG file")
    body = key.encode("latin-1") + b"\0" + text.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    with atomic_file(path) as stream:
        stream.write(data[:end] + chunk + data[end:])
    return Path(path)


@dataclass(frozen=True)
class Experiment:
    """A reproducible experiment: ``run(out_dir, quick=, seed=, progress=, **params)`` writes
    its files.

    ``runner(out_dir, params, seed=, progress=)`` is the module-level function doing the
    work, with the experiment's parameters in ``params``, an instance of ``params_type`` (the
    module's frozen ``Params`` dataclass, see :func:`parameter`); its module docstring states
    the mathematics (see :attr:`description`).
    """

    name: str
    aliases: tuple[str, ...]
    summary: str
    runner: Runner
    params_type: type

    @property
    def specs(self) -> dict[str, ParameterSpec]:
        """Every parameter of the experiment, in the order of its ``Params``."""
        return parameter_specs(self.params_type)

    def parameters(self, given: Mapping[str, Any] | None = None, *, quick: bool = False) -> Any:
        """The experiment's ``Params``: defaults (or quick values), overridden by ``given``.

        ``given`` maps parameter names to text (as ``--param NAME=TEXT``) or Python values.
        Raises :class:`ParameterError` naming the key for an unknown key or a bad value.
        """
        specs = self.specs
        values = {
            name: spec.quick if quick and spec.has_quick else spec.default
            for name, spec in specs.items()
        }
        for key, value in (given or {}).items():
            name = str(key).strip().replace("-", "_")
            if name not in specs:
                hint = did_you_mean(name, specs)
                raise ParameterError(
                    f"{self.name} has no parameter {str(key)!r}{hint}; "
                    f"it takes {', '.join(specs) or 'none'}"
                )
            values[name] = specs[name].coerce(value, self.name)
        record = self.params_type(**values)
        check = getattr(record, "check", None)
        if callable(check):
            check()  # the rules between fields, raising ParameterError
        resolved = getattr(record, "resolved", None)  # ``auto`` fields set from the others
        return resolved() if callable(resolved) else record

    def parse_assignments(self, assignments: Iterable[str]) -> dict[str, str]:
        """``{"KEY": "VALUE"}`` of ``KEY=VALUE`` texts (a later one wins); the keys and values
        are checked by :meth:`parameters`."""
        given: dict[str, str] = {}
        for text in assignments:
            key, equals, value = str(text).partition("=")
            if not equals or not key.strip():
                raise ParameterError(
                    f"--param {text!r} is not KEY=VALUE; {self.name} takes "
                    f"{', '.join(self.specs) or 'none'}"
                )
            given[key.strip()] = value
        return given

    def describe_parameters(self) -> str:
        """The parameters with their defaults, types, quick values and meanings (text)."""
        lines = [
            f"{self.name}: parameters (--param KEY=VALUE; defaults are the paper's values, "
            "--quick uses the quick ones)"
        ]
        for spec in self.specs.values():
            about = [spec.allowed()]
            if spec.has_quick:
                about.append(f"quick: {spec.text(spec.quick)}")
            lines.append(f"  {spec.name} = {spec.text(spec.default)}  [{'; '.join(about)}]")
            meaning = spec.help + (f" (auto: {spec.auto})" if spec.auto else "")
            lines.append(f"      {meaning}")
        return "\n".join(lines)

    def record(self, params: Any, *, seed: int, quick: bool) -> dict[str, Any]:
        """What a run wrote its files with: the experiment, seed, mode and every parameter."""
        from attndyn import __version__

        return {
            "experiment": self.name,
            "attndyn": __version__,
            "quick": bool(quick),
            "seed": int(seed),
            "parameters": {
                name: spec.json(getattr(params, name)) for name, spec in self.specs.items()
            },
        }

    def run(
        self,
        out_dir: Path,
        *,
        quick: bool = False,
        seed: int = 0,
        progress: bool = False,
        params: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> list[Path]:
        """Run the experiment, writing ``NAME.csv``, ``NAME.png`` (and extras) into ``out_dir``.

        ``params`` and the keyword ``overrides`` (e.g. ``view="descent"``) set parameters
        (see :meth:`parameters`); the parameters used are written to ``NAME.params.json`` and
        into every PNG's ``attndyn-parameters`` text chunk.
        """
        seed = checked_seed(seed)
        record = self.parameters({**(params or {}), **overrides}, quick=quick)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = list(self.runner(out_dir, record, seed=seed, progress=progress))
        text = json.dumps(self.record(record, seed=seed, quick=quick), ensure_ascii=True)
        for path in written:
            if Path(path).suffix.lower() == ".png":
                add_png_text(Path(path), PNG_PARAMETERS_KEY, text)
        sidecar = out_dir / f"{self.name}.params.json"
        with atomic_file(sidecar) as stream:
            stream.write((text + "\n").encode("ascii"))
        return [*written, sidecar]

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
