"""One particle flow on S^{d−1}, any d ≥ 2, simulated and recorded: what ``attndyn flow`` runs.

Two vector fields (see :mod:`attndyn.particles.dynamics` for the flows themselves):

USA (unnormalised self-attention, the paper's dynamics), with interaction matrix ``D`` and
    value matrix ``V`` (default ``D``),
    ``F_i(x) = g (1/n) Σ_j exp(β <x_i, D x_j>) V x_j``,  ``g = +1`` for the ascent of the
    energy ``E`` (the attention dynamics) and ``g = −1`` for its descent; with ``V ≠ D`` it is
    Geshkovski et al.'s USA flow with ``QᵀK = D``, no longer a gradient flow of ``E``;
SA (softmax self-attention, Geshkovski et al.), with query, key and value matrices,
    ``F_i(x) = Σ_j softmax_j(β <Q x_i, K x_j>) V x_j``.

Both move the particles by the tangent part ``P_{x_i} F_i``, ``P_x v = v − <x, v> x``.  Time steps
of size ``dt``:

``euler``
    ``x ← Π(x + dt F(x))`` with ``Π(y) = y/|y|``, a residual update followed by the layer
    normalisation.  For USA this is the source package's explicit step (``tau = dt``), the
    step of :func:`~attndyn.particles.dynamics.usa_step`.
``rk4``
    the classical Runge–Kutta step of ``dx/dt = P_x F(x)``, then ``Π``.

Noise (optional): after each step ``σ_k √dt ξ`` with ``ξ`` standard normal in ``R^d`` is added
to every particle before the projection (an Euler–Maruyama increment of ``σ_k dW``), and
``σ_{k+1} = γ σ_k`` (``γ = 1``: constant noise).  Initial points are uniform on the sphere
(normalised Gaussians), drawn with the noise from ``numpy.random.default_rng(seed)``.

Recorded at every step: the energy ``E = (1/n²) Σ_ij exp(β <x_i, A x_j>)``
(:func:`attndyn.particles.energy.energy`, in float64) with ``A = D`` (USA) or ``A = QᵀK`` (SA,
so that ``<x_i, A x_j> = <Q x_i, K x_j>``).  Recorded every ``record_every`` steps and at the
last step: the points, the time ``k dt`` and the number of clusters: the connected components
of the graph linking particles within ``cluster_distance``
(:func:`~attndyn.model.fields.count_clusters`).

Memory.  There is no fixed bound on ``d``; a setup whose estimated peak memory
(:meth:`FlowSetup.memory_bytes`: the recorded points, the matrices and their description, one
step's and one cluster count's work arrays) exceeds :func:`memory_limit` (half the machine's
memory) is refused with a one-line error naming the figures and the largest ``d`` that fits.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from attndyn.model.errors import FieldError
from attndyn.model.fields import count_clusters
from attndyn.particles.dynamics import DIRECTIONS, gradient_sign, rk4_step, usa_increment
from attndyn.particles.energy import energy
from attndyn.particles.sphere import project, random_points, tangent_project

__all__ = [
    "DIRECTIONS",
    "FLOWS",
    "METHODS",
    "FlowSetup",
    "Trajectory",
    "memory_limit",
    "parse_matrix",
    "simulate",
]

FLOWS = ("usa", "sa")
METHODS = ("euler", "rk4")
USED_MATRICES = {"usa": ("D", "V"), "sa": ("Q", "K", "V")}
DESCRIBED_BYTES_PER_ENTRY = 64
"""Bytes per matrix entry of :meth:`FlowSetup.describe` (a Python float in a list, then JSON)."""
_DIAG = re.compile(r"^\s*diag\s*\((.*)\)\s*$", re.IGNORECASE)


def parse_matrix(name: str, text: str, d: int | None) -> np.ndarray:
    """A ``d × d`` matrix from text: ``diag(a, b, ...)``, ``I`` or ``-I``, or d² numbers row-major.

    With ``d = None`` the size is read from the text (``I`` then needs ``d``). Raises a
    :class:`FieldError` naming ``name`` for text that is none of these, or of the wrong size.
    """
    raw = str(text).strip()
    if raw.upper() in ("I", "+I", "-I"):
        if d is None:
            raise FieldError(lambda n: f"{n(name)} {raw!r} needs {n('dimension')} to be given")
        return (-1.0 if raw.startswith("-") else 1.0) * np.eye(d)
    match = _DIAG.match(raw)
    body = match.group(1) if match else raw
    try:
        values = np.array([float(part) for part in body.split(",")])
    except ValueError:
        raise FieldError(
            lambda n: (
                f"{n(name)} {raw!r} is not a matrix; give diag(a,b,...), I, -I or d*d numbers "
                "row-major"
            )
        ) from None
    if not np.isfinite(values).all():
        raise FieldError(lambda n: f"{n(name)} {raw!r} holds a non-finite value")
    if match:
        matrix = np.diag(values)
    else:
        side = math.isqrt(values.size)
        if side * side != values.size or side < 2:
            raise FieldError(
                lambda n: (
                    f"{n(name)} has {values.size} numbers, not d*d for a d >= 2; write a "
                    "diagonal as diag(a,b,...)"
                )
            )
        matrix = values.reshape(side, side)
    if d is not None and matrix.shape[0] != d:
        raise FieldError(lambda n: f"{n(name)} is {matrix.shape[0]}x{matrix.shape[0]}, but d = {d}")
    return matrix


def _positive(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise FieldError(lambda n: f"{n(name)} {value!r} must be a finite number > 0")
    return float(value)


def _at_least(name: str, value: int, minimum: int) -> int:
    if value < minimum:
        raise FieldError(lambda n: f"{n(name)} {value} is too small; it must be >= {minimum}")
    return int(value)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise FieldError(
            lambda n: f"{n(name)} {value!r} is unknown; choose one of {', '.join(allowed)}"
        )
    return value


def memory_limit() -> int:
    """The most memory, in bytes, a flow may plan to use: half the machine's physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2


