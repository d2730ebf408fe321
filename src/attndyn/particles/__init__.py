"""Research toolkit: particle flows on the sphere, interaction energies, optimisers and analysis.

This subpackage reproduces the experiments of Burger, Kabri, Korolev, Roith and Weigand,
"Analysis of mean-field models arising from self-attention dynamics in transformer
architectures with layer normalization" (2025).  It shares vocabulary with the landscape side
of :mod:`attndyn` (points on the sphere, interaction matrix ``D``, inverse temperature ``β``)
but none of its machinery.

Modules, one idea each:

* :mod:`~attndyn.particles.sphere`: points on S^{d-1}, coordinates, initialisations.
* :mod:`~attndyn.particles.energy`: ``E = ∫∫ exp(β <x, D y>) dμ dμ`` and its gradients.
* :mod:`~attndyn.particles.dynamics`: USA and SA flows, explicit steps and projected RK4.
* :mod:`~attndyn.particles.optimise`: Dirac-angle gradient search, exponentiated gradient.
* :mod:`~attndyn.particles.analysis`: clusters (k-means + merging, single linkage), inner
  products.
* :mod:`~attndyn.particles.simulate`: one flow (USA or SA, Euler or RK4, noise), recorded
  over time: what ``attndyn flow`` runs.
* :mod:`~attndyn.particles.pushforward`: the law of ``Dx/|Dx|`` for uniform ``x``.
* :mod:`~attndyn.particles.perturbation`: the first-order minimiser near ``D = I``.
* :mod:`~attndyn.particles.plots`, :mod:`~attndyn.particles.animation`: figures and movies.
* :mod:`~attndyn.particles.experiments`: Figures 1–7, the animations, MaxSplit, the sphere
  densities and the phase diagrams.
"""

from attndyn.particles.analysis import (
    Clusters,
    kmeans_clusters,
    min_abs_inner_product,
)
from attndyn.particles.dynamics import (
    Flow,
    integrate,
    rk4_step,
    sa_velocity,
    usa_flow,
    usa_step,
    usa_velocity,
)
from attndyn.particles.energy import (
    energy,
    energy_gradient,
    interaction_kernel,
    riemannian_gradient,
    weighted_energy,
)
from attndyn.particles.optimise import (
    exponentiated_gradient,
    optimise_circle_density,
    optimise_diracs,
)
from attndyn.particles.perturbation import constants, exp_guess_density, first_order_density
from attndyn.particles.pushforward import pushforward, pushforward_density
from attndyn.particles.simulate import FlowSetup, Trajectory, simulate
from attndyn.particles.sphere import (
    cart_to_sph,
    circle_points,
    fibonacci_sphere,
    project,
    random_points,
    sph_to_cart,
)

__all__ = [
    "Clusters",
    "Flow",
    "FlowSetup",
    "Trajectory",
    "cart_to_sph",
    "circle_points",
    "constants",
    "energy",
    "energy_gradient",
    "exp_guess_density",
    "exponentiated_gradient",
    "fibonacci_sphere",
    "first_order_density",
    "integrate",
    "interaction_kernel",
    "kmeans_clusters",
    "min_abs_inner_product",
    "optimise_circle_density",
    "optimise_diracs",
    "project",
    "pushforward",
    "pushforward_density",
    "random_points",
    "riemannian_gradient",
    "rk4_step",
    "sa_velocity",
    "simulate",
    "sph_to_cart",
    "usa_flow",
    "usa_step",
    "usa_velocity",
    "weighted_energy",
]
