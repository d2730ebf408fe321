"""The landscape spec: a frozen, validated value that says everything a picture needs.

For each pixel the map is (the seed's formulation, in the working precision)

    Q = X W_Q^T,  K = X W_K^T,  V = X W_V^T,  A = softmax_rows(beta * Q K^T),
    X <- A V,     x_i <- x_i / (||x_i||_2 + eps),

iterated ``steps`` times from the initial points; then

    delta = max_i |x_i1 - x_11|   (first coordinate only),   label = delta < tol.

Two named parameters are swept over the pixel grid: ``x_param`` along the columns and
``y_param`` along the rows. Column ``c`` takes ``linspace(x_lo, x_hi, width)[c]`` and row ``r``
takes ``linspace(y_lo, y_hi, height)[r]``, computed in float64 and rounded to the working
precision. Row 0 is the lowest y value, which is the *bottom* of the picture. By default
x = b = W_K[1, 1] and y = a = W_K[0, 0], as in the seed's Appendix A picture.

Supersampling by k computes a grid k times finer in each direction: output pixel c covers the
k sample columns ``x_c + (j - (k - 1) / 2) * step / k``, j = 0..k-1, with ``step`` the output
pixel spacing, and its picture is the average of their colours. Fields are then arrays of the
grid's shape, ``(k * height, k * width)``. ``samples`` K > 1 renders K independent initial
configurations per pixel (seeded init only) and adds the field ``probability``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from attndyn import __version__
from attndyn.errors import UserError
from attndyn.params import parse_parameter

Matrix2 = tuple[float, float, float, float]
INIT_MODES = ("independent", "shared", "file")
DTYPES = ("float32", "float64")
SPEC_FORMAT = "attndyn.landscape/1"


def _matrix(name: str, value: Any) -> Matrix2:
    try:
        entries = tuple(float(v) for v in np.asarray(value, dtype=object).ravel())
    except (TypeError, ValueError):
        raise UserError(f"{name} {value!r} is not a list of numbers; give 4 numbers") from None
    if len(entries) != 4:
        raise UserError(f"{name} has {len(entries)} entries; give 4 numbers (row-major 2x2)")
    if not all(math.isfinite(v) for v in entries):
        raise UserError(f"{name} {list(entries)} holds a non-finite value; all must be finite")
    return entries  # type: ignore[return-value]


def _range(name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise UserError(f"{name} {value!r} is not two numbers lo,hi") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UserError(f"{name} {lo},{hi} is not finite; give two finite numbers lo,hi")
    if not lo < hi:
        raise UserError(f"{name} {lo},{hi} is empty; lo must be less than hi")
    return lo, hi


def _int_at_least(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise UserError(f"{name} {value!r} is not an integer; give an integer >= {minimum}")
    if value < minimum:
        raise UserError(f"{name} {value} is too small; it must be >= {minimum}")
    return int(value)


def _finite(name: str, value: Any, *, positive: bool = False, nonnegative: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise UserError(f"{name} {number} is not finite")
    if positive and number <= 0:
        raise UserError(f"{name} {number} must be > 0")
    if nonnegative and number < 0:
        raise UserError(f"{name} {number} must be >= 0")
    return number


@dataclass(frozen=True)
class LandscapeSpec:
    """Everything needed to reproduce one convergence landscape.

    Matrices are row-major 2x2 tuples. Entries named by ``x_param``/``y_param`` are
    overwritten per pixel by the swept values; the rest stay as given.
    """

    wq: Matrix2
    wv: Matrix2
    wk: Matrix2 = (0.0, 0.0, 0.0, 0.0)
    beta: float = 1.0
    x_param: str = "wk11"
    y_param: str = "wk00"
    x_range: tuple[float, float] = (-8.0, 8.0)
    y_range: tuple[float, float] = (-8.0, 8.0)
    width: int = 512
    height: int = 512
    n_points: int = 20
    steps: int = 100
    tol: float = 1e-5
    eps: float = 1e-8
    init: str = "independent"
    seed: int = 1
    x0_sha256: str | None = None
    x0_per_pixel: bool = False
    dtype: str = "float32"
    samples: int = 1
    supersample: int = 1

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("wq", "wv", "wk"):
            put(self, name, _matrix(name, getattr(self, name)))
        put(self, "beta", _finite("beta", self.beta))
        parse_parameter(self.x_param)
        parse_parameter(self.y_param)
        if self.x_param == self.y_param:
            raise UserError(f"x and y parameters are both {self.x_param!r}; they must differ")
        put(self, "x_range", _range("x range", self.x_range))
        put(self, "y_range", _range("y range", self.y_range))
        put(self, "width", _int_at_least("width", self.width, 1))
        put(self, "height", _int_at_least("height", self.height, 1))
        put(self, "n_points", _int_at_least("points", self.n_points, 1))
        put(self, "steps", _int_at_least("steps", self.steps, 0))
        put(self, "tol", _finite("tol", self.tol, positive=True))
        put(self, "eps", _finite("eps", self.eps, nonnegative=True))
        if self.init not in INIT_MODES:
            raise UserError(f"init {self.init!r} is unknown; choose one of {', '.join(INIT_MODES)}")
        seed = _int_at_least("seed", self.seed, 0)
        if seed >= 2**64:
            raise UserError(f"seed {seed} is too large; it must be < 2**64")
        put(self, "seed", seed)
        if self.init == "file" and not self.x0_sha256:
            raise UserError("init 'file' needs the sha256 of the initial points")
        if self.init != "file" and (self.x0_sha256 or self.x0_per_pixel):
            raise UserError(f"init {self.init!r} takes no initial-point file")
        if self.dtype not in DTYPES:
            raise UserError(f"dtype {self.dtype!r} is unknown; choose one of {', '.join(DTYPES)}")
        put(self, "samples", _int_at_least("samples", self.samples, 1))
        if self.samples > 1 and self.init == "file":
            raise UserError(f"samples {self.samples} needs seeded initial points, not a file")
        put(self, "supersample", _int_at_least("supersample", self.supersample, 1))
        self._check_resolution("x", self.x_range, self.shape[1])
        self._check_resolution("y", self.y_range, self.shape[0])

    def _check_resolution(self, axis: str, window: tuple[float, float], count: int) -> None:
        """Refuse a window whose grid spacing the working precision cannot resolve."""
        lo, hi = window
        spacing = (hi - lo) / max(count - 1, 1)
        resolution = float(np.spacing(self.np_dtype.type(max(abs(lo), abs(hi)))))
        if spacing < 4 * resolution:
            hint = "; use --precision float64" if self.dtype == "float32" else "; widen the window"
            raise UserError(
                f"{axis} window {lo!r},{hi!r} is too narrow for {self.dtype}: the grid spacing "
                f"{spacing:.3g} is below 4 ulps ({4 * resolution:.3g}){hint}"
            )

    # -- derived values -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """The grid's ``(rows, cols)``: the shape of every field array, indexed [row, col].

        ``(height, width)`` times ``supersample``.
        """
        return self.height * self.supersample, self.width * self.supersample

    @property
    def picture_shape(self) -> tuple[int, int]:
        """``(height, width)`` of the picture."""
        return self.height, self.width

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    def _grid(self, window: tuple[float, float], count: int) -> np.ndarray:
        lo, hi = window
        k = self.supersample
        if k > 1:
            half = (hi - lo) / max(count - 1, 1) * (k - 1) / (2 * k)
            lo, hi = lo - half, hi + half
        return np.linspace(lo, hi, count * k).astype(self.np_dtype)

    def x_values(self) -> np.ndarray:
        """Swept values along the grid's columns, lowest first, in the working precision."""
        return self._grid(self.x_range, self.width)

    def y_values(self) -> np.ndarray:
        """Swept values along the grid's rows; row 0 (the bottom of the picture) is the lowest."""
        return self._grid(self.y_range, self.height)

    def matrix(self, name: str) -> np.ndarray:
        """The base matrix ``name`` ("wq", "wk" or "wv") as a 2x2 array in the working dtype."""
        return np.asarray(getattr(self, name), dtype=self.np_dtype).reshape(2, 2)

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("wq", "wv", "wk", "x_range", "y_range"):
            data[name] = list(data[name])
        return {"format": SPEC_FORMAT, "attndyn_version": __version__, **data}

    def to_json(self) -> str:
        """JSON that :meth:`from_json` turns back into an equal spec (floats round-trip)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LandscapeSpec:
        data = dict(data)
        spec_format = data.pop("format", None)
        if spec_format != SPEC_FORMAT:
            raise UserError(f"spec format {spec_format!r} is not {SPEC_FORMAT!r}")
        data.pop("attndyn_version", None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"spec has unknown keys {unknown}; known keys are {sorted(known)}")
        for name in ("x_range", "y_range"):
            if name in data:
                data[name] = tuple(data[name])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> LandscapeSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise UserError(f"spec is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise UserError("spec JSON must be an object")
        return cls.from_dict(data)
