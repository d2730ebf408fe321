"""Colorings: computed fields in, colors out. Re-coloring never recomputes.

A coloring maps one field to numbers in [0, 1], then through a matplotlib colormap:

``binary``
    the label: 1 (synchronised) is white, 0 black, as in the seed's pictures.
``log-delta``
    log10 of the final gap Δ, clipped below at 1e-12; its range is the picture's own; a
    non-finite state takes the "bad" color (black).
``sync-step``
    the smoothed step at which the points synchronised for good (escape-time style); pixels
    that never synchronised take the colormap's "bad" color (black).
``probability``
    the fraction of K independent initial configurations per pixel that synchronised
    (``--samples K``): the clean version of the seed's noisy independent-init pictures.
``clusters``
    the number of clusters of the points after the last step; 1 is the colormap's first color.

Options: any matplotlib colormap, ``invert`` (the reversed colormap), and ``equalize``
(histogram equalisation: each value is replaced by the fraction of pixels at or below it, so
every color covers about the same area; equal values share one colour). Supersampled fields
(k x k samples per output pixel) are colored per sample and averaged; a picture larger than
wanted is resized with a bicubic filter, which is what gives the seed's matplotlib pictures
their look.

Equalising ``log-delta`` counts as equal the gaps Δ that the computation cannot tell apart
(:func:`equalization_keys`): Δ is stored in float32, and a float32 render computes it to
about one float32 unit in the last place of the points' coordinates (|x| <= 1). Without that,
the unsynchronised region, where Δ is one value (about 1.98683786 for art1679700 shared) up to
rounding, splits into two colours by the last bit of each pixel's arithmetic: speckle and
streaks that are not in the landscape (docs/art.md shows them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from attndyn.model.errors import FieldError, UserError
from attndyn.model.fields import Fields
from attndyn.model.parsing import did_you_mean, parse_flag
from attndyn.model.spec import LandscapeSpec
from attndyn.pictures.images import binary_picture, read_picture_text

DEFAULT_CMAPS = {
    "binary": "gray",
    "log-delta": "magma",
    "sync-step": "inferno",
    "probability": "gray",
    "clusters": "tab10",
}
COLORINGS = tuple(DEFAULT_CMAPS)
COLOR_OPTION_NAMES = ("coloring", "cmap", "invert", "equalize")
BAD_COLOR = (0, 0, 0)
LOG_DELTA_FLOOR = 1e-12
# Δ values closer than Δ * DELTA_RELATIVE_RESOLUTION + DELTA_ABSOLUTE_RESOLUTION[dtype] are one
# value to the equalisation: two float32 units in the last place relative (Δ is stored in
# float32), and four units of the coordinates' float32 (or float64) last place absolute
# (float32 renders of art1679700 agree with float64 ones to one unit at 99.9% of the
# unsynchronised pixels, see docs/art.md).
DELTA_RELATIVE_RESOLUTION = 2.0**-22
DELTA_ABSOLUTE_RESOLUTION = {"float32": 2.0**-21, "float64": 2.0**-50}


@dataclass(frozen=True)
class ColorOptions:
    """How to color fields; ``cmap`` None means the coloring's default colormap."""

    coloring: str = "binary"
    cmap: str | None = None
    invert: bool = False
    equalize: bool = False

    def __post_init__(self) -> None:
        if self.coloring not in DEFAULT_CMAPS:
            hint = did_you_mean(str(self.coloring), COLORINGS)
            raise UserError(
                f"coloring {self.coloring!r} is unknown{hint}; choose one of {', '.join(COLORINGS)}"
            )
        if self.cmap is not None:
            colormap(self.cmap)  # validates the name

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ColorOptions:
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError) as error:
            raise UserError(f"coloring JSON is not valid: {error}") from None

    @classmethod
    def from_picture(cls, path: str | Path) -> ColorOptions:
        """The options a PNG made by attndyn was colored with (the default if it has none)."""
        stored = read_picture_text(path, "coloring", required=False)
        return cls.from_json(stored) if stored else cls()

    @classmethod
    def from_strings(
        cls, values: Mapping[str, Any], *, base: ColorOptions | None = None
    ) -> ColorOptions:
        """Options from text (command line or URL query) over ``base`` (default: the defaults).

        Keys are :data:`COLOR_OPTION_NAMES`; None means not given. ``coloring`` and ``cmap``
        given replace base's; ``invert`` and ``equalize`` (bools or true/false) turn base's
        switch on when true and keep it when false, so a picture's stored coloring (``render
        --from``) keeps its switches.
        """
        options = base or cls()
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in COLOR_OPTION_NAMES:
                raise FieldError(
                    lambda n, key=key: (
                        f"option {key!r} is unknown; known color options are "
                        f"{', '.join(COLOR_OPTION_NAMES)}"
                    )
                )
            if value is None:
                continue
            if key in ("invert", "equalize"):
                changes[key] = parse_flag(key, value) or getattr(options, key)
            elif value != "":
                changes[key] = str(value)
        return replace(options, **changes)


