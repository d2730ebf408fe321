"""attndyn.explore in a notebook: a server on 127.0.0.1 in the background that answers
/api/health, shows as an IFrame, and whose port is closed once stopped (twice is harmless;
a ``with`` block stops it too). Every wait is bounded."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import attndyn as ad
from attndyn.explorer.app import leaflet_installed

pytestmark = pytest.mark.skipif(not leaflet_installed(), reason="Leaflet not copied in")


def refused(port: int, seconds: float = 10.0) -> bool:
    """Whether 127.0.0.1:port refuses connections within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.1)
    return False


def test_the_explorer_starts_answers_and_stops():
    explorer = ad.explore(engine="numpy", quiet=True, preset="art1679700", coloring="binary")
    try:
        assert explorer.url == f"http://127.0.0.1:{explorer.port}/"
        with urllib.request.urlopen(f"{explorer.url}api/health", timeout=10) as response:
            assert response.status == 200
            assert json.load(response)["status"] == "ok"
        with urllib.request.urlopen(explorer.url, timeout=10) as response:
            assert b"attndyn-token" in response.read()  # the explorer's page
        assert f"<iframe src='{explorer.url}'" in explorer._repr_html_()
    finally:
        explorer.stop()
    assert refused(explorer.port) and not explorer.running
    explorer.stop()  # again: nothing happens
    assert "stopped" in repr(explorer)


def test_a_with_block_stops_it_and_bad_keywords_name_themselves():
    with ad.explore(engine="numpy", quiet=True) as explorer:
        port = explorer.port
        assert explorer.running
    assert refused(port)
    for keywords, message in (
        ({"x0": "points.npy"}, "explore takes no files (x0)"),
        ({"port": 70000}, "port 70000 is not a port"),
        ({"engine": "nope"}, "engine 'nope' is unknown; choose one of auto,"),
        ({"cmap": "nope"}, "cmap='nope': colormap 'nope' is unknown"),
        ({"sise": 3}, "explore() got an unknown keyword sise (did you mean size?)"),
    ):
        with pytest.raises(ad.OptionError) as error:
            ad.explore(quiet=True, **keywords)
        assert str(error.value).startswith(message), str(error.value)
