"""The explorer's HTTP API (FastAPI): the page, tiles, and JSON for the panels.

Every endpoint takes the view in its query, under ``render``'s option names
(:mod:`attndyn.explorer.views`):

``GET /``
    the page (``/?QUERY`` opens that view; without a query, one redirect to the first view's
    URL).
``GET /api/health``
    200 ``{"status": "ok", "kernels": {...}}`` as soon as the server listens; ``kernels``
    holds the compile state of each set of kernels ("float32", "float64", "float32 residual",
    "float64 residual"), seconds since it began and the expected seconds
    (:meth:`attndyn.explorer.kernels.Kernels.to_dict`). The page shows it while tiles wait.
``GET /api/status``
    ``{"in_flight": int, "queued": int, "capacity": int, "compiling": bool,
    "exports_running": int, "exports_limit": int}``: tasks computing now, tasks waiting in
    the compute queue, the most it holds (beyond: 503), whether kernels are being made
    ready, and the exports running and their limit. Cheap, for the page's indicator.
``GET /tiles/{z}/{x}/{y}.png?QUERY[&preview=1]``
    tile (z, x, y) of the view's pyramid as a 256² PNG: tile (0, 0, 0) covers the spec's window, x
    runs rightward and y *upward* (rows go upward in a, as in ``render``'s pictures); tiles outside
    that window are served alike (the plane is unbounded; only float64's precision bounds zoom, x
    and y). While its kernels compile (its precision's, or the residual map's), the request waits
    for that compile. The header ``X-Attndyn-Precision`` says float32 or float64, and
    ``Server-Timing`` the server's time for the tile. With ``preview=1``: a quick coarse version
    (the tile's window at 64² pixels, coloured alike, upscaled to 256² by repeating pixels; computed
    before waiting tiles; ``Cache-Control: no-store``), or the tile itself when it is at hand (its
    PNG, or its fields: a recolouring costs no computation); the header ``X-Attndyn-Preview`` says
    which (1 or 0).
``GET /api/view?QUERY[&screen=WxH]``
    the view, checked: the resolved options for the panel, the pyramid's geometry, the
    query that reopens it, the ``attndyn render`` command of it at ``size`` (or
    ``screen``), and ``max_zoom``: the deepest zoom at the view's centre (``center``, else
    the window's) that float64 resolves (:meth:`attndyn.explorer.views.View.max_zoom`).
``GET /api/presets``
    the built-in presets (the start strip).
``GET /api/pixel?QUERY&z&x&y&row&col``
    the fields of one pixel of a tile, if the tile is cached (the hover readout).
``GET /api/inspect?QUERY&z&x&y&row&col``
    the point inspector: the pixel's points, Δ(t) and cluster count at every step, from the
    tile's own job (:func:`attndyn.analysis.trace.trace_pixel`), so its final Δ is the tile's; run
    in the compute pool, ahead of waiting tiles.
``POST /api/export?QUERY`` (``size`` = WxH), ``GET /api/export/{id}``,
``GET /api/export/{id}/picture.png``
    Save PNG: start a background render of the view, poll its progress, fetch the PNG
    (it carries its spec: ``attndyn render --from`` reproduces it).
``GET /api/stats``
    the engine's call count, caches and queue.

A bad parameter gets 422 and ``{"detail": one line}`` naming the value and what is allowed
(a tile address is checked against float64's reach before any arithmetic with it, so a
hostile one costs microseconds); a reached limit gets 503 with Retry-After and a line naming
the limit; nothing answers with a traceback. Static files come only from the package; no
endpoint takes a file path. Parsing, tile geometry and colouring run in worker threads, the
engine in the compute pool: the event loop only routes, so ``/api/health`` answers while
anything else runs.

Local means local (:mod:`attndyn.explorer.guard`): requests whose ``Host`` is not the
server's own address get 421, ``POST`` requests not from the page (no same-origin
``Origin`` or ``Sec-Fetch-Site``, no ``X-Attndyn-Token``) get 403; the page carries the
token as ``<meta name="attndyn-token" content="...">``. The OpenAPI schema and its pages
(``/openapi.json``, ``/docs``) exist only with ``api_docs`` (``attndyn explore --api-docs``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from attndyn.engines import Engine, get_engine
from attndyn.explorer.exports import Exports
from attndyn.explorer.guard import GuardMiddleware, HostPolicy
from attndyn.explorer.kernels import COMPILING_ENGINES, Kernels, kernel_key
from attndyn.explorer.pool import ComputePool, PoolFull
from attndyn.explorer.service import (
    DEFAULT_FIELDS_CACHE_BYTES,
    DEFAULT_PNG_CACHE_BYTES,
    PREVIEW_PRIORITY,
    CountingEngine,
    TileService,
    tile_key,
)
from attndyn.explorer.views import (
    DEFAULT_VIEW,
    TILE_SIZE,
    Limits,
    View,
    parse_address,
    parse_export_size,
    preview_job,
    spelled,
)
from attndyn.model.errors import UserError
from attndyn.model.fields import Fields
from attndyn.model.job import Job
from attndyn.model.parsing import parse_flag, parse_int, parse_size
from attndyn.model.presets import builtin_presets

log = logging.getLogger("attndyn.explorer")

TILE_KEYS = ("z", "x", "y")
TILE_EXTRA = ("preview",)
TOKEN_META = '<meta name="attndyn-token" content="{token}">'
KERNELS_BUSY = ("starting", "compiling", "loading")
VIEWS_KEPT = 64
PIXEL_KEYS = (*TILE_KEYS, "row", "col")
DISCONNECT_POLL_SECONDS = 0.1


def static_dir() -> Path:
    """The page's files, inside the package (Leaflet is copied into ``leaflet/`` by
    ``make explore``)."""
    return Path(str(resources.files("attndyn.explorer").joinpath("static")))


def leaflet_installed() -> bool:
    return (static_dir() / "leaflet" / "leaflet.js").is_file()


@dataclass
class ExplorerConfig:
    """How a server is set up: the first view, the engine, the pool, caches and caps.

    ``warm_up``: start making the first view's kernels ready as soon as the server listens
    (otherwise the first tile starts it). ``kernels``: their state (made for the engine when
    not given; tests give one with a fake backend). ``notify``: told in a line when a
    compile starts and ends (the command prints it on stderr).

    ``host``, ``port``, ``allowed_hosts``: the address the server is bound to and other
    names it answers to (:class:`attndyn.explorer.guard.HostPolicy`; ``port`` None: any);
    ``token``: the page's token for POSTs (random when not given). ``api_docs``: serve the
    OpenAPI schema (``/openapi.json``) and its page (``/docs``).
    """

    first_view: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_VIEW))
    engine: str | Engine = "auto"
    workers: int = 1
    max_queued: int = 64
    fields_cache_bytes: int = DEFAULT_FIELDS_CACHE_BYTES
    png_cache_bytes: int = DEFAULT_PNG_CACHE_BYTES
    limits: Limits = field(default_factory=Limits)
    warm_up: bool = True
    kernels: Kernels | None = None
    notify: Callable[[str], None] | None = None
    host: str = "127.0.0.1"
    port: int | None = None
    allowed_hosts: tuple[str, ...] = ()
    token: str | None = None
    api_docs: bool = False


class _ClientGone(Exception):
    """The browser cancelled the request while it waited in the queue."""


def create_app(config: ExplorerConfig | None = None) -> FastAPI:
    """The explorer's FastAPI application (``uvicorn`` serves it; tests use TestClient)."""
    config = config or ExplorerConfig()
    engine = _counting_engine(config.engine)
    pool = ComputePool(config.workers, config.max_queued)
    kernels = config.kernels or Kernels(
        compiles=lambda: engine.name in COMPILING_ENGINES, notify=config.notify
    )
    service = TileService(
        engine,
        pool,
        kernels=kernels,
        fields_cache_bytes=config.fields_cache_bytes,
        png_cache_bytes=config.png_cache_bytes,
    )
    exports = Exports(service.engine, pool)
    limits = config.limits
    first_view = View.from_query(config.first_view, limits)  # a bad first view fails here

    def lifespan(app: FastAPI):
        return _Lifespan(config, kernels, kernel_key(first_view.base), pool)

    policy = HostPolicy(config.host, config.port, tuple(config.allowed_hosts))
    if config.token is not None:
        policy = replace(policy, token=config.token)
    app = FastAPI(
        title="attndyn explore",
        docs_url="/docs" if config.api_docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if config.api_docs else None,
        lifespan=lifespan,
    )
    app.add_middleware(GuardMiddleware, policy=policy)
    page_html = (static_dir() / "index.html").read_text(encoding="utf-8")
    token_meta = TOKEN_META.format(token=policy.token)
    page_html = page_html.replace("<head>", "<head>\n  " + token_meta, 1)
    app.state.policy = policy
    app.state.service = service
    app.state.exports = exports
    app.state.pool = pool
    app.state.kernels = kernels
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")

    @app.exception_handler(UserError)
    async def user_error(request: Request, error: UserError) -> JSONResponse:
        return JSONResponse({"detail": spelled(error)}, status_code=422)

    @app.exception_handler(PoolFull)
    async def pool_full(request: Request, error: PoolFull) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse({"detail": str(error)}, status_code=503, headers=headers)

    @app.exception_handler(_ClientGone)
    async def client_gone(request: Request, error: _ClientGone) -> Response:
        return Response(status_code=499)  # nobody reads it: the browser cancelled

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("error in %s", request.url.path)
        return JSONResponse(
            {"detail": f"internal error ({type(error).__name__}); see the server's log"},
            status_code=500,
        )

    views: OrderedDict[tuple[Any, ...], View] = OrderedDict()
    views_lock = threading.Lock()

    def view_of(request: Request, extra: tuple[str, ...] = ()) -> View:
        """The request's view; the last VIEWS_KEPT are remembered by their query (less the
        endpoint's own keys), so the tiles and pixels of one view parse it once."""
        query = _single(request.query_params)
        key = (tuple((k, v) for k, v in query.items() if k not in extra), extra)
        with views_lock:
            view = views.get(key)
            if view is not None:
                views.move_to_end(key)
                return view
        view = View.from_query(query, limits, extra=extra)
        with views_lock:
            views[key] = view
            while len(views) > VIEWS_KEPT:
                views.popitem(last=False)
        return view

    async def fields_of(job: Job, request: Request, priority: int = 0) -> Fields:
        cached = service.cached_fields(job)
        if cached is not None:
            return cached
        # the tile waits (outside the pool's queue) for its kernels' one compile
        if not await kernels.wait(kernel_key(job.spec), request.is_disconnected):
            raise _ClientGone()
        return await _wait(service.compute_ticket(job, priority), request)

    def tile_request(
        request: Request, z: str, x: str, name: str
    ) -> tuple[View, Job, bytes | None, bool]:
        """The view, the tile's job, its cached PNG (or None), and whether the tile is at
        hand (its PNG, or its fields and its reference's, so that colouring is all it
        costs): parsing and the tile's geometry, run in a worker thread."""
        if not name.endswith(".png"):
            raise UserError(f"tile {name[:40]!r} must be Y.png")
        view = view_of(request, TILE_EXTRA)
        job = view.tile_job(parse_address(z, x, name[:-4]))
        data = service.png_cache.get(service.png_key(view, job))
        at_hand = data is not None or (
            service.cached_fields(job) is not None
            and (
                not view.needs_reference
                or service.cached_fields(view.tile_job(view.ref_address)) is not None
            )
        )
        return view, job, data, at_hand

    async def preview_png(view: View, job: Job, request: Request) -> bytes:
        """The tile's preview (:func:`attndyn.explorer.views.preview_job`), coloured with
        the reference tile's fields if they are cached, else with the reference's preview."""
        small = await run_in_threadpool(preview_job, job)
        fields = await fields_of(small, request, PREVIEW_PRIORITY)
        reference = None
        if view.needs_reference:
            ref_job = await run_in_threadpool(view.tile_job, view.ref_address)
            ref_fields = service.cached_fields(ref_job)
            if ref_fields is None:
                ref_job = await run_in_threadpool(preview_job, ref_job)
                ref_fields = await fields_of(ref_job, request, PREVIEW_PRIORITY)
            reference = (ref_job, ref_fields)
        return await run_in_threadpool(
            service.paint_preview, view, small, fields, reference, TILE_SIZE
        )

    @app.get("/", include_in_schema=False)
    async def page(request: Request) -> Response:
        if not request.query_params:
            query = _encode(first_view.to_query())
            if query:  # one redirect, to a URL with a query (an empty one would loop)
                return RedirectResponse("/?" + query, status_code=307)
        return HTMLResponse(page_html, headers={"Cache-Control": "no-cache"})

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "kernels": kernels.to_dict()}

    @app.get("/api/status")
    async def status() -> dict[str, Any]:
        counts = pool.stats()
        states = [entry["state"] for entry in kernels.to_dict().values()]
        return {
            "in_flight": counts["running"],
            "queued": counts["queued"],
            "capacity": counts["max_queued"],
            "compiling": any(state in KERNELS_BUSY for state in states),
            "exports_running": exports.running,
            "exports_limit": exports.max_running,
        }

    @app.get("/tiles/{z}/{x}/{name}")
    async def tile(z: str, x: str, name: str, request: Request) -> Response:
        started = time.perf_counter()
        preview = parse_flag("preview", request.query_params.get("preview", "0"))
        view, job, data, at_hand = await run_in_threadpool(tile_request, request, z, x, name)
        headers = {"X-Attndyn-Precision": job.spec.dtype, "Cache-Control": "max-age=600"}
        if preview:  # the tile itself when it is at hand (a recolouring), else its preview
            headers["Cache-Control"] = "no-store"
            headers["X-Attndyn-Preview"] = "0" if at_hand else "1"
            if not at_hand:
                data = await preview_png(view, job, request)
        if data is None:
            fields = await fields_of(job, request)
            reference = None
            if view.needs_reference:
                ref_job = await run_in_threadpool(view.tile_job, view.ref_address)
                reference = await fields_of(ref_job, request)
            data = await run_in_threadpool(service.paint, view, job, fields, reference)
        # the server's time for this tile (queue, computation, colouring), for the benchmark
        headers["Server-Timing"] = f"tile;dur={1000 * (time.perf_counter() - started):.2f}"
        return Response(data, media_type="image/png", headers=headers)

    def describe(request: Request) -> dict[str, Any]:
        view = view_of(request, ("screen",))
        screen = request.query_params.get("screen")
        size = view.options.size or (parse_size("screen", screen) if screen else None)
        out = _describe(view, size, limits)
        out["max_zoom"] = view.max_zoom()
        return out

    @app.get("/api/view")
    async def view_info(request: Request) -> dict[str, Any]:
        return await run_in_threadpool(describe, request)

    @app.get("/api/presets")
    async def presets() -> list[dict[str, str]]:
        return [
            {"name": preset.name, "caption": preset.caption}
            for preset in builtin_presets().values()
        ]

    def pixel_of(request: Request) -> tuple[Job, int, int]:
        return _pixel(view_of(request, PIXEL_KEYS), request.query_params)

    def pixel_answer(request: Request) -> dict[str, Any]:
        job, row, col = pixel_of(request)
        fields = service.cached_fields(job)
        out: dict[str, Any] = {"cached": fields is not None, "precision": job.spec.dtype}
        out.update(_pixel_values(job, row, col, fields))
        return out

    @app.get("/api/pixel")
    async def pixel(request: Request) -> dict[str, Any]:
        return await run_in_threadpool(pixel_answer, request)

    @app.get("/api/inspect")
    async def inspect(request: Request) -> dict[str, Any]:
        job, row, col = await run_in_threadpool(pixel_of, request)
        try:
            from attndyn.analysis.trace import trace_pixel
        except ImportError:
            return JSONResponse(  # type: ignore[return-value]
                {
                    "detail": (
                        "the point inspector needs attndyn.analysis.trace, which is not installed"
                    )
                },
                status_code=501,
            )
        key = ("inspect", tile_key(job), row, col)
        ticket = pool.submit(key, lambda: trace_pixel(job, row, col), PREVIEW_PRIORITY)
        trace = await _wait(ticket, request)
        out = await run_in_threadpool(trace.to_dict)
        out["precision"] = job.spec.dtype
        out["tile"] = _pixel_values(job, row, col, service.cached_fields(job))
        return out

    def export_of(request: Request) -> tuple[dict[str, Any], bool]:
        view = view_of(request)
        if view.options.size is not None:
            parse_export_size(f"{view.options.size[0]}x{view.options.size[1]}", limits)
        export, new = exports.request(view.export_job(), view.colors)
        body = export.to_dict()
        body["command"] = view.command()
        return body, new

    @app.post("/api/export")
    async def export_start(request: Request) -> JSONResponse:
        """202 with a new export, 200 with the export of the same picture already kept."""
        body, new = await run_in_threadpool(export_of, request)
        return JSONResponse(body, status_code=202 if new else 200)

    @app.get("/api/export/{export_id}")
    async def export_status(export_id: str) -> dict[str, Any]:
        return exports.get(export_id).to_dict()

    @app.get("/api/export/{export_id}/picture.png")
    async def export_picture(export_id: str) -> Response:
        export = exports.get(export_id)
        if export.png is None:
            return JSONResponse(
                {"detail": f"export {export_id} is {export.state}, not done"}, status_code=409
            )
        name = f"attndyn-{export.job.spec.width}x{export.job.spec.height}.png"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(export.png, media_type="image/png", headers=headers)

    @app.get("/api/stats")
    async def stats() -> dict[str, Any]:
        return service.stats()

    return app


