"""Local means local, in a real browser: Chromium, with its resolver told that two names of
other sites are 127.0.0.1 (what DNS rebinding makes a browser believe), against
``attndyn explore`` on a free loopback port.

- A page of ``rebind.test`` on the explorer's port reads its "own" ``/api/health``: the
  server answers 421, so the page learns nothing.
- A page of ``evil.test`` on another port posts an export to ``127.0.0.1``: Chromium sends
  it with that site's ``Origin``; the server answers 403 and no export starts. (The evil
  page is served from 127.0.0.1 too: Chromium itself blocks a public site's requests to
  loopback before they leave, so only a local page, or another browser, reaches the check.)
- The explorer's own page still posts its export (Save PNG).

Only 127.0.0.1 is ever contacted: the two names resolve there, and the evil page comes from
a static server this test starts on a free loopback port and stops by its pid.
"""

from __future__ import annotations

import json

import pytest

from local_servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    explore_server,
    get_json,
    require_browser,
    static_server,
)

require_browser()

FIRST_VIEW = ["--preset", "art1679700", "--init", "shared", "--steps", "2", "--engine", "numpy"]
EXPORT_QUERY = "preset=art1679700&init=shared&steps=2&size=8x8"


@pytest.fixture(scope="module")
def server():
    yield from explore_server(*FIRST_VIEW)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    rules = "--host-resolver-rules=MAP rebind.test 127.0.0.1, MAP evil.test 127.0.0.1"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules]
        )
        yield launched
        launched.close()


def test_a_rebound_name_reads_nothing(server, browser):
    page = browser.new_page()
    try:
        rebound = server.replace("127.0.0.1", "rebind.test")
        page.goto(f"{rebound}/api/health")  # reaches 127.0.0.1:PORT
        body = json.loads(page.inner_text("body"))
        assert "is not this server's" in body["detail"]
        status = page.evaluate("fetch('/api/health').then((r) => r.status)")
        assert status == 421
    finally:
        page.close()


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory):
    """A static server on 127.0.0.1 whose page the browser knows as http://evil.test:PORT/."""
    folder = tmp_path_factory.mktemp("evil")
    (folder / "index.html").write_text("<p>a page of another site</p>")
    for base in static_server(folder, seconds=10):
        yield base.replace("127.0.0.1", "evil.test")


def test_another_site_cannot_start_an_export(server, browser, evil_site):
    page = browser.new_page()
    evil = evil_site
    try:
        page.goto(evil)
        target = f"{server}/api/export?{EXPORT_QUERY}"
        with page.expect_response(lambda r: "/api/export" in r.url, timeout=20_000) as answer:
            # no-cors, as an attacker would: the request is sent, its answer unreadable
            page.evaluate("(url) => fetch(url, {method: 'POST', mode: 'no-cors'})", target)
        assert answer.value.status == 403
        # 403 is the POST check's answer (the Host, 127.0.0.1:PORT, is the server's own)
        status = get_json(f"{server}/api/status")
        assert status["exports_running"] == 0
        assert get_json(f"{server}/api/stats")["pool"]["completed"] == 0
    finally:
        page.close()


def test_the_explorers_own_page_posts_its_export(server, browser):
    page = browser.new_page()
    try:
        page.goto(f"{server}/?preset=art1679700&init=shared&steps=2")
        answer = page.evaluate(
            """(query) => fetch(`/api/export?${query}`, {method: 'POST'})
                 .then(async (r) => ({status: r.status, body: await r.json()}))""",
            EXPORT_QUERY,
        )
        assert answer["status"] == 202, answer
        token = page.get_attribute("meta[name=attndyn-token]", "content")
        assert token and len(token) >= 24
    finally:
        page.close()
