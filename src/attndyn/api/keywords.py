"""Python keyword arguments in the command line's words, and errors that name the keyword.

The API's functions take the options of the matching command as keyword arguments, under the
same names with ``_`` for ``-`` (``x_range`` is ``--x-range``) and ``from_`` for ``--from``
(``from`` is a Python keyword). A value may be what the command line takes (``size="800x600"``,
``wq="1,0,0,1"``) or the Python value that means the same (``size=(800, 600)`` or ``size=256``,
``center=(-3, -1.75)``, ``wq=[[1, 0], [0, 1]]`` or a 2 x 2 array, ``seed=7``,
``x0=Path("points.npy")``); :func:`option_text` writes the Python value as that text (floats
exactly), and the library parses it as it parses the command line
(:meth:`attndyn.model.options.RenderOptions.from_strings`), so every option means the same in
both and is checked by the same code.

Errors. A bad value raises :class:`OptionError`, a :class:`ValueError` (through
:class:`~attndyn.model.errors.UserError`) whose one-line message names the keyword as written
in Python (``size '0' must be at least 1 pixel ...``, ``from_ reproduces a picture exactly;
drop seed``); an unknown keyword is refused with the closest known ones.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from attndyn.model.errors import FieldError, UserError
from attndyn.model.parsing import did_you_mean

if TYPE_CHECKING:
    from attndyn.model.options import RenderOptions
    from attndyn.pictures.coloring import ColorOptions


class OptionError(UserError):
    """A keyword argument the API refuses: a :class:`ValueError` whose one-line message names
    the keyword; ``keywords`` holds the keywords it names (in the order named)."""

    def __init__(self, message: str, keywords: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.keywords = tuple(keywords)


OptionError.__module__ = "attndyn"  # a traceback says attndyn.OptionError, the public name


def keyword(field: str) -> str:
    """The Python keyword of an option's field: ``from_picture`` -> ``from_``; others as is."""
    return "from_" if field == "from_picture" else field


def field_of_keyword(name: str) -> str:
    """The option field a keyword sets: ``from_`` -> ``from_picture``; others as is."""
    return "from_picture" if name == "from_" else name


@contextmanager
def keyword_errors() -> Iterator[None]:
    """Turn a :class:`~attndyn.model.errors.FieldError` raised inside into an
    :class:`OptionError` whose message names options by their Python keywords."""
    try:
        yield
    except OptionError:
        raise
    except FieldError as error:
        named: list[str] = []

        def spell(name: str) -> str:
            named.append(keyword(name))
            return keyword(name)

        message = error.spelled(spell)
        raise OptionError(message, dict.fromkeys(named)) from None


def refuse_unknown(given: Iterable[str], known: Iterable[str], what: str) -> None:
    """Refuse the first of ``given`` that is not in ``known``, with the closest known ones."""
    known = list(known)
    for name in given:
        if name not in known:
            hint = did_you_mean(name, known, quote=False)
            raise OptionError(
                f"{what} got an unknown keyword {name}{hint}; known keywords are "
                f"{', '.join(known)}",
                (name,),
            )


# -- Python values to the command line's text -------------------------------------------------


