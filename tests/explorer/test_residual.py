"""The explorer's residual field on the server, through FastAPI's TestClient: ``residual=`` in
a URL reaches the tiles (a tile is ``render``'s landscape of its window with that h), the tile
caches keep each h apart, the share link, the command and the exported PNG carry it, and a bad
h is a 422 with one line.

The numpy engine (the reference) computes the tiles; a tile is 256² pixels, so the views take
3 points and 20 steps to stay quick.
"""

from __future__ import annotations

import time
import warnings
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from attndyn import LandscapeSpec
from attndyn.engines import get_engine
from attndyn.explorer.app import ExplorerConfig, create_app
from attndyn.explorer.service import TILE_BANDS, CountingEngine
from attndyn.explorer.views import View
from attndyn.model.options import RenderOptions, build_job
from attndyn.model.tiles import TileAddress
from attndyn.pictures.images import read_png_spec
from attndyn.rendering.render import render_landscape

VIEW = {"preset": "art1679700", "init": "shared", "steps": "20", "points": "3"}
LOCAL = "http://127.0.0.1"
FROM_PAGE = {"Origin": LOCAL}


@pytest.fixture(scope="module")
def engine() -> CountingEngine:
    return CountingEngine(get_engine("numpy"))


@pytest.fixture(scope="module")
def client(engine):
    app = create_app(ExplorerConfig(first_view=VIEW, engine=engine, warm_up=False))
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


def test_a_residual_tile_is_renders_residual_landscape_and_each_h_is_cached_apart(client, engine):
    # The tile's fields, read back pixel by pixel through /api/pixel, are those of render's
    # landscape of the same 256² window with the same h (the numpy reference, run here).
    query = {**VIEW, "residual": "0.5"}
    assert client.get(f"/tiles/0/0/0.png?{urlencode(query)}").status_code == 200
    spec = build_job(RenderOptions.from_strings({**query, "size": "256"}, files=False)).spec
    assert spec.residual == 0.5
    rendered = render_landscape(spec, engine.engine)
    pixels = ((0, 0), (17, 200), (128, 128), (255, 3))

    def deltas(query):
        where = "&z=0&x=0&y=0&row={}&col={}"
        bodies = [
            client.get(f"/api/pixel?{urlencode(query)}{where.format(*p)}").json() for p in pixels
        ]
        assert all(body["cached"] for body in bodies)
        return [body["delta"] for body in bodies], [body["labels"] for body in bodies]

    tile_delta, tile_labels = deltas(query)
    assert tile_delta == [float(rendered.delta[p]) for p in pixels]
    assert tile_labels == [int(rendered.labels[p]) for p in pixels]
    # another h, or none, is another computation; the same h again is none
    calls = engine.calls
    for h in ("1", None, "0.5"):
        other = {**VIEW, **({"residual": h} if h else {})}
        assert client.get(f"/tiles/0/0/0.png?{urlencode(other)}").status_code == 200
    assert engine.calls == calls + 2 * TILE_BANDS  # a tile is computed in bands
    # and the seed map's tile is another landscape: h reached the engine
    assert deltas(VIEW)[0] != tile_delta


def test_the_share_link_and_the_command_carry_residual(client):
    first = client.get(f"/api/view?{urlencode({**VIEW, 'residual': '2.5'})}").json()
    assert first["query"]["residual"] == "2.5"
    assert first["tile_query"]["residual"] == "2.5"
    assert first["options"]["residual"] == 2.5
    assert "--residual 2.5" in first["command"]
    again = client.get(f"/api/view?{urlencode(first['query'])}").json()
    assert again["query"] == first["query"] and again["spec"] == first["spec"]
    assert View.from_query(first["query"]).base.residual == 2.5
    # without it, the seed's map: no key in the URL, none in the panel
    plain = client.get(f"/api/view?{urlencode(VIEW)}").json()
    assert "residual" not in plain["query"] and plain["options"]["residual"] is None


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("-1", "residual -1.0 is not allowed"),
        ("0", "residual 0.0 is not allowed"),
        ("inf", "residual inf is not allowed"),
        ("abc", "residual 'abc'"),
    ],
)
def test_a_bad_residual_is_a_422_with_one_line(client, value, named):
    for path in ("/api/view", "/tiles/0/0/0.png"):
        response = client.get(f"{path}?{urlencode({**VIEW, 'residual': value})}")
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith(named) and "\n" not in detail, detail


def test_the_exported_png_carries_residual(client, tmp_path):
    query = {**VIEW, "residual": "0.5", "center": "-3,-1.75", "width": "0.5", "size": "16x12"}
    started = client.post(f"/api/export?{urlencode(query)}", headers=FROM_PAGE)
    assert started.status_code == 202, started.text
    assert "--residual 0.5" in started.json()["command"]
    export_id = started.json()["id"]
    for _ in range(1200):
        status = client.get(f"/api/export/{export_id}").json()
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert status["state"] == "done", status
    path = tmp_path / "export.png"
    path.write_bytes(client.get(f"/api/export/{export_id}/picture.png").content)
    spec = LandscapeSpec.from_json(read_png_spec(path))
    assert spec.residual == 0.5 and (spec.width, spec.height) == (16, 12)
    assert View.from_query(query).export_job((16, 12)).spec == spec
    assert TileAddress(0, 0, 0) == View.from_query(query).ref_address


def test_a_residual_axis_is_drawn_only_where_h_is_positive(client):
    # x sweeps h over [0.1, 20]; the tile left of it would reach h = -19.88: refused, one line
    query = {**VIEW, "x-param": "residual", "x-range": "0.1,20"}
    view = client.get(f"/api/view?{urlencode(query)}").json()
    assert view["options"]["x-param"] == "residual"
    job = View.from_query(query).tile_job(TileAddress(0, 0, 0))
    assert float(job.x_values().min()) == pytest.approx(0.1)
    response = client.get(f"/tiles/0/-1/0.png?{urlencode(query)}")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "sweeps residual to -19.87" in detail and "> 0 on every pixel" in detail
    assert "\n" not in detail
    # and the window itself must lie in h > 0
    response = client.get(f"/api/view?{urlencode({**query, 'x-range': '-1,20'})}")
    assert response.status_code == 422 and "x-range" in response.json()["detail"]
