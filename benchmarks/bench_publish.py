"""``attndyn publish`` measured: publish time, the site's size, bytes per tile (per field, and
for the encodings not chosen), the colours' error against ``attndyn color``, and the page's
first screen and recolour time in Chromium from ``python -m http.server`` on 127.0.0.1.

    .venv/bin/python benchmarks/bench_publish.py                  # a 1024 x 1024 store
    .venv/bin/python benchmarks/bench_publish.py --size 4096      # the same, bigger
    .venv/bin/python benchmarks/bench_publish.py --store s.zarr   # an existing store

The store is the README's picture (``--preset art1679700 --init shared``) rendered with
numba into a temporary folder (kept with ``--keep``), unless ``--store`` names one. The
publish runs in this process (``publish_store``, no progress bar). Colour errors are taken at
full resolution against :func:`attndyn.pictures.coloring.color_array` of the store's fields (skipped
past 4096² with ``--no-colours``): the fraction of pixels whose colour differs, the largest
channel difference, and whether every difference is one colormap step.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

COLOURINGS = [
    ("binary", None, False),
    ("log-delta", None, False),
    ("log-delta", None, True),
    ("sync-step", "twilight_shifted", False),
    ("sync-step", "twilight_shifted", True),
    ("clusters", None, False),
]


def render(size: int, path: Path) -> None:
    from attndyn.model.options import RenderOptions, build_job
    from attndyn.rendering.distributed import render_store

    options = RenderOptions.from_strings(
        {"preset": "art1679700", "init": "shared", "size": str(size)}
    )
    started = time.perf_counter()
    render_store(build_job(options), path, None, engine="numba", progress=True)
    print(f"rendered {size}² in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def tile_sizes(site: Path) -> dict:
    """Bytes per tile file, and per field's PNG inside it (max zoom tiles)."""
    manifest = json.loads((site / "manifest.json").read_text())
    files = sorted((site / "tiles" / str(manifest["max_zoom"])).rglob("*.js"))
    per_field: dict[str, list[int]] = {}
    other: dict[str, list[int]] = {"8-bit": [], "16-bit level 9": []}
    for path in files:
        payload = json.loads(path.read_text().split(",", 1)[1][:-3])
        for name, text in payload.items():
            data = base64.b64decode(text)
            per_field.setdefault(name, []).append(len(data))
            if name == "sync_step" and len(other["8-bit"]) < 64:
                rgb = np.asarray(Image.open(io.BytesIO(data)))
                codes = rgb[..., 0].astype(np.int64) * 256 + rgb[..., 1]
                eight = np.where(codes == 0, 0, 1 + (codes - 1) * 254 // 65534).astype(np.uint8)
                buffer = io.BytesIO()
                Image.fromarray(eight, "L").save(buffer, "PNG", compress_level=6)
                other["8-bit"].append(len(buffer.getvalue()))
                buffer = io.BytesIO()
                Image.fromarray(rgb, "RGB").save(buffer, "PNG", compress_level=9)
                other["16-bit level 9"].append(len(buffer.getvalue()))
    return {
        "files": [p.stat().st_size for p in files],
        "fields": per_field,
        "sync_step alternatives": other,
    }


def colour_errors(store, site: Path) -> list[tuple[str, float, int, bool]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "publish"))
    import conftest as t  # the tests' transcription of the page's colouring
    from attndyn.pictures.coloring import ColorOptions, color_array

    manifest = t.read_manifest(site)
    fields = store.read()
    out = []
    for coloring, cmap, equalize in COLOURINGS:
        q = t.level_codes(site, manifest, manifest["max_zoom"], t.FIELD_OF[coloring])
        ours = t.page_colours(manifest, q, coloring, cmap, False, equalize)
        options = ColorOptions(coloring, cmap, False, equalize)
        theirs = np.flipud(color_array(fields, store.spec, options))
        result = t.compare(ours, theirs, t.lut(manifest, cmap or t.DEFAULT_CMAPS[coloring], False))
        label = f"{coloring}{' ' + cmap if cmap else ''}{' equalize' if equalize else ''}"
        out.append((label, result.fraction, result.error, result.adjacent))
    return out


