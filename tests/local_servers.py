"""What the tests that start servers and a browser share: a free loopback port, stopping a
server by its pid, and Debian's Chromium driven by Playwright (skipped where missing, a
failure under CI)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process(process: subprocess.Popen, seconds: float = 20) -> None:
    """Stop a server this test started, by its pid: SIGTERM, then SIGKILL if it lingers."""
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(seconds)


def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, for a module-scoped ``browser`` fixture."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def browser_missing() -> str | None:
    """Why a browser test cannot run here (playwright, Chromium or Leaflet missing), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'attndyn[dev]')"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    from attndyn.explore.app import leaflet_installed

    if not leaflet_installed():
        return "Leaflet is not in the package (make explore)"
    return None


def require_browser() -> None:
    """At a browser test module's top: skip it where it cannot run, fail it under CI."""
    if (reason := browser_missing()) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test cannot run: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
