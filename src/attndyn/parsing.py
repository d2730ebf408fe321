"""Option values from text, as typed on the command line or given in a URL query.

The command line and the browser explorer share these parsers, so an option means the same
in both. They check only the syntax ("two comma-separated numbers", "an integer"); which
values are allowed is decided where the value is used (for spec fields: by
:class:`~attndyn.spec.LandscapeSpec`). Every error is a :class:`~attndyn.errors.FieldError`
naming the option, which each front end spells its own way (``--size`` or ``size``).
"""

from __future__ import annotations

import re
from typing import Any

from attndyn.errors import FieldError

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
