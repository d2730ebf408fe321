"""Pictures: fields turned into colours, files, sheets and movies.

Above rendering. :mod:`~attndyn.pictures.coloring` colours fields (cheaply: recolouring never
recomputes); :mod:`~attndyn.pictures.images` and :mod:`~attndyn.pictures.image_streams` write
PNGs with the spec inside; :mod:`~attndyn.pictures.landscape_files` writes a rendered
landscape's picture and fields file; :mod:`~attndyn.pictures.sheet` makes contact sheets;
:mod:`~attndyn.pictures.movie_frames` plans the frames of zoom and sweep movies, which
:mod:`~attndyn.pictures.movies` renders and :mod:`~attndyn.pictures.video` encodes;
:mod:`~attndyn.pictures.export` and :mod:`~attndyn.pictures.store_coloring` colour a big store
into a poster.
"""
