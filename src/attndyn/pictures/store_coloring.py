"""Colouring a Zarr store band by band: a picture larger than memory, coloured exactly as
:func:`attndyn.pictures.coloring.picture` colours the same fields in memory.

A band is one row of the store's chunks, across the whole width; bands come top first, each
flipped (row 0 of a field is the picture's bottom row). Only the coloured field is read, one
chunk at a time, each checked against the manifest's checksum.

Colourings that are pixel by pixel (binary, probability, clusters) need nothing else. The
others need the whole picture's statistics first, gathered in passes over the store:

``log-delta``, ``sync-step``
    the minimum and maximum of the finite values (one pass);
``--equalize``
    each value becomes its rank r (the number of finite values <= it) over their count S, and
    the colormap of N colours shows colour ``g(r) = min(int((r / S) * N), N - 1)``, computed
    in float64 as matplotlib does. g only grows with r, so the colour of a value v is the
    number of thresholds ``T_k <= v``, where T_k is the R_k-th smallest value and R_k the
    least rank with g(R_k) >= k, k = 1..N-1 (a value's rank counts the values <= its
    :func:`~attndyn.pictures.coloring.equalization_keys` key, so its colour is the number of T_k <=
    that key). The thresholds are exact order statistics,
    found by a radix selection on the values' 64-bit order-preserving keys, 16 bits per pass
    (one counting pass, then four), with memory bounded by N x 65536 counters.

A band's colours are then those of the in-memory picture, byte for byte; supersampled grids
are averaged over k x k blocks (chunks hold whole output pixels). ``depth=16`` gives 16-bit
grey instead: ``rint(u * 65535)`` of the value u in [0, 1] that the colormap would have been
given (``1 - u`` with ``invert``; nan as 0), averaged over blocks in float64.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from attndyn.model.errors import UserError
from attndyn.model.fields import Fields
from attndyn.pictures.coloring import (
    BAD_COLOR,
    FIELD_OF_COLORING,
    ColorOptions,
    average_blocks,
    equalization_keys,
    field_values,
    options_colormap,
    scaled,
)
from attndyn.rendering.store.zarr_store import ZarrStore

RADIX_BITS = 16
_SIGN = np.uint64(1 << 63)


@dataclass(frozen=True)
class PictureMode:
    """How a picture's pixels are stored: "1" (1-bit, white = 1), "L" (8-bit grey), "RGB",
    or "I;16" (16-bit grey)."""

    name: str

    @property
    def channels(self) -> int:
        return 3 if self.name == "RGB" else 1


def picture_mode(options: ColorOptions, supersample: int, depth: int = 8) -> PictureMode:
    """The mode :func:`attndyn.pictures.coloring.picture` gives (without resizing), or grey16."""
    if depth == 16:
        return PictureMode("I;16")
    if options == ColorOptions("binary", None, False, False) and supersample == 1:
        return PictureMode("1")
    if options.coloring in ("binary", "probability") and options.cmap is None:
        return PictureMode("L")
    return PictureMode("RGB")


def order_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys whose order is the order of the (finite, float64) values; -0.0 as 0.0."""
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The float64 values of :func:`order_keys`' keys."""
    keys = np.asarray(keys, dtype=np.uint64)
    bits = np.where(keys & _SIGN, keys & ~_SIGN, ~keys)
    return bits.view(np.float64)


