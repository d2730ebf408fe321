"""Local means local: which requests the explorer's server answers at all.

The server computes whatever it is asked, within its caps, and has no accounts, so it must
not be reachable from places the user did not mean:

**Host.** A web page on another site can point its own host name at 127.0.0.1 (DNS
rebinding) and then read the explorer's answers as same-origin. Its requests carry that
name in ``Host``, so the server answers only requests whose ``Host`` names the address it
is bound to: ``127.0.0.1``, ``localhost``, ``[::1]`` and the ``--host`` given, with the
server's port (when known), or any IP literal when bound to every interface (``0.0.0.0``
or ``::``; rebinding needs a name), or a name given with ``--allow-host`` on any port (a
reverse proxy's). Others get 421 and one line.

**State-changing requests.** Any page the user visits can send a ``POST`` (an export costs
minutes of every core). A ``POST`` is accepted only when the browser says it comes from the
explorer's own page: ``Sec-Fetch-Site: same-origin``, or an ``Origin`` whose host and port
are the request's ``Host`` (or whose host is a ``--allow-host`` name, as behind a proxy),
or the header ``X-Attndyn-Token`` with
this server's token, which the page holds (the server writes it into the page as
``<meta name="attndyn-token">``) for clients that send neither header. Others get 403 and
one line. Browsers set ``Origin`` and ``Sec-Fetch-Site`` themselves; no page can forge them.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
TOKEN_HEADER = "x-attndyn-token"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def split_host(text: str) -> tuple[str, int | None] | None:
    """(name, port) of a ``Host`` value (``[::1]:8765`` gives ``("::1", 8765)``), the name
    in lower case; None for one that is not a host[:port]."""
    text = text.strip().lower()
    if not text or any(c in text for c in "/@?#\\ "):
        return None
    try:
        parts = urlsplit("//" + text)
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not name:
        return None
    return name, port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class HostPolicy:
    """Which ``Host`` values a server bound to ``host``:``port`` answers (module docstring).

    ``port`` None: any port (a server whose port is not known, such as a test client's).
    """

    host: str = "127.0.0.1"
    port: int | None = None
    allowed: tuple[str, ...] = ()
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def names(self) -> set[str]:
        """The names the server is bound to (loopback and ``host``), on its own port."""
        return {*LOOPBACK_NAMES, self.host.strip("[]").lower()}

    def allowed_names(self) -> set[str]:
        """The names given with ``--allow-host``, on any port (a proxy's own)."""
        return {name.strip("[]").lower() for name in self.allowed}

    def accepts_host(self, text: str) -> bool:
        """Whether a request with this ``Host`` header is answered."""
        parsed = split_host(text)
        if parsed is None:
            return False
        name, port = parsed
        if name in self.allowed_names():
            return True
        if self.port not in (None, 0) and port not in (self.port, None):
            return False
        if port is None and self.port not in (None, 0, 80):
            return False  # browsers always send a port other than 80
        if name in self.names():
            return True
        if not _is_ip(name):
            return False  # a name not on the list: what DNS rebinding would send
        return self.host.strip("[]") in WILDCARD_HOSTS or ipaddress.ip_address(name).is_loopback

    def same_origin(self, headers: dict[str, str]) -> bool:
        """Whether a state-changing request comes from the explorer's own page."""
        if headers.get("sec-fetch-site") == "same-origin":
            return True
        token = headers.get(TOKEN_HEADER)
        if token is not None and secrets.compare_digest(token, self.token):
            return True
        origin = headers.get("origin")
        if origin is None or origin == "null":
            return False
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        host = headers.get("host", "")
        if parts.netloc.lower() == host.lower():
            return True
        parsed = split_host(parts.netloc)
        if parsed is None:
            return False
        if parsed[0] in self.allowed_names():
            return True
        return parsed[0] in self.names() and self.accepts_host(parts.netloc)


class GuardMiddleware:
    """ASGI middleware: refuse requests whose ``Host`` the policy does not accept (421) and
    state-changing requests not from the page (403), each with ``{"detail": one line}``,
    before any other work."""

    def __init__(self, app: Callable[..., Awaitable[None]], policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope["headers"])
        host = headers.get("host", "")
        if not self.policy.accepts_host(host):
            shown = host if len(host) <= 80 else host[:80] + "..."
            await _refuse(
                send,
                421,
                f"host {shown!r} is not this server's; it answers only to its own address "
                "(127.0.0.1, localhost, [::1], --host or --allow-host, with its port)",
            )
            return
        if scope["method"] in UNSAFE_METHODS and not self.policy.same_origin(headers):
            await _refuse(
                send,
                403,
                f"{scope['method']} {scope['path']} must come from the explorer's page "
                "(same-origin Origin or Sec-Fetch-Site, or the X-Attndyn-Token header)",
            )
            return
        await self.app(scope, receive, send)


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        if name not in out:  # the first of a repeated header, as Starlette reads it
            out[name] = value.decode("latin-1")
    return out


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
