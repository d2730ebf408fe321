"""The experiments of Burger, Kabri, Korolev, Roith and Weigand (2025), one command each.

``EXPERIMENTS`` maps each name (``fig1`` ... ``fig7``, ``animations``, ``maxsplit``,
``sphere-densities`` and ``phase``) to an
:class:`~attndyn.particles.experiments.common.Experiment`; ``resolve`` accepts a name or one
of its aliases.  Every experiment writes ``NAME.csv`` (header row, the data behind the figure)
and ``NAME.png`` into its output directory, atomically, and the parameters it used in
``NAME.params.json`` (and in each PNG's text chunk ``attndyn-parameters``).  Its parameters
are the fields of its module's frozen ``Params`` dataclass (defaults: the paper's values),
set with ``run(out, params={...})`` or ``attndyn experiment NAME --param KEY=VALUE``; its
module docstring states the mathematics (``EXPERIMENTS[name].description``).
"""

from __future__ import annotations

from types import MappingProxyType

from attndyn.model.errors import UserError
from attndyn.particles.experiments import (
    animations,
    fig1,
    fig2,
    fig3,
    fig4,
    fig5,
    fig6,
    fig7,
    maxsplit,
    phase,
    sphere_densities,
)
from attndyn.particles.experiments.common import (
    Experiment,
    ParameterError,
    checked_seed,
    parameter,
)

__all__ = ["EXPERIMENTS", "Experiment", "ParameterError", "checked_seed", "parameter", "resolve"]

_ALL = (
    Experiment(
        "fig1",
        ("max-positive-definite", "maximisers-pd"),
        "maximisers for positive definite D on S² (D = I, diag(1, 3, 4))",
        fig1.run,
        fig1.Params,
    ),
    Experiment(
        "fig2",
        ("split", "split-study"),
        "one or two clusters? ascent for D = diag(d, 1), d in [0, 1.5], on the circle",
        fig2.run,
        fig2.Params,
    ),
    Experiment(
        "fig3",
        ("min-positive-definite", "minimisers"),
        "minimisers on S² for D = I, diag(1, .25, 1), diag(1, 0, 1), diag(0, 0, 1)",
        fig3.run,
        fig3.Params,
    ),
    Experiment(
        "fig4",
        ("four-particles", "tanh-ratio"),
        "four-particle system: tanh(D00 x1²)/tanh(D11 x2²) = d, at our and the source's step sizes",
        fig4.run,
        fig4.Params,
    ),
    Experiment(
        "fig5",
        ("min-density", "perturbation"),
        "minimising density on the circle vs first-order perturbation and exp(f cos 2θ)",
        fig5.run,
        fig5.Params,
    ),
    Experiment(
        "fig6",
        ("max-negative-definite", "maximisers-nd"),
        "maximisers for negative (semi-)definite D on S²: antipodal pairs",
        fig6.run,
        fig6.Params,
    ),
    Experiment(
        "fig7",
        ("cluster-energies", "max-indefinite"),
        "energies of one- and two-cluster states for D = diag(-1, d), d in [-1, 1]",
        fig7.run,
        fig7.Params,
    ),
    Experiment(
        "animations",
        ("movies", "min-animations"),
        "GIF/MP4 animations MinA-MinD of the Figure 3 minimisers: the camera turning around "
        "them (--view rotate) or the descent (--view descent)",
        animations.run,
        animations.Params,
    ),
    Experiment(
        "maxsplit",
        ("max-split", "split-outcomes"),
        "MaxSplit A/B/C: one cluster at +e2, at -e2, or two, for D = diag(1, 1.25) on the circle",
        maxsplit.run,
        maxsplit.Params,
    ),
    Experiment(
        "sphere-densities",
        ("pushforward", "densities"),
        "density of Dx/|Dx| for x uniform on S²: formula against sampling",
        sphere_densities.run,
        sphere_densities.Params,
    ),
    Experiment(
        "phase",
        ("phase-diagram", "clusters-phase"),
        "phase diagram of the SA flow: clusters over (beta, t) for random Q, K, V families",
        phase.run,
        phase.Params,
    ),
)

EXPERIMENTS: MappingProxyType[str, Experiment] = MappingProxyType({e.name: e for e in _ALL})
_LOOKUP = {key: e for e in _ALL for key in (e.name, *e.aliases)}


def resolve(name: str) -> Experiment:
    """The experiment called ``name`` or with alias ``name`` (case-insensitive).

    Raises :class:`attndyn.model.errors.UserError` listing the valid names otherwise.
    """
    key = str(name).strip().lower().replace("_", "-")
    if key in _LOOKUP:
        return _LOOKUP[key]
    raise UserError(
        f"unknown experiment {str(name)!r}; choose one of: {', '.join(EXPERIMENTS)}"
        " (or an alias, see --list)"
    )
