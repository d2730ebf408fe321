"""Tiles: rectangles of a pixel grid, and a quadtree of tiles over the unbounded plane.

Rectangles (:class:`Tile`, :class:`Tiling`)
    A :class:`Tile` is rows ``row0 <= r < row1`` and columns ``col0 <= c < col1`` of one pixel
    grid: the unit of work an engine computes and of memory. A :class:`Tiling` cuts a grid of
    ``shape`` into tiles of ``tile_shape`` (the last row and column of tiles may be smaller);
    it is the unit of resume in a store (:mod:`attndyn.rendering.store`).

The quadtree (:class:`Quadtree`, :class:`TileAddress`)
    Tiles are addressed by ``(zoom, x, y)``: at zoom z the plane is cut into tiles
    ``2**z`` times smaller per axis than the base tile (0, 0, 0); x counts tiles to the right
    and y tiles *upward* (as rows do: row 0 is the lowest y value). Every tile has the same
    pixels, ``columns x rows``, so pixels shrink by 2 per zoom level. x and y may be negative
    or beyond ``2**z - 1``: the grid goes on outside the base window.

    **The grid rule.** Let ``(X, Y)`` be the lower-left corner of the base tile and ``(p, q)``
    its pixel width and height (exact rationals). Pixel column ``i`` of tile ``(z, x, y)``
    has the global index ``u = x * columns + i`` at zoom z and is the cell
    ``[X + u p / 2**z, X + (u + 1) p / 2**z]``; its swept value is the cell's centre

        x_u = X + (u + 1/2) p / 2**z,

    computed exactly (Python integers) and rounded once to float64, so coordinates are
    correctly rounded at every zoom down to float64's resolution. Rows likewise with
    ``v = y * rows + j``, Y and q. Cells of neighbouring tiles are disjoint, so no pixel centre
    repeats across a tile border; the four children of a tile cut each of its cells in
    2 x 2, so they tile their parent exactly and their centres sit a quarter of a parent pixel
    off the parent's.

    **Agreement with render.** ``render`` puts its n pixel centres at ``linspace(lo, hi, n)``:
    its edge pixels lie *on* the window's edges. :meth:`Quadtree.for_window` picks the base tile
    so that its cell centres are exactly those points: pixel size ``(hi - lo) / (n - 1)`` and
    base window ``[lo - p / 2, hi + p / 2]``, render's window widened by half a pixel on each
    side (for n = 1, ``p = hi - lo`` and the one centre is lo, as linspace gives).
    :meth:`Quadtree.for_spec` applies this to the spec's sample grid (supersampling widens the
    range first, as :meth:`attndyn.model.spec.LandscapeSpec.x_values` does). So tile (0, 0, 0) of a
    spec's quadtree *is* render's picture; render computes its values with numpy's linspace,
    which agree with the exact centres to within float64 rounding (a few ulps).

Stable noise (:func:`tile_seed`)
    With ``init = independent`` the points of pixel (row, col) of render's grid are Philox of
    the counter (block, col, row, stream) under key = seed (:mod:`attndyn.model.initial`). A
    quadtree tile's pixels follow the same rule with (row, col) the pixel's row and column *inside
    the tile* and the seed replaced by the tile's seed ``tile_seed(seed, address)``:

    - tile (0, 0, 0): the seed itself, so render's picture keeps its points;
    - any other tile: with ``a = Philox4x32-10(counter=(x mod 2**32, (x >> 32) mod 2**32,
      y mod 2**32, (y >> 32) mod 2**32), key=(seed mod 2**32, seed >> 32))`` and
      ``b = Philox4x32-10(counter=a, key=(zoom, TILE_SEED_TAG))``, the seed is
      ``b0 + 2**32 b1``.

    It is a pure function of (seed, zoom, x, y): who computes a tile, in which order and in how
    many pieces cannot change its points. For a fixed seed and zoom both Philox steps are
    bijections of 128-bit counters, so distinct (x, y) give distinct 128-bit words; the
    64-bit seed keeps half of them (two tiles share a seed with probability 2**-64). x and y
    must lie in [-2**63, 2**63) and zoom in [0, 2**32).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational
from typing import TYPE_CHECKING

import numpy as np

from attndyn.model.errors import UserError
from attndyn.model.rng import philox4x32, seed_key

if TYPE_CHECKING:
    from attndyn.model.spec import LandscapeSpec

TILE_SEED_TAG = 0x74696C65  # "tile": key word k1 of the second step of tile_seed
_MASK32 = 0xFFFFFFFF


@dataclass(frozen=True)
class Tile:
    """Rows ``row0 <= r < row1`` and columns ``col0 <= c < col1`` of the pixel grid."""

    row0: int
    row1: int
    col0: int
    col1: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.row1 - self.row0, self.col1 - self.col0

    @property
    def size(self) -> int:
        return (self.row1 - self.row0) * (self.col1 - self.col0)

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.row0, self.row1), slice(self.col0, self.col1)

    def pixel_coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column index of every pixel, flattened in row-major order."""
        rows, cols = np.meshgrid(
            np.arange(self.row0, self.row1), np.arange(self.col0, self.col1), indexing="ij"
        )
        return rows.ravel(), cols.ravel()