def first_screen(site: Path) -> tuple[float, float]:
    """Seconds from navigation to a painted first screen (1280x800), and one recolour's ms."""
    from browser_timing import chromium, seconds_until_ready, static_server

    with static_server(site, "manifest.js") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        seconds = seconds_until_ready(
            page,
            f"{base}index.html#coloring=log-delta",
            "window.attndynLayer && !attndynLayer.isLoading() && "
            "document.querySelectorAll('canvas[data-tile]').length > 0",
        )
        repaints = []
        for cmap in ("viridis", "magma", "twilight", "gray", "turbo"):
            page.select_option("#cmap", cmap)
            repaints.append(page.evaluate("window.attndynLastRepaint.ms"))
        page.close()
        return seconds, statistics.median(repaints)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--store", help="an existing store (else one is rendered)")
    parser.add_argument("--keep", action="store_true", help="keep the rendered store and site")
    parser.add_argument("--no-colours", action="store_true", help="skip the colour errors")
    parser.add_argument("--no-browser", action="store_true", help="skip the first screen")
    args = parser.parse_args()

    from attndyn.pictures.export import finished_store
    from attndyn.publish import publish_store

    work = Path(tempfile.mkdtemp(prefix="bench_publish."))
    try:
        store_path = Path(args.store) if args.store else work / "s.zarr"
        if not args.store:
            render(args.size, store_path)
        store = finished_store(store_path)
        rows, cols = store.spec.shape
        site = work / "site"
        started = time.perf_counter()
        report = publish_store(store, site)
        seconds = time.perf_counter() - started
        total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        manifest = (site / "manifest.js").stat().st_size
        tables = (site / "tables.js").stat().st_size
        print(
            f"store {cols}x{rows}: published in {seconds:.1f} s, {report.tiles} tiles to zoom "
            f"{report.max_zoom} ({report.tiles / seconds:.1f} tiles/s)"
        )
        print(
            f"site {total / 2**20:.2f} MiB: tiles {report.bytes / 2**20:.2f} MiB, "
            f"manifest.js {manifest / 1024:.1f} KiB, tables.js {tables / 1024:.0f} KiB "
            "(their .json the same again)"
        )
        sizes = tile_sizes(site)
        files = sizes["files"]
        print(
            f"a full-zoom tile file: mean {statistics.mean(files) / 1024:.1f} KiB, median "
            f"{statistics.median(files) / 1024:.1f} KiB, largest {max(files) / 1024:.1f} KiB "
            "(base64 inside .js: 4/3 of the PNGs)"
        )
        for name, values in sizes["fields"].items():
            print(
                f"  {name:10s} PNG mean {statistics.mean(values) / 1024:6.1f} KiB, "
                f"largest {max(values) / 1024:6.1f} KiB"
            )
        for name, values in sizes["sync_step alternatives"].items():
            if values:
                chosen = statistics.mean(sizes["fields"]["sync_step"][: len(values)])
                print(
                    f"  sync_step as {name}: mean {statistics.mean(values) / 1024:.1f} KiB "
                    f"(the chosen 16-bit level 6: {chosen / 1024:.1f} KiB)"
                )
        if not args.no_colours and rows * cols <= 4096**2:
            print(
                "colours against attndyn color (full zoom): pixels differing, largest "
                "channel difference, all one colormap step"
            )
            for label, fraction, error, adjacent in colour_errors(store, site):
                print(f"  {label:34s} {100 * fraction:7.3f}%  {error:3d}  {adjacent}")
        if not args.no_browser:
            seconds, repaint = first_screen(site)
            print(
                f"first screen in Chromium (1280x800, http.server): {seconds:.2f} s; "
                f"a recolour repaints in {repaint:.1f} ms (median of 5)"
            )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