def number_text(value: Any) -> str:
    """A number as text that parses back to it exactly: ``7`` -> ``"7"``, ``0.1`` -> ``"0.1"``
    (``repr`` of the float); a string as it is; anything else as ``str`` gives it (a bool is
    ``"True"``, which no number parser takes)."""
    if isinstance(value, str | bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return str(value)


def numbers_text(name: str, value: Any) -> str:
    """Numbers, flattened row by row, comma-separated: ``[[1, 0], [0, 1]]`` -> ``"1,0,0,1"``
    (how many the option takes is checked where the text is parsed)."""
    if isinstance(value, str):
        return value
    import numpy as np

    try:
        flat = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise OptionError(
            f"{name}={value!r} is not numbers; give a sequence or array of numbers, or "
            "comma-separated text",
            (name,),
        ) from None
    return ",".join(repr(float(v)) for v in flat)


def size_text(value: Any) -> str:
    """A size: ``256`` -> ``"256"``, ``(800, 600)`` -> ``"800x600"``; text as it is."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return number_text(value)
    return "x".join(number_text(v) for v in value)


def path_text(value: Any) -> str:
    """A file name: a str or :class:`os.PathLike` (``pathlib.Path``)."""
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def option_text(field: str, annotation: str, value: Any) -> Any:
    """The text the command line would give for ``value`` of the option ``field``, whose
    :class:`~attndyn.model.options.RenderOptions` annotation is ``annotation``."""
    name = keyword(field)
    if annotation.startswith("bool"):
        return value  # a switch: the parser takes a bool
    if annotation.startswith("tuple[str, ...]"):
        if isinstance(value, str | os.PathLike):
            return path_text(value)
        return [path_text(v) for v in value]
    if annotation.startswith("tuple[int, int]"):
        return size_text(value)
    if annotation.startswith(("Matrix2", "tuple[float")):
        return numbers_text(name, value)
    if annotation.startswith(("int", "float")):
        return number_text(value)
    if annotation.startswith("str"):
        return path_text(value)
    raise TypeError(f"option {field!r}: no writer for its type {annotation!r}")


# -- the commands' option groups --------------------------------------------------------------


def render_options(values: Mapping[str, Any], *, what: str = "render()") -> RenderOptions:
    """The :class:`~attndyn.model.options.RenderOptions` of keyword arguments named after the
    ``render`` command's options (see the module docstring); None means not given.

    Raises :class:`OptionError` for an unknown keyword or a value that does not parse.
    """
    from dataclasses import fields

    from attndyn.model.options import RenderOptions

    annotations = {f.name: str(f.type) for f in fields(RenderOptions)}
    refuse_unknown(values, (keyword(f) for f in annotations), what)
    texts = {
        field_of_keyword(name): option_text(
            field_of_keyword(name), annotations[field_of_keyword(name)], value
        )
        for name, value in values.items()
        if value is not None
    }
    with keyword_errors():
        return RenderOptions.from_strings(texts)


def color_options(
    coloring: Any = None,
    cmap: Any = None,
    *,
    equalize: Any = False,
    invert: Any = False,
    base: ColorOptions | None = None,
) -> ColorOptions:
    """The :class:`~attndyn.pictures.coloring.ColorOptions` of the colour keywords, over
    ``base`` (a picture's stored colouring) as on the command line: ``coloring`` and ``cmap``
    given replace base's, ``equalize`` and ``invert`` true turn its switch on.

    Raises :class:`OptionError` naming the keyword for a value that is refused.
    """
    from attndyn.pictures.coloring import ColorOptions

    given = {"coloring": coloring, "cmap": cmap, "equalize": equalize, "invert": invert}
    texts = {name: None if value is None else _color_text(value) for name, value in given.items()}
    for name in ("coloring", "cmap"):  # each checked alone, so the error names its keyword
        if texts[name] is not None:
            with naming(name, given[name]):
                ColorOptions.from_strings({name: texts[name]})
    with keyword_errors():
        return ColorOptions.from_strings(texts, base=base)


def _color_text(value: Any) -> Any:
    return value if isinstance(value, bool) else str(value)


def resize_size(resize: Any) -> tuple[int, int] | None:
    """``resize`` (``256``, ``(800, 600)`` or ``"800x600"``) as (width, height); None: none."""
    if resize is None:
        return None
    from attndyn.model.parsing import parse_size

    with keyword_errors():
        return parse_size("resize", size_text(resize))


@contextmanager
def naming(name: str, value: Any) -> Iterator[None]:
    """Raise a UserError raised inside as an :class:`OptionError` naming the keyword ``name``:
    a FieldError spelled in keywords, another error prefixed by ``name=value: `` unless its
    message starts with the keyword already (``coloring 'x' is unknown ...``)."""
    try:
        with keyword_errors():
            yield
    except OptionError:
        raise
    except UserError as error:
        message = str(error)
        if not message.startswith(f"{name} "):
            message = f"{name}={value!r}: {message}"
        raise OptionError(message, (name,)) from None
