"""attndyn: self-attention as interacting particles on the sphere.

The landscape side renders the convergence landscape of a tiny attention map over a grid of
parameters (see :mod:`attndyn.model.spec` for the formulation and :func:`attndyn.render_landscape`
for the entry point).
"""

__version__ = "0.2.0"

from attndyn.model.errors import UserError
from attndyn.model.job import Job
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import TileAddress
from attndyn.rendering.render import Landscape, render_landscape, render_tile

__all__ = [
    "Job",
    "Landscape",
    "LandscapeSpec",
    "TileAddress",
    "UserError",
    "__version__",
    "render_landscape",
    "render_tile",
]
