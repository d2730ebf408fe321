"""``attndyn publish``: a landscape as a static, zoomable, recolourable site that needs no
server.

The site holds field tiles (:mod:`~attndyn.publish.pyramid`), quantised per field
(:mod:`~attndyn.publish.quantise`), a manifest with the colormaps' tables
(:mod:`~attndyn.publish.luts`) and pinned views (:mod:`~attndyn.publish.views`), and a page
(``static/``) that colours the tiles in the browser; :mod:`~attndyn.publish.site` writes it.
"""

from attndyn.publish.site import PublishInterrupted, PublishReport, publish_store

__all__ = ["PublishInterrupted", "PublishReport", "publish_store"]
