"""Take the explorer's screenshot for the README and docs/explorer.md: docs/explorer.png.

Starts ``attndyn explore`` with no options on a free loopback port, opens the bare ``/`` in
Debian's Chromium (Playwright) at 1280 x 800, waits for the first screen's tiles and the
gallery's thumbnails, and saves the page: what a newcomer sees first.

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

from chromium import open_page
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "explorer.png"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "attndyn.cli.main", "explore", "--no-browser"]
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
            browser, page = open_page(playwright)
            page.goto(f"{base}/")
            ready = (
                "window.explorer && window.explorer.ready && window.explorer.pending() === 0"
                " && document.querySelectorAll('#strip-items img').length > 0"
                " && [...document.querySelectorAll('#strip-items img')]"
                ".every((img) => img.complete && img.naturalWidth > 0)"
            )
            page.wait_for_function(ready, timeout=300_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(out))
            browser.close()
    finally:
        server.terminate()
        server.wait(20)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