def colormap(name: str):
    """The matplotlib colormap ``name``; an unknown name lists the valid ones."""
    import matplotlib

    try:
        return matplotlib.colormaps[name]
    except KeyError:
        plain = sorted(n for n in matplotlib.colormaps if not n.endswith("_r"))
        hint = did_you_mean(name, matplotlib.colormaps if name.endswith("_r") else plain)
        raise UserError(
            f"colormap {name!r} is unknown{hint}; choose one of {', '.join(plain)}"
        ) from None


def options_colormap(options: ColorOptions):
    """The colormap ``options`` name (the coloring's default if none), reversed if asked."""
    cmap = colormap(options.cmap or DEFAULT_CMAPS[options.coloring])
    return cmap.reversed() if options.invert else cmap


FIELD_OF_COLORING = {
    "binary": "labels",
    "log-delta": "delta",
    "sync-step": "sync_step",
    "probability": "probability",
    "clusters": "clusters",
}


def field_values(fields: Fields, spec: LandscapeSpec, coloring: str) -> np.ndarray:
    """The field behind ``coloring`` as float64, nan where the coloring has no value."""
    if coloring == "binary":
        return fields.labels.astype(np.float64)
    if coloring == "log-delta":
        return np.log10(np.maximum(fields.delta.astype(np.float64), LOG_DELTA_FLOOR))
    name = {"sync-step": "sync_step", "probability": "probability", "clusters": "clusters"}[
        coloring
    ]
    values = getattr(fields, name)
    if values is None:
        hint = "render with --samples K (K > 1)" if name == "probability" else "render it again"
        raise UserError(f"coloring {coloring!r} needs the field {name!r}, which is missing; {hint}")
    values = values.astype(np.float64)
    if name == "clusters":
        values[values == 0] = np.nan  # a non-finite state has no clusters
    return values


def equalization_keys(values: np.ndarray, coloring: str, dtype: str = "float32") -> np.ndarray:
    """What the equalisation looks up for each of ``values`` (a coloring's field values): a
    value's rank is the number of reference values <= its key.

    The key is the value itself, except for ``log-delta``: there it is log10 of
    ``Δ (1 + DELTA_RELATIVE_RESOLUTION) + DELTA_ABSOLUTE_RESOLUTION[dtype]``, Δ = 10**value,
    so Δ values within the resolution above a value rank with it, and the values of a plateau
    that differ only by rounding get one colour. ``dtype`` is the precision of the render.
    The key grows with the value, so the colours keep the values' order.
    """
    if coloring != "log-delta":
        return values
    delta = np.power(10.0, values)
    absolute = DELTA_ABSOLUTE_RESOLUTION.get(dtype, DELTA_ABSOLUTE_RESOLUTION["float32"])
    return np.log10(delta * (1.0 + DELTA_RELATIVE_RESOLUTION) + absolute)


