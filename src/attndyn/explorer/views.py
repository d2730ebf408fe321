"""A view of the explorer: one URL query, parsed and checked, and the jobs it asks for.

The query holds the whole state of the page under the names of ``render``'s options
(``preset``, ``wq``, ``wv``, ``init``, ``seed``, ``steps``, ``points``, ``tol``, ``x-param``,
``y-param``, ``beta``, ``precision``, ... and ``center``, ``width``), the colour options
(``coloring``, ``cmap``, ``invert``, ``equalize``), and the explorer's own ``ref`` (below).
Options that name files (``from``, ``presets``, ``x0``) are refused: a server takes no paths.

Two windows. The **tile pyramid** is the quadtree over the spec of the options *without*
``center`` and ``width``, at 256 x 256 pixels (:attr:`View.base`): its tile (0, 0, 0) covers
the spec's window ([-8, 8]² unless the preset, ``range``, ``x-range`` or ``y-range`` say
otherwise; pixel centres at render's ``linspace``), and tile (z, x, y) is
:func:`attndyn.rendering.render.render_tile` of it (x rightward, y upward). ``center`` and ``width``
say where the page looks: ``width`` is the visible extent of the horizontal axis, and the
height follows the page's aspect ratio, exactly as ``render --center --width --size WxH``
makes its window. So a picture of the view (:meth:`View.export_job`, the "Copy command") is
that render command at the page's size.

Precision. ``precision`` float64 computes every tile in float64. Otherwise (float32, the
default) a tile is computed in float32 where float32 resolves it (pixels at least 4 ulps
apart, :meth:`attndyn.model.tiles.Quadtree.resolves`) and in float64 where it does not; a tile
that float64 cannot resolve is refused (:class:`~attndyn.model.errors.UserError`, which the page
shows) rather than drawn as noise.

Colour range. ``log-delta`` and ``sync-step`` map a range of values to the colormap, and
``equalize`` a distribution; for a picture those are its own. Tiles coloured each by its own
range would not join, so every tile of a view takes them from one **reference tile**:
``ref`` = ``z,x,y`` (the page sets it to the tile under the view's centre when the zoom
changes), or tile (0, 0, 0) when ``ref`` is not given.
"""

from __future__ import annotations

import functools
import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from attndyn.model.errors import FieldError, UserError
from attndyn.model.job import Job
from attndyn.model.options import FILE_FIELDS, OPTION_NAMES, RenderOptions, build_job, option_name
from attndyn.model.parsing import parse_int, parse_size
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Quadtree, TileAddress, tile_seed
from attndyn.pictures.coloring import COLOR_OPTION_NAMES, ColorOptions

TILE_SIZE = 256
DEFAULT_PICTURE_SIDE = 512  # a picture of the view when neither size nor the screen is known
EXPLORER_KEYS = ("ref",)
_FILE_NAMES = tuple(option_name(f) for f in FILE_FIELDS)
SPEC_KEYS = tuple(name for name in OPTION_NAMES if name not in _FILE_NAMES)
VIEW_KEYS = (*SPEC_KEYS, *COLOR_OPTION_NAMES, *EXPLORER_KEYS)
RESOLVING_ULPS = 4
INITS = ("independent", "shared")  # the initial points a view may take (no file: no x0)
PREVIEW_SIDE = 64  # a preview tile: the tile's window at 64 x 64 pixels, shown upscaled
ADDRESS_DIGITS = 400  # a tile index or zoom longer than this is refused unread

# The first screen when the command line says nothing: chosen by looking at the gallery's
# presets at 1280x800 (docs/explorer.md): art8012376 with one shared configuration, coloured
# by the step at which each pixel synchronised (twilight_shifted, equalized), fills the
# window with the most detail and colour.
DEFAULT_VIEW = {
    "preset": "art8012376",
    "init": "shared",
    "coloring": "sync-step",
    "cmap": "twilight_shifted",
    "equalize": "true",
}
# Options that name the matrices: given any of them, the default preset is not used.
MATRIX_KEYS = ("preset", "wq", "wv", "wk")


