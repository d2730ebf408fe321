"""``attndyn publish``: a landscape as a static gallery site that needs no server.

STORE.zarr (SOURCE) is a finished Zarr store (``render --store``); without it, the render options (a
preset, matrices, a window, ...) are rendered into ``--store`` first (default: ``SITE.zarr``
beside the site), resumably. The site is then written by :mod:`attndyn.publish`. Ctrl-C
keeps what is done (store chunks, tiles); the same command resumes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from attndyn.cli.common import (
    add_color_arguments,
    add_engine_argument,
    add_quiet_argument,
    add_spec_arguments,
    color_options,
    render_options,
)
from attndyn.model.errors import EXIT_INTERRUPTED, UserError
from attndyn.model.options import OPTION_FIELDS
from attndyn.model.parsing import parse_int
from attndyn.rendering.estimate import format_bytes, format_seconds


def register(subparsers: argparse._SubParsersAction) -> None:
    publish = subparsers.add_parser(
        "publish",
        help="write a static, zoomable, recolourable gallery site of a landscape",
        description=(
            "Write a folder of static files that any web host (or a plain file:// open) "
            "serves as a deep-zoom viewer of a landscape: field tiles, a manifest and a page "
            "that colours them in the browser, so recolouring needs no server. STORE.zarr is a "
            "store written by 'attndyn render --store'; without it the render options are "
            "rendered into a store first."
        ),
    )
    publish.add_argument(
        "source",
        nargs="?",
        metavar="STORE.zarr",
        help="a finished store of 'attndyn render --store' (default: render the options below)",
    )
    publish.add_argument(
        "-o", "--output", required=True, metavar="SITE/", help="the site's directory"
    )
    publish.add_argument(
        "--max-zoom",
        metavar="Z",
        help="deepest zoom level of tiles (default: the store's full resolution; each level "
        "has 4x the tiles of the one above)",
    )
    publish.add_argument("--title", metavar="TEXT", help="the page's title")
    add_color_arguments(
        publish,
        title="the page's first colours (the reader can change them)",
        coloring_help="default sync-step with twilight_shifted, equalized: the explorer's first "
        "screen",
        resize=False,
    )
    publish.add_argument(
        "--views",
        metavar="FILE.toml",
        help="pinned views: a presets TOML (the explorer's 'Download my views', or by hand)",
    )
    add_spec_arguments(publish)
    render = publish.add_argument_group("rendering the options (without STORE.zarr)")
    render.add_argument(
        "--store",
        metavar="OUT.zarr",
        help="where to render the options first (default: SITE.zarr beside the site)",
    )
    add_engine_argument(render, " for the render")
    render.add_argument(
        "--chunk", metavar="N", help="store chunks of N x N pixels for the render (default 2048)"
    )
    add_quiet_argument(publish)
    publish.set_defaults(run=run)


def render_options_given(args: argparse.Namespace) -> list[str]:
    """The render options given on the command line (their dests)."""
    return [
        field for field in OPTION_FIELDS if getattr(args, field, None) not in (None, [], (), False)
    ]


def source_store(args: argparse.Namespace, site: Path):
    """The finished store to publish: STORE.zarr, or the options rendered into --store."""
    from attndyn.pictures.export import finished_store

    given = render_options_given(args)
    if args.source is not None:
        if given or args.store is not None:
            flags = [f"--{f.replace('_', '-')}" for f in given]
            flags += ["--store"] if args.store else []
            raise UserError(
                f"give a store or render options, not both: {args.source!r} with {', '.join(flags)}"
            )
        from attndyn.cli.export import refuse_a_file_that_is_not_a_store

        refuse_a_file_that_is_not_a_store(args.source)
        return finished_store(args.source)
    from attndyn.engines import get_engine
    from attndyn.model.options import build_job
    from attndyn.rendering.distributed import render_store

    job = build_job(render_options(args))
    engine = get_engine(args.engine, "auto")
    chunk = parse_int("chunk", args.chunk) if args.chunk is not None else None
    if chunk is not None and chunk < 16:
        raise UserError(f"--chunk {chunk} is not allowed; give 16 or more pixels a side")
    location = args.store or str(site.with_name(site.name + ".zarr"))
    report = render_store(job, location, None, chunk=chunk, engine=engine, progress=not args.quiet)
    return finished_store(report.store)


def run(args: argparse.Namespace) -> int:
    from attndyn.publish import PublishInterrupted, publish_store
    from attndyn.publish.site import check_site_folder, leaflet_source
    from attndyn.publish.views import read_views
    from attndyn.rendering.render import RenderInterrupted

    site = Path(args.output)
    if not str(args.output).strip():
        raise UserError("--output '' is empty; give a directory such as site/")
    max_zoom = parse_int("max-zoom", args.max_zoom) if args.max_zoom is not None else None
    check_site_folder(site)
    given = any(getattr(args, name) for name in ("coloring", "cmap", "invert", "equalize"))
    colors = color_options(args) if given else None
    leaflet_source()  # a site carries Leaflet: refused before any work where it is missing
    started = time.perf_counter()
    try:
        store = source_store(args, site)
        views = read_views(args.views, store.spec) if args.views else None
        report = publish_store(
            store,
            site,
            max_zoom=max_zoom,
            title=args.title,
            views=views,
            colors=colors,
            progress=not args.quiet and sys.stderr.isatty(),
        )
    except RenderInterrupted as stop:
        print(
            f"attndyn: interrupted after {stop.tiles_done} of {stop.tiles_total} chunks of the "
            f"render; run the same command again to resume from {stop.checkpoint}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except PublishInterrupted as stop:
        print(
            f"attndyn: {stop}; run the same command again to resume {str(site)!r}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if not args.quiet:
        print(
            f"wrote {report.site}/: {report.tiles} tile{'s' * (report.tiles != 1)} to zoom "
            f"{report.max_zoom} "
            f"({report.written} written now, {format_bytes(report.bytes)} of tiles) in "
            f"{format_seconds(time.perf_counter() - started)}; open {report.site}/index.html "
            "or serve the folder with any static server",
            file=sys.stderr,
        )
    return 0