def _counting_engine(engine: str | Engine) -> CountingEngine:
    """The server's engine, counting its calls. "auto" (the default) is made when first
    used, in the kernels' background thread, so the server listens before numba is
    imported; a named engine is made now, so that one that cannot run here fails at once."""
    if isinstance(engine, CountingEngine):
        return engine
    if engine == "auto":
        return CountingEngine(make=lambda: get_engine("auto"))
    return CountingEngine(get_engine(engine) if isinstance(engine, str) else engine)


class _Lifespan:
    """Start the first view's kernels in the background (the server listens meanwhile), and
    stop the pool afterwards."""

    def __init__(
        self, config: ExplorerConfig, kernels: Kernels, key: str, pool: ComputePool
    ) -> None:
        self.config, self.kernels, self.key, self.pool = config, kernels, key, pool

    async def __aenter__(self) -> None:
        if self.config.warm_up:
            self.kernels.start(self.key)

    async def __aexit__(self, *exc: object) -> None:
        await run_in_threadpool(self.pool.close)


async def _wait(ticket, request: Request) -> Any:
    """The ticket's result; gives the ticket up if the browser goes away meanwhile."""
    loop = asyncio.get_running_loop()
    woken = loop.create_future()

    def wake(_: object) -> None:
        loop.call_soon_threadsafe(lambda: woken.done() or woken.set_result(None))

    ticket.future.add_done_callback(wake)
    try:
        while not ticket.future.done():
            await asyncio.wait({woken}, timeout=DISCONNECT_POLL_SECONDS)
            if not ticket.future.done() and await request.is_disconnected():
                raise _ClientGone()
        if ticket.future.cancelled():
            raise PoolFull("the compute pool is stopping; retry shortly")
        return ticket.future.result()
    finally:
        ticket.release()