@dataclass(frozen=True)
class Limits:
    """What one request may ask for: caps on the work behind a tile and an export.

    ``export_pixels`` caps the export's width x height (and ``export_side`` each side); the
    export is also refused when ``render`` would refuse it (:func:`attndyn.rendering.estimate.
    refuse_if_huge` without ``--force``).
    """

    steps: int = 2000
    points: int = 64
    samples: int = 16
    supersample: int = 3
    export_side: int = 8192
    export_pixels: int = 4096 * 4096

    def check(self, spec: LandscapeSpec) -> None:
        """Refuse a spec over the caps, naming the option (a :class:`FieldError`)."""
        for field, value, cap in (
            ("steps", spec.steps, self.steps),
            ("points", spec.n_points, self.points),
            ("samples", spec.samples, self.samples),
            ("supersample", spec.supersample, self.supersample),
        ):
            if value > cap:
                raise FieldError(
                    lambda n, field=field, value=value, cap=cap: (
                        f"{n(field)} {value} is over the explorer's cap; it must be <= {cap}"
                    )
                )

    def to_dict(self) -> dict[str, int]:
        return {
            "steps": self.steps,
            "points": self.points,
            "samples": self.samples,
            "supersample": self.supersample,
            "export_side": self.export_side,
            "export_pixels": self.export_pixels,
        }


def spelled(error: UserError) -> str:
    """The one-line message of a user error, options named as in a URL query."""
    return error.spelled(option_name) if isinstance(error, FieldError) else str(error)


def parse_address(z: Any, x: Any, y: Any) -> TileAddress:
    """A tile address from text (``"3"``, ``"-2"``, ``"5"``), each an integer, zoom >= 0.

    Text over :data:`ADDRESS_DIGITS` characters is refused before it is read: no tile the
    explorer draws needs more (float64's reach is about 1100 binary digits of zoom and
    index), and the message then quotes its start, not all of it."""
    values = []
    for name, text in (("tile z", z), ("tile x", x), ("tile y", y)):
        text = str(text)
        if len(text) > ADDRESS_DIGITS:
            raise UserError(
                f"{name} {text[:12]!r}... has {len(text)} characters; an index has at most "
                f"{ADDRESS_DIGITS} digits"
            )
        values.append(parse_int(name, text))
    return TileAddress(*values)


def _parse_ref(text: str) -> TileAddress:
    parts = str(text).split(",")
    if len(parts) != 3:
        raise FieldError(lambda n: f"{n('ref')} {text!r} is not z,x,y (three integers)")
    return parse_address(*parts)


