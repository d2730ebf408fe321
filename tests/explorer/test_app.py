"""The explorer's HTTP API, through FastAPI's TestClient, against independent results:
``render``'s pixels for the same window, hand-computed pixel centres, and the engine's call
count."""

from __future__ import annotations

import io
import json
import math
import threading
import time
import warnings
from fractions import Fraction
from urllib.parse import urlencode

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
from PIL import Image

from attndyn import LandscapeSpec
from attndyn.engines import get_engine
from attndyn.explorer.app import ExplorerConfig, create_app
from attndyn.explorer.kernels import Kernels
from attndyn.explorer.service import TILE_BANDS, CountingEngine
from attndyn.explorer.views import DEFAULT_VIEW, View
from attndyn.model.fields import Fields
from attndyn.model.options import RenderOptions, build_job
from attndyn.model.tiles import Quadtree, TileAddress
from attndyn.pictures.images import read_png_text
from attndyn.rendering.render import render_landscape

# Few steps keep tiles cheap; the pictures still have boundaries.
VIEW = {"preset": "art1679700", "init": "shared", "steps": "30"}
LOCAL = "http://127.0.0.1"  # the server answers only to its own address (explore.guard)
FROM_PAGE = {"Origin": LOCAL}  # what the browser adds to the page's POSTs


@pytest.fixture(scope="module")
def engine() -> CountingEngine:
    return CountingEngine(get_engine("auto"))


@pytest.fixture(scope="module")
def client(engine):
    app = create_app(ExplorerConfig(first_view=VIEW, engine=engine, warm_up=False))
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