def _gib(nbytes: float) -> str:
    gib = nbytes / 2**30
    return f"{gib:.3g} GiB" if gib < 1000 else f"{gib:,.0f} GiB"


@dataclass(frozen=True)
class FlowSetup:
    """Everything a simulated flow needs (see the module docstring); validated on creation.

    ``D`` and ``V`` are used by the USA flow, ``Q``, ``K``, ``V`` by the SA flow; a matrix not
    given is the identity of size ``d``, except the USA flow's ``V``, which is ``D``. Field
    names are those of ``attndyn flow``'s options.
    """

    flow: str = "usa"
    dimension: int = 3
    points: int = 100
    beta: float = 1.0
    D: np.ndarray | None = None
    Q: np.ndarray | None = None
    K: np.ndarray | None = None
    V: np.ndarray | None = None
    direction: str = "ascent"
    method: str = "euler"
    dt: float = 0.1
    steps: int = 500
    noise: float = 0.0
    noise_decay: float = 1.0
    seed: int = 0
    record_every: int = 1
    cluster_distance: float = 1e-2
    matrices: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _choice("flow", self.flow, FLOWS)
        _choice("method", self.method, METHODS)
        _choice("direction", self.direction, DIRECTIONS)
        d = _at_least("dimension", self.dimension, 2)
        _at_least("points", self.points, 1)
        _at_least("steps", self.steps, 0)
        _at_least("record_every", self.record_every, 1)
        if not math.isfinite(self.beta):
            raise FieldError(lambda n: f"{n('beta')} {self.beta!r} must be finite")
        _positive("dt", self.dt)
        _positive("cluster_distance", self.cluster_distance)
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise FieldError(lambda n: f"{n('noise')} {self.noise!r} must be a finite number >= 0")
        if not (math.isfinite(self.noise_decay) and 0 <= self.noise_decay <= 1):
            raise FieldError(
                lambda n: f"{n('noise_decay')} {self.noise_decay!r} must lie in [0, 1]"
            )
        if self.seed < 0:
            raise FieldError(lambda n: f"{n('seed')} {self.seed} is negative; give one >= 0")
        used = USED_MATRICES[self.flow]
        for name in ("D", "Q", "K", "V"):
            value = getattr(self, name)
            if value is not None and name not in used:
                raise FieldError(
                    lambda n, name=name, used=used: (
                        f"{n(name)} is not used by the {self.flow.upper()} flow; it takes "
                        + ", ".join(n(u) for u in used)
                    )
                )
            shape = None if value is None else np.shape(value)
            if shape is not None and shape != (d, d):
                raise FieldError(
                    lambda n, name=name, shape=shape: (
                        f"{n(name)} has shape {shape}; the dimension is {d}"
                    )
                )
        self._check_memory()
        matrices = {}
        for name in used:
            value = getattr(self, name)
            if value is not None:
                matrices[name] = np.asarray(value, dtype=float)
            elif name == "V" and self.flow == "usa":
                matrices[name] = matrices["D"]
            else:
                matrices[name] = np.eye(d)
        object.__setattr__(self, "matrices", matrices)

    @property
    def records(self) -> int:
        """How many configurations are kept: step 0, every ``record_every``-th, the last."""
        return self.steps // self.record_every + 1 + (self.steps % self.record_every > 0)

    def memory_bytes(self, dimension: int | None = None) -> int:
        """Estimated peak memory of :func:`simulate` and its outputs, in bytes (float64).

        The kept points (``records · n · d``), the used matrices with ``QᵀK`` and their
        description (:data:`DESCRIBED_BYTES_PER_ENTRY` per entry), one step's work arrays
        (``3 n²`` kernel entries, ``12 n d`` for the RK4 stages) and one cluster count's
        (``2 n² d`` coordinate differences and ``3 n²`` links and labels), all 8 bytes a number.
        ``dimension`` (default the setup's) asks the same for another ``d``.
        """
        d = self.dimension if dimension is None else dimension
        n = self.points
        matrices = len(USED_MATRICES[self.flow]) + 1
        entries = (
            (self.records * n * d + matrices * d * d + 3 * n * n + 12 * n * d)
            + 2 * n * n * d
            + 3 * n * n
        )
        return 8 * entries + (matrices - 1) * d * d * DESCRIBED_BYTES_PER_ENTRY

    def _check_memory(self) -> None:
        limit = memory_limit()
        need = self.memory_bytes()
        if need <= limit:
            return
        low, high = 1, self.dimension  # the largest d that fits lies in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if self.memory_bytes(middle) <= limit else (low, middle)
        raise FieldError(
            lambda n: (
                f"{n('dimension')} {self.dimension} with {n('points')} {self.points} and "
                f"{self.records} records needs about {_gib(need)}; the limit is {_gib(limit)} "
                "(half this machine's memory): "
                + (
                    f"give {n('dimension')} <= {low}, or fewer points or records"
                    if low >= 2
                    else f"no dimension fits; give fewer {n('points')} or records"
                )
            )
        )

    @property
    def sign(self) -> float:
        """The gradient sign ``g`` of :func:`~attndyn.particles.dynamics.gradient_sign`: ``+1``
        for the ascent, ``−1`` for the descent (USA only)."""
        return gradient_sign(self.direction)

    @property
    def energy_matrix(self) -> np.ndarray:
        """``A`` of the recorded energy: ``D`` (USA) or ``QᵀK`` (SA)."""
        m = self.matrices
        return m["D"] if self.flow == "usa" else m["Q"].T @ m["K"]

    def field(self, x: np.ndarray) -> np.ndarray:
        """The ambient field ``F(x)`` (shape of ``x``), before the tangent projection."""
        m = self.matrices
        if self.flow == "usa":
            return self.sign * usa_increment(x, m["D"], self.beta, m["V"])
        logits = self.beta * ((x @ m["Q"].T) @ (x @ m["K"].T).swapaxes(-1, -2))
        logits -= logits.max(axis=-1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=-1, keepdims=True)
        return weights @ (x @ m["V"].T)

    def step(self, x: np.ndarray) -> np.ndarray:
        """One deterministic step of size ``dt`` (``euler`` or ``rk4``, see above)."""
        if self.method == "euler":
            return project(x + self.dt * self.field(x))
        velocity: Callable[[np.ndarray], np.ndarray] = lambda y: tangent_project(  # noqa: E731
            y, self.field(y)
        )
        return rk4_step(velocity, x, self.dt)

    def describe(self) -> dict[str, Any]:
        """The setup as JSON-ready values (matrices as nested lists)."""
        out: dict[str, Any] = {
            name: getattr(self, name)
            for name in (
                "flow",
                "dimension",
                "points",
                "beta",
                "direction",
                "method",
                "dt",
                "steps",
                "noise",
                "noise_decay",
                "seed",
                "record_every",
                "cluster_distance",
            )
        }
        out.update({name: self.matrices[name].tolist() for name in USED_MATRICES[self.flow]})
        return out