def row_bands(height: int, width: int, pixels_per_tile: int) -> Iterator[Tile]:
    """Cover the grid with full-width bands of about ``pixels_per_tile`` pixels (>= 1 row)."""
    rows_per_band = max(1, pixels_per_tile // max(width, 1))
    for row0 in range(0, height, rows_per_band):
        yield Tile(row0, min(row0 + rows_per_band, height), 0, width)


@dataclass(frozen=True)
class Tiling:
    """A grid of ``shape`` (rows, cols) cut into tiles of ``tile_shape`` (rows, cols).

    Tile (i, j) is rows ``[i * tile_rows, (i + 1) * tile_rows)`` and columns
    ``[j * tile_cols, (j + 1) * tile_cols)``, clipped to the grid. ``tile_shape`` is clipped to
    ``shape`` on construction, so two tilings that cut a grid alike compare equal.
    """

    shape: tuple[int, int]
    tile_shape: tuple[int, int]

    def __post_init__(self) -> None:
        rows, cols = (int(v) for v in self.shape)
        tile_rows, tile_cols = (int(v) for v in self.tile_shape)
        if rows < 1 or cols < 1 or tile_rows < 1 or tile_cols < 1:
            raise ValueError(f"tiling {self.shape} into {self.tile_shape}: sizes must be >= 1")
        object.__setattr__(self, "shape", (rows, cols))
        object.__setattr__(self, "tile_shape", (min(tile_rows, rows), min(tile_cols, cols)))

    @classmethod
    def for_pixels(cls, shape: tuple[int, int], pixels_per_tile: int) -> Tiling:
        """Tiles of about ``pixels_per_tile`` pixels: full-width bands while a row fits in one
        (``max(1, pixels_per_tile // cols)`` rows each, the bands of :func:`row_bands`), else
        squares of side ``isqrt(pixels_per_tile)``."""
        cols = shape[1]
        if cols <= pixels_per_tile:
            return cls(shape, (max(1, pixels_per_tile // cols), cols))
        side = max(1, math.isqrt(max(pixels_per_tile, 1)))
        return cls(shape, (side, side))

    @property
    def counts(self) -> tuple[int, int]:
        """How many tiles along the rows and along the columns."""
        return -(-self.shape[0] // self.tile_shape[0]), -(-self.shape[1] // self.tile_shape[1])

    def __len__(self) -> int:
        return self.counts[0] * self.counts[1]

    def tile(self, i: int, j: int) -> Tile:
        """Tile (i, j): the i-th from the bottom, the j-th from the left."""
        count_i, count_j = self.counts
        if not (0 <= i < count_i and 0 <= j < count_j):
            raise IndexError(f"tile ({i}, {j}) is outside the {count_i} x {count_j} tiles")
        (rows, cols), (tile_rows, tile_cols) = self.shape, self.tile_shape
        row0, col0 = i * tile_rows, j * tile_cols
        return Tile(row0, min(row0 + tile_rows, rows), col0, min(col0 + tile_cols, cols))

    def index(self, tile: Tile) -> tuple[int, int]:
        """(i, j) of a tile of this tiling; ValueError for any other rectangle."""
        i, j = tile.row0 // self.tile_shape[0], tile.col0 // self.tile_shape[1]
        if not (0 <= i < self.counts[0] and 0 <= j < self.counts[1]) or self.tile(i, j) != tile:
            raise ValueError(f"{tile} is not a tile of {self}")
        return i, j

    def __iter__(self) -> Iterator[Tile]:
        """Every tile, row-major from the bottom-left."""
        count_i, count_j = self.counts
        for i in range(count_i):
            for j in range(count_j):
                yield self.tile(i, j)


# -- the quadtree ----------------------------------------------------------------------------
Number = int | float | str | Fraction


def _exact(name: str, value: object) -> Fraction:
    """``value`` as an exact rational: floats exactly as stored, strings as written."""
    if isinstance(value, np.floating | np.integer):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float | str | Rational):
        raise UserError(f"{name} {value!r} is not a number")
    try:
        return Fraction(value)  # type: ignore[arg-type]
    except (ValueError, OverflowError, ZeroDivisionError):
        raise UserError(f"{name} {value!r} is not a finite number") from None


def _integer(name: str, value: object, low: int | None = None) -> int:
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"{name} {value!r} is not an integer")
    if low is not None and value < low:
        raise UserError(f"{name} {value} is too small; it must be >= {low}")
    return value


@dataclass(frozen=True, order=True)
class TileAddress:
    """Tile x (rightward) and y (upward) at ``zoom`` >= 0; any integers x, y."""

    zoom: int
    x: int
    y: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "zoom", _integer("tile zoom", self.zoom, 0))
        object.__setattr__(self, "x", _integer("tile x", self.x))
        object.__setattr__(self, "y", _integer("tile y", self.y))

    def parent(self) -> TileAddress:
        """The tile one zoom level up that contains this one."""
        if self.zoom == 0:
            raise ValueError("a tile at zoom 0 has no parent")
        return TileAddress(self.zoom - 1, self.x >> 1, self.y >> 1)

    def children(self) -> tuple[TileAddress, TileAddress, TileAddress, TileAddress]:
        """The four tiles one level down: lower-left, lower-right, upper-left, upper-right."""
        z, x, y = self.zoom + 1, 2 * self.x, 2 * self.y
        return (
            TileAddress(z, x, y),
            TileAddress(z, x + 1, y),
            TileAddress(z, x, y + 1),
            TileAddress(z, x + 1, y + 1),
        )


ROOT = TileAddress(0, 0, 0)


@dataclass(frozen=True)
class Window:
    """An exact rectangle ``[x_lo, x_hi] x [y_lo, y_hi]`` of the plane."""

    x_lo: Fraction
    x_hi: Fraction
    y_lo: Fraction
    y_hi: Fraction

    def as_floats(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((x_lo, x_hi), (y_lo, y_hi)), each rounded to the nearest float64."""
        return (float(self.x_lo), float(self.x_hi)), (float(self.y_lo), float(self.y_hi))


def _centres(origin: Fraction, pixel: Fraction, zoom: int, first: int, count: int) -> np.ndarray:
    """``origin + (u + 1/2) * pixel / 2**zoom`` for u = first..first+count-1, in float64.

    With origin = a/b and pixel = c/d, the centre is (2 a d 2**z + (2u + 1) c b) / (2 b d 2**z):
    integer numerators over one denominator, and Python's int / int is correctly rounded.
    """
    scale = 1 << (zoom + 1)
    base = origin.numerator * pixel.denominator * scale
    step = pixel.numerator * origin.denominator
    denominator = origin.denominator * pixel.denominator * scale
    return np.array(
        [(base + (2 * u + 1) * step) / denominator for u in range(first, first + count)],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class Quadtree:
    """The fixed quadtree of tiles of ``columns x rows`` pixels over a base tile.

    ``x_origin``, ``y_origin``: the lower-left corner of tile (0, 0, 0); ``pixel_width``,
    ``pixel_height``: its pixel size; all exact rationals (see the module docstring).
    """

    x_origin: Fraction
    y_origin: Fraction
    pixel_width: Fraction
    pixel_height: Fraction
    columns: int
    rows: int

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("x_origin", "y_origin", "pixel_width", "pixel_height"):
            put(self, name, _exact(name.replace("_", " "), getattr(self, name)))
        for name in ("pixel_width", "pixel_height"):
            if getattr(self, name) <= 0:
                raise UserError(f"{name.replace('_', ' ')} {getattr(self, name)} must be > 0")
        put(self, "columns", _integer("tile columns", self.columns, 1))
        put(self, "rows", _integer("tile rows", self.rows, 1))

    @classmethod
    def for_window(
        cls,
        x_range: tuple[Number, Number],
        y_range: tuple[Number, Number],
        columns: int,
        rows: int,
    ) -> Quadtree:
        """The quadtree whose tile (0, 0, 0) has its pixel centres at render's
        ``linspace(lo, hi, n)`` on each axis (first and last centre on the range's edges)."""
        origins, pixels = [], []
        for axis, window, count in (("x", x_range, columns), ("y", y_range, rows)):
            lo, hi = (_exact(f"{axis} range", v) for v in window)
            if not lo < hi:
                raise UserError(f"{axis} range {float(lo)},{float(hi)} is empty; need lo < hi")
            count = _integer(f"tile {'columns' if axis == 'x' else 'rows'}", count, 1)
            pixel = (hi - lo) / (count - 1) if count > 1 else hi - lo
            origins.append(lo - pixel / 2)
            pixels.append(pixel)
        return cls(origins[0], origins[1], pixels[0], pixels[1], columns, rows)

    @classmethod
    def for_spec(cls, spec: LandscapeSpec) -> Quadtree:
        """The quadtree whose tile (0, 0, 0) is the spec's grid (``spec.shape`` pixels).

        With supersample k the range is first widened by ``step * (k - 1) / (2k)`` on each
        side, ``step = (hi - lo) / max(n - 1, 1)`` for the n picture pixels, as the spec's
        own grid is; here exactly.
        """
        k = spec.supersample
        ranges = []
        for (lo, hi), count in ((spec.x_range, spec.width), (spec.y_range, spec.height)):
            lo, hi = Fraction(lo), Fraction(hi)
            half = (hi - lo) / max(count - 1, 1) * (k - 1) / (2 * k)
            ranges.append((lo - half, hi + half))
        rows, cols = spec.shape
        return cls.for_window(ranges[0], ranges[1], cols, rows)

    # -- where tiles are ----------------------------------------------------------------------
    def pixel_size(self, zoom: int) -> tuple[Fraction, Fraction]:
        """(width, height) of a pixel at ``zoom``."""
        scale = 1 << _integer("zoom", zoom, 0)
        return self.pixel_width / scale, self.pixel_height / scale

    def column_offset(self, address: TileAddress) -> int:
        """Global column index, at the tile's zoom, of the tile's first column."""
        return address.x * self.columns

    def row_offset(self, address: TileAddress) -> int:
        """Global row index, at the tile's zoom, of the tile's first (lowest) row."""
        return address.y * self.rows

    def window(self, address: TileAddress) -> Window:
        """The tile's rectangle: the outer edges of its edge pixels' cells."""
        width, height = self.pixel_size(address.zoom)
        x_lo = self.x_origin + self.column_offset(address) * width
        y_lo = self.y_origin + self.row_offset(address) * height
        return Window(x_lo, x_lo + self.columns * width, y_lo, y_lo + self.rows * height)

    def x_values(self, address: TileAddress) -> np.ndarray:
        """Swept values of the tile's columns (cell centres), float64, correctly rounded."""
        return _centres(
            self.x_origin,
            self.pixel_width,
            address.zoom,
            self.column_offset(address),
            self.columns,
        )

    def y_values(self, address: TileAddress) -> np.ndarray:
        """Swept values of the tile's rows, lowest first, float64, correctly rounded."""
        return _centres(
            self.y_origin, self.pixel_height, address.zoom, self.row_offset(address), self.rows
        )

    def render_ranges(
        self, address: TileAddress
    ) -> tuple[tuple[float, float], tuple[float, float]]:
        """``x_range``, ``y_range`` of a spec whose grid of ``columns x rows`` pixels has this
        tile's pixel centres (first and last centre; render's linspace then agrees to within
        float64 rounding)."""
        x, y = self.x_values(address), self.y_values(address)
        return (float(x[0]), float(x[-1])), (float(y[0]), float(y[-1]))

    def covering(
        self, zoom: int, x_range: tuple[Number, Number], y_range: tuple[Number, Number]
    ) -> Iterator[TileAddress]:
        """The tiles at ``zoom`` that overlap the window, row-major from the bottom-left.

        A tile overlaps when the two share an area; a window of zero width or height gets
        the tiles whose half-open span ``[lo, hi)`` holds that edge.
        """
        width, height = self.pixel_size(zoom)
        spans = []
        for axis, window, origin, size in (
            ("x", x_range, self.x_origin, width * self.columns),
            ("y", y_range, self.y_origin, height * self.rows),
        ):
            lo, hi = (_exact(f"{axis} range", v) for v in window)
            if hi < lo:
                raise UserError(f"{axis} range {float(lo)},{float(hi)} has hi < lo")
            first = math.floor((lo - origin) / size)
            spans.append(range(first, max(first + 1, math.ceil((hi - origin) / size))))
        for y in spans[1]:
            for x in spans[0]:
                yield TileAddress(zoom, x, y)

    # -- how far precision reaches ------------------------------------------------------------
    def max_zoom(self, dtype: np.dtype | type | str = "float64", ulps: int = 4) -> int:
        """A zoom no resolving tile exceeds: beyond it a pixel is under ``ulps`` times the
        smallest positive ``dtype`` (the spacing of numbers at zero), so no tile anywhere on
        the plane passes :meth:`resolves`. One comparison of bit lengths; the explorer checks a
        zoom against it before any arithmetic with ``2**zoom``."""
        smallest = Fraction(float(np.finfo(np.dtype(dtype)).smallest_subnormal))
        ratio = min(self.pixel_width, self.pixel_height) / (ulps * smallest)
        return _floor_log2(ratio) + 1  # + 1: float() of a pixel size rounds up at most to that

    def index_bounds(
        self, zoom: int, dtype: np.dtype | type | str = "float64", ulps: int = 4
    ) -> tuple[tuple[int, int], tuple[int, int]]:
        """((x_lo, x_hi), (y_lo, y_hi)): the tile indices at ``zoom`` (at most
        :meth:`max_zoom`) outside which no tile passes :meth:`resolves`, inclusive.

        A tile resolves only if its coordinates are under ``L = 2**(e + nmant + 1)`` in
        magnitude, ``e = floor(log2(pixel / ulps))``: from there on a unit in the last place
        is at least ``2**(e + 1) > pixel / ulps``. So the tile's edges lie in (-L, L), which
        bounds x and y; the exact test stays :meth:`resolves`.
        """
        kind = np.finfo(np.dtype(dtype))
        bounds = []
        for origin, pixel, count in (
            (self.x_origin, self.pixel_width, self.columns),
            (self.y_origin, self.pixel_height, self.rows),
        ):
            size = pixel / (1 << zoom)
            reach = Fraction(2) ** (_floor_log2(size / ulps) + kind.nmant + 1)
            span = size * count
            bounds.append(
                (math.floor((-reach - origin) / span), math.ceil((reach - origin) / span))
            )
        return bounds[0], bounds[1]

    def check_address(
        self, address: TileAddress, dtype: np.dtype | type | str = "float64", ulps: int = 4
    ) -> None:
        """Refuse (:class:`~attndyn.model.errors.UserError`, one line) a tile whose zoom or indices
        lie beyond what ``dtype`` could resolve anywhere (:meth:`max_zoom`,
        :meth:`index_bounds`), before any arithmetic that grows with them: a hostile address
        costs comparisons, never ``2**zoom`` of a huge zoom."""
        name = np.dtype(dtype).name
        deepest = self.max_zoom(dtype, ulps)
        if address.zoom > deepest:
            raise UserError(
                f"tile zoom {_short(address.zoom)} is beyond {name}'s limit; zoom must be "
                f"0..{deepest}, the deepest anywhere on the plane (near zero)"
            )
        (x_lo, x_hi), (y_lo, y_hi) = self.index_bounds(address.zoom, dtype, ulps)
        for axis, value, lo, hi in (("x", address.x, x_lo, x_hi), ("y", address.y, y_lo, y_hi)):
            if not lo <= value <= hi:
                raise UserError(
                    f"tile {axis} {_short(value)} at zoom {address.zoom} is beyond {name}'s "
                    f"limit; it must be {_short(lo)}..{_short(hi)}"
                )

    def deepest_zoom(
        self,
        point: tuple[Number, Number],
        dtype: np.dtype | type | str = "float64",
        ulps: int = 4,
        up_to: int | None = None,
    ) -> int:
        """The zoom before the first at which the tile under ``point`` does not resolve
        (-1 if tile (0, 0, 0)'s level already fails there), looking no deeper than ``up_to``
        (default :meth:`max_zoom`): how deep a view centred on ``point`` can go in
        ``dtype``. Near zero that is deep (numbers are dense there), a few dozen levels
        elsewhere."""
        px, py = _exact("x", point[0]), _exact("y", point[1])
        deepest = self.max_zoom(dtype, ulps) if up_to is None else up_to
        for zoom in range(deepest + 1):
            width, height = self.pixel_size(zoom)
            x = math.floor((px - self.x_origin) / (width * self.columns))
            y = math.floor((py - self.y_origin) / (height * self.rows))
            if not self.resolves(TileAddress(zoom, x, y), dtype, ulps):
                return zoom - 1
        return deepest

    def resolves(self, address: TileAddress, dtype: np.dtype | type | str, ulps: int = 4) -> bool:
        """Whether ``dtype`` separates the tile's pixels: on each axis the pixel size is at
        least ``ulps`` units in the last place of the tile's largest coordinate (the rule
        :class:`~attndyn.model.spec.LandscapeSpec` applies to a whole picture)."""
        kind = np.dtype(dtype).type
        window = self.window(address)
        width, height = self.pixel_size(address.zoom)
        for size, lo, hi in ((width, window.x_lo, window.x_hi), (height, window.y_lo, window.y_hi)):
            largest = max(abs(lo), abs(hi))
            if float(size) < ulps * float(np.spacing(kind(float(largest)))):
                return False
        return True


def _floor_log2(value: Fraction) -> int:
    """floor(log2(value)) of a positive rational, exactly (bit lengths, one correction)."""
    numerator, denominator = value.numerator, value.denominator
    exponent = numerator.bit_length() - denominator.bit_length()
    if exponent >= 0:
        return exponent - 1 if numerator < denominator << exponent else exponent
    return exponent - 1 if numerator << -exponent < denominator else exponent


def _short(value: int) -> str:
    """An integer for a message: in full up to 20 digits, else its sign, leading digits and
    length (a number too long to print quickly: its sign and about how many digits)."""
    text = str(value) if value.bit_length() <= 64 else ""
    if text:
        return text
    sign = "-" if value < 0 else ""
    if value.bit_length() < 4000:
        digits = str(abs(value))
        return f"{sign}{digits[:8]}... ({len(digits)} digits)"
    return f"{sign}... (about {int(value.bit_length() * math.log10(2)) + 1} digits)"


def tile_seed(seed: int, address: TileAddress) -> int:
    """The seed of a tile's independent initial points (see the module docstring).

    Pixel (r, c) of the tile, r and c counted inside the tile, starts from
    ``attndyn.model.initial.pixel_points(tile_seed(seed, address), [r], [c], n)``.
    """
    key = seed_key(_integer("seed", seed, 0))
    if address == ROOT:
        return seed
    limit = 1 << 63
    for name, value in (("x", address.x), ("y", address.y)):
        if not -limit <= value < limit:
            raise UserError(f"tile {name} {value} is outside [-2**63, 2**63)")
    if address.zoom >= 1 << 32:
        raise UserError(f"tile zoom {address.zoom} is too large; it must be < 2**32")
    x, y = address.x & ((1 << 64) - 1), address.y & ((1 << 64) - 1)
    counter = np.array([[x & _MASK32], [x >> 32], [y & _MASK32], [y >> 32]], dtype=np.uint64)
    mixed = philox4x32(counter, key)
    words = philox4x32(mixed, (address.zoom, TILE_SEED_TAG))[:, 0]
    return int(words[0]) | (int(words[1]) << 32)
