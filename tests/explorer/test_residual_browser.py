"""The panel's residual field in Debian's Chromium (Playwright), against ``attndyn explore
--engine numpy`` on a free loopback port: setting h changes the page's URL and the tiles it
asks for (``residual=`` in their URLs), none takes it out again, a bad h is one line in the
panel (the page's check, and the server's 422 for a link), and the label is whole at
1280x800 and at 390x844.

Full tiles are held back by the browser's routing (the server's quick previews pass), so the
test does not wait for 256² tiles of the reference engine. Screenshots go to ``tmp_path``, or
to ``$ATTNDYN_SCREENSHOTS`` when set.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from local_servers import explore_server, require_browser

require_browser()

VIEW = ["preset=art1679700", "init=shared", "steps=20", "points=3", "coloring=log-delta"]
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def server():
    yield from explore_server("--preset", "art1679700", "--engine", "numpy")


class HeldTiles:
    """Full tiles held back by the browser's routing (previews pass); their URLs kept."""

    def __init__(self, page) -> None:
        self.page, self.urls, self.held = page, [], []
        page.route("**/tiles/**", self.handle)

    def handle(self, route) -> None:
        if "preview=1" in route.request.url:
            route.continue_()
        else:
            self.urls.append(route.request.url)
            self.held.append(route)


def new_page(browser, size):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def set_residual(page, text: str) -> None:
    page.fill("#residual", text)
    page.press("#residual", "Enter")


def label_is_whole(page, selector: str) -> None:
    """The label's text and its input lie inside the open panel, nothing clipped."""
    boxes = page.evaluate(
        """(selector) => {
          const input = document.querySelector(selector), label = input.closest('label');
          const panel = document.getElementById('panel').getBoundingClientRect();
          const box = (r) => [r.left, r.right, r.top, r.bottom];
          return { panel: box(panel), label: box(label.getBoundingClientRect()),
                   input: box(input.getBoundingClientRect()),
                   overflow: label.scrollWidth - label.clientWidth, text: label.innerText };
        }""",
        selector,
    )
    left, right = boxes["panel"][:2]
    for part in ("label", "input"):
        assert left <= boxes[part][0] and boxes[part][1] <= right, boxes
    assert boxes["overflow"] <= 0 and "residual h" in boxes["text"], boxes


def test_residual_in_the_panel_changes_the_url_and_the_tiles(server, browser, shots):
    page = new_page(browser, (1280, 800))
    held = HeldTiles(page)
    try:
        page.goto(f"{server}/?{'&'.join(VIEW)}")
        page.wait_for_function("window.explorer && window.explorer.ready", timeout=WAIT_MS)
        assert page.input_value("#residual") == ""  # none: the seed's map
        assert page.get_attribute("#residual", "placeholder").startswith("none")
        page.wait_for_function("explorer.visibleTiles().length > 0", timeout=WAIT_MS)
        assert not any("residual=" in url for url in page.evaluate("explorer.visibleTiles()"))

        set_residual(page, "0.5")
        page.wait_for_function("explorer.query().residual === '0.5'", timeout=WAIT_MS)
        assert query_of(page.url)["residual"] == "0.5"
        page.wait_for_function(
            "explorer.visibleTiles().length > 0 && "
            "explorer.visibleTiles().every((u) => u.includes('residual=0.5'))",
            timeout=WAIT_MS,
        )
        # the requests themselves, as the browser's routing saw them (bounded: 100 x 100 ms)
        for _ in range(100):
            if any(query_of(url).get("residual") == "0.5" for url in held.urls):
                break
            page.wait_for_timeout(100)
        assert any(query_of(url).get("residual") == "0.5" for url in held.urls), held.urls
        assert page.is_hidden("#error")
        # the share link is the page's URL; the command says --residual
        page.click("#copy-link")
        assert "residual=0.5" in page.input_value("#copied")
        page.click("#copy-command")
        page.wait_for_function(
            "document.getElementById('copied').value.includes('--residual 0.5')", timeout=WAIT_MS
        )
        label_is_whole(page, "#residual")
        page.screenshot(path=str(shots / "residual-1280x800.png"))

        # a bad h: one line in the panel, and the view (URL, tiles) stays as it was
        for bad in ("-2", "0", "abc", "1e999"):
            set_residual(page, bad)
            page.wait_for_function("!document.getElementById('error').hidden", timeout=WAIT_MS)
            error = page.inner_text("#error")
            assert error.startswith("residual ") and "> 0" in error and "\n" not in error, error
            assert query_of(page.url)["residual"] == "0.5"
        page.screenshot(path=str(shots / "residual-error-1280x800.png"))

        # none (or empty) takes it out of the URL and the tiles; the error goes
        set_residual(page, "none")
        page.wait_for_function("explorer.query().residual === undefined", timeout=WAIT_MS)
        assert "residual" not in query_of(page.url)
        page.wait_for_function("document.getElementById('error').hidden", timeout=WAIT_MS)
        page.wait_for_function(
            "explorer.visibleTiles().length > 0 && "
            "explorer.visibleTiles().every((u) => !u.includes('residual='))",
            timeout=WAIT_MS,
        )
        assert page.input_value("#residual") == ""
        # residual as an axis: offered only over a window above h = 0, which the URL gives
        option = page.locator("[data-key=x-param] option[value=residual]")
        assert option.is_disabled() and "x-range=" in option.get_attribute("title")
        page.goto(f"{server}/?{'&'.join(VIEW)}&x-param=residual&x-range=0.1,20")
        page.wait_for_function("window.explorer && window.explorer.ready", timeout=WAIT_MS)
        assert page.input_value("[data-key=x-param]") == "residual" and page.is_hidden("#error")
        assert page.locator("[data-key=y-param] option[value=residual]").is_disabled()
        assert page.errors == []
    finally:
        page.close()


def test_a_link_with_a_bad_residual_shows_the_servers_line(server, browser):
    page = new_page(browser, (1280, 800))
    HeldTiles(page)
    try:
        page.goto(f"{server}/?{'&'.join(VIEW)}&residual=-1")
        page.wait_for_function("!document.getElementById('error').hidden", timeout=WAIT_MS)
        error = page.inner_text("#error")
        assert error.startswith("residual -1.0 is not allowed") and "\n" not in error, error
    finally:
        page.close()


def test_the_residual_label_is_whole_on_a_phone(server, browser, shots):
    page = new_page(browser, (390, 844))
    HeldTiles(page)
    try:
        page.goto(f"{server}/?{'&'.join(VIEW)}&residual=20")
        page.wait_for_function("window.explorer && window.explorer.ready", timeout=WAIT_MS)
        page.click("#panel-toggle")  # narrow windows start with the panel closed
        page.locator("#residual").scroll_into_view_if_needed()
        assert page.input_value("#residual") == "20"
        label_is_whole(page, "#residual")
        page.screenshot(path=str(shots / "residual-390x844.png"))
        assert page.errors == []
    finally:
        page.close()