@dataclass
class Trajectory:
    """What :func:`simulate` recorded: ``points[k]`` at step ``steps[k]``, time ``times[k]``,
    with ``energy[k]`` and ``clusters[k]`` there; ``step_energy[k]`` is the energy after step
    ``k`` (``k = 0 .. setup.steps``, every step)."""

    setup: FlowSetup
    steps: np.ndarray
    times: np.ndarray
    points: np.ndarray
    energy: np.ndarray
    clusters: np.ndarray
    step_energy: np.ndarray

    @property
    def final(self) -> np.ndarray:
        return self.points[-1]

    @property
    def step_times(self) -> np.ndarray:
        """``k dt`` for every step ``k = 0 .. setup.steps`` (the times of ``step_energy``)."""
        return np.arange(self.setup.steps + 1) * self.setup.dt


def simulate(
    setup: FlowSetup, x0: np.ndarray | None = None, *, progress: bool = False
) -> Trajectory:
    """Run the flow of ``setup`` from ``x0`` (default: uniform points from the seed).

    Returns the recorded :class:`Trajectory` (see the module docstring).
    """
    rng = np.random.default_rng(setup.seed)
    d, n = setup.dimension, setup.points
    x = random_points(n, d, rng) if x0 is None else project(np.asarray(x0, dtype=float))
    if x.shape != (n, d):
        raise FieldError(lambda n_: f"x0 has shape {x.shape}; this flow needs {(n, d)}")
    A = setup.energy_matrix
    points = np.empty((setup.records, n, d))
    steps = np.zeros(setup.records, dtype=np.int64)
    clusters = np.zeros(setup.records, dtype=np.uint16)
    step_energy = np.empty(setup.steps + 1)
    kept = 0

    def record(k: int) -> None:
        nonlocal kept
        step_energy[k] = energy(x, A, setup.beta)
        if k == 0 or k % setup.record_every == 0 or k == setup.steps:
            points[kept], steps[kept] = x, k
            clusters[kept] = count_clusters(x, setup.cluster_distance)
            kept += 1

    level = setup.noise
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=setup.steps, desc="flow", unit="step", leave=False, mininterval=0.5)
    with np.errstate(over="ignore", invalid="ignore"):
        record(0)
        for k in range(1, setup.steps + 1):
            x = setup.step(x)
            if level > 0:
                x = project(x + level * math.sqrt(setup.dt) * rng.standard_normal(x.shape))
                level *= setup.noise_decay
            record(k)
            if bar is not None and k % 50 == 0:
                bar.update(50)
    if bar is not None:
        bar.close()
    return Trajectory(
        setup=setup,
        steps=steps,
        times=steps * setup.dt,
        points=points,
        energy=step_energy[steps],
        clusters=clusters,
        step_energy=step_energy,
    )
