"""What the tests that start servers and a browser share: a free loopback port, starting a
server there and waiting for its answer (bounded), stopping it by its pid, and Debian's
Chromium driven by Playwright (skipped where missing, a failure under CI)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
# for child processes: the repository's src, tests and benchmarks first on their path
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(str(ROOT / d) for d in ("src", "tests", "benchmarks")),
}
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


def get_json(url: str, seconds: float = 30):
    """The JSON a local server answers at ``url``."""
    with urllib.request.urlopen(url, timeout=seconds) as response:
        return json.loads(response.read())


def wait_for_answer(
    process: subprocess.Popen,
    url: str,
    seconds: float,
    answered: Callable[[bytes], bool] = lambda body: True,
) -> bool:
    """Wait until ``url`` answers with a body that is ``answered``; False where ``process``
    exits or ``seconds`` pass first. Bounded in count (a try each 0.1 s) and in time."""
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds * 10)):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        try:
            with urllib.request.urlopen(url, timeout=min(5, seconds)) as response:
                if answered(response.read()):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def start_python_server(arguments: list[str], seconds: float = 60) -> tuple[subprocess.Popen, str]:
    """``python ARGUMENTS`` (an argument ``PORT`` replaced by a free loopback port) with the
    repository's src first on its path, once its /api/health says ok: the process and its
    base URL. Fails the test, with the end of its stderr, where it never does."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    stderr = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, *(str(port) if a == "PORT" else a for a in arguments)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    healthy = lambda body: json.loads(body).get("status") == "ok"  # noqa: E731
    if not wait_for_answer(process, f"{base}/api/health", seconds, healthy):
        ended = process.poll()
        stop_process(process)
        stderr.seek(0)
        said = stderr.read().decode(errors="replace")[-2000:]
        stderr.close()
        why = f"exited with {ended}" if ended is not None else f"did not answer in {seconds} s"
        pytest.fail(f"the server {why} (/api/health): {said}")
    stderr.close()
    return process, base


def python_server(arguments: list[str], seconds: float = 60) -> Iterator[str]:
    """:func:`start_python_server` for a module-scoped fixture: yields the base URL, then
    stops the server by its pid."""
    process, base = start_python_server(arguments, seconds)
    try:
        yield base
    finally:
        stop_process(process)


def explore_server(*options: str, seconds: float = 60) -> Iterator[str]:
    """``attndyn explore --no-browser OPTIONS`` on 127.0.0.1 and a free port, for a
    module-scoped ``server`` fixture: yields its base URL; stopped by its pid."""
    command = ["-m", "attndyn.cli.main", "explore", "--no-browser", "--port", "PORT", *options]
    yield from python_server(command, seconds)


def static_server(folder: Path, probe: str = "", seconds: float = 20) -> Iterator[str]:
    """``python -m http.server`` serving ``folder`` on 127.0.0.1 and a free port: yields its
    base URL (ending in /) once ``probe`` answers; stopped by its pid."""
    port = free_port()
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    process = subprocess.Popen(
        [*command, "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        if not wait_for_answer(process, base + probe, seconds):
            pytest.fail(f"the static server of {folder} did not answer in {seconds} s")
        yield base
    finally:
        stop_process(process)


def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, for a module-scoped ``browser`` fixture."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def map_rgb(page: Any, hide: str) -> Any:
    """A screenshot of the page's ``#map`` as an RGB array of ints, with the elements that
    match the CSS selector ``hide`` (what stands over the tiles) invisible meanwhile."""
    import io

    import numpy as np
    from PIL import Image

    visibility = "([hide, value]) => document.querySelectorAll(hide).forEach((el) => {"
    visibility += " el.style.visibility = value; })"
    page.evaluate(visibility, [hide, "hidden"])
    try:
        shot = page.locator("#map").screenshot()
    finally:
        page.evaluate(visibility, [hide, ""])
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)


def browser_missing() -> str | None:
    """Why a browser test cannot run here (playwright, Chromium or Leaflet missing), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'attndyn[dev]')"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    from attndyn.explorer.app import leaflet_installed

    if not leaflet_installed():
        return "Leaflet is not in the package (make explore)"
    return None


def require_browser() -> None:
    """At a browser test module's top: skip it where it cannot run, fail it under CI."""
    if (reason := browser_missing()) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test cannot run: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` every 50 ms; an AssertionError naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {seconds} s for {what}")
        time.sleep(0.05)


def text_or_nothing(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


class DaskCluster:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1 (free
    ports), with ``env`` over :data:`CHILD_ENV`; :meth:`stop` stops them by pid."""

    def __init__(
        self,
        folder: Path,
        workers: int,
        env: dict | None = None,
        worker_args: list[str] | None = None,
        death_timeout: int = 30,
    ) -> None:
        dask = [sys.executable, "-m", "dask"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        env = {**CHILD_ENV, **(env or {})}
        scheduler_file = folder / "scheduler.json"
        self.processes = [
            subprocess.Popen(
                [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(free_port()),
                 "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                env=env, **quiet,
            )
        ]  # fmt: skip
        try:
            wait_until(lambda: "address" in text_or_nothing(scheduler_file), 60, "the scheduler")
            self.address = json.loads(scheduler_file.read_text())["address"]
            for _ in range(workers):
                self.processes.append(
                    subprocess.Popen(
                        [*dask, "worker", self.address, "--nthreads", "1", "--no-nanny",
                         "--no-dashboard", "--host", "127.0.0.1", "--death-timeout",
                         str(death_timeout), *(worker_args or [])],
                        env=env, **quiet,
                    )
                )  # fmt: skip
        except BaseException:
            self.stop()
            raise

    @property
    def scheduler(self) -> subprocess.Popen:
        return self.processes[0]

    @property
    def workers(self) -> list[subprocess.Popen]:
        return self.processes[1:]

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop_process(process, 10)
