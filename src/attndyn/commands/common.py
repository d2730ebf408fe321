"""Pieces shared by the subcommands: number parsing and the options that define a spec."""

from __future__ import annotations

import math
import re

from attndyn.errors import UserError


def parse_numbers(option: str, text: str, count: int) -> tuple[float, ...]:
    parts = [part.strip() for part in text.split(",")]
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        raise UserError(f"{option} {text!r} is not {count} comma-separated numbers") from None
    if len(values) != count:
        raise UserError(f"{option} {text!r} has {len(values)} numbers; give {count}")
    if not all(math.isfinite(v) for v in values):
        raise UserError(f"{option} {text!r} holds a non-finite value; all must be finite")
    return values


def parse_size(text: str) -> tuple[int, int]:
    """``R`` for R x R, or ``WxH``; returns (width, height)."""
    match = re.fullmatch(r"\s*(-?\d+)\s*(?:[xX]\s*(-?\d+)\s*)?", text)
    if not match:
        raise UserError(f"--size {text!r} is not R or WxH with whole numbers, e.g. 512 or 800x600")
    width = int(match.group(1))
    height = int(match.group(2)) if match.group(2) is not None else width
    if width < 1 or height < 1:
        raise UserError(f"--size {text!r} must be at least 1 pixel in each direction")
    return width, height
