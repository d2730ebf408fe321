"""Local means local: the Host check (DNS rebinding), POSTs only from the page, the page's
token and the OpenAPI schema only on request, through the HTTP API (TestClient) and the
policy alone."""

from __future__ import annotations

import re
import warnings
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from attndyn.explorer.app import ExplorerConfig, create_app
from attndyn.explorer.guard import HostPolicy, split_host

VIEW = {"preset": "art1679700", "init": "shared", "steps": "2"}
# an export the numpy engine renders in a moment; its size is what makes it an export
SMALL_EXPORT = urlencode({**VIEW, "size": "8x8"})


def make_client(port: int | None = 8765, **config) -> TestClient:
    app = create_app(
        ExplorerConfig(first_view=VIEW, engine="numpy", warm_up=False, port=port, **config)
    )
    return TestClient(app, base_url=f"http://127.0.0.1:{port}" if port else "http://127.0.0.1")


@pytest.fixture(scope="module")
def client():
    with make_client() as test_client:
        yield test_client


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST:8765"],
)
def test_the_servers_own_addresses_are_answered(client, host):
    response = client.get("/api/health", headers={"Host": host})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:8765",  # DNS rebinding: the attacker's name, pointed at 127.0.0.1
        "attacker.example",
        "localhost.attacker.example:8765",
        "127.0.0.1:9999",  # another port: another local service's page
        "localhost",  # no port while the server's is 8765: not what a browser sends
        "192.168.1.20:8765",  # an IP of this machine, but the server is bound to loopback
        "127.0.0.1:8765@attacker.example",
        "",
    ],
)
def test_other_hosts_get_421_with_one_line(client, host):
    response = client.get("/api/health", headers={"Host": host})
    assert response.status_code == 421
    detail = response.json()["detail"]
    assert "is not this server's" in detail and "\n" not in detail


def test_the_host_check_comes_before_any_route(client):
    """A rebinding page cannot read the page, a tile or a missing path either."""
    for path in ("/", f"/tiles/0/0/0.png?{urlencode(VIEW)}", "/nothing-here"):
        assert client.get(path, headers={"Host": "attacker.example:8765"}).status_code == 421


def test_a_wildcard_bind_accepts_ip_literals_but_not_names():
    policy = HostPolicy("0.0.0.0", 8765)
    assert policy.accepts_host("192.168.1.20:8765")
    assert policy.accepts_host("[fe80::1]:8765")
    assert not policy.accepts_host("mybox.lan:8765")
    assert not policy.accepts_host("192.168.1.20:8766")
    assert HostPolicy("0.0.0.0", 8765, ("mybox.lan",)).accepts_host("mybox.lan:8765")


def test_an_allowed_name_is_answered_on_any_port():
    """A reverse proxy sends its own name, with its own port or none."""
    policy = HostPolicy("127.0.0.1", 8765, ("explorer.example.org",))
    assert policy.accepts_host("explorer.example.org")
    assert policy.accepts_host("explorer.example.org:443")
    assert not policy.accepts_host("other.example.org")


def test_split_host():
    assert split_host("[::1]:8765") == ("::1", 8765)
    assert split_host("LocalHost") == ("localhost", None)
    assert split_host("a/b") is None and split_host("") is None and split_host("x:port") is None


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),  # neither header: not a browser on the page
        ({"Origin": "http://attacker.example"}, 403),
        ({"Origin": "http://127.0.0.1:9999"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"X-Attndyn-Token": "guessed"}, 403),
        ({"Origin": "http://127.0.0.1:8765"}, 202),
        ({"Origin": "http://localhost:8765"}, 202),
        ({"Sec-Fetch-Site": "same-origin"}, 202),
    ],
)
def test_posts_need_the_pages_origin(headers, status):
    with make_client() as client:
        response = client.post(f"/api/export?{SMALL_EXPORT}", headers=headers)
        assert response.status_code == status, response.text
        if status == 403:
            detail = response.json()["detail"]
            assert "must come from the explorer's page" in detail and "\n" not in detail
            assert client.get("/api/stats").json()["pool"]["completed"] == 0  # nothing ran


def test_the_page_holds_the_token_that_authorises_posts():
    with make_client() as client:
        page = client.get(f"/?{urlencode(VIEW)}")
        found = re.search(r'<meta name="attndyn-token" content="([^"]+)">', page.text)
        assert found is not None
        token = found.group(1)
        assert len(token) >= 24
        answer = client.post(f"/api/export?{SMALL_EXPORT}", headers={"X-Attndyn-Token": token})
        assert answer.status_code == 202, answer.text
    with make_client() as other:  # another server, another token
        assert token not in other.get(f"/?{urlencode(VIEW)}").text


def test_the_openapi_schema_only_with_api_docs(client):
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/docs").status_code == 404
    with make_client(api_docs=True) as documented:
        schema = documented.get("/openapi.json")
        assert schema.status_code == 200 and "/api/export" in schema.json()["paths"]
        assert documented.get("/docs").status_code == 200