def tile_labels(client, z: int, x: int, y: int, query: dict) -> np.ndarray:
    """A binary tile's pixels as labels, row 0 = the lowest y (as fields are)."""
    response = client.get(f"/tiles/{z}/{x}/{y}.png?{urlencode(query)}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = np.asarray(Image.open(io.BytesIO(response.content)).convert("L"))
    return np.flipud(image > 127).astype(np.uint8)


def spec_of(query: dict, **overrides) -> LandscapeSpec:
    options = RenderOptions.from_strings({**query, "size": "256"}, files=False)
    return build_job(options).spec.__class__(**{**build_job(options).spec.__dict__, **overrides})


def test_root_tile_equals_render_of_the_window(client, engine):
    for init in ("shared", "independent"):
        query = {**VIEW, "init": init}
        rendered = render_landscape(spec_of(query), engine.engine).labels
        np.testing.assert_array_equal(tile_labels(client, 0, 0, 0, query), rendered)


def test_deep_tile_equals_render_of_its_window(client, engine):
    """Tile (3, 5, 3) is a render of the window whose pixel centres are the tile's."""
    address = TileAddress(3, 5, 3)
    base = spec_of(VIEW)
    x_range, y_range = Quadtree.for_spec(base).render_ranges(address)
    rendered = render_landscape(spec_of(VIEW, x_range=x_range, y_range=y_range), engine.engine)
    tile = tile_labels(client, 3, 5, 3, VIEW)
    assert tile.std() > 0  # a boundary runs through it
    np.testing.assert_array_equal(tile, rendered.labels)


def test_tiles_meet_without_sharing_pixels(client):
    """Neighbouring tiles' pixel centres continue the same grid: one pixel apart across the
    border, never the same value. Centres by hand: lo - p/2 + (u + 1/2) p / 2**z (in float64,
    so the values are the exact centres rounded once)."""
    query = {**VIEW, "precision": "float64", "steps": "3"}
    lo, hi = Fraction(-8), Fraction(8)
    pixel = (hi - lo) / 255
    origin = lo - pixel / 2
    z = 2
    values = []
    for x in (1, 2):
        for col in (0, 255):
            body = client.get(
                f"/api/pixel?{urlencode(query)}&z={z}&x={x}&y=1&row=0&col={col}"
            ).json()
            values.append(body["x"])
            u = 256 * x + col
            assert body["x"] == float(origin + (2 * u + 1) * pixel / 2 ** (z + 1))
    left_last, right_first = values[1], values[2]
    assert right_first > left_last
    assert right_first - left_last == pytest.approx(float(pixel / 2**z), rel=1e-12)


def test_share_link_round_trips(client):
    messy = {
        "preset": "art5227590",
        "init": "shared",
        "steps": "30",
        "wq": "-0.4588, 0.7752,0.46,-0.6778",
        "center": "-3.06819,-1.82531",
        "width": "0.002",
        "coloring": "sync-step",
        "cmap": "twilight_shifted",
        "equalize": "1",
        "ref": "12,1,2",
    }
    first = client.get(f"/api/view?{urlencode(messy)}").json()
    again = client.get(f"/api/view?{urlencode(first['query'])}").json()
    assert again["query"] == first["query"]
    assert again["spec"] == first["spec"]
    assert again["command"] == first["command"]
    view = View.from_query(first["query"])
    assert view == View.from_query(messy)
    assert view.options.center == (-3.06819, -1.82531)
    assert view.colors.equalize and view.ref == TileAddress(12, 1, 2)


def test_recolouring_does_not_recompute(client, engine):
    query = {**VIEW, "seed": "7", "ref": "1,0,1"}  # a tile no other test asks for; its own ref
    client.get(f"/tiles/1/0/1.png?{urlencode(query)}")
    calls = engine.calls
    pictures = set()
    for colors in (
        {},
        {"coloring": "log-delta"},
        {"coloring": "sync-step", "cmap": "viridis"},
        {"coloring": "sync-step", "cmap": "viridis", "invert": "true", "equalize": "true"},
        {"coloring": "clusters"},
    ):
        response = client.get(f"/tiles/1/0/1.png?{urlencode({**query, **colors})}")
        assert response.status_code == 200
        pictures.add(response.content)
    assert engine.calls == calls
    assert len(pictures) == 5


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/tiles/0/0/0.png?steps=abc", "steps 'abc'"),
        ("/tiles/0/0/0.png?steps=100000", "steps 100000"),
        ("/tiles/0/0/0.png?points=0", "points 0"),
        ("/tiles/0/0/0.png?wq=1,2", "wq '1,2'"),
        ("/tiles/0/0/0.png?x-param=wk99", "x-param"),
        ("/tiles/0/0/0.png?precision=float16", "precision 'float16'"),
        ("/tiles/0/0/0.png?coloring=rainbow", "coloring 'rainbow'"),
        ("/tiles/0/0/0.png?cmap=nope", "colormap 'nope'"),
        ("/tiles/0/0/0.png?coloring=probability", "samples"),
        ("/tiles/0/0/0.png?x0=/etc/passwd", "'x0'"),
        ("/tiles/0/0/0.png?presets=/etc/passwd", "'presets'"),
        ("/tiles/0/0/0.png?from=/etc/passwd", "'from'"),
        ("/tiles/0/0/0.png?colour=red", "'colour'"),
        ("/tiles/0/0/0.png?seed=1&seed=2", "'seed'"),
        ("/tiles/0/0/0.png?ref=1,2", "ref '1,2'"),
        ("/tiles/-1/0/0.png", "tile zoom -1"),
        ("/tiles/a/0/0.png", "tile z 'a'"),
        ("/tiles/0/0/0.jpg", "0.jpg"),
        ("/tiles/70/0/0.png", "float64's limit"),
        ("/api/view?center=1,2", "center and width"),
        ("/api/view?center=1,2&width=-1", "width -1.0"),
        ("/api/pixel?z=0&x=0&y=0&row=256&col=0", "row 256"),
        ("/api/pixel?z=0&x=0&y=0", "'row'"),
    ],
)
def test_bad_parameters_get_422_with_one_line(client, path, named):
    response = client.get(path)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert named in detail
    assert "\n" not in detail and "Traceback" not in detail


def test_export_over_the_cap_is_refused(client):
    response = client.post(
        f"/api/export?{urlencode({**VIEW, 'size': '9000x10'})}", headers=FROM_PAGE
    )
    assert response.status_code == 422
    assert "size 9000x10" in response.json()["detail"]


def test_pixel_readout_is_the_tiles_fields(client, engine):
    query = {**VIEW, "coloring": "log-delta"}
    client.get(f"/tiles/2/1/2.png?{urlencode(query)}")
    body = client.get(f"/api/pixel?{urlencode(query)}&z=2&x=1&y=2&row=17&col=200").json()
    assert body["cached"]
    job = View.from_query(query).tile_job(TileAddress(2, 1, 2))
    fields: Fields = engine.engine.compute(job, _whole(job))
    assert body["labels"] == int(fields.labels[17, 200])
    assert body["delta"] == pytest.approx(float(fields.delta[17, 200]), rel=0, abs=0)
    assert body["x"] == float(job.x_values()[200]) and body["y"] == float(job.y_values()[17])


