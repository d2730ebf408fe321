"""Debian's Chromium under Playwright, as the documentation's screenshot scripts open it.

``docs/explorer_screenshot.py`` and ``docs/publish_screenshot.py`` share it (they run as
``python docs/NAME.py``, so this folder is on their path). Headless, no sandbox (the scripts
run as root), no GPU and no traffic of its own: only the pages the scripts open.
"""

from __future__ import annotations

from typing import Any

EXECUTABLE = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}


def open_page(playwright: Any) -> tuple[Any, Any]:
    """(browser, page): Chromium launched and one page at the screenshots' 1280 x 800."""
    browser = playwright.chromium.launch(executable_path=EXECUTABLE, args=ARGS)
    return browser, browser.new_page(viewport=VIEWPORT)
