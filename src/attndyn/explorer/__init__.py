"""``attndyn explore``: the convergence landscape as a deep-zoom map in the browser.

A local server (:mod:`attndyn.explorer.app`, FastAPI) computes 256² tiles of the view's
quadtree on demand with the fast engine, keeps their fields in a cache bounded in bytes so
that re-colouring never recomputes (:mod:`~attndyn.explorer.service`,
:mod:`~attndyn.explorer.cache`), queues tiles in a bounded pool that drops the ones nobody
wants any more (:mod:`~attndyn.explorer.pool`), renders pictures of a view in the background
(:mod:`~attndyn.explorer.exports`), makes numba's kernels ready in the background once it
listens (:mod:`~attndyn.explorer.kernels`), and serves the page: Leaflet from npm, copied into the
package, never from a CDN. The page's URL holds the whole view under ``render``'s option
names (:mod:`~attndyn.explorer.views`). The web packages (fastapi, uvicorn) are the
``explore`` extra; this package imports them only in :mod:`~attndyn.explorer.app`.
"""