@dataclass(frozen=True)
class View:
    """One page state: the options, the colours, and the tile pyramid's spec."""

    options: RenderOptions
    colors: ColorOptions
    base: LandscapeSpec
    ref: TileAddress | None = None

    # -- parsing ------------------------------------------------------------------------------
    @classmethod
    def from_query(
        cls,
        query: Mapping[str, Any],
        limits: Limits | None = None,
        *,
        extra: tuple[str, ...] = (),
    ) -> View:
        """The view of a URL query; keys in ``extra`` (an endpoint's own) are skipped.

        Raises :class:`~attndyn.model.errors.UserError` (a :class:`FieldError` naming the option
        for an option's value) for an unknown key, a bad value, or a spec over ``limits``.
        """
        spec_values: dict[str, Any] = {}
        color_values: dict[str, Any] = {}
        ref = None
        for key, value in query.items():
            if key in extra:
                continue
            if key in _FILE_NAMES:
                raise FieldError(
                    lambda n, key=key: (
                        f"option {key!r} names a file, which the explorer does not accept; "
                        "give the options themselves"
                    )
                )
            if key in COLOR_OPTION_NAMES:
                color_values[key] = value
            elif key == "ref":
                ref = _parse_ref(value)
            elif key == "init" and value not in INITS:  # "file" needs x0, a file: not here
                raise FieldError(
                    lambda n, value=value: (
                        f"{n('init')} {value!r} is not one the explorer draws; choose "
                        f"{' or '.join(INITS)}"
                    )
                )
            elif key in SPEC_KEYS:
                spec_values[key] = value
            else:
                allowed = ", ".join((*VIEW_KEYS, *extra))
                raise FieldError(
                    lambda n, key=key, allowed=allowed: (
                        f"option {key!r} is unknown; known options are {allowed}"
                    )
                )
        options = RenderOptions.from_strings(spec_values, files=False)
        colors = ColorOptions.from_strings(color_values)
        base = pyramid_spec(options)
        (limits or Limits()).check(base)
        if colors.coloring == "probability" and base.samples < 2:
            raise FieldError(
                lambda n: f"{n('coloring')} probability needs {n('samples')} of 2 or more"
            )
        if options.center is not None or options.width is not None:
            _check_view_window(options)
        return cls(options, colors, base, ref)

    # -- tiles --------------------------------------------------------------------------------
    @property
    def quadtree(self) -> Quadtree:
        """The fixed quadtree of the tile pyramid (tile (0, 0, 0) = :attr:`base`'s grid)."""
        return Quadtree.for_spec(self.base)

    def tile_job(self, address: TileAddress) -> Job:
        """The job of tile ``address``, in the precision that resolves it (module docstring).

        Raises :class:`~attndyn.model.errors.UserError` for a tile beyond float64's limit.
        """
        return tile_job(self.base, address)

    def max_zoom(self) -> int:
        """How deep the view can zoom at its centre (``center``, else the pyramid window's
        centre): the last zoom whose tile there float64 resolves
        (:meth:`attndyn.model.tiles.Quadtree.deepest_zoom`) and, with ``init independent``, whose
        tile indices stay under ``2**62`` (the tile seed takes ``[-2**63, 2**63)``,
        :func:`attndyn.model.tiles.tile_seed`; the margin keeps the view's neighbours in)."""
        tree = self.quadtree
        if self.options.center is not None:
            point = self.options.center
        else:
            (x_lo, x_hi), (y_lo, y_hi) = self.base.x_range, self.base.y_range
            point = ((x_lo + x_hi) / 2, (y_lo + y_hi) / 2)
        deepest = tree.max_zoom("float64", RESOLVING_ULPS)
        if self.base.init == "independent":

            def seeded(zoom: int) -> bool:  # |index| grows with the zoom: a binary search
                tile = next(tree.covering(zoom, (point[0],) * 2, (point[1],) * 2))
                return max(abs(tile.x), abs(tile.y)) < 1 << 62

            low = 0  # seeded(0) holds: zoom 0's indices are small
            while low < deepest:
                middle = (low + deepest + 1) // 2
                low, deepest = (middle, deepest) if seeded(middle) else (low, middle - 1)
        return tree.deepest_zoom(point, "float64", RESOLVING_ULPS, up_to=deepest)

    @property
    def ref_address(self) -> TileAddress:
        """The tile whose fields set the colour range (``ref``, default (0, 0, 0))."""
        return self.ref or TileAddress(0, 0, 0)

    @property
    def needs_reference(self) -> bool:
        """Whether the colours depend on a range or distribution (so on the reference tile)."""
        return self.colors.equalize or self.colors.coloring in ("log-delta", "sync-step")

    # -- pictures and links -------------------------------------------------------------------
    def export_job(self, size: tuple[int, int] | None = None) -> Job:
        """The job of a picture of what the page shows, at ``size`` = (W, H) pixels.

        The window is ``center``/``width`` at that size (the whole pyramid's window without
        them); the precision is float32 where float32 resolves the picture, else float64
        (unless ``precision`` is float64).
        """
        options = self.picture_options(size)
        if options.precision == "float64":
            return build_job(options)
        try:
            return build_job(replace(options, precision="float32"))
        except UserError as error:
            try:
                return build_job(replace(options, precision="float64"))
            except UserError:
                raise error from None

    def picture_options(self, size: tuple[int, int] | None = None) -> RenderOptions:
        """The render options of a picture of the view at ``size`` (default: ``size`` or
        the spec's default)."""
        size = size or self.options.size or (DEFAULT_PICTURE_SIDE, DEFAULT_PICTURE_SIDE)
        options = replace(self.options, size=size)
        if options.center is not None:
            options = replace(options, range=None, x_range=None, y_range=None)
        return options

    def command(self, size: tuple[int, int] | None = None, output: str = "explore.png") -> str:
        """The equivalent ``attndyn render`` command line (precision as the export's)."""
        job = self.export_job(size)
        options = self.picture_options(size)
        if job.spec.dtype != (options.precision or "float32"):
            options = replace(options, precision=job.spec.dtype)
        argv = ["attndyn", "render", *options.to_argv(), *color_argv(self.colors), "-o", output]
        return shlex.join(argv)

    def to_query(self) -> dict[str, str]:
        """The query that reopens this view: :meth:`from_query` of it gives an equal view."""
        query: dict[str, str] = {}
        for name, value in self.options.to_strings().items():
            query[name] = value if isinstance(value, str) else ",".join(value)
        query.update(color_query(self.colors))
        if self.ref is not None:
            query["ref"] = f"{self.ref.zoom},{self.ref.x},{self.ref.y}"
        return query

    def tile_query(self) -> dict[str, str]:
        """The query of this view's tiles: the view's, less ``center``, ``width`` and ``size``
        (they say where the page looks, not what a tile holds) and less ``ref`` unless the
        colours need it."""
        query = self.to_query()
        for name in ("center", "width", "size"):
            query.pop(name, None)
        if not self.needs_reference:
            query.pop("ref", None)
        return query