def test_deep_tiles_switch_to_float64(client):
    shallow = client.get(f"/tiles/10/600/300.png?{urlencode({**VIEW, 'steps': '5'})}")
    deep = client.get(f"/tiles/25/0/0.png?{urlencode({**VIEW, 'steps': '5'})}")
    assert shallow.headers["x-attndyn-precision"] == "float32"
    assert deep.headers["x-attndyn-precision"] == "float64"


def test_export_renders_a_png_that_render_from_reproduces(client, engine, tmp_path):
    query = {**VIEW, "center": "-3,-1.75", "width": "0.5", "size": "48x32"}
    started = client.post(f"/api/export?{urlencode(query)}", headers=FROM_PAGE)
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    assert "--center=-3.0,-1.75" in started.json()["command"]
    for _ in range(600):
        status = client.get(f"/api/export/{export_id}").json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert status["state"] == "done", status
    png = client.get(f"/api/export/{export_id}/picture.png")
    path = tmp_path / "export.png"
    path.write_bytes(png.content)
    job = build_job(RenderOptions(from_picture=str(path)))
    assert (job.spec.width, job.spec.height) == (48, 32)
    assert job.spec.x_range == (-3.25, -2.75)
    rendered = render_landscape(job, engine.engine)
    image = np.asarray(Image.open(path).convert("L"))
    np.testing.assert_array_equal(np.flipud(image > 127), rendered.labels.astype(bool))
    # the view names no colours: the picture stores the defaults, binary as drawn above
    assert json.loads(read_png_text(path, "coloring")) == {
        "coloring": "binary", "cmap": None, "invert": False, "equalize": False,
    }  # fmt: skip


