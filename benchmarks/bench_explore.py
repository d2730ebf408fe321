"""The explorer's targets, measured in one run and printed as a table.

Starts ``attndyn explore`` on a free loopback port (and stops it by its process id), then:

* cold 256² tiles of art1679700 in binary colours (init shared and independent; the
  explorer's default view until 2026-12-06, kept so the lines compare over time): the median
  of the server's own time (its ``Server-Timing`` header) over distinct tiles; target
  <= 100 ms;
* the same tiles again, from the cache; target <= 5 ms;
* boundary tiles (the README's zoom, width 0.002, float32) and deep-zoom tiles (width 2e-6,
  where float64 takes over), each on its own line;
* the first full screen (1280 x 800) in Chromium of a server started with no options (the
  default view, art8012376 in sync-step colours, which covers the window: about 24 tiles),
  from ``goto`` of the bare ``/`` until every tile on screen has loaded; target <= 1.5 s (a
  fresh server, so every tile is cold; its kernels loaded first);
* 200 concurrent tile requests from a bounded load script (threads, one request each, 30 s
  timeout): the answers by status, whether every 200 is a valid PNG, and the server's peak
  RSS; only deliberate 503s (a full queue) are allowed besides 200;
* time to first visible content per tile: cold previews (``?preview=1``: the tile's window
  at 64², coloured and upscaled) of distinct float32 tiles, asked one at a time, the
  server's time and the client's; target <= 150 ms. And a screenful: 24 tiles' previews and
  tiles asked at once, as the page does, the time until each preview arrived (reported);
* the health latency while 20 hostile addresses are in flight (20 threads sending absurd
  zooms and indices for a few seconds; each must get 422), and those 422s' own latency;
  target <= 50 ms.

Each server is timed once its float32 kernels are ready (``/api/health``), so no line counts
numba's compile; run ``attndyn warmup`` first on a fresh checkout.

Usage: ``python benchmarks/bench_explore.py [--tiles 12] [--no-browser]``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
README_CENTER = (-3.06819, -1.82531)
SCREEN = (1280, 800)
TILE_WIDTH = 16 * 256 / 255  # the pyramid's tile (0, 0, 0): [-8, 8] widened by half a pixel
X_ORIGIN = -8 - 8 / 255


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``attndyn explore`` in a subprocess on 127.0.0.1."""

    def __init__(self, options: tuple[str, ...] = ("--preset", "art1679700", "--init", "shared")):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        command = [sys.executable, "-m", "attndyn.cli.main", "explore", "--no-browser"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *options],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300  # a cold numba cache compiles first
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.base}/api/health", timeout=5) as response:
                    kernels = json.loads(response.read())["kernels"]
                if kernels["float32"]["state"] == "ready":
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not start, or its kernels did not get ready")

    def tile(self, z: int, x: int, y: int, query: dict) -> tuple[int, float, bytes, str]:
        """(status, server ms, body, precision) of one tile."""
        url = f"{self.base}/tiles/{z}/{x}/{y}.png?{urlencode(query)}"
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                timing = response.headers.get("Server-Timing", "tile;dur=nan")
                ms = float(timing.split("dur=")[1])
                return response.status, ms, response.read(), response.headers["X-Attndyn-Precision"]
        except urllib.error.HTTPError as error:
            return error.code, math.nan, error.read(), ""

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return math.nan

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(20)


def screen_tiles(center: tuple[float, float], width: float, count: int) -> tuple[int, list]:
    """The zoom of a 1280-pixel-wide view of ``width`` and ``count`` tiles around its centre."""
    zoom = round(math.log2(SCREEN[0] / 256 * TILE_WIDTH / width))
    size = TILE_WIDTH / 2**zoom
    cx = math.floor((center[0] - X_ORIGIN) / size)
    cy = math.floor((center[1] - X_ORIGIN) / size)
    spiral = [(dx, dy) for r in range(4) for dx in range(-r, r + 1) for dy in range(-r, r + 1)]
    seen, tiles = set(), []
    for dx, dy in spiral:
        if (dx, dy) not in seen:
            seen.add((dx, dy))
            tiles.append((zoom, cx + dx, cy + dy))
    return zoom, tiles[:count]