def given_view_query(
    options: RenderOptions,
    *,
    coloring: str | None = None,
    cmap: str | None = None,
    invert: bool = False,
    equalize: bool = False,
) -> dict[str, str]:
    """The view a front end was given (``render``'s options and the colour options), as URL
    query text: what ``attndyn explore`` and :func:`attndyn.explore` put over
    :data:`DEFAULT_VIEW` (:func:`first_view_query`).

    Options that name files are refused first, each front end spelling the option its own
    way (:func:`files_given`), since the page's URL cannot carry a file.
    """
    query: dict[str, str] = {}
    for name, value in options.to_strings().items():
        query[name] = value if isinstance(value, str) else ",".join(value)
    if coloring:
        query["coloring"] = str(coloring)
    if cmap:
        query["cmap"] = str(cmap)
    if invert:
        query["invert"] = "true"
    if equalize:
        query["equalize"] = "true"
    return query


def files_given(options: RenderOptions) -> list[str]:
    """The fields of ``options`` that name files and are given (``FILE_FIELDS`` order)."""
    return [f for f in FILE_FIELDS if getattr(options, f) not in (None, (), False)]


def first_view_query(given: Mapping[str, str]) -> dict[str, str]:
    """The first view: the options ``given`` (a query) over :data:`DEFAULT_VIEW`.

    Spec options replace the default's one by one, except that naming the matrices
    (``preset``, ``wq``, ``wv`` or ``wk``) drops the default preset (and the seed it
    carries). Colour options replace the default colours as a whole: ``coloring binary``
    alone is the binary picture, not binary with the default's colormap.
    """
    spec = {k: v for k, v in DEFAULT_VIEW.items() if k not in COLOR_OPTION_NAMES}
    colors = {k: v for k, v in DEFAULT_VIEW.items() if k in COLOR_OPTION_NAMES}
    if any(key in given for key in MATRIX_KEYS):
        spec.pop("preset", None)
    if any(key in given for key in COLOR_OPTION_NAMES):
        colors = {}
    return {**spec, **colors, **given}


def color_query(colors: ColorOptions) -> dict[str, str]:
    """The colour options that differ from the defaults, as query text."""
    query: dict[str, str] = {}
    if colors.coloring != "binary":
        query["coloring"] = colors.coloring
    if colors.cmap is not None:
        query["cmap"] = colors.cmap
    if colors.invert:
        query["invert"] = "true"
    if colors.equalize:
        query["equalize"] = "true"
    return query


def color_argv(colors: ColorOptions) -> list[str]:
    """The colour options as ``attndyn render`` arguments."""
    argv: list[str] = []
    if colors.coloring != "binary":
        argv += ["--coloring", colors.coloring]
    if colors.cmap is not None:
        argv += ["--cmap", colors.cmap]
    argv += ["--invert"] if colors.invert else []
    argv += ["--equalize"] if colors.equalize else []
    return argv


