"""The landscape spec: a frozen, validated value that says everything a picture needs.

For each pixel the map is (the seed's formulation, in the working precision)

    Q = X W_Q^T,  K = X W_K^T,  V = X W_V^T,  A = softmax_rows(beta * Q K^T),
    X <- A V,     x_i <- x_i / (||x_i||_2 + eps),

iterated ``steps`` times from the initial points; then

    delta = max_i |x_i1 - x_11|   (first coordinate only),   label = delta < tol.

The residual map. With ``residual`` h > 0 (finite) the update has the skip connection of a
transformer layer:

    X <- X + h * A V,   x_i <- x_i / (||x_i||_2 + eps),

the projected Euler step of size h of the self-attention flow dx_i/dt = sum_j A_ij v_j, with
the normalisation as the retraction to the circle. As h -> 0 (with h * steps fixed) it follows
the continuous flow; as h -> infinity, normalize(X + h A V) = normalize(X / h + A V) tends to
the seed's map. ``residual = None`` (the default) is the seed's map itself, and such a spec's
JSON has no ``residual`` key, so that every spec written before the field existed reads back
equal and writes back byte for byte. ``residual`` may also be an axis (``x_param`` or
``y_param``), whose window must then lie in h > 0; the spec's own h is overwritten per pixel.

Two named parameters are swept over the pixel grid: ``x_param`` along the columns and
``y_param`` along the rows. Column ``c`` takes ``linspace(x_lo, x_hi, width)[c]`` and row ``r``
takes ``linspace(y_lo, y_hi, height)[r]``, computed in float64 and rounded to the working
precision. Row 0 is the lowest y value, which is the *bottom* of the picture. By default
x = b = W_K[1, 1] and y = a = W_K[0, 0], as in the seed's Appendix A picture.

Supersampling by k computes a grid k times finer in each direction: output pixel c covers the
k sample columns ``x_c + (j - (k - 1) / 2) * step / k``, j = 0..k-1, with ``step`` the output
pixel spacing, and its picture is the average of their colors. Fields are then arrays of the
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
from attndyn.model.errors import FieldError, UserError
from attndyn.model.params import RESIDUAL, SWEEPABLE_NAMES
from attndyn.model.parsing import did_you_mean

Matrix2 = tuple[float, float, float, float]
INIT_MODES = ("independent", "shared", "file")
DTYPES = ("float32", "float64")
SPEC_FORMAT = "attndyn.landscape/1"


def _matrix(name: str, value: Any) -> Matrix2:
    try:
        entries = tuple(float(v) for v in np.asarray(value, dtype=object).ravel())
    except (TypeError, ValueError):
        raise FieldError(
            lambda n: f"{n(name)} {value!r} is not a list of numbers; give 4 numbers"
        ) from None
    if len(entries) != 4:
        raise FieldError(
            lambda n: f"{n(name)} has {len(entries)} entries; give 4 numbers (row-major 2x2)"
        )
    if not all(math.isfinite(v) for v in entries):
        raise FieldError(
            lambda n: f"{n(name)} {list(entries)} holds a non-finite value; all must be finite"
        )
    return entries  # type: ignore[return-value]


def _range(name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise FieldError(lambda n: f"{n(name)} {value!r} is not two numbers lo,hi") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise FieldError(
            lambda n: f"{n(name)} {lo},{hi} is not finite; give two finite numbers lo,hi"
        )
    if not lo < hi:
        raise FieldError(lambda n: f"{n(name)} {lo},{hi} is empty; lo must be less than hi")
    return lo, hi


def _integer(name: str, value: Any, allowed: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise FieldError(
            lambda n: f"{n(name)} {value!r} is not an integer; give an integer {allowed}"
        )
    return int(value)


def _int_at_least(name: str, value: Any, minimum: int) -> int:
    number = _integer(name, value, f">= {minimum}")
    if number < 0 and minimum == 0:
        raise FieldError(lambda n: f"{n(name)} {number} is negative; give an integer >= 0")
    if number < minimum:
        raise FieldError(lambda n: f"{n(name)} {number} is too small; it must be >= {minimum}")
    return number


def checked_seed(value: Any) -> int:
    """The seed as an int, or a :class:`FieldError` naming ``seed`` unless 0 <= seed < 2**64."""
    seed = _integer("seed", value, "in [0, 2**64)")
    if not 0 <= seed < 2**64:
        raise FieldError(lambda n: f"{n('seed')} {seed} is outside [0, 2**64)")
    return seed


def _finite(name: str, value: Any, *, positive: bool = False, nonnegative: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(lambda n: f"{n(name)} {value!r} is not a number") from None
    bound = " > 0" if positive else " >= 0" if nonnegative else ""
    if not math.isfinite(number):
        raise FieldError(lambda n: f"{n(name)} {number} is not finite; give a finite number{bound}")
    if (positive and number <= 0) or (nonnegative and number < 0):
        raise FieldError(lambda n: f"{n(name)} {number} must be a finite number{bound}")
    return number


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        hint = did_you_mean(str(value), allowed)
        raise FieldError(
            lambda n: f"{n(name)} {value!r} is unknown{hint}; choose one of {', '.join(allowed)}"
        )
    return value


def _parameter(name: str, value: Any) -> str:
    if value not in SWEEPABLE_NAMES:
        hint = did_you_mean(str(value), SWEEPABLE_NAMES)
        raise FieldError(
            lambda n: (
                f"{n(name)} names an unknown parameter {value!r}{hint}; choose one of "
                f"{', '.join(SWEEPABLE_NAMES)}"
            )
        )
    return value


def _residual(value: Any) -> float | None:
    """The residual step h: None (the seed's map, no skip connection) or a finite number > 0."""
    if value is None:
        return None
    allowed = "give a finite number > 0, or leave it unset for the seed's map"
    if isinstance(value, bool | str):
        raise FieldError(lambda n: f"{n('residual')} {value!r} is not a number; {allowed}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(
            lambda n: f"{n('residual')} {value!r} is not a number; {allowed}"
        ) from None
    if not (math.isfinite(number) and number > 0):
        raise FieldError(lambda n: f"{n('residual')} {number!r} is not allowed; {allowed}")
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
    residual: float | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("wq", "wv", "wk"):
            put(self, name, _matrix(name, getattr(self, name)))
        put(self, "beta", _finite("beta", self.beta))
        _parameter("x_param", self.x_param)
        _parameter("y_param", self.y_param)
        if self.x_param == self.y_param:
            raise FieldError(
                lambda n: (
                    f"{n('x_param')} and {n('y_param')} are both {self.x_param!r}; they must differ"
                )
            )
        put(self, "x_range", _range("x_range", self.x_range))
        put(self, "y_range", _range("y_range", self.y_range))
        put(self, "width", _int_at_least("width", self.width, 1))
        put(self, "height", _int_at_least("height", self.height, 1))
        put(self, "n_points", _int_at_least("n_points", self.n_points, 1))
        put(self, "steps", _int_at_least("steps", self.steps, 0))
        put(self, "tol", _finite("tol", self.tol, positive=True))
        put(self, "eps", _finite("eps", self.eps, nonnegative=True))
        _choice("init", self.init, INIT_MODES)
        put(self, "seed", checked_seed(self.seed))
        if self.init == "file" and not self.x0_sha256:
            raise FieldError(
                lambda n: (
                    f"{n('init')} 'file' needs {n('x0_sha256')}, the sha256 of the initial points"
                )
            )
        if self.init != "file" and (self.x0_sha256 or self.x0_per_pixel):
            raise FieldError(
                lambda n: (
                    f"{n('init')} {self.init!r} takes no initial-point file "
                    f"({n('x0_sha256')}); use init 'file'"
                )
            )
        _choice("dtype", self.dtype, DTYPES)
        put(self, "samples", _int_at_least("samples", self.samples, 1))
        if self.samples > 1 and self.init == "file":
            raise FieldError(
                lambda n: f"{n('samples')} {self.samples} needs seeded initial points, not a file"
            )
        put(self, "supersample", _int_at_least("supersample", self.supersample, 1))
        put(self, "residual", _residual(self.residual))
        self._check_resolution("x", self.x_range, self.shape[1])
        self._check_resolution("y", self.y_range, self.shape[0])
        for axis in ("x", "y"):
            if getattr(self, f"{axis}_param") == RESIDUAL:
                self._check_residual_axis(axis)

    def _check_residual_axis(self, axis: str) -> None:
        """Refuse a residual axis whose grid reaches h <= 0 (supersampling widens the window)."""
        values = self.x_values() if axis == "x" else self.y_values()
        if not float(values.min()) > 0:
            lo, hi = getattr(self, f"{axis}_range")
            raise FieldError(
                lambda n: (
                    f"{n(axis + '_range')} {lo!r},{hi!r} sweeps {n(axis + '_param')} residual "
                    f"to {float(values.min())!r}; the residual step must be > 0 on every pixel"
                )
            )

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
    def residual_map(self) -> bool:
        """Whether the map has the skip connection: ``residual`` set, or swept on an axis."""
        return self.residual is not None or RESIDUAL in (self.x_param, self.y_param)

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
        if data["residual"] is None:  # the seed's map: JSON as before the field existed
            del data["residual"]
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
