"""Option values from text, as typed on the command line or given in a URL query.

The command line and the browser explorer share these parsers, so an option means the same
in both. They check only the syntax ("two comma-separated numbers", "an integer"); which
values are allowed is decided where the value is used (for spec fields: by
:class:`~attndyn.model.spec.LandscapeSpec`). Every error is a
:class:`~attndyn.model.errors.FieldError` naming the option, which each front end spells its own way
(``--size`` or ``size``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from attndyn.model.errors import FieldError

_SIZE = re.compile(r"\s*(-?\d+)\s*(?:[xX]\s*(-?\d+)\s*)?")
_TRUE = ("", "1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_numbers(name: str, text: Any, count: int) -> tuple[float, ...]:
    """``count`` comma-separated numbers, e.g. ``"-8,8"`` -> ``(-8.0, 8.0)`` (nan and inf pass).

    >>> parse_numbers("range", " -8, 8", 2)
    (-8.0, 8.0)
    """
    text = str(text)
    try:
        values = tuple(float(part.strip()) for part in text.split(","))
    except ValueError:
        raise FieldError(
            lambda n: f"{n(name)} {text!r} is not {count} comma-separated numbers"
        ) from None
    if len(values) != count:
        raise FieldError(lambda n: f"{n(name)} {text!r} has {len(values)} numbers; give {count}")
    return values


def parse_size(name: str, text: Any) -> tuple[int, int]:
    """A picture size: ``R`` for R x R, or ``WxH``; returns (width, height), each at least 1.

    >>> parse_size("size", "800x600"), parse_size("size", "64")
    ((800, 600), (64, 64))
    """
    text = str(text)
    match = _SIZE.fullmatch(text)
    if not match:
        raise FieldError(
            lambda n: f"{n(name)} {text!r} is not R or WxH with whole numbers, e.g. 512 or 800x600"
        )
    width = int(match.group(1))
    height = int(match.group(2)) if match.group(2) is not None else width
    if width < 1 or height < 1:
        raise FieldError(lambda n: f"{n(name)} {text!r} must be at least 1 pixel in each direction")
    return width, height


def parse_int(name: str, text: Any) -> int:
    """A whole number in decimal, e.g. ``"20"``."""
    try:
        return int(str(text).strip())
    except ValueError:
        raise FieldError(lambda n: f"{n(name)} {str(text)!r} is not an integer") from None


def parse_float(name: str, text: Any) -> float:
    """A number, e.g. ``"1e-5"`` (nan and inf pass; the user of the value decides)."""
    try:
        return float(str(text).strip())
    except ValueError:
        raise FieldError(lambda n: f"{n(name)} {str(text)!r} is not a number") from None


def parse_flag(name: str, value: Any) -> bool:
    """A switch: a bool, or one of "", 1, true, yes, on / 0, false, no, off (any case).

    The empty string is true, so a bare ``?invert`` in a URL query turns the switch on.
    """
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise FieldError(lambda n: f"{n(name)} {str(value)!r} is not a switch; give true or false")


def close_matches(word: str, choices: Iterable[str], limit: int = 2) -> list[str]:
    """The choices a mistyped ``word`` most likely meant, best first (at most ``limit``).

    A choice equal to ``word`` but for case is the only match; then the choices that start
    with ``word`` (3 characters or more), when there are at most ``limit`` of them; otherwise
    the choice most similar to ``word`` by :mod:`difflib`'s ratio (at least 0.7), and those
    within 0.05 of it, unless more than ``limit`` are (a guess among many is no help). So
    ``virdis`` -> ``viridis``, ``art16`` -> ``art1679700``, and ``fig9`` -> nothing among
    ``fig1`` ... ``fig7``.

    >>> close_matches("virdis", ["viridis", "magma", "cividis"])
    ['viridis']
    >>> close_matches("Magma", ["viridis", "magma"]), close_matches("zzz", ["magma"])
    (['magma'], [])
    >>> close_matches("art16", ["art1679700", "art8012376"])
    ['art1679700']
    >>> close_matches("fig9", ["fig1", "fig2", "fig3"])
    []
    """
    unique = [choice for choice in dict.fromkeys(choices) if choice != word]
    same = [choice for choice in unique if choice.lower() == word.lower()]
    if same:
        return same[:1]
    starts = [choice for choice in unique if len(word) >= 3 and choice.startswith(word)]
    if 0 < len(starts) <= limit:
        return starts
    scored = sorted(
        ((difflib.SequenceMatcher(None, word, choice).ratio(), choice) for choice in unique),
        key=lambda pair: -pair[0],
    )
    if not scored or scored[0][0] < 0.7:
        return []
    near = [choice for ratio, choice in scored if ratio >= scored[0][0] - 0.05]
    return near if len(near) <= limit else []


def did_you_mean(word: str, choices: Iterable[str], *, quote: bool = True) -> str:
    """`` (did you mean 'x'?)`` for the choices closest to ``word``, or ``""`` when none is.

    Errors put it right after the unknown value; ``quote=False`` writes option names bare.

    >>> did_you_mean("sync_step", ["binary", "sync-step"])
    " (did you mean 'sync-step'?)"
    >>> did_you_mean("--colormap", ["--cmap", "--invert"], quote=False)
    ' (did you mean --cmap?)'
    """
    matches = close_matches(word, choices)
    if not matches:
        return ""
    return f" (did you mean {' or '.join(repr(m) if quote else m for m in matches)}?)"
