"""The public Python API: attndyn's commands as functions, in the command line's words.

``import attndyn as ad`` gives these names (``attndyn.__all__``); everything else in the package
is the machinery under them, layer by layer (docs/architecture.md).

- :func:`~attndyn.api.landscapes.render` computes a :class:`~attndyn.api.landscapes.Landscape`
  from ``attndyn render``'s options as keyword arguments;
  :meth:`~attndyn.api.landscapes.Landscape.color` colours it into a
  :class:`~attndyn.api.landscapes.Picture`, which
  :meth:`~attndyn.api.landscapes.Picture.save` writes as ``render -o`` does;
  :meth:`~attndyn.api.landscapes.Landscape.save` and :func:`~attndyn.api.landscapes.load` write
  and read the fields (:mod:`attndyn.api.landscapes`).
- Keyword arguments are read as the command line reads its options, and a bad one raises
  :class:`~attndyn.api.keywords.OptionError` naming it (:mod:`attndyn.api.keywords`).
- Landscapes and pictures display themselves in a notebook (:mod:`attndyn.api.display`).
- :func:`~attndyn.api.analyses.trace` and :func:`~attndyn.api.analyses.dimension` run the
  ``trace`` and ``dimension`` commands (:mod:`attndyn.api.analyses`); their results show their
  plots in a notebook.
- :func:`~attndyn.api.movies.movie` makes the ``movie zoom`` and ``movie sweep`` movies
  (:mod:`attndyn.api.movies`); :func:`~attndyn.api.server.explore` starts the explorer's server
  in the background and shows its page in a notebook (:mod:`attndyn.api.server`).

docs/python.md shows them in use.
"""

from attndyn.api.analyses import BoundaryDimension, PixelTrace, dimension, trace
from attndyn.api.keywords import OptionError
from attndyn.api.landscapes import Landscape, Picture, load, render
from attndyn.api.movies import Movie, movie
from attndyn.api.server import Explorer, explore

__all__ = [
    "BoundaryDimension",
    "Explorer",
    "Landscape",
    "Movie",
    "OptionError",
    "Picture",
    "PixelTrace",
    "dimension",
    "explore",
    "load",
    "movie",
    "render",
    "trace",
]