class StoreColoring:
    """The colouring of a finished store with ``options`` (see the module docstring)."""

    def __init__(self, store: ZarrStore, options: ColorOptions, *, depth: int = 8) -> None:
        if depth not in (8, 16):
            raise UserError(f"depth {depth} is not allowed; choose 8 or 16")
        if depth == 16 and options.cmap is not None:
            raise UserError("16-bit grey takes no colormap; drop --cmap")
        if depth == 16 and options.equalize:
            raise UserError("16-bit grey cannot be equalised; drop --equalize or use 8 bits")
        self.store = store
        self.options = options
        self.depth = depth
        self.spec = store.spec
        self.field = FIELD_OF_COLORING[options.coloring]
        if self.field not in store.field_names:
            raise UserError(
                f"coloring {options.coloring!r} needs the field {self.field!r}, which the "
                f"store {store.location!r} lacks; render with --samples K (K > 1)"
            )
        k = self.spec.supersample
        if any(side % k for side in store.tiling.tile_shape):
            raise UserError(
                f"store {store.location!r} has chunks of {store.tiling.tile_shape} grid pixels, "
                f"not whole output pixels of {k} x {k}; it cannot be coloured chunk by chunk"
            )
        self.mode = picture_mode(options, k, depth)
        self.cmap = options_colormap(options)
        self.count = 0
        self.lo = self.hi = 0.0
        self.thresholds: np.ndarray | None = None
        if options.equalize:
            self._find_thresholds()
        elif options.coloring in ("log-delta", "sync-step") or depth == 16:
            self._find_range()

    # -- reading ------------------------------------------------------------------------------
    def chunk_values(self, i: int, j: int) -> np.ndarray:
        """The coloured field's float64 values (``field_values``) in chunk (i, j)."""
        tile = self.store.tiling.tile(i, j)
        array = self.store.read_verified(tile, (self.field,))[self.field]
        fields = Fields(**{"delta": None, "labels": None, self.field: array})  # type: ignore[arg-type]
        return field_values(fields, self.spec, self.options.coloring)

    def _all_finite(self) -> Iterator[np.ndarray]:
        """The finite values of every chunk, one chunk at a time."""
        counts = self.store.tiling.counts
        for i in range(counts[0]):
            for j in range(counts[1]):
                values = self.chunk_values(i, j)
                yield values[np.isfinite(values)]

    def _find_range(self) -> None:
        lo, hi, count = np.inf, -np.inf, 0
        for data in self._all_finite():
            if data.size:
                lo, hi = min(lo, float(data.min())), max(hi, float(data.max()))
                count += data.size
        self.count, self.lo, self.hi = count, lo, hi

    def _find_thresholds(self) -> None:
        count = sum(data.size for data in self._all_finite())
        self.count = count
        n = self.cmap.N

        def colour(rank: int) -> int:  # matplotlib's index of the value rank / count
            return min(int(rank / count * n), n - 1)

        least = []  # R_k: the least rank whose colour is >= k (None: no rank reaches k)
        for k in range(1, n):
            if count == 0 or colour(count) < k:
                least.append(None)
                continue
            low, high = 1, count
            while low < high:
                middle = (low + high) // 2
                low, high = (middle + 1, high) if colour(middle) < k else (low, middle)
            least.append(low)
        wanted = np.unique(np.array([r for r in least if r is not None], dtype=np.int64))
        found = dict(zip(wanted.tolist(), self._order_statistics(wanted).tolist(), strict=True))
        self.thresholds = np.array([np.inf if r is None else found[r] for r in least])

    def _order_statistics(self, ranks: np.ndarray) -> np.ndarray:
        """The ``ranks``-th smallest finite values (1-based), by radix selection."""
        prefixes = np.zeros(ranks.size, dtype=np.uint64)  # the key bits known so far
        residual = ranks.astype(np.int64)  # rank among the values sharing the prefix
        for level in range(64 // RADIX_BITS):
            known = RADIX_BITS * level
            groups, group_of = np.unique(prefixes, return_inverse=True)
            counts = np.zeros((groups.size, 1 << RADIX_BITS), dtype=np.int64)
            shift = np.uint64(64 - known - RADIX_BITS)
            for data in self._all_finite():
                keys = order_keys(data)
                if known:
                    high = keys >> np.uint64(64 - known)
                    where = np.searchsorted(groups, high)
                    where = np.minimum(where, groups.size - 1)
                    match = groups[where] == high
                    where, keys = where[match], keys[match]
                else:
                    where = np.zeros(keys.size, dtype=np.int64)
                digits = ((keys >> shift) & np.uint64(0xFFFF)).astype(np.int64)
                slots = where * (1 << RADIX_BITS) + digits
                if slots.size * 8 < counts.size:  # few values: count them, not every slot
                    used, found = np.unique(slots, return_counts=True)
                    counts.reshape(-1)[used] += found
                else:
                    counts += np.bincount(slots, minlength=counts.size).reshape(counts.shape)
            cumulative = np.cumsum(counts, axis=1)
            for t in range(ranks.size):
                row = cumulative[group_of[t]]
                digit = int(np.searchsorted(row, residual[t], side="left"))
                residual[t] -= int(row[digit - 1]) if digit else 0
                prefixes[t] = (prefixes[t] << np.uint64(RADIX_BITS)) | np.uint64(digit)
        return key_values(prefixes)

    # -- colouring ------------------------------------------------------------------------------
    def unit(self, values: np.ndarray) -> np.ndarray:
        """Values in [0, 1] (nan where the colouring has none), as the in-memory picture has
        them (not for equalisation, whose colours come from the thresholds)."""
        out = np.full(values.shape, np.nan)
        finite = np.isfinite(values)
        out[finite] = scaled(values[finite], self.options.coloring, self.lo, self.hi)
        return out

    def chunk_picture(self, i: int, j: int) -> np.ndarray:
        """Chunk (i, j)'s picture pixels, bottom row first (not yet flipped)."""
        values = self.chunk_values(i, j)
        k = self.spec.supersample
        if self.mode.name == "1":
            return values != 0
        finite = np.isfinite(values)
        if self.mode.name == "I;16":
            unit = self.unit(values)
            if self.options.invert:
                unit = 1.0 - unit
            grey = np.rint(np.nan_to_num(unit, nan=0.0) * 65535.0)
            rows, cols = grey.shape
            grey = grey.reshape(rows // k, k, cols // k, k).mean(axis=(1, 3))
            return np.rint(grey).astype(np.uint16)
        if self.thresholds is not None:
            keys = equalization_keys(
                np.where(finite, values, 0.0), self.options.coloring, self.spec.dtype
            )
            index = np.searchsorted(self.thresholds, keys, side="right")
            rgba = self.cmap(index, bytes=True)
        else:
            rgba = self.cmap(np.nan_to_num(self.unit(values), nan=0.0), bytes=True)
        rgb = np.ascontiguousarray(rgba[..., :3])
        rgb[~finite] = BAD_COLOR
        rgb = average_blocks(rgb, k)
        if self.mode.name == "L":
            return np.asarray(Image.fromarray(rgb).convert("L"))
        return rgb

    def band(self, i: int) -> np.ndarray:
        """Chunk row ``i``'s picture rows, top first: (rows, cols) for "1" (bool), "L" and
        "I;16", (rows, cols, 3) for "RGB"."""
        parts = [self.chunk_picture(i, j) for j in range(self.store.tiling.counts[1])]
        return np.ascontiguousarray(np.flipud(np.hstack(parts)))

    def bands(self) -> Iterator[np.ndarray]:
        """Every band, top of the picture first."""
        for i in reversed(range(self.store.tiling.counts[0])):
            yield self.band(i)

    @property
    def size(self) -> tuple[int, int]:
        """The picture's (width, height)."""
        return self.spec.width, self.spec.height
