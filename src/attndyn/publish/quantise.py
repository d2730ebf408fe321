"""Field values to tile codes: how a published site stores each field, and what a code means.

A code is an unsigned integer per pixel (8 or 16 bits, see :class:`FieldCoding`); code 0 is
"no value" (the colourings' bad colour: a non-finite state), codes 1.. are values:

``labels`` (binary)
    code = label + 1, exact.
``clusters``
    code = the cluster count (0 already means a non-finite state), exact.
``probability``
    code = k + 1 for the fraction k / K of the K samples, exact.
``delta`` (log-delta) and ``sync_step``
    the colouring's value v (log10 of Δ clipped at 1e-12, or the sync step) falls in one of at
    most 65535 bins over the picture's own finite range [lo, hi]; ``code = the number of bin
    edges <= v``. The edges are the union of 32768 evenly spaced values from lo to hi and
    32767 evenly spaced order statistics of level 0's values (its quantiles; a strided
    sample of at most 2^24 values past that size). So no bin is wider than (hi - lo) / 32767,
    and none holds more than about 1/32767 of the pixels unless they share one value: a
    plateau (the unsynchronised region's one Δ, up to rounding) starts its own bin, exactly at
    its lowest value, and the values just below it keep their own codes. A code stands for
    the mean of level 0's values in its bin (the "values" table of the manifest), which the
    colouring scales by [lo, hi] as ``attndyn color`` does.

Equalisation needs each value's rank among all of level 0's finite values. The publisher
counts the codes of level 0 (a histogram) and stores, per code q, ``ranks[q]`` = the number of
finite level-0 pixels whose code is <= the code of q's equalisation key
(:func:`attndyn.pictures.coloring.equalization_keys`; the value itself but for log-delta): the
page's u is ``ranks[q] / count``, as :func:`attndyn.pictures.coloring.normalise` computes it up to
the values that share a code. The manifest holds the table's differences (the histogram, for all
colourings but log-delta), zlib-compressed.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field

import numpy as np

from attndyn.model.spec import LandscapeSpec
from attndyn.pictures.coloring import LOG_DELTA_FLOOR, equalization_keys

EVEN_EDGES = 32768  # evenly spaced bin edges over [lo, hi]
QUANTILE_EDGES = 32767  # order statistics of the values as bin edges
SAMPLE_LIMIT = 2**24  # values kept for the order statistics (a strided sample past it)
COLORING_OF_FIELD = {
    "labels": "binary",
    "delta": "log-delta",
    "sync_step": "sync-step",
    "clusters": "clusters",
    "probability": "probability",
}


def coloring_values(name: str, raw: np.ndarray) -> np.ndarray:
    """The values a colouring of field ``name`` works on, as float64 (nan: no value); as
    :func:`attndyn.pictures.coloring.field_values` computes them."""
    values = np.asarray(raw, dtype=np.float64)
    if name == "delta":
        with np.errstate(invalid="ignore"):
            return np.log10(np.maximum(values, LOG_DELTA_FLOOR))
    if name == "clusters":
        values = values.copy()
        values[values == 0] = np.nan
    return values


@dataclass
class FieldCoding:
    """How field ``name`` is coded: ``kind`` "bins" (``edges`` over [lo, hi]) or "exact"
    (``denominator``: K for probability's k / K, else 1); ``bits`` per code (8 or 16)."""

    name: str
    kind: str
    bits: int
    lo: float = 0.0
    hi: float = 0.0
    denominator: int = 1
    edges: np.ndarray | None = field(default=None, repr=False)  # bin edges, kind "bins"
    means: np.ndarray | None = field(default=None, repr=False)  # per code, kind "bins"
    ranks: np.ndarray | None = field(default=None, repr=False)  # per code, for equalize
    present: np.ndarray | None = field(default=None, repr=False)  # per code: level 0 has it
    count: int = 0  # finite level-0 pixels

    @property
    def coloring(self) -> str:
        return COLORING_OF_FIELD[self.name]

    @property
    def size(self) -> int:
        """How many codes there are (2 ** bits)."""
        return 1 << self.bits

    def encode(self, raw: np.ndarray) -> np.ndarray:
        """The codes (uint16) of field values ``raw`` as the store holds them."""
        values = coloring_values(self.name, raw)
        finite = np.isfinite(values)
        codes = np.zeros(values.shape, dtype=np.uint16)
        if self.kind == "bins":
            codes[finite] = self.encode_values(values[finite])
        elif self.name == "labels":
            codes[finite] = values[finite].astype(np.int64) + 1
        elif self.name == "probability":
            codes[finite] = np.rint(values[finite] * self.denominator).astype(np.int64) + 1
        else:  # clusters
            codes[finite] = values[finite].astype(np.int64)
        return codes

    def values(self, codes: np.ndarray) -> np.ndarray:
        """The values codes stand for (float64; nan for code 0)."""
        codes = np.asarray(codes, dtype=np.float64)
        if self.kind == "bins":
            assert self.means is not None
            out = self.means[codes.astype(np.int64)]
        elif self.name == "labels":
            out = codes - 1
        elif self.name == "probability":
            out = ((codes - 1) / self.denominator).astype(np.float32).astype(np.float64)
        else:
            out = codes.copy()
        out[codes == 0] = np.nan
        return out

    def count_codes(
        self, codes: np.ndarray, raw: np.ndarray, histogram: np.ndarray, sums: np.ndarray
    ) -> None:
        """Add the codes of one chunk of level 0 to ``histogram`` (one counter per code), and
        their values (``raw``, as stored) to ``sums`` (kind "bins")."""
        histogram += np.bincount(codes.ravel(), minlength=self.size)[: self.size]
        if self.kind == "bins":
            values = coloring_values(self.name, raw).ravel()
            finite = np.isfinite(values)
            sums += np.bincount(codes.ravel()[finite], weights=values[finite], minlength=self.size)[
                : self.size
            ]

    def set_means(self, histogram: np.ndarray, sums: np.ndarray) -> None:
        """Each code's value: the mean of level 0's values in its bin (kind "bins"; a bin
        without values: its lower edge)."""
        assert self.edges is not None
        means = np.zeros(self.size)
        lower = np.concatenate([[np.nan], self.edges, np.full(self.size, np.nan)])[: self.size]
        means[:] = lower
        filled = histogram > 0
        means[filled] = sums[filled] / histogram[filled]
        means[0] = np.nan
        # a mean is never outside its bin, whatever the float sums' rounding
        upper = np.concatenate([[np.nan], self.edges[1:], [self.hi], np.full(self.size, np.nan)])
        upper = upper[: self.size]
        inside = np.isfinite(lower) & np.isfinite(upper)
        means[inside] = np.clip(means[inside], lower[inside], upper[inside])
        self.means = means

    def set_ranks(self, histogram: np.ndarray, dtype: str) -> None:
        """The equalisation table from level 0's histogram of codes (see the module
        docstring); ``dtype`` is the render's precision (log-delta's keys depend on it).
        Kind "bins" needs :meth:`set_means` first."""
        counts = histogram.astype(np.int64)
        counts[0] = 0  # no value
        self.present = counts > 0
        cumulative = np.cumsum(counts)
        self.count = int(cumulative[-1])
        keys = np.arange(self.size)
        if self.coloring == "log-delta" and self.kind == "bins":
            values = self.values(keys[1:])
            key_values = equalization_keys(values, self.coloring, dtype)
            keys = np.concatenate([[0], self.encode_values(key_values)])
        self.ranks = cumulative[keys].astype(np.uint32)

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        """Codes of finite colouring values (already log10 for delta), kind "bins" only: the
        number of edges <= the value (the first edge is lo), within 1..len(edges)."""
        assert self.edges is not None
        codes = np.searchsorted(self.edges, values, side="right")
        return np.clip(codes, 1, len(self.edges)).astype(np.int64)

    def to_manifest(self) -> dict:
        """The coding as the page reads it; the ranks as their differences (little-endian
        uint32), zlib-compressed and base64-encoded (mostly small numbers and zeros)."""
        assert self.ranks is not None
        steps = np.diff(self.ranks.astype(np.int64), prepend=0).astype("<u4")
        ranks = base64.b64encode(zlib.compress(steps.tobytes(), 9)).decode("ascii")
        out: dict = {}
        if self.kind == "bins":
            assert self.means is not None and self.edges is not None
            means = np.where(np.isfinite(self.means), self.means, 0.0).astype("<f8")
            means[self.present == 0] = 0.0  # codes no pixel has: zeros compress
            out["means_deflate"] = base64.b64encode(zlib.compress(means.tobytes(), 9)).decode()
            out["codes"] = len(self.edges)
        return out | {
            "coloring": self.coloring,
            "kind": self.kind,
            "bits": self.bits,
            "lo": self.lo,
            "hi": self.hi,
            "denominator": self.denominator,
            "count": self.count,
            "ranks_deflate": ranks,
        }


class RangeScan:
    """The finite range of each field with bins, a sample of its values for the order
    statistics, and the largest cluster count, gathered chunk by chunk over level 0 (of
    ``shape``), then turned into :class:`FieldCoding` s."""

    BINNED = ("delta", "sync_step")

    def __init__(self, names: tuple[str, ...], shape: tuple[int, int]) -> None:
        self.names = names
        self.lo = {name: np.inf for name in names}
        self.hi = {name: -np.inf for name in names}
        self.stride = max(1, int(np.ceil(np.sqrt(shape[0] * shape[1] / SAMPLE_LIMIT))))
        self.samples: dict[str, list[np.ndarray]] = {name: [] for name in self.BINNED}

    def add(self, arrays: dict[str, np.ndarray]) -> None:
        for name in self.names:
            if name in ("labels", "probability"):
                continue
            values = coloring_values(name, arrays[name])
            finite = values[np.isfinite(values)]
            if finite.size:
                self.lo[name] = min(self.lo[name], float(finite.min()))
                self.hi[name] = max(self.hi[name], float(finite.max()))
            if name in self.samples:
                sample = values[:: self.stride, :: self.stride].ravel()
                self.samples[name].append(sample[np.isfinite(sample)])

    def edges(self, name: str) -> np.ndarray:
        """The bin edges of field ``name``: evenly spaced values and order statistics."""
        lo, hi = self.lo[name], self.hi[name]
        even = np.linspace(lo, hi, EVEN_EDGES)
        values = np.sort(np.concatenate(self.samples[name] or [np.empty(0)]))
        if values.size:
            picks = np.linspace(0, values.size - 1, QUANTILE_EDGES).astype(np.int64)
            even = np.concatenate([even, values[picks]])
        edges = np.unique(even)  # sorted; at most 65535
        return edges[(edges >= lo) & (edges <= hi)]

    def codings(self, spec: LandscapeSpec) -> dict[str, FieldCoding]:
        out = {}
        for name in self.names:
            lo, hi = self.lo[name], self.hi[name]
            if not np.isfinite(lo):
                lo = hi = 0.0
            if name in self.BINNED:
                out[name] = FieldCoding(name, "bins", 16, lo, hi, edges=self.edges(name))
            elif name == "labels":
                out[name] = FieldCoding(name, "exact", 8)
            elif name == "probability":
                bits = 8 if spec.samples + 1 <= 255 else 16
                out[name] = FieldCoding(name, "exact", bits, 0.0, 1.0, denominator=spec.samples)
            else:
                bits = 8 if hi <= 255 else 16
                out[name] = FieldCoding(name, "exact", bits, lo, hi)
        return out
