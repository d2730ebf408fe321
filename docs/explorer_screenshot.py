"""Take the explorer's screenshot for the README and docs/explorer.md: docs/explorer.png.

Starts ``attndyn explore`` on a free loopback port, opens a view in Debian's Chromium
(Playwright), clicks a pixel to open the point inspector, and saves the page at 1280 x 800.

    PYTHONPATH=src python docs/explorer_screenshot.py [OUT.png]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
VIEW = (
    "preset=art1679700&init=shared&coloring=sync-step&cmap=twilight_shifted"
    "&center=-2.2,-0.9&width=9"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "explorer.png"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "attndyn.cli", "explore", "--no-browser"]
    server = subprocess.Popen([*command, "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/?{VIEW}")
            ready = (
                "window.explorer && window.explorer.ready && window.explorer.pending() === 0"
                " && document.querySelectorAll('#strip-items img').length > 0"
            )
            page.wait_for_function(ready, timeout=300_000)
            page.wait_for_timeout(4000)  # the gallery's thumbnails
            page.mouse.move(330, 525)
            page.mouse.click(330, 525)
            page.wait_for_selector("#inspector:not([hidden])", timeout=120_000)
            page.wait_for_timeout(7000)  # let the animation run to the end
            page.screenshot(path=str(out))
            browser.close()
    finally:
        server.terminate()
        server.wait(20)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
