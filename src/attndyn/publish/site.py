"""Publishing a finished store as a static site: field tiles, a manifest, the page.

The site (``publish`` writes it; any static host, or ``file://``, serves it)::

    index.html, gallery.js, gallery.css    the page (attndyn/publish/static)
    .nojekyll                              GitHub Pages: no Jekyll, the files as they are
    leaflet/                               Leaflet, copied from the package: no CDN
    manifest.js                            ``window.ATTNDYN_SITE = {...}`` (the page loads it
                                           as a script, so file:// works), and
    manifest.json                          the same object, for other tools
    tables.js, tables.json                 ``window.ATTNDYN_TABLES``: the look-up tables
    tiles/Z/X/Y.js                         field tiles (:mod:`attndyn.publish.pyramid`)

The manifest (a few kB) holds the spec, the grid's geometry, the zoom levels and tile size,
each field's coding (:mod:`attndyn.publish.quantise`), the first colours, the pinned views
and the ``attndyn`` command line of the landscape, for the inspector's "open in attndyn".
The tables (hundreds of kB) hold each field's equalisation table from its histogram and, for
fields in bins, each code's value; and the colormaps' (:mod:`attndyn.publish.luts`).

Order of work: a pass over level 0 for the linear fields' ranges, a second for their
histograms, then the manifest and the page, then the tiles zoom by zoom, each written whole
(a temporary file renamed). A tile already there is kept, so an interrupted publish resumes
where it stopped; a site of another store (or other codings, zoom or tile size) is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from attndyn import __version__
from attndyn.model.errors import UserError
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile
from attndyn.pictures.coloring import FIELD_OF_COLORING, ColorOptions
from attndyn.publish.luts import SITE_CMAPS, site_luts
from attndyn.publish.pyramid import (
    TILE_SIZE,
    TileKey,
    full_zoom,
    level_shape,
    png_of_codes,
    tile_script,
    tile_window,
    tiles_of_zoom,
    write_file_atomic,
)
from attndyn.publish.quantise import FieldCoding, RangeScan
from attndyn.rendering.store.zarr_store import ZarrStore

SITE_FORMAT = "attndyn.site/1"
STATIC_FILES = ("index.html", "gallery.js", "gallery.css")
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "images")
BLOCK_TILES = 4  # tiles a side read from the store at once
TABLE_KEYS = ("ranks_deflate", "means_deflate")  # a coding's tables, in tables.json
FIRST_COLORS = ColorOptions("sync-step", "twilight_shifted", False, True)  # explore's first


class PublishInterrupted(Exception):
    """Ctrl-C during a publish: the tiles written so far are kept."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"interrupted after {done} of {total} tiles")
        self.done = done
        self.total = total


@dataclass
class PublishReport:
    site: Path
    tiles: int  # tiles of the site
    written: int  # written by this run
    max_zoom: int
    bytes: int  # the tiles' bytes


def spec_argv(spec: LandscapeSpec, window: bool = True) -> list[str]:
    """``attndyn`` options that give ``spec`` (explicit points cannot be written: their
    hash is in the manifest's spec); without the window and size unless ``window``."""

    def number(value: float) -> str:
        return repr(float(value))

    def joined(values) -> str:
        return ",".join(number(v) for v in values)

    argv = [
        f"--wq={joined(spec.wq)}",
        f"--wv={joined(spec.wv)}",
        f"--wk={joined(spec.wk)}",
        f"--beta={number(spec.beta)}",
        "--seed",
        str(spec.seed),
        "--init",
        spec.init,
        "--points",
        str(spec.n_points),
        "--steps",
        str(spec.steps),
        f"--tol={number(spec.tol)}",
        f"--eps={number(spec.eps)}",
        "--precision",
        spec.dtype,
        "--x-param",
        spec.x_param,
        "--y-param",
        spec.y_param,
    ]
    if window:
        argv += [
            f"--x-range={joined(spec.x_range)}",
            f"--y-range={joined(spec.y_range)}",
            "--size",
            f"{spec.width}x{spec.height}",
        ]
    if spec.samples > 1:
        argv += ["--samples", str(spec.samples)]
    if spec.supersample > 1:
        argv += ["--supersample", str(spec.supersample)]
    return argv