def pyramid_spec(options: RenderOptions) -> LandscapeSpec:
    """The spec of the tile pyramid: ``options`` without center, width and size, at 256²."""
    base = replace(options, center=None, width=None, size=(TILE_SIZE, TILE_SIZE))
    return build_job(base).spec


@functools.lru_cache(maxsize=4096)
def tile_job(base: LandscapeSpec, address: TileAddress) -> Job:
    """Tile ``address`` of ``base``'s pyramid in the precision that resolves it (remembered
    for the last 4096 tiles: a tile's request, its picture's cache key and its reference's
    each need it, and its exact geometry costs a millisecond).

    The address is first checked against float64's reach on the whole plane
    (:meth:`attndyn.model.tiles.Quadtree.check_address`: comparisons only), so a hostile zoom or
    index costs microseconds; then the exact test. Tiles outside the base window are tiles
    like any other: the plane is unbounded, and only precision bounds it."""
    tree = Quadtree.for_spec(base)
    tree.check_address(address, "float64", RESOLVING_ULPS)
    if base.init == "independent":
        tile_seed(base.seed, address)  # refuses indices outside [-2**63, 2**63), one line
    spec = base
    if base.dtype == "float32" and not tree.resolves(address, "float32", RESOLVING_ULPS):
        spec = replace(base, dtype="float64")
    if not tree.resolves(address, "float64", RESOLVING_ULPS):
        width = float(tree.pixel_size(address.zoom)[0])
        raise UserError(
            f"tile (zoom {address.zoom}, x {address.x}, y {address.y}) is beyond float64's "
            f"limit: its pixels ({width:.3g} wide) are under {RESOLVING_ULPS} ulps of their "
            "coordinates; zoom out"
        )
    return Job(spec).for_tile(address)


def preview_job(job: Job) -> Job:
    """A quick, coarse picture of tile ``job``'s window: :data:`PREVIEW_SIDE`² pixels
    (no supersampling), their centres those of a grid whose pixels are
    ``columns / PREVIEW_SIDE`` of the tile's wide, over the same window. Its own job (its
    own spec, ``render``'s linspace over those centres), so it is never taken for the tile.
    """
    spec = job.spec
    tree = Quadtree.for_spec(spec)
    factor = Fraction(tree.columns, PREVIEW_SIDE), Fraction(tree.rows, PREVIEW_SIDE)
    coarse = Quadtree(
        tree.x_origin,
        tree.y_origin,
        tree.pixel_width * factor[0],
        tree.pixel_height * factor[1],
        PREVIEW_SIDE,
        PREVIEW_SIDE,
    )
    x_range, y_range = coarse.render_ranges(job.address or TileAddress(0, 0, 0))
    small = replace(
        spec,
        width=PREVIEW_SIDE,
        height=PREVIEW_SIDE,
        supersample=1,
        x_range=x_range,
        y_range=y_range,
    )
    return Job(small, job.x0, job.sample)


def _check_view_window(options: RenderOptions) -> None:
    """Refuse a center/width that is not a window (render's rules, at a square size)."""
    if (options.center is None) != (options.width is None):
        raise FieldError(lambda n: f"{n('center')} and {n('width')} go together; give both")
    assert options.center is not None and options.width is not None
    cx, cy = options.center
    if not (math.isfinite(cx) and math.isfinite(cy)):
        raise FieldError(lambda n: f"{n('center')} {cx},{cy} is not finite; give two numbers")
    if not (options.width > 0 and math.isfinite(options.width)):
        raise FieldError(lambda n: f"{n('width')} {options.width} must be a finite number > 0")


def parse_export_size(text: Any, limits: Limits) -> tuple[int, int]:
    """An export size (``R`` or ``WxH``) within the limits."""
    width, height = parse_size("size", text)
    if max(width, height) > limits.export_side or width * height > limits.export_pixels:
        raise FieldError(
            lambda n: (
                f"{n('size')} {width}x{height} is over the explorer's export cap: at most "
                f"{limits.export_side} pixels a side and {limits.export_pixels} pixels in all"
            )
        )
    return width, height
