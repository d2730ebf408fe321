"""Named pictures: the seed's gallery, shipped as data, plus presets from the user's files.

A preset is a TOML table holding a ``caption`` and any fields of
:class:`~attndyn.model.spec.LandscapeSpec` (matrices row-major). Options given on the command line
override the preset's values; everything else takes the spec's defaults.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from attndyn.model.errors import FieldError, UserError
from attndyn.model.parsing import did_you_mean
from attndyn.model.spec import LandscapeSpec

_SPEC_FIELDS = {f.name for f in fields(LandscapeSpec)}
_NOT_IN_PRESETS = {"init", "x0_sha256", "x0_per_pixel"}
GALLERY_INITS = ("independent", "shared")


@dataclass(frozen=True)
class Preset:
    name: str
    caption: str
    values: dict[str, Any]

    def spec(self, **overrides: Any) -> LandscapeSpec:
        """The preset's spec, with ``overrides`` (spec fields) taking precedence."""
        values = {**self.values, **overrides}
        for name in ("x_range", "y_range"):
            if name in values:
                values[name] = tuple(values[name])
        return LandscapeSpec(**values)


def _parse(text: str, source: str) -> dict[str, Preset]:
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"presets file {source} is not valid TOML: {error}") from None
    presets = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise UserError(f"presets file {source}: {name!r} must be a table [{name}]")
        values = dict(table)
        caption = str(values.pop("caption", ""))
        unknown = sorted(set(values) - (_SPEC_FIELDS - _NOT_IN_PRESETS))
        if unknown:
            allowed = ", ".join(sorted(_SPEC_FIELDS - _NOT_IN_PRESETS))
            raise UserError(
                f"preset {name!r} in {source} has unknown keys {unknown}; allowed: {allowed}"
            )
        preset = Preset(name, caption, values)
        try:
            preset.spec()  # validate now, with the preset's name in the message
        except UserError as error:
            raise UserError(f"preset {name!r} in {source}: {error}") from None
        presets[name] = preset
    return presets


def builtin_presets() -> dict[str, Preset]:
    """The presets shipped with attndyn (the seed's gallery)."""
    text = (
        resources.files("attndyn.model.data").joinpath("presets.toml").read_text(encoding="utf-8")
    )
    return _parse(text, "attndyn/model/data/presets.toml")


def load_presets(extra_files: list[str | Path] | None = None) -> dict[str, Preset]:
    """Built-in presets, then those of ``extra_files`` (later names replace earlier ones)."""
    presets = builtin_presets()
    for path in extra_files or []:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise UserError(f"cannot read presets file {str(path)!r}: {error.strerror}") from None
        presets.update(_parse(text, repr(str(path))))
    return presets


def get_preset(name: str, presets: dict[str, Preset]) -> Preset:
    """The preset ``name``; an unknown name gets the closest names and the list."""
    if name not in presets:
        hint = did_you_mean(name, presets)
        raise UserError(f"preset {name!r} is unknown{hint}; choose one of {', '.join(presets)}")
    return presets[name]


@dataclass(frozen=True)
class GalleryPicture:
    """One picture of the gallery: a preset in one init version, at the gallery's size."""

    preset: Preset
    init: str
    spec: LandscapeSpec

    @property
    def name(self) -> str:
        """``PRESET-INIT``, the picture's file name without its suffix."""
        return f"{self.preset.name}-{self.init}"


def gallery_pictures(
    presets: Mapping[str, Preset],
    size: tuple[int, int],
    *,
    only: Sequence[str] | None = None,
    inits: Sequence[str] = GALLERY_INITS,
) -> list[GalleryPicture]:
    """The gallery: every preset (or those named in ``only``) in every init version of
    ``inits``, at ``size`` = (width, height) pixels; preset by preset, init by init."""
    chosen = [get_preset(name, presets) for name in only] if only else list(presets.values())
    for init in inits:
        if init not in GALLERY_INITS:
            raise FieldError(
                lambda n, init=init: (
                    f"{n('init')} holds {init!r}{did_you_mean(init, GALLERY_INITS)}; choose "
                    f"from {', '.join(GALLERY_INITS)}"
                )
            )
    width, height = size
    return [
        GalleryPicture(preset, init, preset.spec(width=width, height=height, init=init))
        for preset in chosen
        for init in inits
    ]