def leaflet_source() -> Path:
    """The package's copy of Leaflet (the explorer's), refused in one line where missing."""
    folder = Path(str(resources.files("attndyn.explorer") / "static" / "leaflet"))
    if not (folder / "leaflet.js").is_file():
        raise UserError(
            "Leaflet is not in the package, and a site needs its own copy; run 'make publish' "
            "(npm ci) in a checkout, or install attndyn from a wheel"
        )
    return folder


def static_source() -> Path:
    return Path(str(resources.files("attndyn.publish") / "static"))


def encoding_threads() -> int:
    """Threads that encode tiles: the cores this process may use (at most 8)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def edges_digest(coding: FieldCoding) -> str | None:
    """A short hash of a coding's bin edges (None for exact codings)."""
    if coding.edges is None:
        return None
    return hashlib.sha256(coding.edges.astype("<f8").tobytes()).hexdigest()[:16]


def check_site_folder(site: Path) -> None:
    """Refuse a site path that is a file, a folder that is not a site, or a missing parent,
    before any work."""
    if site.exists() and not site.is_dir():
        raise UserError(f"site {str(site)!r} is a file; give a directory")
    parent = site.parent if str(site.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"the site's parent directory {str(parent)!r} does not exist")
    if site.is_dir() and any(site.iterdir()) and not (site / "manifest.json").is_file():
        raise UserError(
            f"site {str(site)!r} exists and is not an attndyn site; give a new or empty directory"
        )


