"""The first screen, as a newcomer meets it: ``attndyn explore --no-browser`` with no options,
the bare ``/`` opened in Debian's Chromium at 1280x800 and at 390x844.

Checks: ``/`` loads with at most one redirect, to the default view's URL; the map is covered
by coloured tiles (no background showing, most pixels coloured); the panel is open on the
wide window with Save PNG visible without scrolling, and closed on the narrow one, where it
is one small button; nothing in the panel is cut off. And, with a server whose compile is
made slow on purpose (``slow_compile_server.py``), that the page says why it waits, with a
clock that ticks, and drops the message when the tiles come.

The screenshots go to ``tmp_path``, or to ``$ATTNDYN_SCREENSHOTS`` when set (to look at
them; docs/explorer.png is the 1280x800 one). Skipped where Playwright or /usr/bin/chromium
is missing, except under CI.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest

from local_servers import (
    explore_server,
    map_rgb,
    require_browser,
    start_python_server,
    stop_process,
)

ROOT = Path(__file__).resolve().parents[2]
# a cold numba cache compiles the kernels before the first tile: allow for it
SETTLE_MS = 300_000
MAP_BACKGROUND = (34, 34, 34)  # #222, explorer.css: what shows where no tile is
SCREENS = {"wide": (1280, 800), "narrow": (390, 844)}


require_browser()


from attndyn.explorer.views import DEFAULT_VIEW  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """``attndyn explore --no-browser`` with no options but the port; stopped by its pid."""
    yield from explore_server()


def settled(page) -> None:
    page.wait_for_function(
        "window.explorer && window.explorer.ready && window.explorer.stats.loaded > 0"
        " && window.explorer.pending() === 0",
        timeout=SETTLE_MS,
    )


# Elements of the panel whose text does not fit: labels, legends, buttons, headings by their
# scroll width; selects and inputs by the width of their text in their own font against
# the room inside them (a select's arrow takes about 20 px).
CUT_OFF = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  const textWidth = (el, text) => {
    const s = getComputedStyle(el);
    ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    return ctx.measureText(text).width;
  };
  const visible = (el) => el.getClientRects().length > 0;
  const cut = [];
  const boxes = "#panel label, #panel legend, #panel button, #panel strong, #panel span";
  for (const el of document.querySelectorAll(boxes)) {
    if (!visible(el) || getComputedStyle(el).display === "inline") continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      const text = el.textContent.trim().slice(0, 40);
      cut.push(`${el.tagName} '${text}': ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  for (const el of document.querySelectorAll("#panel select")) {
    if (!visible(el) || el.selectedIndex < 0) continue;
    const text = el.options[el.selectedIndex].text;
    const room = el.clientWidth - 22;
    const need = Math.round(textWidth(el, text));
    if (need > room) cut.push(`select '${text}': ${need} > ${room}`);
  }
  const inputs = "#panel input[type=number], #panel input[type=text]";
  for (const el of document.querySelectorAll(inputs)) {
    if (!visible(el) || !el.value) continue;
    const s = getComputedStyle(el);
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
      - (el.type === "number" ? 16 : 0);
    const need = Math.round(textWidth(el, el.value));
    if (need > room) cut.push(`input '${el.value}': ${need} > ${room}`);
  }
  return cut;
}"""

# Whether an element is on screen, unclipped and on top at its centre (not under another).
SHOWN = """(selector) => {
  const el = document.querySelector(selector);
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.top < 0 || box.left < 0 ||
      box.bottom > window.innerHeight || box.right > window.innerWidth) return false;
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return hit === el || el.contains(hit);
}"""


def map_pixels(page) -> np.ndarray:
    """The map alone (panel, strip, status and controls hidden), as RGB."""
    return map_rgb(page, "#panel, #strip, #status, .leaflet-control-container")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_bare_root_opens_a_filled_coloured_first_screen(server, browser, shots, screen):
    width, height = SCREENS[screen]
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        response = page.goto(f"{server}/")
        # at most one redirect, to the default view's URL
        assert response is not None and response.status == 200
        hops, request = 0, response.request
        while request.redirected_from is not None:
            hops, request = hops + 1, request.redirected_from
        assert hops <= 1
        assert dict(parse_qsl(urlsplit(page.url).query)) == DEFAULT_VIEW
        settled(page)
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / f"first-screen-{width}x{height}.png"))

        # the map is covered with tiles, and they are in colour
        pixels = map_pixels(page)
        assert pixels.shape[:2] == (height, width)
        background = (np.abs(pixels - MAP_BACKGROUND).max(axis=2) <= 2).mean()
        assert background < 0.005, f"{background:.1%} of the map shows no tile"
        coloured = (pixels.max(axis=2) - pixels.min(axis=2) >= 40).mean()
        assert coloured > 0.3, f"only {coloured:.1%} of the map is in colour"

        panel_closed = page.evaluate(
            "document.getElementById('panel').classList.contains('closed')"
        )
        if screen == "wide":
            # the panel is open; Save PNG and its section are visible without scrolling
            assert not panel_closed
            assert page.evaluate("document.getElementById('panel').scrollTop") == 0
            assert page.evaluate(SHOWN, "#save-png")
            assert page.evaluate(SHOWN, "#copy-link")
        else:
            # the panel starts closed: one small button, the map left free
            assert panel_closed
            box = page.locator("#panel").bounding_box()
            assert box is not None and box["width"] * box["height"] < 0.02 * width * height
            assert not page.evaluate(SHOWN, "#save-png")
            page.click("#panel-toggle")
            page.locator("#save-png").scroll_into_view_if_needed()
            assert page.evaluate(SHOWN, "#save-png")
            page.screenshot(path=str(shots / f"panel-open-{width}x{height}.png"))
        assert page.evaluate(CUT_OFF) == []
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "preset=art8012376&init=shared&steps=20&coloring=sync-step&cmap=twilight_shifted",
            "compiling the kernels for this machine, once — 0:0",
        ),
        (  # the residual map's kernels are a compile of their own, named as such
            "preset=art1679700&init=shared&steps=20&points=3&residual=0.5",
            "compiling the float32 residual map's kernels, once — 0:0",
        ),
    ],
    ids=["seeds-map", "residual-map"],
)
def test_the_page_says_why_it_waits_while_the_kernels_compile(browser, shots, query, message):
    """With a compile made 6 s long, the page shows the message naming the kernels, with a
    ticking clock, then drops it when the tiles come."""
    script = str(Path(__file__).with_name("slow_compile_server.py"))
    process, base = start_python_server([script, "PORT", "6", query])
    page = browser.new_page(viewport={"width": 640, "height": 400})
    try:
        page.goto(f"{base}/")
        page.wait_for_selector("#wait:not([hidden])", timeout=10_000)
        first = page.inner_text("#wait")
        assert message in first
        kind = "residual" if "residual" in query else "seeds-map"
        page.screenshot(path=str(shots / f"compiling-{kind}-640x400.png"))
        page.wait_for_timeout(2200)
        assert page.inner_text("#wait") != first  # the clock ticks
        settled(page)
        page.wait_for_selector("#wait", state="hidden", timeout=10_000)
        assert page.evaluate("explorer.compiling()") is None
    finally:
        page.close()
        stop_process(process)
