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
    the colouring's value v (log10 of Δ clipped at 1e-12, or the sync step) is quantised
    linearly over the picture's own finite range [lo, hi]:
    ``code = 1 + rint((v - lo) / (hi - lo) * 65534)``, so the value a code stands for is off by
    at most ``(hi - lo) / 131068``, and the unit the colormap is given (``(code - 1) / 65534``)
    by at most 1 / 131068: the colour index ``floor(u N)`` is then exact or one off, at the
    few pixels whose u lies that close to an index boundary.

Equalisation needs each value's rank among all of level 0's finite values. The publisher
counts the codes of level 0 (a histogram) and stores, per code q, ``ranks[q]`` = the number of
finite level-0 pixels whose code is <= the code of q's equalisation key
(:func:`attndyn.coloring.equalization_keys`; the value itself but for log-delta): the page's u
is ``ranks[q] / count``, as :func:`attndyn.coloring.normalise` computes it up to the values
that share a code. The manifest holds the table's differences (the histogram, for all
colourings but log-delta), zlib-compressed.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field

import numpy as np

from attndyn.coloring import LOG_DELTA_FLOOR, equalization_keys
from attndyn.spec import LandscapeSpec

LINEAR_STEPS = 65534  # codes 1..65535 for [lo, hi]
COLORING_OF_FIELD = {
    "labels": "binary",
    "delta": "log-delta",
    "sync_step": "sync-step",
    "clusters": "clusters",
    "probability": "probability",
}


def coloring_values(name: str, raw: np.ndarray) -> np.ndarray:
    """The values a colouring of field ``name`` works on, as float64 (nan: no value); as
    :func:`attndyn.coloring.field_values` computes them."""
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
    """How field ``name`` is coded: ``kind`` "linear" (over [lo, hi]) or "exact"
    (``denominator``: K for probability's k / K, else 1); ``bits`` per code (8 or 16)."""

    name: str
    kind: str
    bits: int
    lo: float = 0.0
    hi: float = 0.0
    denominator: int = 1
    ranks: np.ndarray | None = field(default=None, repr=False)  # per code, for equalize
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
        if self.kind == "linear":
            span = self.hi - self.lo
            unit = (values[finite] - self.lo) / span if span > 0 else 0.0 * values[finite]
            codes[finite] = 1 + np.rint(np.clip(unit, 0.0, 1.0) * LINEAR_STEPS).astype(np.int64)
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
        if self.kind == "linear":
            out = self.lo + (codes - 1) * ((self.hi - self.lo) / LINEAR_STEPS)
        elif self.name == "labels":
            out = codes - 1
        elif self.name == "probability":
            out = ((codes - 1) / self.denominator).astype(np.float32).astype(np.float64)
        else:
            out = codes.copy()
        out[codes == 0] = np.nan
        return out

    def count_codes(self, codes: np.ndarray, histogram: np.ndarray) -> None:
        """Add the codes of one chunk of level 0 to ``histogram`` (one counter per code)."""
        histogram += np.bincount(codes.ravel(), minlength=self.size)[: self.size]

    def set_ranks(self, histogram: np.ndarray, dtype: str) -> None:
        """The equalisation table from level 0's histogram of codes (see the module
        docstring); ``dtype`` is the render's precision (log-delta's keys depend on it)."""
        counts = histogram.astype(np.int64)
        counts[0] = 0  # no value
        cumulative = np.cumsum(counts)
        self.count = int(cumulative[-1])
        keys = np.arange(self.size)
        if self.coloring == "log-delta" and self.kind == "linear":
            values = self.values(keys[1:])
            key_values = equalization_keys(values, self.coloring, dtype)
            keys = np.concatenate([[0], self.encode_values(key_values)])
        self.ranks = cumulative[keys].astype(np.uint32)

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        """Codes of colouring values (already log10 for delta), linear codings only."""
        span = self.hi - self.lo
        unit = (values - self.lo) / span if span > 0 else 0.0 * values
        return 1 + np.rint(np.clip(unit, 0.0, 1.0) * LINEAR_STEPS).astype(np.int64)

    def to_manifest(self) -> dict:
        """The coding as the page reads it; the ranks as their differences (little-endian
        uint32), zlib-compressed and base64-encoded (mostly small numbers and zeros)."""
        assert self.ranks is not None
        steps = np.diff(self.ranks.astype(np.int64), prepend=0).astype("<u4")
        ranks = base64.b64encode(zlib.compress(steps.tobytes(), 9)).decode("ascii")
        return {
            "coloring": self.coloring,
            "kind": self.kind,
            "bits": self.bits,
            "lo": self.lo,
            "hi": self.hi,
            "steps": LINEAR_STEPS,
            "denominator": self.denominator,
            "count": self.count,
            "ranks_deflate": ranks,
        }


class RangeScan:
    """The finite range of each linear field and the largest cluster count, gathered chunk by
    chunk over level 0, then turned into :class:`FieldCoding` s."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.lo = {name: np.inf for name in names}
        self.hi = {name: -np.inf for name in names}

    def add(self, arrays: dict[str, np.ndarray]) -> None:
        for name in self.names:
            if name in ("labels", "probability"):
                continue
            values = coloring_values(name, arrays[name])
            finite = values[np.isfinite(values)]
            if finite.size:
                self.lo[name] = min(self.lo[name], float(finite.min()))
                self.hi[name] = max(self.hi[name], float(finite.max()))

    def codings(self, spec: LandscapeSpec) -> dict[str, FieldCoding]:
        out = {}
        for name in self.names:
            lo, hi = self.lo[name], self.hi[name]
            if not np.isfinite(lo):
                lo = hi = 0.0
            if name in ("delta", "sync_step"):
                out[name] = FieldCoding(name, "linear", 16, lo, hi)
            elif name == "labels":
                out[name] = FieldCoding(name, "exact", 8)
            elif name == "probability":
                bits = 8 if spec.samples + 1 <= 255 else 16
                out[name] = FieldCoding(name, "exact", bits, 0.0, 1.0, denominator=spec.samples)
            else:
                bits = 8 if hi <= 255 else 16
                out[name] = FieldCoding(name, "exact", bits, lo, hi)
        return out