class Publisher:
    """Publishes ``store`` into ``site`` (see the module docstring)."""

    def __init__(
        self,
        store: ZarrStore,
        site: str | Path,
        *,
        max_zoom: int | None = None,
        title: str | None = None,
        views: list[dict[str, Any]] | None = None,
        colors: ColorOptions | None = None,
        tile_size: int = TILE_SIZE,
    ) -> None:
        self.store = store
        self.spec = store.spec
        self.site = Path(site)
        self.tile_size = tile_size
        self.full_zoom = full_zoom(self.spec.shape, tile_size)
        if max_zoom is not None and not 0 <= max_zoom <= self.full_zoom:
            raise UserError(
                f"--max-zoom {max_zoom} is not allowed; give 0 to {self.full_zoom} (the "
                f"store's full resolution, {self.spec.shape[1]}x{self.spec.shape[0]} in tiles "
                f"of {tile_size})"
            )
        self.max_zoom = self.full_zoom if max_zoom is None else max_zoom
        self.title = title or f"attndyn {self.spec.x_param} × {self.spec.y_param}"
        self.views = views or []
        self.colors = colors or FIRST_COLORS
        if FIELD_OF_COLORING[self.colors.coloring] not in store.field_names:
            raise UserError(
                f"coloring {self.colors.coloring!r} needs the field "
                f"{FIELD_OF_COLORING[self.colors.coloring]!r}, which the store lacks; render "
                "with --samples K (K > 1)"
            )
        self.codings: dict[str, FieldCoding] = {}

    # -- statistics ---------------------------------------------------------------------------
    def chunks(self, verify: bool) -> Iterator[dict[str, np.ndarray]]:
        """Level 0's arrays chunk by chunk, each checked against the manifest's checksum if
        ``verify`` (the first pass; the second reads what it checked)."""
        for tile in self.store.tiling:
            if verify:
                yield self.store.read_verified(tile)
            else:
                fields = self.store.read(tile)
                yield {name: np.asarray(getattr(fields, name)) for name in self.store.field_names}

    def scan(self, progress: bool) -> None:
        """The codings: ranges (pass 1) and histograms (pass 2) over level 0."""
        from tqdm.auto import tqdm

        names = self.store.field_names
        scan = RangeScan(names, self.spec.shape)
        count = len(self.store.tiling)
        for arrays in tqdm(
            self.chunks(True), total=count, desc="ranges", unit="chunk", disable=not progress
        ):
            scan.add(arrays)
        codings = scan.codings(self.spec)
        histograms = {name: np.zeros(codings[name].size, dtype=np.int64) for name in names}
        sums = {name: np.zeros(codings[name].size) for name in names}
        for arrays in tqdm(
            self.chunks(False), total=count, desc="histograms", unit="chunk", disable=not progress
        ):
            for name in names:
                coding = codings[name]
                codes = coding.encode(arrays[name])
                coding.count_codes(codes, arrays[name], histograms[name], sums[name])
        for name in names:
            if codings[name].kind == "bins":
                codings[name].set_means(histograms[name], sums[name])
            codings[name].set_ranks(histograms[name], self.spec.dtype)
        self.codings = codings

    # -- the manifest and the page ------------------------------------------------------------
    def identity(self) -> dict[str, Any]:
        """What the tiles depend on: a site with other values holds other tiles."""
        return {
            "format": SITE_FORMAT,
            "store_uid": self.store.uid,
            "spec": json.loads(self.spec.to_json()) | {"attndyn_version": None},
            "tile_size": self.tile_size,
            "max_zoom": self.max_zoom,
            "codings": {
                name: [c.kind, c.bits, c.lo, c.hi, c.denominator, edges_digest(c)]
                for name, c in self.codings.items()
            },
        }

    def manifest(self) -> dict[str, Any]:
        spec = self.spec
        x, y = spec.x_values().astype(float), spec.y_values().astype(float)
        levels = []
        for zoom in range(self.max_zoom + 1):
            level = self.full_zoom - zoom
            rows, cols = level_shape(spec.shape, level)
            levels.append({"zoom": zoom, "level": level, "rows": rows, "cols": cols})
        return {
            "format": SITE_FORMAT,
            "identity": self.identity(),
            "title": self.title,
            "attndyn_version": __version__,
            "spec": json.loads(spec.to_json()),
            "grid": {
                "rows": spec.shape[0],
                "cols": spec.shape[1],
                "x_param": spec.x_param,
                "y_param": spec.y_param,
                "x0": float(x[0]),
                "dx": float((x[-1] - x[0]) / (len(x) - 1)) if len(x) > 1 else 0.0,
                "y0": float(y[0]),
                "dy": float((y[-1] - y[0]) / (len(y) - 1)) if len(y) > 1 else 0.0,
                "supersample": spec.supersample,
            },
            "tile_size": self.tile_size,
            "full_zoom": self.full_zoom,
            "max_zoom": self.max_zoom,
            "levels": levels,
            "fields": {
                name: {k: v for k, v in c.to_manifest().items() if k not in TABLE_KEYS}
                for name, c in self.codings.items()
            },
            "colors": {
                "coloring": self.colors.coloring,
                "cmap": self.colors.cmap or "",
                "invert": self.colors.invert,
                "equalize": self.colors.equalize,
            },
            "views": self.views,
            "command": shlex.join(["attndyn", "trace", *spec_argv(spec)]),
            # the page adds the window shown, its size and the colours
            "render_command": shlex.join(["attndyn", "render", *spec_argv(spec, window=False)]),
            "explicit_points": spec.x0_sha256 is not None,
        }

    def check_folder(self) -> None:
        check_site_folder(self.site)

    def tables(self) -> dict[str, Any]:
        """The page's look-up tables: each field's equalisation ranks (and its codes' values,
        for fields in bins), the colormaps'."""
        return {
            "fields": {
                name: {k: v for k, v in c.to_manifest().items() if k in TABLE_KEYS}
                for name, c in self.codings.items()
            },
            "luts": site_luts((*SITE_CMAPS, *([self.colors.cmap] if self.colors.cmap else []))),
        }

    def prepare(self) -> None:
        """Check that a site already there is of this store and settings, then write the
        manifest and the page (before any tile)."""
        site = self.site
        self.check_folder()
        old = site / "manifest.json"
        if old.is_file():
            try:
                identity = json.loads(old.read_text(encoding="utf-8")).get("identity")
            except (OSError, ValueError):
                identity = None
            if identity != self.identity():
                raise UserError(
                    f"site {str(site)!r} was published from another store or with other "
                    "settings; remove it or choose another directory"
                )
        site.mkdir(parents=True, exist_ok=True)
        for name, variable, content in (
            ("manifest", "ATTNDYN_SITE", self.manifest()),
            ("tables", "ATTNDYN_TABLES", self.tables()),
        ):
            text = json.dumps(content, separators=(",", ":"))
            write_file_atomic(site / f"{name}.json", text.encode("utf-8"))
            script = f"window.{variable} = {text};\n"
            write_file_atomic(site / f"{name}.js", script.encode("utf-8"))
        for name in STATIC_FILES:
            write_file_atomic(site / name, (static_source() / name).read_bytes())
        # GitHub Pages: serve the folder as it is, without Jekyll
        write_file_atomic(site / ".nojekyll", b"")
        leaflet = leaflet_source()
        for name in LEAFLET_FILES:
            source = leaflet / name
            if source.is_dir():
                for item in sorted(source.iterdir()):
                    write_file_atomic(site / "leaflet" / name / item.name, item.read_bytes())
            else:
                write_file_atomic(site / "leaflet" / name, source.read_bytes())

    # -- the tiles ----------------------------------------------------------------------------
    def zoom_tiles(self) -> list[tuple[int, int, list[TileKey]]]:
        """(zoom, level, tiles) for every zoom of the site."""
        out = []
        for zoom in range(self.max_zoom + 1):
            level = self.full_zoom - zoom
            out.append((zoom, level, tiles_of_zoom(self.spec.shape, zoom, level, self.tile_size)))
        return out

    def read_level(self, level: int, window: Tile) -> dict[str, np.ndarray]:
        """The fields of ``window`` of pyramid level ``level`` (rows from the bottom)."""
        top = self.store.levels - 1
        if level <= top:
            fields = self.store.read(window, level)
            return {name: np.asarray(getattr(fields, name)) for name in self.store.field_names}
        step = 2 ** (level - top)
        fields = self.store.read(None, top)
        out = {}
        for name in self.store.field_names:
            decimated = np.asarray(getattr(fields, name))[::step, ::step]
            out[name] = decimated[window.slices]
        return out

    def write_tiles(self, progress: bool) -> tuple[int, int, int]:
        """Every missing tile, zoom by zoom; returns (tiles, written, bytes of all tiles)."""
        from tqdm.auto import tqdm

        plan = self.zoom_tiles()
        total = sum(len(tiles) for _, _, tiles in plan)
        written = 0
        done = 0
        bar = tqdm(total=total, desc="tiles", unit="tile", disable=not progress)
        # zlib and numpy release the GIL: a block's tiles are encoded on the cores in threads
        pool = ThreadPoolExecutor(max_workers=encoding_threads())
        try:
            for _, level, tiles in plan:
                rows, cols = level_shape(self.spec.shape, level)
                block = self.tile_size * BLOCK_TILES
                groups: dict[tuple[int, int], list[TileKey]] = {}
                for key in tiles:
                    window = tile_window(key, rows, cols, self.tile_size)
                    groups.setdefault((window.row0 // block, window.col0 // block), []).append(key)
                for (brow, bcol), keys in sorted(groups.items()):
                    missing = [key for key in keys if not key.path(self.site).is_file()]
                    if missing:
                        window = Tile(
                            brow * block,
                            min((brow + 1) * block, rows),
                            bcol * block,
                            min((bcol + 1) * block, cols),
                        )
                        arrays = self.read_level(level, window)
                        jobs = [
                            pool.submit(self.write_tile, key, arrays, window, rows, cols)
                            for key in missing
                        ]
                        for job in as_completed(jobs):
                            job.result()
                            written += 1
                            done += 1
                            bar.update(1)
                    done += len(keys) - len(missing)
                    bar.update(len(keys) - len(missing))
        except KeyboardInterrupt:
            pool.shutdown(wait=True, cancel_futures=True)  # no tile is left half-written
            raise PublishInterrupted(done, total) from None
        finally:
            pool.shutdown(wait=True)
            bar.close()
        size = sum(key.path(self.site).stat().st_size for _, _, tiles in plan for key in tiles)
        return total, written, size

    def write_tile(
        self, key: TileKey, arrays: dict[str, np.ndarray], block: Tile, rows: int, cols: int
    ) -> None:
        window = tile_window(key, rows, cols, self.tile_size)
        inside = (
            slice(window.row0 - block.row0, window.row1 - block.row0),
            slice(window.col0 - block.col0, window.col1 - block.col0),
        )
        pngs = {}
        for name, coding in self.codings.items():
            codes = coding.encode(arrays[name][inside])
            pngs[name] = png_of_codes(np.flipud(codes), coding.bits)
        write_file_atomic(key.path(self.site), tile_script(key, pngs))

    def run(self, progress: bool = True) -> PublishReport:
        self.check_folder()
        self.scan(progress)
        self.prepare()
        total, written, size = self.write_tiles(progress)
        return PublishReport(self.site, total, written, self.max_zoom, size)


def publish_store(
    store: ZarrStore, site: str | Path, *, progress: bool = False, **options: Any
) -> PublishReport:
    """Publish finished ``store`` as a static site in ``site`` (see the module docstring);
    ``options``: :class:`Publisher`'s (``max_zoom``, ``title``, ``views``, ``colors``: the
    page's first colours, default :data:`FIRST_COLORS`, and ``tile_size``)."""
    return Publisher(store, site, **options).run(progress)