def test_health_page_and_first_view(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok"
    assert set(health["kernels"]) == {"float32", "float64", "float32 residual", "float64 residual"}
    redirect = client.get("/", follow_redirects=False)
    assert redirect.status_code == 307
    assert View.from_query(dict(_query(redirect.headers["location"]))) == View.from_query(VIEW)
    # one redirect: its target is the page itself
    again = client.get(redirect.headers["location"], follow_redirects=False)
    assert again.status_code == 200 and "leaflet" in again.text
    page = client.get("/?preset=art1679700")
    assert page.status_code == 200 and "leaflet" in page.text
    assert client.get("/static/../app.py").status_code == 404


def test_bare_root_redirects_once_to_the_default_view():
    app = create_app(ExplorerConfig(engine="numpy", warm_up=False))
    with TestClient(app, base_url=LOCAL) as test_client:
        redirect = test_client.get("/", follow_redirects=False)
        assert redirect.status_code == 307
        location = redirect.headers["location"]
        assert dict(_query(location)) == DEFAULT_VIEW
        assert test_client.get(location, follow_redirects=False).status_code == 200


def test_a_first_view_without_options_is_served_without_a_redirect():
    # a view that is all defaults has an empty query: redirecting to "/?" would loop
    app = create_app(ExplorerConfig(first_view={}, engine="numpy", warm_up=False))
    with TestClient(app, base_url=LOCAL) as test_client:
        page = test_client.get("/", follow_redirects=False)
        assert page.status_code == 200 and "leaflet" in page.text


class GatedBackend:
    """A compile that lasts until ``gate`` is set (attndyn.engines.warmup's three functions)."""

    def __init__(self) -> None:
        self.gate, self.entered, self.calls = threading.Event(), threading.Event(), []

    def kernels_ready(self, precision: str, **kernels: bool) -> bool:
        return False

    def expected_compile_seconds(self, precision: str, **kernels: bool) -> float:
        return 4.0 if kernels.get("residual") else 75.0

    def warm_up(self, precision: str, **kernels: bool) -> float:
        self.calls.append((precision, kernels))
        self.entered.set()
        assert self.gate.wait(30)
        return 1.0


def test_tiles_wait_for_the_one_compile_and_health_says_so(engine):
    """While the kernels compile (a fake backend held by a gate), /api/health answers at
    once with the state, tile requests wait rather than fail, and when the compile ends they
    answer with 256² pictures; the compile ran once."""
    backend = GatedBackend()
    kernels = Kernels(backend=backend)
    config = ExplorerConfig(first_view=VIEW, engine=engine.engine, kernels=kernels)
    app = create_app(config)
    query = urlencode(VIEW)
    answers: dict[str, int] = {}
    sizes: set[tuple[int, int]] = set()

    def ask(name: str, path: str) -> None:
        response = test_client.get(path)
        answers[name] = response.status_code
        sizes.add(Image.open(io.BytesIO(response.content)).size)

    with TestClient(app, base_url=LOCAL) as test_client:
        assert backend.entered.wait(10)  # the lifespan started the first view's compile
        started = time.perf_counter()
        health = test_client.get("/api/health").json()
        assert time.perf_counter() - started < 1.0
        assert health["kernels"]["float32"]["state"] == "compiling"
        assert health["kernels"]["float32"]["expected_s"] == 75
        threads = [
            threading.Thread(target=ask, args=(f"tile{x}", f"/tiles/1/{x}/0.png?{query}"))
            for x in (0, 1)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        assert answers == {}  # waiting for the compile, not failed
        backend.gate.set()
        for thread in threads:
            thread.join(30)
        assert answers == {"tile0": 200, "tile1": 200} and sizes == {(256, 256)}
        assert test_client.get("/api/health").json()["kernels"]["float32"]["state"] == "ready"
    assert backend.calls == [("float32", {})]


def test_a_residual_tile_waits_for_the_residual_kernels_and_health_names_them(engine):
    """The residual map's kernels are a compile of their own: a residual view's tile starts it
    (asked for residual=True), waits for it while /api/health reports "float32 residual" as
    compiling with its own expected seconds, and is served once it ends; the seed's map's
    kernels, already ready, are not compiled again."""
    backend = GatedBackend()
    backend.gate.set()  # the first view's float32 kernels: at once
    kernels = Kernels(backend=backend)
    config = ExplorerConfig(first_view=VIEW, engine=engine.engine, kernels=kernels)
    residual = urlencode({**VIEW, "residual": "0.5", "points": "3"})
    answers: dict[str, int] = {}
    with TestClient(create_app(config), base_url=LOCAL) as test_client:
        kernels.ensure("float32", timeout=30)
        backend.gate.clear()
        asking = threading.Thread(
            target=lambda: answers.update(
                tile=test_client.get(f"/tiles/0/0/0.png?{residual}").status_code
            )
        )
        asking.start()
        deadline = time.monotonic() + 30
        while len(backend.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        health = test_client.get("/api/health").json()["kernels"]
        assert health["float32 residual"]["state"] == "compiling"
        assert health["float32 residual"]["expected_s"] == 4
        assert health["float32"]["state"] == "ready"
        assert answers == {}  # waiting for the residual compile
        backend.gate.set()
        asking.join(60)
        assert answers == {"tile": 200}
    assert backend.calls == [("float32", {}), ("float32", {"residual": True})]


def _query(location: str):
    from urllib.parse import parse_qsl, urlsplit

    return parse_qsl(urlsplit(location).query)


def _whole(job):
    from attndyn.model.tiles import Tile

    rows, cols = job.spec.shape
    return Tile(0, rows, 0, cols)


class _GatedEngine:
    """An engine whose computations wait for a gate (to fill the queue on purpose)."""

    name, tile_pixels, supports_float64, last_diagnostics = "gated", 1 << 20, True, None

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.inner = get_engine("numpy")

    def compute(self, job, tile):
        self.gate.wait(30)
        return self.inner.compute(job, tile)

    def pixels_per_second(self, spec):
        return 1e6


def test_full_queue_answers_503_with_retry_after():
    gated = _GatedEngine()
    app = create_app(ExplorerConfig(engine=gated, max_queued=1, warm_up=False))
    small = {**VIEW, "steps": "1"}
    with TestClient(app, base_url=LOCAL) as client:
        answers: list[int] = []

        def ask(z: int) -> None:
            answers.append(client.get(f"/tiles/{z}/0/0.png?{urlencode(small)}").status_code)

        running = threading.Thread(target=ask, args=(1,))
        running.start()
        pool = app.state.pool
        for _ in range(200):  # bounded: until the first tile runs
            if pool.stats()["running"] == 1:
                break
            time.sleep(0.01)
        queued = threading.Thread(target=ask, args=(2,))
        queued.start()
        for _ in range(200):
            if pool.stats()["queued"] == 1:
                break
            time.sleep(0.01)
        full = client.get(f"/tiles/3/0/0.png?{urlencode(small)}")
        assert full.status_code == 503
        assert full.headers["retry-after"] == "1"
        gated.gate.set()
        running.join(30)
        queued.join(30)
    assert answers == [200, 200]


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_inspector_traces_the_tiles_pixel(client, precision):
    """The inspector's run of a tile pixel ends at the tile's Δ (float64: the very value;
    float32, where the fast engine sums in its own order: the same label, Δ within 1e-4)."""
    query = {**VIEW, "precision": precision}
    client.get(f"/tiles/3/5/3.png?{urlencode(query)}")
    for row, col in [(0, 0), (100, 37), (255, 255)]:
        response = client.get(f"/api/inspect?{urlencode(query)}&z=3&x=5&y=3&row={row}&col={col}")
        assert response.status_code == 200, response.text
        trace = response.json()
        tile = trace["tile"]
        assert len(trace["delta"]) == len(trace["points"]) == 31
        assert len(trace["points"][0]) == 20
        assert trace["precision"] == precision
        assert (trace["x"], trace["y"]) == (tile["x"], tile["y"])
        assert trace["label"] == tile["labels"]
        if precision == "float64":
            assert np.float32(trace["delta"][-1]) == np.float32(tile["delta"])
        else:
            assert trace["delta"][-1] == pytest.approx(tile["delta"], abs=1e-4)


# -- bounds: a hostile address costs milliseconds, never a stall --------------------------
HOSTILE = [
    ("/tiles/300000000/0/0.png", "tile zoom 300000000 is beyond float64's limit"),
    ("/tiles/99999999999999999999999/0/0.png", "(23 digits) is beyond float64's limit"),
    ("/tiles/30/99999999999999999999999/0.png", "tile x 99999999... (23 digits) at zoom 30"),
    ("/tiles/30/0/-99999999999999999999999.png", "tile y -99999999... (23 digits)"),
    ("/tiles/5/0/" + "9" * 5000 + ".png", "has 5000 characters"),
    ("/tiles/1000/0/0.png", "tile x 0 at zoom 1000 is beyond float64's limit"),
    ("/api/pixel?z=300000000&x=0&y=0&row=0&col=0", "tile zoom 300000000"),
    ("/api/inspect?z=0&x=99999999999999999999999&y=0&row=0&col=0", "tile x 99999999..."),
    ("/tiles/0/0/0.png?coloring=log-delta&ref=300000000,0,0", "tile zoom 300000000"),
]


@pytest.mark.parametrize(("path", "named"), HOSTILE)
def test_hostile_addresses_get_a_quick_422(client, path, named):
    client.get(path)  # once, so that the timing is not the first request's
    started = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - started
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert named in detail and "\n" not in detail and len(detail) < 300
    assert seconds < 0.25  # was 11 s for zoom 300000000 (a 2**300000000 on the event loop)


def test_health_answers_while_hostile_addresses_are_in_flight(client):
    """20 hostile requests at once: each gets its 422, and /api/health meanwhile answers as
    quickly as alone (both bounded far below the 11 s a big zoom used to cost)."""
    answers: list[int] = []
    paths = [path for path, _ in HOSTILE] * 3
    threads = [
        threading.Thread(target=lambda p=p: answers.append(client.get(p).status_code))
        for p in paths[:20]
    ]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    assert client.get("/api/health").status_code == 200
    health_seconds = time.perf_counter() - started
    for thread in threads:
        thread.join(30)
    assert answers == [422] * 20
    assert health_seconds < 0.5


def test_the_plane_outside_the_window_is_served(client):
    """Tile (0, -1, 0) is the window left of tile (0, 0, 0): a render of that window."""
    engine = get_engine("numpy")
    query = {**VIEW, "steps": "3"}
    tree = Quadtree.for_spec(spec_of(query))
    x_range, y_range = tree.render_ranges(TileAddress(0, -1, 0))
    assert x_range[1] < -8  # wholly outside the base window [-8, 8]
    rendered = render_landscape(spec_of(query, x_range=x_range, y_range=y_range), engine)
    np.testing.assert_array_equal(tile_labels(client, 0, -1, 0, query), rendered.labels)
    far = client.get(f"/api/pixel?{urlencode(query)}&z=0&x=-1000&y=3000&row=0&col=0").json()
    pixel = Fraction(16, 255)
    centre = float(-8 - pixel / 2 + (256 * -1000 + Fraction(1, 2)) * pixel)
    assert far["precision"] == "float32"  # float32 still resolves pixels there
    assert far["x"] == float(np.float32(centre)) and far["x"] < -16000


def test_a_preview_is_the_tiles_window_at_64_pixels_upscaled(client, engine):
    """The preview of tile (2, 1, 2) is a render of 64² pixels whose centres are those of
    a grid 4 tile pixels wide over the tile's window (by hand, from the tile's exact window),
    each pixel repeated 4 x 4; it is not the tile, and asking for the tile afterwards
    computes the tile."""
    query = {**VIEW, "seed": "11"}  # a tile no other test computes
    tree = Quadtree.for_spec(spec_of(query))
    window = tree.window(TileAddress(2, 1, 2))
    step_x, step_y = (window.x_hi - window.x_lo) / 64, (window.y_hi - window.y_lo) / 64
    x_range = (float(window.x_lo + step_x / 2), float(window.x_hi - step_x / 2))
    y_range = (float(window.y_lo + step_y / 2), float(window.y_hi - step_y / 2))
    coarse = spec_of(query, x_range=x_range, y_range=y_range, width=64, height=64)
    expected = render_landscape(coarse, engine.engine).labels
    calls = engine.calls
    response = client.get(f"/tiles/2/1/2.png?{urlencode(query)}&preview=1")
    assert response.status_code == 200, response.text
    assert response.headers["x-attndyn-preview"] == "1"
    assert response.headers["cache-control"] == "no-store"
    image = np.asarray(Image.open(io.BytesIO(response.content)).convert("L"))
    assert image.shape == (256, 256)
    labels = np.flipud(image > 127).astype(np.uint8)
    np.testing.assert_array_equal(labels, np.kron(expected, np.ones((4, 4), np.uint8)))
    assert engine.calls == calls + 1  # one small job
    full = tile_labels(client, 2, 1, 2, query)
    assert engine.calls == calls + 1 + TILE_BANDS  # the tile itself: its own computation
    assert not np.array_equal(full, labels)
    again = client.get(f"/tiles/2/1/2.png?{urlencode(query)}&preview=1")
    assert again.headers["x-attndyn-preview"] == "0"  # the tile is at hand now: the tile
    assert np.array_equal(
        np.flipud(np.asarray(Image.open(io.BytesIO(again.content)).convert("L")) > 127),
        full.astype(bool),
    )


def test_a_preview_of_a_range_colouring_takes_the_reference_previews_range(client, engine):
    query = {**VIEW, "seed": "12", "coloring": "log-delta", "ref": "1,0,0"}
    calls = engine.calls
    response = client.get(f"/tiles/1/1/1.png?{urlencode(query)}&preview=1")
    assert response.status_code == 200 and response.headers["x-attndyn-preview"] == "1"
    assert engine.calls == calls + 2  # its own 64² and the reference's, no 256² tile


def test_status_reports_the_queue(client):
    status = client.get("/api/status").json()
    assert status == {
        "in_flight": 0,
        "queued": 0,
        "capacity": 64,
        "compiling": False,
        "exports_running": status["exports_running"],
        "exports_limit": 2,
    }


def test_max_zoom_is_float64s_limit_at_the_views_centre(client):
    """At the README's centre (x in [2, 4): ulp 2**-51) a pixel 16/255 / 2**z wide is at
    least 4 ulps while 2**z <= 16 * 2**49 / 255, so up to zoom floor(53 - log2 255) = 45;
    at the corner (8, 8) (ulp 2**-49 just above 8): 43; at the origin numbers are dense and
    only the smallest subnormal bounds it."""

    def max_zoom(center: str) -> int:
        query = {**VIEW, "center": center, "width": "0.001"}
        return client.get(f"/api/view?{urlencode(query)}").json()["max_zoom"]

    assert math.floor(53 - math.log2(255)) == 45
    assert max_zoom("-3.06819,-1.82531") == 45
    assert max_zoom("8.01,8.01") == 43
    assert max_zoom("0,0") > 1000
    # init independent: the tile seed takes indices under 2**63; under 0 the index at zoom z
    # is (8 + 8/255) / (16 * 256/255 / 2**z) = 2**(z - 1), under 2**62 up to zoom 62
    query = {**VIEW, "init": "independent", "center": "0,0", "width": "0.001"}
    assert client.get(f"/api/view?{urlencode(query)}").json()["max_zoom"] == 62


def test_inspect_runs_in_the_compute_pool(client):
    completed = client.get("/api/stats").json()["pool"]["completed"]
    query = {**VIEW, "steps": "4"}
    response = client.get(f"/api/inspect?{urlencode(query)}&z=0&x=0&y=0&row=3&col=4")
    assert response.status_code == 200, response.text
    assert client.get("/api/stats").json()["pool"]["completed"] == completed + 1
