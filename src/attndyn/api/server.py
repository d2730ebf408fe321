"""The explorer in a notebook: ``attndyn explore``'s server in the background of this process.

:func:`explore` starts the explorer's server (:mod:`attndyn.explorer.app`, the one ``attndyn
explore`` runs) on 127.0.0.1, on a free port unless one is given, in a background thread of
this process, waits (at most ``timeout`` seconds) until its ``/api/health`` answers, and
returns an :class:`Explorer`: a notebook shows it as the page in an IFrame; ``url`` is the
page's address; :meth:`Explorer.stop` stops the server (and is harmless twice), as does
leaving a ``with`` block. The first view takes ``render``'s options and the colour options as
keyword arguments, as the command's options (files excepted: the page's URL holds the view).

The server listens only on the loopback address and answers only requests addressed to it
(:mod:`attndyn.explorer.guard`), so the IFrame works where the notebook's browser runs on the
same machine as the kernel.
"""

from __future__ import annotations

import html
import socket
import sys
import threading
import time
from typing import Any

from attndyn.api.keywords import (
    OptionError,
    color_options,
    keyword,
    naming,
    refuse_unknown,
    render_options,
)
from attndyn.model.errors import UserError

__all__ = ["Explorer", "explore"]

HOST = "127.0.0.1"
DEFAULT_CACHE_MB = 512
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
IFRAME_HEIGHT = 600


class Explorer:
    """A running explorer server: ``url``, ``port``, :meth:`stop`; an IFrame in a notebook;
    a context manager that stops it on the way out."""

    def __init__(self, server: Any, thread: threading.Thread, listener: socket.socket) -> None:
        self._server = server
        self._thread = thread
        self._listener = listener
        self.port: int = listener.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/"

    @property
    def running(self) -> bool:
        """Whether the server's thread still runs."""
        return self._thread.is_alive()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the server and wait (at most ``timeout`` seconds) for its thread; the port is
        closed afterwards. Stopping a stopped explorer does nothing."""
        self._server.should_exit = True
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():  # open connections hold it: stop waiting for them
                self._server.force_exit = True
                self._thread.join(timeout)
        self._listener.close()

    def __enter__(self) -> Explorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Explorer {self.url} ({state})>"

    def _repr_html_(self) -> str:
        if not self.running:
            return f"<p>{html.escape(repr(self))}</p>"
        url = html.escape(self.url, quote=True)
        return (
            f"<iframe src='{url}' width='100%' height='{IFRAME_HEIGHT}' "
            "style='border:1px solid #ccc' title='attndyn explorer'></iframe>"
            f"<p><a href='{url}' target='_blank'>{url}</a> (stop it with .stop())</p>"
        )


def view_query(
    options: dict[str, Any], colors: dict[str, Any], what: str = "explore()"
) -> dict[str, str]:
    """The first view's URL query from ``render``'s keywords and the colour keywords, over the
    explorer's default view (:func:`attndyn.explorer.views.first_view_query`)."""
    from attndyn.explorer.views import files_given, first_view_query, given_view_query

    parsed = render_options(options, what=what)
    named = files_given(parsed)
    if named:
        raise OptionError(
            f"explore takes no files ({keyword(named[0])}); the page's URL holds the view, so "
            "give the options themselves",
            (keyword(named[0]),),
        )
    color_options(colors["coloring"], colors["cmap"], equalize=False, invert=False)  # checks
    query = given_view_query(parsed, **colors)
    return first_view_query(query)


def _listener(port: int) -> socket.socket:
    """A TCP socket bound to 127.0.0.1:``port`` (0: a free port the system picks)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise OptionError(f"port {port!r} is not a port; give 0..65535 (0: a free one)", ("port",))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as error:
        listener.close()
        raise OptionError(f"port {port} cannot be used: {error.strerror}", ("port",)) from None
    return listener


def _healthy(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}api/health", timeout=1.0) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def explore(
    coloring: str | None = None,
    cmap: str | None = None,
    *,
    equalize: bool = False,
    invert: bool = False,
    engine: str = "auto",
    cache_mb: int = DEFAULT_CACHE_MB,
    port: int = 0,
    timeout: float = START_TIMEOUT_SECONDS,
    quiet: bool = False,
    **options: Any,
) -> Explorer:
    """Start the explorer's server on 127.0.0.1 in the background and return it once its
    ``/api/health`` answers; a notebook shows the page.

    Returns an :class:`Explorer` (``.url``, ``.stop()``; a context manager). A bad keyword
    raises :class:`~attndyn.api.keywords.OptionError` naming it.

    Parameters
    ----------
    coloring, cmap, equalize, invert
        The first view's colours, as ``render``'s colour options.
    engine, cache_mb
        As ``attndyn explore``'s ``--engine`` and ``--cache-mb`` (memory for cached tile
        fields, default 512).
    port
        The port; 0 (the default) lets the system pick a free one.
    timeout
        Seconds to wait for the server to answer before giving up (and stopping it).
    quiet
        No notices on stderr (the kernels' compile, which starts once the server listens).
    **options
        ``render``'s options for the first view (no files), e.g. ``preset``, ``center``,
        ``width``; none gives the explorer's default view.
    """
    from attndyn.model.options import OPTION_FIELDS

    own = ["coloring", "cmap", "equalize", "invert", "engine", "cache_mb", "port", "timeout"]
    refuse_unknown(options, [*own, "quiet", *(keyword(f) for f in OPTION_FIELDS)], "explore()")
    colors = {"coloring": coloring, "cmap": cmap, "equalize": equalize, "invert": invert}
    query = view_query(options, colors)
    if isinstance(cache_mb, bool) or not isinstance(cache_mb, int) or cache_mb < 1:
        raise OptionError(f"cache_mb {cache_mb!r} must be an integer >= 1", ("cache_mb",))
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise OptionError(f"timeout {timeout!r} must be a number of seconds > 0", ("timeout",))
    try:
        import uvicorn

        from attndyn.explorer.app import ExplorerConfig, create_app, leaflet_installed
    except ImportError as error:
        raise UserError(
            f"explore needs the web packages ({error.name}); install them with "
            "pip install 'attndyn[explore]'"
        ) from None
    if not leaflet_installed():
        raise UserError(
            "explore needs Leaflet in the package (src/attndyn/explorer/static/leaflet); "
            "run make explore (npm ci, then the copy)"
        )
    listener = _listener(port)
    config = ExplorerConfig(
        first_view=query,
        engine=engine,
        fields_cache_bytes=cache_mb * 1024**2,
        notify=None
        if quiet
        else (lambda line: print(f"attndyn explorer: {line}", file=sys.stderr, flush=True)),
        host=HOST,
        port=listener.getsockname()[1],
    )
    try:
        with naming("engine", engine):
            app = create_app(config)
    except BaseException:
        listener.close()
        raise
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, daemon=True, name="attndyn-explorer"
    )
    thread.start()
    explorer = Explorer(server, thread, listener)
    deadline = time.monotonic() + timeout
    while not _healthy(explorer.url):
        if not thread.is_alive() or time.monotonic() > deadline:
            explorer.stop()
            raise UserError(
                f"the explorer at {explorer.url} did not answer within {timeout:g} s"
                + ("" if thread.is_alive() else " (its server stopped)")
            )
        time.sleep(0.05)
    return explorer