def normalise(
    values: np.ndarray,
    coloring: str,
    *,
    equalize: bool,
    reference: np.ndarray | None = None,
    dtype: str = "float32",
) -> np.ndarray:
    """Map finite values to [0, 1] (nan stays nan).

    The range (``log-delta``, ``sync-step``) and the equalisation are those of the finite
    ``reference`` values (default: ``values`` themselves), so that pictures coloured with
    one reference join without seams (the explorer's tiles) and frames of a movie keep their
    colours (:mod:`attndyn.pictures.movies`); with a reference, values outside its range are clipped
    to [0, 1]. Equalised, a value becomes the fraction of reference values <= its
    :func:`equalization_keys` key (``dtype``: the render's precision), so equal values share
    one colour whatever their position.
    """
    finite = np.isfinite(values)
    out = np.full(values.shape, np.nan)
    if not finite.any():
        return out
    data = values[finite]
    basis = data
    if reference is not None and np.isfinite(reference).any():
        basis = reference[np.isfinite(reference)]
    clip = basis is not data
    if equalize:
        keys = equalization_keys(data, coloring, dtype)
        ranks = np.searchsorted(np.sort(basis), keys, side="right")
        out[finite] = ranks / basis.size
        return out
    lo, hi = float(basis.min()), float(basis.max())
    out[finite] = scaled(data, coloring, lo, hi)
    if clip:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def scaled(data: np.ndarray, coloring: str, lo: float, hi: float) -> np.ndarray:
    """Finite values of a field to [0, 1], without equalisation: binary and probability as
    they are, clusters cycling through a qualitative map, the others by the range [lo, hi]
    (the picture's minimum and maximum; a chunked picture passes the whole picture's, a tile
    of the explorer its reference's)."""
    if coloring in ("binary", "probability"):
        return data
    if coloring == "clusters":
        return (data - 1) / 9.0 % 1.0  # qualitative maps: 1 -> first color, cycling
    return (data - lo) / (hi - lo) if hi > lo else np.full(data.shape, 0.5)


def color_array(
    fields: Fields,
    spec: LandscapeSpec,
    options: ColorOptions,
    *,
    reference: Fields | np.ndarray | None = None,
) -> np.ndarray:
    """RGB uint8 of the grid's shape, in picture orientation (top row = highest y).

    ``reference``: fields whose values set the color range and the equalisation (see
    :func:`normalise`), or those values themselves (the coloring's :func:`field_values`, e.g.
    a movie's, :func:`attndyn.pictures.movies.movie_reference`); default ``fields`` themselves.
    """
    cmap = options_colormap(options)
    if reference is None or isinstance(reference, np.ndarray):
        basis = reference
    else:
        basis = field_values(reference, spec, options.coloring)
    unit = normalise(
        field_values(fields, spec, options.coloring),
        options.coloring,
        equalize=options.equalize,
        reference=basis,
        dtype=spec.dtype,
    )
    rgba = cmap(np.nan_to_num(unit, nan=0.0), bytes=True)
    rgb = rgba[..., :3]
    rgb[np.isnan(unit)] = BAD_COLOR
    return np.ascontiguousarray(np.flipud(rgb))


def average_blocks(rgb: np.ndarray, k: int) -> np.ndarray:
    """Average k x k blocks of an (kH, kW, 3) uint8 array into (H, W, 3) uint8."""
    if k == 1:
        return rgb
    rows, cols, channels = rgb.shape
    blocks = rgb.reshape(rows // k, k, cols // k, k, channels).astype(np.float32)
    return np.rint(blocks.mean(axis=(1, 3))).astype(np.uint8)


def picture(
    fields: Fields,
    spec: LandscapeSpec,
    options: ColorOptions,
    *,
    size: tuple[int, int] | None = None,
    reference: Fields | np.ndarray | None = None,
) -> Image.Image:
    """The picture of ``fields``: colored, supersamples averaged, optionally resized.

    ``size`` (width, height) resizes with a bicubic filter (antialiased when shrinking).
    ``reference``: fields that set the colour range and equalisation (:func:`color_array`).
    A binary picture that needs no averaging or resizing is returned as a 1-bit image.
    """
    plain_binary = options == ColorOptions("binary", None, False, False) and spec.supersample == 1
    if plain_binary and (size is None or size == (spec.width, spec.height)):
        return binary_picture(fields.labels)
    rgb = color_array(fields, spec, options, reference=reference)
    image = Image.fromarray(average_blocks(rgb, spec.supersample))
    if options.coloring in ("binary", "probability") and options.cmap is None:
        image = image.convert("L")
    if size is not None and size != image.size:
        image = image.resize(size, Image.Resampling.BICUBIC)
    return image
