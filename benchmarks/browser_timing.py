"""What the benchmarks that open a page share: Debian's Chromium and a static server as the
tests start them (tests/local_servers.py), as context managers, and the seconds from
navigation until the page says it is ready. Needs the dev extra (pytest, playwright)."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import local_servers  # noqa: E402

chromium = contextmanager(local_servers.chromium)  # Chromium, closed on leaving
static_server = contextmanager(local_servers.static_server)  # its base URL; stopped on leaving


def seconds_until_ready(page: Any, url: str, ready: str, timeout_ms: float = 120_000) -> float:
    """Seconds from ``page.goto(url)`` until the JavaScript expression ``ready`` holds."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(ready, timeout=timeout_ms)
    return time.perf_counter() - started
