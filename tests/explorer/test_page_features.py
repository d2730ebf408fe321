"""The explorer's page features in Debian's Chromium (Playwright), against ``attndyn explore``
on a free loopback port: the loading indicator and progressive tiles, float64's limit, the
history, the panel's fields and disabled controls, the axes, the keys, and My views (pinned,
kept, reopened, downloaded as a presets file that ``attndyn render`` and ``attndyn gallery``
render).

Tile requests are held back with Playwright's routing where a test needs to see the page
while tiles compute, so what it sees does not depend on the machine's speed. Screenshots go
to ``tmp_path``, or to ``$ATTNDYN_SCREENSHOTS`` when set. Skipped where Playwright or
/usr/bin/chromium is missing, except under CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from PIL import Image

from local_servers import explore_server, get_json, map_rgb, require_browser

ROOT = Path(__file__).resolve().parents[2]
FIRST_VIEW = ["--preset", "art1679700", "--init", "shared", "--steps", "20", "--coloring", "binary"]
WAIT_MS = 120_000
MAP_BACKGROUND = (34, 34, 34)  # #222, explorer.css: what shows where no tile is

require_browser()

from attndyn.explorer.views import View  # noqa: E402
from attndyn.model.presets import load_presets  # noqa: E402
from attndyn.pictures.images import read_picture_spec  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """``attndyn explore`` on 127.0.0.1 and a free port; stopped by its process id."""
    yield from explore_server(*FIRST_VIEW)


def new_page(browser, size=(1024, 640)):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def ready(page) -> None:
    page.wait_for_function("window.explorer && window.explorer.ready", timeout=WAIT_MS)


def settled(page) -> None:
    """The page has its view and every tile on screen is in at full resolution."""
    try:
        page.wait_for_function(
            "window.explorer && window.explorer.ready && window.explorer.pending() === 0"
            " && window.explorer.stats.loaded > 0",
            timeout=WAIT_MS,
        )
    except Exception:
        state = (
            "window.explorer && [explorer.ready, explorer.pending(), explorer.stats, location.href]"
        )
        print("not settled:", page.evaluate(state), page.errors)
        raise


# Each tick of ruler `axis` ("x" or "y"): its label, the parameter's value at its middle
# (300 px in from the other edge), and the view's parameter units per pixel.
AXIS_TICKS = """(axis) => [...document.querySelectorAll(`#axis-${axis} .tick`)].map((t) => {
  const box = t.getBoundingClientRect(), m = explorer.deep.map;
  const at = axis === "x" ? [box.left + box.width / 2, 300] : [300, box.top + box.height / 2];
  const p = explorer.deep.toParams(m.containerPointToLatLng(at));
  return [Number(t.textContent), p[axis], explorer.view().width / innerWidth];
})"""


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def map_grey(page) -> np.ndarray:
    """The map alone (panel, strip, status, axes and controls hidden), as RGB."""
    return map_rgb(page, "#panel, #strip, #status, #axes, .leaflet-control-container")


class HeldTiles:
    """Full tiles held back by the browser's routing (previews and everything else pass), so
    the page can be seen while tiles compute; released on demand. ``previews=False`` holds
    the previews too (a test that needs no picture spares the server the work)."""

    def __init__(self, page, previews: bool = True) -> None:
        self.page, self.held, self.previews = page, [], previews
        page.route("**/tiles/**", self.handle)

    def handle(self, route) -> None:
        if self.previews and "preview=1" in route.request.url:
            route.continue_()
        else:
            self.held.append(route)

    def release(self) -> None:
        self.page.unroute("**/tiles/**", self.handle)
        for route in self.held:
            try:
                route.continue_()
            except Exception:  # the page aborted that tile meanwhile
                pass
        self.held = []


def test_tiles_show_a_true_picture_at_once_and_the_indicator_counts_them(server, browser, shots):
    page = new_page(browser)
    try:
        # Full tiles held: every tile on screen shows the server's coarse preview meanwhile,
        # the map has no hole, and the status line counts the tiles and the server's queue.
        held = HeldTiles(page)
        page.goto(f"{server}/")
        ready(page)
        page.wait_for_function(
            "explorer.pending() > 0 && explorer.deep.blank() === 0", timeout=WAIT_MS
        )
        assert page.evaluate("explorer.visibleTiles().length") > 0
        # the status line says how many tiles are on their way, all shown coarse, and what
        # the server's pool holds
        page.wait_for_function(
            """() => {
              const n = explorer.pending(), text = document.getElementById('loading').textContent;
              return n > 0 && text.startsWith(`⟳ ${n} tiles on the way (${n} shown coarse`)
                && text.includes('server:');
            }""",
            timeout=10_000,
        )
        loading = page.inner_text("#loading")
        assert "computing" in loading and "queued" in loading
        assert page.is_visible("#loading")
        assert page.evaluate("explorer.stats.loaded") == 0  # no full tile came
        grey = map_grey(page)
        hole = (np.abs(grey - MAP_BACKGROUND).max(axis=2) <= 2).mean()
        assert hole < 0.005, f"{hole:.1%} of the map shows no picture"
        page.screenshot(path=str(shots / "coarse-first-1024x640.png"))

        # Released: the full tiles replace the coarse ones, and the indicator goes.
        held.release()
        settled(page)
        page.wait_for_function("document.getElementById('loading').textContent === ''")
        assert page.evaluate("document.querySelectorAll('.ax-tile .ax-coarse').length") == 0
        assert page.evaluate("explorer.stats.failed") == 0
        before = map_grey(page).mean(axis=2)

        # A zoom: each new tile shows its parent's part, magnified, before its own comes.
        held = HeldTiles(page)
        shown = page.evaluate("explorer.stats.coarse")
        page.click(".leaflet-control-zoom-in")
        page.wait_for_function(
            "explorer.pending() > 0 && explorer.deep.blank() === 0", timeout=WAIT_MS
        )
        new = page.evaluate("explorer.stats.firstMs.slice(-explorer.pending())")
        assert page.evaluate("explorer.stats.coarse") > shown
        assert np.median(new) < 150, f"first pictures after {new} ms"
        page.wait_for_function("!explorer.deep.map._animatingZoom")
        page.wait_for_timeout(100)  # the zoom's last frame drawn
        after = map_grey(page).mean(axis=2)
        held.release()
        settled(page)
        # the coarse screen is the screen before, magnified twice about the centre
        h, w = after.shape
        ys, xs = np.mgrid[20 : h - 20, 20 : w - 20]
        magnified = before[(h // 2 + (ys - h // 2) // 2), (w // 2 + (xs - w // 2) // 2)]
        differ = (np.abs(after[20 : h - 20, 20 : w - 20] - magnified) > 100).mean()
        if differ >= 0.01:
            Image.fromarray(before.astype(np.uint8)).save(shots / "zoom-before.png")
            Image.fromarray(after.astype(np.uint8)).save(shots / "zoom-coarse.png")
        assert differ < 0.01, f"{differ:.1%} of the coarse picture is not the one before"
        assert page.errors == []
    finally:
        page.close()


def python_float64_limit(query: list[str], center: tuple[float, float]) -> int:
    """The deepest zoom whose tile under ``center`` float64 resolves (attndyn.model.tiles)."""
    tree = View.from_query(dict(item.split("=") for item in query)).quadtree
    for zoom in range(200):
        tile = next(tree.covering(zoom + 1, (center[0],) * 2, (center[1],) * 2))
        if not tree.resolves(tile, "float64", 4):
            return zoom
    return 200


def test_the_zoom_stops_at_float64s_limit_with_the_reason(server, browser):
    center = (-3.0681, -1.8253)
    limit = python_float64_limit(FIRST_VIEW_QUERY, center)
    assert 40 < limit < 62
    # a link far past the limit opens at the limit: tiles in, the reason shown, + disabled
    width = 16 * 2.0**-80
    page = new_page(browser, (400, 260))  # few float64 tiles
    try:
        query = "preset=art1679700&init=shared&steps=8&coloring=binary"
        query += f"&center={center[0]},{center[1]}&width={width}"
        page.goto(f"{server}/?{query}")
        settled(page)
        assert page.evaluate("explorer.float64Limit()") == limit
        assert page.evaluate("explorer.absoluteZoom()") == limit
        assert page.evaluate("explorer.stats.failed") == 0
        assert "float64" in page.inner_text("#limit") and page.is_visible("#limit")
        plus = page.locator(".leaflet-control-zoom-in")
        assert "leaflet-disabled" in plus.get_attribute("class")
        assert "float64" in plus.get_attribute("title")
        # neither the button, the key nor the wheel goes deeper
        plus.click(force=True)
        page.keyboard.press("+")
        page.mouse.move(320, 200)
        page.mouse.wheel(0, -600)
        page.wait_for_timeout(600)
        assert page.evaluate("explorer.absoluteZoom()") == limit
        # zooming out drops the reason and enables + again
        page.click(".leaflet-control-zoom-out")
        page.wait_for_timeout(400)
        assert page.evaluate("explorer.absoluteZoom()") == limit - 1
        assert page.inner_text("#limit") == ""
        assert "leaflet-disabled" not in plus.get_attribute("class")
        assert page.errors == []
    finally:
        page.close()


FIRST_VIEW_QUERY = ["preset=art1679700", "init=shared", "steps=20", "coloring=binary"]


def test_a_level_the_server_refuses_keeps_the_last_good_picture(server, browser):
    """A level whose tiles the server refuses as beyond float64 (played here by the browser's
    routing, at a shallow zoom, so nothing deep is computed): its tiles keep the level
    before, magnified; the zoom stops there with the reason until the view zooms out."""
    page = new_page(browser, (640, 400))
    try:
        page.goto(f"{server}/?{'&'.join(FIRST_VIEW_QUERY)}")
        settled(page)
        zoom = page.evaluate("explorer.absoluteZoom()")

        def refuse(route) -> None:
            z = int(urlsplit(route.request.url).path.split("/")[2])
            if z <= zoom:
                route.continue_()
                return
            detail = f"tile (zoom {z}, x 0, y 0) is beyond float64's limit: zoom out"
            route.fulfill(
                status=422, content_type="application/json", body=json.dumps({"detail": detail})
            )

        page.route("**/tiles/**", refuse)
        page.click(".leaflet-control-zoom-in")
        page.wait_for_function("explorer.pending() === 0 && explorer.stats.failed > 0")
        page.wait_for_timeout(300)
        assert page.evaluate("explorer.absoluteZoom()") == zoom + 1
        grey = map_grey(page)
        hole = (np.abs(grey - MAP_BACKGROUND).max(axis=2) <= 2).mean()
        assert hole < 0.005, f"{hole:.1%} of the map shows no picture"
        assert "float64" in page.inner_text("#limit")
        plus = page.locator(".leaflet-control-zoom-in")
        assert "leaflet-disabled" in plus.get_attribute("class")
        page.keyboard.press("+")
        page.wait_for_timeout(400)
        assert page.evaluate("explorer.absoluteZoom()") == zoom + 1
        for _ in range(2):
            page.click(".leaflet-control-zoom-out")
            page.wait_for_timeout(400)
        assert page.inner_text("#limit") == ""
        assert "leaflet-disabled" not in plus.get_attribute("class")
        assert page.errors == []
    finally:
        page.close()


def test_back_undoes_the_last_change_not_every_pan(server, browser):
    page = new_page(browser, (960, 560))  # wide enough for the panel to start open
    try:
        page.goto(f"{server}/?{'&'.join(FIRST_VIEW_QUERY)}")
        settled(page)
        entries = page.evaluate("history.length")
        # pans and zooms replace the entry
        page.mouse.move(400, 250)
        for dx in (120, -60, 90):
            page.mouse.down()
            page.mouse.move(400 + dx, 250 + dx // 3, steps=5)
            page.mouse.up()
            page.wait_for_timeout(150)
        page.click(".leaflet-control-zoom-in")
        page.wait_for_timeout(400)
        assert page.evaluate("history.length") == entries
        panned = query_of(page.url)
        assert "center" in panned and "width" in panned
        # a change of the panel pushes one
        page.fill("[data-key=steps]", "25")
        page.press("[data-key=steps]", "Enter")
        page.wait_for_timeout(300)
        page.select_option("#cmap", "magma")
        page.wait_for_timeout(300)
        settled(page)
        assert page.evaluate("history.length") == entries + 2
        assert query_of(page.url)["steps"] == "25" and query_of(page.url)["cmap"] == "magma"
        # Back undoes the colormap, then the steps, at the place panned to
        page.go_back()
        page.wait_for_timeout(300)
        settled(page)
        assert "cmap" not in page.evaluate("explorer.query()")
        assert page.evaluate("explorer.query()")["steps"] == "25"
        assert all("cmap" not in url for url in page.evaluate("explorer.visibleTiles()"))
        page.go_back()
        page.wait_for_timeout(300)
        settled(page)
        assert page.evaluate("explorer.query()") == panned
        assert page.input_value("[data-key=steps]") == "20"
        assert all("steps=20" in url for url in page.evaluate("explorer.visibleTiles()"))
        assert page.errors == []
    finally:
        page.close()


def test_the_panel_fields_keys_axes_and_disabled_controls(server, browser, shots):
    page = new_page(browser, (1280, 800))
    HeldTiles(page, previews=False)  # no picture is needed here: the server is spared
    try:
        page.goto(f"{server}/?{'&'.join(FIRST_VIEW_QUERY)}&supersample=2")
        ready(page)
        # supersample and samples are in the panel, and change the tiles
        assert page.input_value("[data-key=supersample]") == "2"
        assert page.input_value("[data-key=samples]") == "1"
        # probability needs samples >= 2: disabled, saying why; enabled once samples is 2
        probability = page.locator("[data-key=coloring] option[value=probability]")
        assert probability.is_disabled() and "samples" in probability.get_attribute("title")
        page.fill("[data-key=samples]", "2")
        page.press("[data-key=samples]", "Enter")
        page.wait_for_function("explorer.query().samples === '2'")
        page.wait_for_timeout(300)
        assert all("samples=2" in url for url in page.evaluate("explorer.visibleTiles()"))
        assert not probability.is_disabled()
        # gray is binary's own colormap: choosing it would change nothing
        gray = page.locator("#cmap option[value=gray]")
        assert gray.is_disabled() and "changes nothing" in gray.get_attribute("title")
        page.select_option("[data-key=coloring]", "clusters")
        page.wait_for_timeout(300)
        assert not gray.is_disabled()
        assert page.locator("#cmap option[value=tab10]").is_disabled()
        # the axis already swept by the other is not offered
        assert page.locator("[data-key=x-param] option[value=wk00]").is_disabled()
        # init offers what the explorer draws, and its message names only those
        inits = page.eval_on_selector_all("[data-key=init] option", "(o) => o.map((x) => x.value)")
        assert inits == ["independent", "shared"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            get_json(f"{server}/api/view?init=file")
        detail = json.loads(refused.value.read())["detail"]
        assert refused.value.code == 422 and "'file'" in detail
        assert detail.endswith("choose independent or shared")

        # the axes: each tick's label is the parameter's value where the tick stands
        page.check("#show-axes")
        for axis in ("x", "y"):
            ticks = page.evaluate(AXIS_TICKS, axis)
            assert len(ticks) >= 4, axis
            for label, value, per_px in ticks:
                assert abs(label - value) <= 1.5 * per_px, axis
        assert "b = W_K[1,1]" in page.inner_text("#axis-x")
        assert "a = W_K[0,0]" in page.inner_text("#axis-y")

        # the keys: ? lists them, Escape closes the list; h hides the panel, a the axes
        page.locator("#map").click(position={"x": 5, "y": 790}, modifiers=["Shift"])
        page.keyboard.press("?")
        assert page.is_visible("#help") and "fullscreen" in page.inner_text("#help")
        page.screenshot(path=str(shots / "keys-1280x800.png"))
        page.keyboard.press("Escape")
        assert not page.is_visible("#help")
        page.keyboard.press("a")
        assert not page.is_visible("#axes")
        page.keyboard.press("a")
        # fullscreen: a button that does what it says, or is disabled saying why
        button = page.locator("#fullscreen")
        if page.evaluate("document.fullscreenEnabled"):
            button.click()
            page.wait_for_function("document.fullscreenElement !== null", timeout=5000)
            page.keyboard.press("f")
            page.wait_for_function("document.fullscreenElement === null", timeout=5000)
        else:
            assert "leaflet-disabled" in button.get_attribute("class")
        page.screenshot(path=str(shots / "axes-1280x800.png"))
        assert page.errors == []
    finally:
        page.close()


def test_my_views_are_pinned_kept_reopened_and_downloaded_for_the_cli(
    server, browser, shots, tmp_path
):
    page = new_page(browser, (360, 240))  # a small view: the CLI renders it quickly
    try:
        page.goto(f"{server}/?{'&'.join(FIRST_VIEW_QUERY)}&center=-3.07,-1.83&width=0.5")
        settled(page)
        assert page.locator("#download-mine").is_disabled()
        page.click("#pin-map")
        page.wait_for_function("explorer.myViews().length === 1")
        # the view as shown: the window on screen (the zoom is whole, so the width is not 0.5)
        pinned_query = query_of(page.evaluate("explorer.myViews()[0].link"))
        shown = page.evaluate("explorer.view()")
        assert pinned_query["width"] == repr(shown["width"]) != "0.5"
        assert page.locator("#pin-map").inner_text() == "★"
        assert page.locator("#pin").is_disabled()
        # kept in the browser: a reload still has it; a click on it reopens the view
        page.click("#panel-toggle")  # closed at first on a narrow window
        page.select_option("[data-key=coloring]", "clusters")
        page.wait_for_timeout(300)
        page.reload()
        settled(page)
        assert page.evaluate("explorer.myViews()")[0]["name"] == "view-1"
        page.click("#mine-toggle")
        page.click("#mine-list figure")
        page.wait_for_timeout(300)
        settled(page)
        assert page.evaluate("explorer.query()") == pinned_query

        # downloaded: a presets file with the view's picture
        with page.expect_download() as download:
            page.click("#download-mine")
        path = tmp_path / "mine.toml"
        download.value.save_as(path)
        text = path.read_text()
        tables = tomllib.loads(text)
        assert list(tables) == ["view-1"]
        presets = load_presets([path])
        view = get_json(
            f"{server}/api/view?{'&'.join(f'{k}={v}' for k, v in pinned_query.items())}"
            "&screen=360x240"
        )
        wanted = dict(view["picture"])
        assert presets["view-1"].spec(init="shared").to_dict() == wanted

        # attndyn render draws it, with the view's spec; the file names the options to give
        command = next(line for line in text.splitlines() if "--preset view-1" in line)
        argv = command.lstrip("# ").split()[1:]  # after "attndyn"
        argv = [a.replace("attndyn-my-views.toml", str(path)) for a in argv]
        out = tmp_path / "view-1.png"
        argv[argv.index("-o") + 1] = str(out)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        run = subprocess.run(
            [sys.executable, "-m", "attndyn.cli.main", *argv, "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        assert json.loads(read_picture_spec(out)) == wanted
        # and attndyn gallery draws it among the presets
        gallery = tmp_path / "gallery"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "attndyn.cli.main",
                "gallery",
                "--presets",
                str(path),
                "--only",
                "view-1",
                "--init",
                "shared",
                "--size",
                "48",
                "-o",
                str(gallery),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        assert (gallery / "view-1-shared.png").is_file()

        # Save PNG still works (the server checks where a POST comes from)
        page.click("#panel-toggle")
        page.fill("#export-size", "48x32")
        page.click("#save-png")
        page.wait_for_selector("#export-status a[download]", timeout=WAIT_MS)
        assert "48x32" in page.inner_text("#export-status")
        page.click("#panel-toggle")  # it covers the strip on a narrow window

        # unpinned: gone from the strip and the browser
        page.click("#mine-list .unpin")
        assert page.evaluate("explorer.myViews()") == []
        assert page.locator("#download-mine").is_disabled()
        assert page.errors == []
    finally:
        page.close()
