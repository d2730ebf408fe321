"""``attndyn explore``: start the deep-zoom explorer's server and open the page.

With no options the first view is the explorer's default (:data:`attndyn.explorer.views.
DEFAULT_VIEW`: art8012376, shared points, sync-step in twilight_shifted, equalized); any
``render`` option (except the ones that name files) changes it
(:func:`~attndyn.explorer.views.first_view_query`). The server listens at once and compiles
the kernels in the background (the page says so while it waits). The server binds
127.0.0.1 by default (any other host gets a warning: the server has no authentication), and
answers only requests addressed to it (:mod:`attndyn.explorer.guard`: the Host check, POSTs
from its page only; ``--allow-host`` adds a name, ``--api-docs`` serves the schema). The
web packages are the ``explore`` extra (``pip install 'attndyn[explore]'``) and Leaflet comes
from npm (``make explore`` installs both).
"""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser

from attndyn.cli.common import add_color_arguments, add_spec_arguments, render_options
from attndyn.model.errors import UserError
from attndyn.model.options import option_name

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(subparsers: argparse._SubParsersAction) -> None:
    explore = subparsers.add_parser(
        "explore",
        help="explore landscapes in the browser: deep zoom, share links, recolouring",
        description=(
            "Start a local server that computes the landscape's tiles on demand and open the "
            "explorer in the browser. Without options the first view is art8012376 with "
            "shared points, coloured by sync-step (twilight_shifted, equalized); render options "
            "change it (naming the matrices drops the preset; any colour option replaces the "
            "colours). The page's URL then holds the whole view under the same names."
        ),
    )
    add_spec_arguments(explore)
    add_color_arguments(explore)
    server = explore.add_argument_group("server")
    server.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    server.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    server.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a browser"
    )
    server.add_argument(
        "--engine", default="auto", help="compute engine (default auto: the fastest available)"
    )
    server.add_argument(
        "--cache-mb", type=int, default=512, help="memory for cached tile fields (default 512)"
    )
    server.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name the server answers to, e.g. a reverse proxy's (repeatable; "
        "default: only its own address)",
    )
    server.add_argument(
        "--api-docs",
        action="store_true",
        help="serve the HTTP API's OpenAPI schema (/openapi.json) and its page (/docs)",
    )
    explore.set_defaults(run=run)


def given_view(args: argparse.Namespace) -> dict[str, str]:
    """The view options the command line gives, as URL query text."""
    from attndyn.explorer.views import files_given, given_view_query

    options = render_options(args)
    named = files_given(options)
    if named:
        raise UserError(
            f"explore takes no files (--{option_name(named[0])}); the page's URL holds "
            "the view, so give the options themselves"
        )
    query = given_view_query(
        options, coloring=args.coloring, cmap=args.cmap, invert=args.invert, equalize=args.equalize
    )
    if getattr(args, "resize", None):
        raise UserError("explore takes no --resize; Save PNG on the page chooses a size")
    return query


def first_view(args: argparse.Namespace) -> dict[str, str]:
    """The first view's URL query: the command line's options over the default view."""
    from attndyn.explorer.views import first_view_query

    return first_view_query(given_view(args))


def run(args: argparse.Namespace) -> int:
    query = first_view(args)
    try:
        import uvicorn

        from attndyn.explorer.app import ExplorerConfig, create_app, leaflet_installed
        from attndyn.explorer.guard import split_host
    except ImportError as error:
        raise UserError(
            f"explore needs the web packages ({error.name}); install them with "
            "pip install 'attndyn[explore]' (or make explore)"
        ) from None
    if not leaflet_installed():
        raise UserError(
            "explore needs Leaflet in the package (src/attndyn/explorer/static/leaflet); "
            "run make explore (npm ci, then the copy)"
        )
    if args.port < 0 or args.port > 65535:
        raise UserError(f"--port {args.port} is not a port; give 0..65535")
    if args.cache_mb < 1:
        raise UserError(f"--cache-mb {args.cache_mb} is too small; it must be >= 1")
    for name in args.allow_host:
        if split_host(name) is None or split_host(name)[1] is not None:
            raise UserError(f"--allow-host {name!r} is not a host name; give a name, no port")
    if args.host not in LOOPBACK:
        print(
            f"attndyn: warning: --host {args.host} makes the explorer reachable from other "
            "machines; it has no authentication and computes whatever it is asked (within "
            "its caps); see the Security section of docs/explorer.md",
            file=sys.stderr,
        )
    config = ExplorerConfig(
        first_view=query,
        engine=args.engine,
        fields_cache_bytes=args.cache_mb * 1024**2,
        notify=lambda line: print(f"attndyn explorer: {line}", file=sys.stderr, flush=True),
        host=args.host,
        port=args.port,
        allowed_hosts=tuple(args.allow_host),
        api_docs=args.api_docs,
    )
    app = create_app(config)
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}/"
    print(f"attndyn explorer: {url} (Ctrl-C stops it)", file=sys.stderr)
    if not args.no_browser:
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
