"""Pinned views of a published site, read from a presets TOML (``publish --views FILE``).

Each table ``[name]`` is a view: its window (``x_range`` and ``y_range``; a missing one keeps
the whole grid's range), an optional ``caption``, and optional colours (``coloring``,
``cmap``, ``invert``, ``equalize``). The explorer's "Download my views" writes such a
file; its other keys (the matrices, seed, steps, ...) must agree with the published
landscape's spec, since the site holds only that landscape: a view of another landscape is
refused in one line.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from attndyn.model.errors import UserError
from attndyn.model.spec import LandscapeSpec
from attndyn.pictures.coloring import COLOR_OPTION_NAMES, ColorOptions

WINDOW_KEYS = ("x_range", "y_range", "caption")
# Keys a view may carry that say nothing about the landscape shown (its picture's size and
# precision, the spec's format).
IGNORED_KEYS = ("width", "height", "supersample", "dtype", "samples", "format", "attndyn_version")


def read_views(path: str | Path, spec: LandscapeSpec) -> list[dict[str, Any]]:
    """The views of presets file ``path`` for a site of ``spec`` (see the module docstring):
    ``[{"name", "caption", "x_range", "y_range", "colors": {...}}]``."""
    path = Path(path)
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"--views {str(path)!r} cannot be read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"--views {str(path)!r} is not valid TOML: {error}") from None
    known = spec.to_dict()
    views = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise UserError(f"--views {str(path)!r}: {name!r} must be a table [{name}]")
        colors = {key: table[key] for key in COLOR_OPTION_NAMES if key in table}
        try:
            ColorOptions(**colors)
        except (TypeError, UserError) as error:
            raise UserError(f"--views {str(path)!r}, view {name!r}: {error}") from None
        for key, value in table.items():
            if key in WINDOW_KEYS or key in COLOR_OPTION_NAMES or key in IGNORED_KEYS:
                continue
            if key not in known:
                raise UserError(
                    f"--views {str(path)!r}, view {name!r}: key {key!r} is unknown; a view "
                    f"has {', '.join(WINDOW_KEYS + COLOR_OPTION_NAMES)} and the spec's keys"
                )
            if _differs(value, known[key]):
                raise UserError(
                    f"--views {str(path)!r}, view {name!r} is of another landscape: its {key} "
                    f"{value!r} is not the site's {known[key]!r}"
                )
        views.append(
            {
                "name": str(name),
                "caption": str(table.get("caption", "")),
                **_window(table, spec, f"--views {str(path)!r}, view {name!r}"),
                "colors": colors,
            }
        )
    return views


def _differs(value: Any, own: Any) -> bool:
    if isinstance(own, list):
        return not isinstance(value, list) or [float(v) for v in value] != [float(v) for v in own]
    if isinstance(own, float):
        return not isinstance(value, int | float) or float(value) != own
    return value != own


def _window(table: dict, spec: LandscapeSpec, where: str) -> dict[str, list[float]]:
    """A view's x and y ranges (the site's own where the view names none)."""
    out = {}
    for key, default in (("x_range", spec.x_range), ("y_range", spec.y_range)):
        value = table.get(key, default)
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise UserError(f"{where}: {key} must be [LO, HI]") from None
        if not lo < hi:
            raise UserError(f"{where}: {key} [{lo}, {hi}] must have LO < HI")
        out[key] = [lo, hi]
    return out
