"""The landscape model: what a landscape *is*, before anything computes it.

The lowest layer; it imports no other layer of attndyn. The spec (:mod:`~attndyn.model.spec`)
and its sweepable parameters (:mod:`~attndyn.model.params`), user options turned into a spec
(:mod:`~attndyn.model.options`, :mod:`~attndyn.model.parsing`), the named pictures
(:mod:`~attndyn.model.presets`), the seeded points and matrices (:mod:`~attndyn.model.rng`,
:mod:`~attndyn.model.initial`), the job (:mod:`~attndyn.model.job`: spec + points + grid),
tiles and the quadtree (:mod:`~attndyn.model.tiles`), the fields an engine returns
(:mod:`~attndyn.model.fields`), the spec read back from a picture
(:mod:`~attndyn.model.picture_metadata`), atomic writes (:mod:`~attndyn.model.outputs`) and the
errors every layer raises (:mod:`~attndyn.model.errors`).
"""
