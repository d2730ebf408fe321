"""Rendering: a job's grid, cut into tiles, through an engine into a store.

Above the engines. :mod:`~attndyn.rendering.render` renders a landscape or one quadtree tile,
resumably; :mod:`~attndyn.rendering.estimate` refuses jobs too large for the machine;
:mod:`~attndyn.rendering.distributed` spreads the tiles of a big render over Dask workers; and
:mod:`~attndyn.rendering.store` saves fields with their spec (npz in memory, Zarr on disk or
behind an fsspec URL) and loads them back.
"""
