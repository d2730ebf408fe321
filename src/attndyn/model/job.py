"""A job: a spec plus the data it refers to (an explicit initial-point array, if any), and the
grid its pixels lie on.

Engines compute jobs. The grid is the spec's own (``address`` None: columns at
``spec.x_values()``, rows at ``spec.y_values()``) or one tile of the fixed quadtree over it
(``address`` = (zoom, x, y) of :class:`attndyn.model.tiles.Quadtree.for_spec`, whose tile (0, 0, 0)
is the spec's grid): then the swept values are the tile's pixel centres, exact rationals
rounded once (:meth:`Job.x_values`), and independent points are drawn with the tile's seed
:func:`attndyn.model.tiles.tile_seed` and the pixel's row and column inside the tile
(:attr:`Job.points_seed`), so a tile's picture depends on its address and the seed alone.
Engines read the grid's values and the points' seed from the job, never from the spec.

The job is the single place that says which configuration a pixel starts from:
:attr:`Job.point_mode` names the rule (independent seeded points per pixel, one shared
configuration, or a per-pixel file) and :meth:`Job.initial_points` gives the points, so every
engine starts every pixel from the same points.

An explicit x0 is checked and hashed once: :func:`check_x0` returns a read-only float64
array that it remembers, so checking it again (``Job.with_x0`` after ``load_x0``) costs
nothing, and :func:`x0_digest` remembers the digest of such an array, so the jobs made from
it (one per sample) do not hash it again.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

import numpy as np

from attndyn.model.errors import UserError
from attndyn.model.initial import pixel_points, shared_points
from attndyn.model.params import RESIDUAL
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import ROOT, Quadtree, TileAddress, tile_seed

UNIT_NORM_TOLERANCE = 1e-5


class PointMode(Enum):
    """Where the pixels of a job take their initial points from."""

    INDEPENDENT = "independent"  # seeded, one configuration per pixel (initial.pixel_points)
    SHARED = "shared"  # one configuration for every pixel: seeded, or a file of shape (n, 2)
    PER_PIXEL = "per_pixel"  # a file of shape (H, W, n, 2): pixel (r, c) starts from x0[r, c]


@dataclass
class _Checked:
    """An array that check_x0 returned (held weakly) and its digest, once computed."""

    array: weakref.ref
    digest: str | None = None


# By id of the array; an entry goes when its array does. The arrays are read-only, so what
# was checked stays true.
_checked: dict[int, _Checked] = {}


def _remember(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    key = id(array)
    _checked[key] = _Checked(weakref.ref(array))
    weakref.finalize(array, _checked.pop, key, None)
    return array


def _checked_entry(array: object) -> _Checked | None:
    """What is known of ``array`` if check_x0 returned it, else None."""
    entry = _checked.get(id(array))
    return entry if entry is not None and entry.array() is array else None


def x0_digest(x0: np.ndarray) -> str:
    """sha256 of an initial-point array: its shape, then its values as little-endian float64.

    Computed once for an array that :func:`check_x0` returned.
    """
    entry = _checked_entry(x0)
    if entry is not None and entry.digest is not None:
        return entry.digest
    canonical = np.ascontiguousarray(x0, dtype="<f8")
    digest = hashlib.sha256(repr(canonical.shape).encode())
    digest.update(canonical.tobytes())
    if entry is not None:
        entry.digest = digest.hexdigest()
    return digest.hexdigest()


def check_x0(x0: np.ndarray, *, normalize: bool, source: str = "x0") -> np.ndarray:
    """Validate an initial-point array of shape (n, 2) or (H, W, n, 2) and return it as float64.

    Rows must be finite and non-zero. Rows whose norm differs from 1 by more than
    ``UNIT_NORM_TOLERANCE`` are refused, unless ``normalize`` is set, when every row is divided
    by its norm. The result is a new read-only array; given such a result again with
    ``normalize`` unset, it is returned as it is, without a second check.
    """
    if not normalize and _checked_entry(x0) is not None:
        return x0
    array = np.asarray(x0)
    if array.dtype.kind not in "fiu":
        raise UserError(f"{source} has dtype {array.dtype}; it must hold real numbers")
    if array.ndim not in (2, 4) or array.shape[-1] != 2 or array.shape[-2] < 1:
        raise UserError(
            f"{source} has shape {array.shape}; allowed shapes are (n, 2) or (H, W, n, 2)"
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise UserError(f"{source} holds non-finite values; every entry must be finite")
    norms = np.linalg.norm(array, axis=-1)
    if (norms == 0).any():
        index = tuple(int(i) for i in np.argwhere(norms == 0)[0])
        raise UserError(f"{source} row {index} is zero; every point must be a non-zero vector")
    if normalize:
        return _remember(array / norms[..., None])
    error = np.abs(norms - 1.0)
    if error.max() > UNIT_NORM_TOLERANCE:
        index = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
        raise UserError(
            f"{source} row {index} has norm {norms[index]:.6g}, not 1 (tolerance "
            f"{UNIT_NORM_TOLERANCE:g}); pass --normalize-x0 to normalise every row"
        )
    return _remember(array)


def load_x0(path: str | Path, *, normalize: bool) -> np.ndarray:
    """Load and check an initial-point ``.npy`` file (see :func:`check_x0`)."""
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise UserError(f"x0 file {str(path)!r} does not exist") from None
    except (ValueError, OSError) as error:
        raise UserError(f"x0 file {str(path)!r} is not a readable .npy array: {error}") from None
    if not isinstance(array, np.ndarray):
        raise UserError(f"x0 file {str(path)!r} holds several arrays; give one .npy array")
    return check_x0(array, normalize=normalize, source=f"x0 file {str(path)!r}")


@dataclass(frozen=True)
class Job:
    """A spec, its explicit initial points (``x0``; only when ``spec.init == 'file'``), and which
    of the ``spec.samples`` independent initial configurations per pixel to start from.

    ``x0`` is checked (:func:`check_x0`) and matched against the spec's digest and shape when
    the job is made; the jobs of other samples share the checked array.
    """

    spec: LandscapeSpec
    x0: np.ndarray | None = None
    sample: int = 0
    address: TileAddress | None = None

    def __post_init__(self) -> None:
        spec = self.spec
        if self.address == ROOT:
            object.__setattr__(self, "address", None)  # the spec's own grid, one spelling
        if self.address is not None:
            self._check_tile()
        if spec.init != "file":
            if self.x0 is not None:
                raise UserError(f"init {spec.init!r} takes no x0 array; use init 'file'")
            return
        if self.x0 is None:
            raise UserError("init 'file' needs an x0 array")
        x0 = check_x0(self.x0, normalize=False)
        if x0_digest(x0) != spec.x0_sha256:
            raise UserError("x0 array does not match the sha256 recorded in the spec")
        expected = (*spec.shape, spec.n_points, 2) if spec.x0_per_pixel else (spec.n_points, 2)
        if x0.shape != expected:
            raise UserError(f"x0 has shape {x0.shape}; this spec needs {expected}")
        object.__setattr__(self, "x0", x0)

    @classmethod
    def with_x0(cls, spec: LandscapeSpec, x0: np.ndarray) -> Job:
        """A job starting from explicit points: ``spec`` is updated to init 'file'."""
        x0 = check_x0(x0, normalize=False)
        per_pixel = x0.ndim == 4
        spec = replace(
            spec,
            init="file",
            x0_sha256=x0_digest(x0),
            x0_per_pixel=per_pixel,
            n_points=x0.shape[-2],
            **(
                {"height": x0.shape[0], "width": x0.shape[1], "supersample": 1} if per_pixel else {}
            ),
        )
        return cls(spec, x0)

    def for_sample(self, sample: int) -> Job:
        """The same job started from initial configuration number ``sample``."""
        return Job(self.spec, self.x0, sample, self.address)

    def for_tile(self, address: TileAddress) -> Job:
        """The same job on tile ``address`` of the quadtree over the spec's grid."""
        return Job(self.spec, self.x0, self.sample, address)

    # -- the grid ---------------------------------------------------------------------------
    def _check_tile(self) -> None:
        """Refuse a tile the job cannot compute: per-pixel points (they cover the spec's grid
        only), or pixels the working precision cannot tell apart (neighbours rounding to the
        same swept value)."""
        spec, address = self.spec, self.address
        assert address is not None
        where = f"tile (zoom {address.zoom}, x {address.x}, y {address.y})"
        if spec.init == "file" and spec.x0_per_pixel:
            raise UserError(f"{where}: per-pixel x0 points cover the spec's own grid only")
        for axis, values in (("x", self.x_values()), ("y", self.y_values())):
            if values.size > 1 and not (np.diff(values) > 0).all():
                hint = "use float64" if spec.dtype == "float32" else "this is float64's limit"
                raise UserError(
                    f"{where} is too deep for {spec.dtype}: neighbouring pixels on the {axis} "
                    f"axis round to the same value; {hint}"
                )
            if getattr(spec, f"{axis}_param") == RESIDUAL and not float(values.min()) > 0:
                raise UserError(
                    f"{where} sweeps residual to {float(values.min())!r} on its {axis} axis; "
                    "the residual step must be > 0 on every pixel"
                )

    @property
    def quadtree(self) -> Quadtree:
        """The fixed quadtree whose tile (0, 0, 0) is the spec's grid."""
        return Quadtree.for_spec(self.spec)

    def x_values(self) -> np.ndarray:
        """Swept values of the grid's columns, lowest first, in the working precision: the
        spec's (``spec.x_values()``) or, on a tile, its exact pixel centres rounded once to
        float64 and then to the working precision."""
        if self.address is None:
            return self.spec.x_values()
        return self.quadtree.x_values(self.address).astype(self.spec.np_dtype)

    def y_values(self) -> np.ndarray:
        """Swept values of the grid's rows, lowest first (see :meth:`x_values`)."""
        if self.address is None:
            return self.spec.y_values()
        return self.quadtree.y_values(self.address).astype(self.spec.np_dtype)

    @property
    def points_seed(self) -> int:
        """The seed of the independent initial points: the spec's, or on a tile its
        :func:`~attndyn.model.tiles.tile_seed`; pixel (row, col) counts inside the grid."""
        if self.address is None:
            return self.spec.seed
        return tile_seed(self.spec.seed, self.address)

    @property
    def point_mode(self) -> PointMode:
        """Which rule gives the pixels their initial points (the spec's init and x0's shape)."""
        spec = self.spec
        if spec.init == "independent":
            return PointMode.INDEPENDENT
        if spec.init == "shared" or not spec.x0_per_pixel:
            return PointMode.SHARED
        return PointMode.PER_PIXEL

    def shared_configuration(self) -> np.ndarray:
        """The one configuration (n, 2) every pixel starts from, in the spec's precision.

        Only for :attr:`PointMode.SHARED`: the seeded shared points of this sample, or x0.
        """
        spec = self.spec
        if self.point_mode is not PointMode.SHARED:
            raise ValueError(f"a job with point mode {self.point_mode.value} has no shared points")
        if spec.init == "shared":
            return shared_points(spec.seed, spec.n_points, sample=self.sample, dtype=spec.np_dtype)
        assert self.x0 is not None
        return self.x0.astype(spec.np_dtype)

    def initial_points(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Initial configurations for pixels ``(rows[k], cols[k])``: shape (P, n, 2).

        For :attr:`PointMode.SHARED` every pixel's configuration is one array, broadcast (a
        read-only view).
        """
        spec = self.spec
        rows = np.asarray(rows).ravel()
        cols = np.asarray(cols).ravel()
        mode = self.point_mode
        if mode is PointMode.INDEPENDENT:
            return pixel_points(
                self.points_seed, rows, cols, spec.n_points, sample=self.sample, dtype=spec.np_dtype
            )
        if mode is PointMode.SHARED:
            one = self.shared_configuration()
            return np.broadcast_to(one, (rows.size, *one.shape))
        assert self.x0 is not None
        return self.x0[rows, cols].astype(spec.np_dtype)
