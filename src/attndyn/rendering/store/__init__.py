"""Stores of rendered landscapes: save and load fields plus their spec, tile by tile.

:mod:`attndyn.rendering.store.base` declares the interface (:class:`LandscapeStore`, with a done
flag per 2-D tile) and :class:`Landscape`; :mod:`attndyn.rendering.store.npz` is the npz backend:
the ``render --save`` file and the resume file of an interrupted render. With the 'big' extra,
:mod:`attndyn.rendering.store.zarr_store` is the Zarr backend (``render --store``: chunks on disk, a
done manifest with checksums, :mod:`attndyn.rendering.store.manifest`, and a pyramid); it is not
imported here, so ``import attndyn`` does not need zarr.
"""

from attndyn.rendering.store.base import FIELD_NAMES, Landscape, LandscapeStore
from attndyn.rendering.store.npz import NpzStore, load_landscape, save_landscape

__all__ = [
    "FIELD_NAMES",
    "Landscape",
    "LandscapeStore",
    "NpzStore",
    "load_landscape",
    "save_landscape",
]
