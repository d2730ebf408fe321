"""Take the published gallery's screenshot for docs/publish.md: docs/publish.png.

Publishes art5227590 (shared) at 1024 x 1024 with ``attndyn publish`` into a scratch folder,
opens its ``index.html`` from the disk in Debian's Chromium (Playwright) at 1280 x 800, turns
the axes on, zooms in once, clicks one pixel so that the inspector shows its values and trace
command, and saves the page.

    PYTHONPATH=src python docs/publish_screenshot.py [OUT.png]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from chromium import open_page
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
READY = (
    "window.attndynLayer && !window.attndynLayer.isLoading() && "
    "document.querySelectorAll('canvas[data-tile]').length > 0"
)
WAIT_MS = 300_000  # a loaded machine (other work on 2 cores) can be slow
CLICK = (0.42, 0.6)  # the pixel clicked, as fractions of the map's width and height


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "publish.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        command = [sys.executable, "-m", "attndyn.cli.main"]
        options = ["--preset", "art5227590", "--init", "shared", "--size", "1024", "-q"]
        subprocess.run(
            [*command, "publish", *options, "--title", "art5227590, shared", "-o", str(site)],
            env=env,
            check=True,
        )
        with sync_playwright() as playwright:
            browser, page = open_page(playwright)
            page.goto((site / "index.html").as_uri())
            page.wait_for_function(READY, timeout=WAIT_MS)
            page.click("#show-axes")
            page.click(".leaflet-control-zoom-in")  # the picture fills the window's height
            page.wait_for_function("location.hash.includes('z=')", timeout=WAIT_MS)
            page.wait_for_timeout(500)  # the zoom's animation
            page.wait_for_function(READY, timeout=WAIT_MS)
            box = page.locator("#map").bounding_box()
            x = box["x"] + CLICK[0] * box["width"]
            y = box["y"] + CLICK[1] * box["height"]
            page.mouse.move(x, y)
            page.mouse.click(x, y)
            page.wait_for_selector("#inspector:not([hidden])", timeout=WAIT_MS)
            page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.98 * box["height"])
            page.wait_for_timeout(500)
            page.screenshot(path=str(out))
            browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
