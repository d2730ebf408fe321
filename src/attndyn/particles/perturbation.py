"""First-order perturbation of the energy minimiser around D = I.

Let ``σ`` be the normalised surface measure on S^{d-1} and ``D = I + εM`` with ``M``
symmetric.  For ``D = I`` the minimiser of ``E(μ) = ∫∫ exp(β <x, D y>) dμ dμ`` is ``σ``.  Write
the minimiser for small ``ε`` as ``ν = σ + ε ν* + O(ε²)`` with ``ν* = (α <x, M x> + b) σ``.
A full-support minimiser has a constant potential ``x ↦ ∫ exp(β <x, D y>) dν(y)``; expanding
``exp(β <x, D y>) = exp(β <x, y>) (1 + εβ <x, M y> + O(ε²))`` and using the rotation
invariance of ``σ``,

    ∫ exp(β <x, y>) y dσ(y)    = C1 x,
    ∫ exp(β <x, y>) y yᵀ dσ(y) = C2 x xᵀ + C3 I,
    ∫ exp(β <x, y>) dσ(y)      = C0,

the order-``ε`` part of the potential is ``(β C1 + α C2) <x, M x> + α C3 tr M + b C0``, which
is constant exactly when

    α = −β C1 / C2,        and ν* has zero mass:  b = −α tr(M) / d.

With ``t = <x, y>`` distributed as ``c_d (1 − t²)^{(d−3)/2} dt`` under ``σ``:

    C0 = ∫ e^{βt} dσ,   C1 = ∫ e^{βt} t dσ,   C3 = ∫ e^{βt} (1 − t²)/(d − 1) dσ,
    C2 = ∫ e^{βt} t² dσ − C3.

All are computed by adaptive quadrature (``scipy.integrate.quad``) in the polar angle
``t = cos θ``, with weight ``|S^{d−2}|/|S^{d−1}| sin^{d−2} θ``.  (With ``ν = d/2 − 1`` and
``c = Γ(d/2) (2/β)^ν`` they equal ``C0 = c I_ν(β)``, ``C1 = c I_{ν+1}(β)``,
``C2 = c I_{ν+2}(β)`` and ``C3 = C1/β`` in terms of modified Bessel functions; for ``d = 2``:
``I0(β), I1(β), I2(β), I1(β)/β``, so ``α = −β I1(β)/I2(β) ≈ −4.163`` at ``β = 1``.  The tests
check the quadrature against these closed forms.)

(The source package's ``calculate_C1`` carries an extra factor ``sin θ`` in its integrand; the
first-order condition above, and the numerically optimised densities of Figure 5, both give the
value used here.)

On the circle with ``D = diag(1, 1 + ε)``, i.e. ``M = diag(0, 1)`` and ``<x, M x> = sin² θ``,
the first-order density is ``1 + ε(α sin² θ + b) = 1 − (αε/2) cos 2θ``, which is the
linearisation of the guess ``exp(f cos 2θ) / I0(f)`` with ``f = −αε/2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special

__all__ = [
    "PerturbationConstants",
    "constants",
    "exp_guess_density",
    "first_order_density",
    "first_order_f",
    "fit_guess_f",
    "l2_distance",
    "nu_star",
    "source_package_f",
]


@dataclass(frozen=True)
class PerturbationConstants:
    """The constants of the first-order analysis in dimension ``d`` at inverse temperature β."""

    d: int
    beta: float
    C0: float
    C1: float
    C2: float
    C3: float

    @property
    def alpha(self) -> float:
        """``α = −β C1 / C2``, the coefficient of ``<x, M x>`` in ``ν*``."""
        return -self.beta * self.C1 / self.C2

    def shift(self, M: np.ndarray) -> float:
        """The paper's β (here ``b``): ``−α tr(M) / d``, making ``ν*`` mass-free."""
        return -self.alpha * float(np.trace(M)) / self.d