def timed_tiles(server: Server, tiles: list, query: dict) -> tuple[list[float], set[str]]:
    times, precisions = [], set()
    for z, x, y in tiles:
        status, ms, _, precision = server.tile(z, x, y, query)
        if status != 200:
            raise SystemExit(f"tile {z}/{x}/{y} answered {status}")
        times.append(ms)
        precisions.add(precision)
    return times, precisions


def first_screen_seconds() -> float:
    from browser_timing import chromium, seconds_until_ready

    server = Server(options=())
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": SCREEN[0], "height": SCREEN[1]})
            return seconds_until_ready(
                page,
                f"{server.base}/",
                "window.explorer && window.explorer.ready && window.explorer.stats.loaded > 0"
                " && window.explorer.pending() === 0",
            )
    finally:
        server.stop()


def load_test(server: Server, requests: int = 200) -> dict[str, object]:
    """``requests`` concurrent requests for distinct tiles (cold), one per thread."""
    query = {"preset": "art1679700", "init": "independent", "seed": "99"}
    tiles = [(5, 8 + i % 16, 8 + i // 16) for i in range(requests)]

    def ask(tile):
        return server.tile(*tile, query)

    with ThreadPoolExecutor(max_workers=requests) as pool:
        answers = list(pool.map(ask, tiles))
    statuses: dict[int, int] = {}
    bad_png = 0
    for status, _, body, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200:
            try:
                Image.open(io.BytesIO(body)).verify()
            except Exception:
                bad_png += 1
    return {"statuses": statuses, "bad_png": bad_png}


def get(url: str, timeout: float = 120) -> tuple[int, float, Any]:
    """(status, client seconds, headers: case-insensitive) of one GET."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status, time.perf_counter() - started, response.headers
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, time.perf_counter() - started, error.headers


def preview_times(server: Server, tiles: list, query: dict) -> tuple[list[float], list[float]]:
    """Server and client milliseconds of cold previews of ``tiles``, one at a time."""
    server_ms, client_ms = [], []
    for z, x, y in tiles:
        url = f"{server.base}/tiles/{z}/{x}/{y}.png?{urlencode(query)}&preview=1"
        status, seconds, headers = get(url)
        if status != 200 or headers.get("X-Attndyn-Preview") != "1":
            raise SystemExit(f"preview {z}/{x}/{y} answered {status} {dict(headers)}")
        server_ms.append(float(headers["Server-Timing"].split("dur=")[1]))
        client_ms.append(1000 * seconds)
    return server_ms, client_ms


def screenful_previews(server: Server, tiles: list, query: dict) -> list[float]:
    """Ask every tile's preview and the tile itself at once (as the page does); the
    milliseconds from the start until each preview arrived."""
    started = time.perf_counter()
    arrived: list[float] = []

    def ask(job: tuple[tuple[int, int, int], bool]) -> None:
        (z, x, y), preview = job
        url = f"{server.base}/tiles/{z}/{x}/{y}.png?{urlencode(query)}"
        status, _, _ = get(url + "&preview=1" if preview else url)
        if preview and status == 200:
            arrived.append(1000 * (time.perf_counter() - started))

    jobs = [(tile, preview) for tile in tiles for preview in (True, False)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        list(pool.map(ask, jobs))
    if len(arrived) != len(tiles):
        raise SystemExit(f"{len(tiles) - len(arrived)} previews failed")
    return arrived


HOSTILE = (
    "/tiles/300000000/0/0.png",
    "/tiles/99999999999999999999999/0/0.png",
    "/tiles/30/99999999999999999999999/0.png",
    "/tiles/1000/0/0.png",
    "/api/inspect?z=300000000&x=0&y=0&row=0&col=0",
    "/tiles/5/0/" + "9" * 4000 + ".png",
)


def health_under_attack(server: Server, seconds: float = 4.0) -> tuple[list, list, dict]:
    """Milliseconds of /api/health (every 50 ms) while 20 threads send hostile addresses
    for ``seconds``; the hostile requests' milliseconds and their statuses."""
    stop = time.monotonic() + seconds
    hostile_ms: list[float] = []
    statuses: dict[int, int] = {}

    def attack(i: int) -> None:
        while time.monotonic() < stop:
            status, took, _ = get(server.base + HOSTILE[i % len(HOSTILE)], timeout=30)
            hostile_ms.append(1000 * took)
            statuses[status] = statuses.get(status, 0) + 1

    health_ms: list[float] = []
    with ThreadPoolExecutor(max_workers=20) as pool:
        attackers = [pool.submit(attack, i) for i in range(20)]
        time.sleep(0.3)  # all 20 in flight
        while time.monotonic() < stop - 0.2:
            status, took, _ = get(f"{server.base}/api/health", timeout=30)
            if status != 200:
                raise SystemExit(f"/api/health answered {status}")
            health_ms.append(1000 * took)
            time.sleep(0.05)
        for attacker in attackers:
            attacker.result()
    return health_ms, hostile_ms, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiles", type=int, default=12, help="tiles per measured line")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium line")
    args = parser.parse_args()

    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, times: list[float], target: str, note: str = "") -> None:
        median = statistics.median(times)
        rows.append((what, f"{median:.1f} ms (n={len(times)}, max {max(times):.0f})", target, note))

    server = Server()
    try:
        # distinct tiles of art1679700's window, where its boundaries are
        default_tiles = [(3, x, y) for y in range(2, 6) for x in range(2, 6)][: args.tiles]
        for init in ("shared", "independent"):
            query = {"preset": "art1679700", "init": init}
            cold, _ = timed_tiles(server, default_tiles, query)
            row(f"cold tile, art1679700, {init}", cold, "<= 100 ms")
            warm, _ = timed_tiles(server, default_tiles, query)
            row(f"cached tile, art1679700, {init}", warm, "<= 5 ms")
        for width, label in ((0.002, "boundary"), (2e-6, "deep zoom")):
            zoom, tiles = screen_tiles(README_CENTER, width, max(4, args.tiles // 2))
            query = {"preset": "art1679700", "init": "shared"}
            cold, precisions = timed_tiles(server, tiles, query)
            row(
                f"{label} tile, width {width:g} (zoom {zoom})",
                cold,
                "reported",
                "/".join(sorted(precisions)),
            )
        # cold previews of tiles no line above asked for (zoom 4 of art1679700's boundaries)
        preview_tiles = [(4, x, y) for y in range(5, 11) for x in range(5, 11)][: args.tiles]
        query = {"preset": "art1679700", "init": "shared"}
        server_ms, client_ms = preview_times(server, preview_tiles, query)
        row("first content: cold preview tile, float32 (server)", server_ms, "<= 150 ms")
        row("first content: cold preview tile, float32 (client)", client_ms, "<= 150 ms")
        zoom, screen = screen_tiles(README_CENTER, 0.02, 24)
        arrived = screenful_previews(server, screen, query)
        row(
            f"first content: 24 tiles at once (zoom {zoom}), preview arrival",
            arrived,
            "reported",
            "from the start, previews and tiles asked together",
        )
        health_ms, hostile_ms, statuses = health_under_attack(server)
        row(
            "/api/health while 20 hostile addresses are in flight",
            health_ms,
            "<= 50 ms",
            f"hostile answers {json.dumps(statuses)}",
        )
        row("a hostile address's 422, under that load", hostile_ms, "<= 50 ms")
        load = load_test(server)
        rows.append(
            (
                "200 concurrent tile requests",
                json.dumps(load["statuses"]),
                "only 200 and 503",
                f"bad PNGs {load['bad_png']}; peak RSS {server.peak_rss_mib():.0f} MiB",
            )
        )
    finally:
        server.stop()
    if not args.no_browser:
        seconds = first_screen_seconds()
        rows.append(("first full screen 1280x800, Chromium", f"{seconds:.2f} s", "<= 1.5 s", ""))

    header = ("what", "measured", "target", "note")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