def _single(params: Mapping[str, str]) -> dict[str, str]:
    """The query as a plain mapping; a key given twice is refused."""
    items = list(params.multi_items()) if hasattr(params, "multi_items") else list(params.items())
    out: dict[str, str] = {}
    for key, value in items:
        if key in out:
            raise UserError(f"option {key!r} is given twice; give it once")
        out[key] = value
    return out


def _encode(query: Mapping[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query, safe=",")


def _pixel(view: View, params: Mapping[str, str]) -> tuple[Job, int, int]:
    """The tile job and the grid pixel (row from the bottom, col) a query names."""
    for key in PIXEL_KEYS:
        if key not in params:
            raise UserError(f"option {key!r} is missing; give z, x, y, row and col")
    job = view.tile_job(parse_address(params["z"], params["x"], params["y"]))
    row, col = parse_int("row", params["row"]), parse_int("col", params["col"])
    rows, cols = job.spec.shape
    if not (0 <= row < rows and 0 <= col < cols):
        raise UserError(
            f"pixel row {row}, col {col} is outside the tile; rows 0..{rows - 1} (0 = the "
            f"lowest), columns 0..{cols - 1}"
        )
    return job, row, col


def _pixel_values(job: Job, row: int, col: int, fields: Fields | None) -> dict[str, Any]:
    """The pixel's swept values, and its fields when the tile's fields are at hand."""
    out: dict[str, Any] = {
        "x": float(job.x_values()[col]),
        "y": float(job.y_values()[row]),
        "x_param": job.spec.x_param,
        "y_param": job.spec.y_param,
    }
    if fields is None:
        return out
    for name, array in fields.arrays().items():
        value = array[row, col].item()
        out[name] = value if value == value else None  # nan -> null
    return out


def _describe(view: View, size: tuple[int, int] | None, limits: Limits) -> dict[str, Any]:
    """What the page needs to know of a view."""
    spec = view.base
    tree = view.quadtree
    options = view.options
    try:
        command = view.command(size)
    except UserError as error:
        command = f"# {spelled(error)}"
    try:  # the spec of that picture (the page's "Download my views" writes it as a preset)
        picture: dict[str, Any] | None = view.export_job(size).spec.to_dict()
    except UserError:
        picture = None
    return {
        "query": view.to_query(),
        "tile_query": view.tile_query(),
        "command": command,
        "picture": picture,
        "spec": spec.to_dict(),
        "options": {
            "preset": options.preset,
            "wq": list(spec.wq),
            "wv": list(spec.wv),
            "wk": list(spec.wk),
            "init": spec.init,
            "seed": spec.seed,
            "steps": spec.steps,
            "points": spec.n_points,
            "tol": spec.tol,
            "beta": spec.beta,
            "residual": spec.residual,
            "x-param": spec.x_param,
            "y-param": spec.y_param,
            "precision": options.precision or "float32",
            "samples": spec.samples,
            "supersample": spec.supersample,
            "center": list(options.center) if options.center else None,
            "width": options.width,
        },
        "colors": {
            "coloring": view.colors.coloring,
            "cmap": view.colors.cmap,
            "invert": view.colors.invert,
            "equalize": view.colors.equalize,
        },
        "pyramid": {
            "x_origin": float(tree.x_origin),
            "y_origin": float(tree.y_origin),
            "tile_width": float(tree.pixel_width * tree.columns),
            "tile_height": float(tree.pixel_height * tree.rows),
            "columns": tree.columns,
            "rows": tree.rows,
            "grid": spec.shape[0],
        },
        "ref": None if view.ref is None else [view.ref.zoom, view.ref.x, view.ref.y],
        "needs_ref": view.needs_reference,
        "limits": limits.to_dict(),
    }
