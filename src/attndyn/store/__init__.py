"""Stores of rendered landscapes: save and load fields plus their spec, tile by tile.

:mod:`attndyn.store.base` declares the interface (:class:`LandscapeStore`, with a done flag
per 2-D tile) and :class:`Landscape`; :mod:`attndyn.store.npz` is the npz backend: the
``render --save`` file and the resume file of an interrupted render.
"""

from attndyn.store.base import FIELD_NAMES, Landscape, LandscapeStore
from attndyn.store.npz import NpzStore, load_landscape, save_landscape

__all__ = [
    "FIELD_NAMES",
    "Landscape",
    "LandscapeStore",
    "NpzStore",
    "load_landscape",
    "save_landscape",
]