def _polar_average(g, d: int) -> float:
    """``∫ g(<e, y>) dσ(y)`` on S^{d−1} by quadrature in the polar angle."""
    log_ratio = math.lgamma(d / 2) - 0.5 * math.log(math.pi) - math.lgamma((d - 1) / 2)
    value, _ = integrate.quad(
        lambda theta: g(math.cos(theta)) * math.sin(theta) ** (d - 2),
        0.0,
        math.pi,
        epsabs=1e-13,
        epsrel=1e-12,
        limit=200,
    )
    return math.exp(log_ratio) * value


def constants(d: int = 2, beta: float = 1.0) -> PerturbationConstants:
    """C0, C1, C2, C3 (and through them α) by quadrature, for S^{d−1} and inverse temperature β."""
    if d < 2:
        raise ValueError(f"dimension d must be at least 2, got {d}")
    c0 = _polar_average(lambda t: math.exp(beta * t), d)
    c1 = _polar_average(lambda t: math.exp(beta * t) * t, d)
    second = _polar_average(lambda t: math.exp(beta * t) * t * t, d)
    c3 = _polar_average(lambda t: math.exp(beta * t) * (1.0 - t * t) / (d - 1), d)
    return PerturbationConstants(d=d, beta=beta, C0=c0, C1=c1, C2=second - c3, C3=c3)


def nu_star(x: np.ndarray, M: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Density of ``ν*`` with respect to ``σ`` at points ``x`` (..., d): ``α <x, M x> + b``."""
    x = np.asarray(x, dtype=float)
    c = constants(x.shape[-1], beta)
    quadratic = np.einsum("...i,ij,...j->...", x, M, x)
    return c.alpha * quadratic + c.shift(M)


def first_order_density(x: np.ndarray, M: np.ndarray, eps: float, beta: float = 1.0) -> np.ndarray:
    """``dν/dσ ≈ 1 + ε ν*`` at points ``x``: the minimiser's density to first order in ``ε``."""
    return 1.0 + eps * nu_star(x, M, beta)


def first_order_f(eps: float | np.ndarray, beta: float = 1.0) -> float | np.ndarray:
    """``f = −αε/2``: the guess exponent that matches the first-order density (d = 2)."""
    return -0.5 * constants(2, beta).alpha * np.asarray(eps)


def source_package_f(eps: float | np.ndarray) -> float | np.ndarray:
    """The exponent used by the source package's guess: ``f(ε) = e ε / 2 + ε² / 5``."""
    eps = np.asarray(eps)
    return 0.5 * np.e * eps + eps**2 / 5.0


def exp_guess_density(theta: np.ndarray, f: float) -> np.ndarray:
    """The guess ``exp(f cos 2θ) / I0(f)``: a probability density with respect to ``σ`` on S¹.

    Evaluated as ``exp(f cos 2θ − |f|) / ive(0, f)`` to stay finite for large ``|f|``.
    """
    theta = np.asarray(theta, dtype=float)
    return np.exp(f * np.cos(2.0 * theta) - abs(f)) / special.ive(0, f)


def l2_distance(rho: np.ndarray, other: np.ndarray) -> float:
    """``‖ρ − ρ'‖_{L²(σ)}`` for densities sampled on an equispaced grid of the circle."""
    return float(np.sqrt(np.mean((np.asarray(rho) - np.asarray(other)) ** 2)))


def fit_guess_f(
    theta: np.ndarray, rho: np.ndarray, bounds: tuple[float, float] = (-20, 20)
) -> float:
    """The ``f`` minimising ``‖ρ − exp(f cos 2θ)/I0(f)‖_{L²(σ)}`` (bounded scalar search)."""
    result = optimize.minimize_scalar(
        lambda f: l2_distance(rho, exp_guess_density(theta, f)),
        bounds=bounds,
        method="bounded",
        options={"xatol": 1e-10},
    )
    return float(result.x)
