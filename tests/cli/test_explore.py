"""``attndyn explore``'s command line: the first view, and what it refuses in one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from attndyn.cli.explore import first_view
from attndyn.cli.main import _build_parser, main
from attndyn.explorer.views import DEFAULT_VIEW, View


def test_first_view_is_the_render_options_as_a_query():
    args = _build_parser().parse_args(
        ["explore", "--preset", "art1679700", "--init", "shared", "--range=-3,3", "--invert"]
    )
    query = first_view(args)
    # the preset replaces the default's; a colour option replaces the default colours
    assert query == {
        "preset": "art1679700",
        "range": "-3.0,3.0",
        "init": "shared",
        "invert": "true",
    }
    assert View.from_query(query).base.x_range == (-3.0, 3.0)


def test_no_options_give_the_default_view():
    assert first_view(_build_parser().parse_args(["explore"])) == DEFAULT_VIEW


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--x0", "points.npy"], "explore takes no files (--x0)"),
        (["--presets", "mine.toml"], "explore takes no files (--presets)"),
        (["--from", "picture.png"], "explore takes no files (--from)"),
        (["--steps", "0x"], "--steps '0x' is not an integer"),
        (["--resize", "64"], "explore takes no --resize"),
        (["--allow-host", "box.lan:80"], "--allow-host 'box.lan:80' is not a host name"),
        (["--allow-host", "a/b"], "--allow-host 'a/b' is not a host name"),
    ],
)
def test_refusals_are_one_line(argv, message, capsys):
    assert main(["explore", "--no-browser", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def _cpu_seconds(pid: int) -> float:
    """The process's user + system CPU seconds so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_the_server_answers_at_once_with_cold_kernels(tmp_path):
    """``attndyn explore --no-browser`` with an empty numba cache answers /api/health within
    2 s of its start, saying it compiles; it is killed right after, so no compile is paid.

    The 2 s are wall-clock on an otherwise idle machine; under other load (a busy CI box,
    parallel work) the test holds the server's own CPU time to them instead."""
    pytest.importorskip("uvicorn")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "NUMBA_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "attndyn.cli.main", "explore", "--no-browser"]
    started = time.monotonic()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    health = None
    try:
        for _ in range(400):  # bounded in count and time: 20 s at most
            if process.poll() is not None or time.monotonic() - started > 20:
                break
            try:
                url = f"http://127.0.0.1:{port}/api/health"
                with urllib.request.urlopen(url, timeout=5) as response:
                    health = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.02)
        seconds = time.monotonic() - started
        cpu = _cpu_seconds(process.pid) if process.poll() is None else float("nan")
    finally:
        process.kill()
        process.wait(20)
    assert health is not None, "the server never answered /api/health"
    assert health["status"] == "ok"
    # it answered while the compile was still ahead of it, not after it
    assert health["kernels"]["float32"]["state"] in ("starting", "compiling")
    if os.getloadavg()[0] < (os.cpu_count() or 1) * 0.5:
        assert seconds <= 2.0, f"answered after {seconds:.2f} s"
    assert cpu <= 2.0, f"the server used {cpu:.2f} s of CPU before it answered"


def _ask(url: str, host: str | None = None, method: str = "GET") -> int:
    """The status of one request to a server this test started (127.0.0.1 only)."""
    request = urllib.request.Request(url, method=method, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_server_answers_only_its_own_address_and_page():
    """The command's --host, --port and --allow-host reach the Host check: a rebinding
    name gets 421, the server's own address and the allowed name 200; a POST without the
    page's Origin gets 403; no OpenAPI schema without --api-docs."""
    pytest.importorskip("uvicorn")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    command = [sys.executable, "-m", "attndyn.cli.main", "explore", "--no-browser", "--engine"]
    process = subprocess.Popen(
        [*command, "numpy", "--port", str(port), "--allow-host", "box.lan"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # bounded: 30 s
            if process.poll() is not None:
                break
            try:
                if _ask(f"{base}/api/health") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert _ask(f"{base}/api/health") == 200
        assert _ask(f"{base}/api/health", host=f"localhost:{port}") == 200
        assert _ask(f"{base}/api/health", host="box.lan") == 200
        assert _ask(f"{base}/api/health", host=f"attacker.example:{port}") == 421
        assert _ask(f"{base}/api/health", host=f"127.0.0.1:{port + 1}") == 421
        assert _ask(f"{base}/api/export?size=8x8", method="POST") == 403
        assert _ask(f"{base}/openapi.json") == 404
    finally:
        process.kill()
        process.wait(20)
