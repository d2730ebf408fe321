"""attndyn: self-attention as interacting particles on the sphere.

The public API is the names in ``__all__``: :func:`render` a landscape from ``attndyn render``'s
options as keyword arguments, :meth:`Landscape.color` it into a :class:`Picture`, ``save`` and
:func:`load` them (:mod:`attndyn.api`, docs/python.md); below them, the spec
(:class:`LandscapeSpec`), jobs, quadtree tiles and :func:`render_landscape`, the entry point of
the rendering layer. Everything else is internal, one layer per folder (docs/architecture.md).
"""

__version__ = "0.2.0"

from attndyn.api import (
    BoundaryDimension,
    Explorer,
    Landscape,
    Movie,
    OptionError,
    Picture,
    PixelTrace,
    dimension,
    explore,
    load,
    movie,
    render,
    trace,
)
from attndyn.model.errors import UserError
from attndyn.model.job import Job
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import TileAddress
from attndyn.rendering.render import render_landscape, render_tile

__all__ = [
    "BoundaryDimension",
    "Explorer",
    "Job",
    "Landscape",
    "LandscapeSpec",
    "Movie",
    "OptionError",
    "Picture",
    "PixelTrace",
    "TileAddress",
    "UserError",
    "__version__",
    "dimension",
    "explore",
    "load",
    "movie",
    "render",
    "render_landscape",
    "render_tile",
    "trace",
]
