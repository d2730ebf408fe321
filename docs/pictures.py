"""Every picture the documentation shows, the code that draws it, and whether it is fresh.

Each group below names its pictures, the shell commands that draw them (run from the
repository root with ``$A`` = the ``attndyn`` command, ``$PY`` = this Python and ``$WORK`` = a
scratch folder) and the modules they start from. A group's *sources* are its commands' text and
the files of every ``attndyn`` module its entries import, followed through imports
(``import attndyn.x`` and ``from attndyn.x import y``, anywhere in a module, lazily or not; the
``__init__.py`` of every package on the way is hashed, but the imports inside an
``__init__.py`` are not followed: those are registries and re-exports, and following them would
make every picture depend on every module), plus the group's extra files.

``docs/pictures.json`` records, per group, its commands, the SHA-256 of each source file and
of each picture. A picture is stale when the code that draws it changed after it was drawn (a
source's hash, the list of sources or the commands differ), and the manifest is out of date
when a picture was replaced by other means (its SHA-256 differs).
``tests/test_doc_pictures.py`` checks both, by hashing only.

    python docs/pictures.py            # redraw the stale groups, rewrite their records
    python docs/pictures.py --all      # redraw every group
    python docs/pictures.py --check    # list the stale groups; exit 1 if there is one
    python docs/pictures.py GROUP ...  # redraw these groups

``make doc-pictures`` runs the first (``ALL=1`` for ``--all``). The ``attndyn`` command is
``$ATTNDYN`` when set, else ``.venv/bin/attndyn``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
MANIFEST = ROOT / "docs" / "pictures.json"
EXPERIMENTS = ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "animations")


@dataclass(frozen=True)
class Group:
    """Pictures drawn together, by ``commands`` from the ``entries`` modules (see above).

    ``commands = None`` marks a picture kept as it is (``note`` says why): its record holds
    its own SHA-256 and no sources.
    """

    name: str
    pictures: tuple[str, ...]
    commands: str | None
    entries: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    note: str = ""


LANDSCAPE = r"""
$A render --size 768 -q -o docs/landscape.png --save "$WORK/landscape.npz"
$PY - "$WORK/landscape.npz" docs/landscape-axes.png <<'PYTHON'
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

fields = np.load(sys.argv[1])
spec = json.loads(str(fields["spec"]))
(x_lo, x_hi), (y_lo, y_hi) = spec["x_range"], spec["y_range"]
fig, ax = plt.subplots(figsize=(5.2, 5.0), dpi=120)
ax.imshow(fields["labels"], origin="lower", extent=[x_lo, x_hi, y_lo, y_hi], cmap="gray",
          interpolation="nearest")
ax.set_xlabel("b = W_K[1, 1]   (columns: col 0 at the left)")
ax.set_ylabel("a = W_K[0, 0]   (rows: row 0 at the bottom)")
ax.set_title("labels[row, col]: white = synchronised (Δ < tol)", fontsize=10)
fig.tight_layout()
fig.savefig(sys.argv[2])
PYTHON
"""

GALLERY = r"""
$A gallery -o docs/gallery --size 1500 --resize 240 -q
$A gallery -o docs/gallery --size 1500 --resize 240 --init shared --sheet docs/gallery-sheet.png -q
"""

COLORINGS = r"""
P="--preset art5227590 --init shared --size 512"
$A render $P --save "$WORK/fields.npz" -q -o docs/colorings/binary.png
$A color "$WORK/fields.npz" --coloring log-delta --cmap magma -q -o docs/colorings/log-delta.png
$A color "$WORK/fields.npz" --coloring sync-step --cmap twilight_shifted --equalize -q \
    -o docs/colorings/sync-step.png
$A color "$WORK/fields.npz" --coloring clusters -q -o docs/colorings/clusters.png
$A render --preset art5227590 --size 512 --samples 16 --coloring probability --cmap bone -q \
    -o docs/colorings/probability.png
W="--preset art1679700 --init shared --center=0,3.5 --width 16 --size 320x200"
L="--coloring log-delta --equalize"
$A render $W $L -q -o docs/colorings/log-delta-equalize-float32.png
$A render $W $L --precision float64 -q -o docs/colorings/log-delta-equalize-float64.png
"""

ZOOM = r"""
Z="--preset art1679700 --init shared --size 512 --coloring sync-step --cmap twilight_shifted"
C="--equalize --center=-3.06819,-1.82531"
$A render $Z $C --width 0.002 -q -o docs/zoom/zoom-2e-3.png
$A render $Z $C --width 2e-6 --precision float64 -q -o docs/zoom/zoom-2e-6.png
$A movie zoom --preset art1679700 --init shared --size 160 --center=-3.06819,-1.82531 \
    --end-width 0.002 --frames 40 --fps 12 --coloring sync-step --cmap twilight_shifted \
    --equalize -q -o docs/zoom/zoom.gif
"""

MOVIES = r"""
S="--preset art1679700 --init shared --size 160 --param wv01 --values=-3,-1 --frames 48 --fps 12"
$A movie sweep $S --coloring sync-step --equalize --color-scale per-frame --keep-frames \
    --frames-dir "$WORK/sweep-per-frame" -q -o "$WORK/sweep-per-frame.gif"
$A movie sweep $S --coloring sync-step --equalize --color-scale movie --keep-frames \
    --frames-dir "$WORK/sweep-movie" -q -o "$WORK/sweep-movie.gif"
for scale in per-frame movie; do
    for k in 26 27; do cp "$WORK/sweep-$scale"/000$k-*.png "docs/movies/sweep-$scale-$k.png"; done
done
"""

EXPERIMENT = r"""
$A experiment {name} -o "$WORK/results" -q
cp "$WORK/results/{name}.png" docs/research/
"""

GROUPS: tuple[Group, ...] = (
    Group(
        "landscape",
        ("docs/landscape.png", "docs/landscape-axes.png"),
        LANDSCAPE,
        ("attndyn.cli.render",),
    ),
    Group(
        "gallery",
        (
            *(
                f"docs/gallery/{preset}-{init}.png"
                for preset in (
                    "art1679700",
                    "art5227590",
                    "art6306593",
                    "art6549664",
                    "art8012376",
                    "seed1-identity",
                )
                for init in ("independent", "shared")
            ),
            "docs/gallery-sheet.png",
        ),
        GALLERY,
        ("attndyn.cli.gallery",),
        ("src/attndyn/model/data/presets.toml",),
    ),
    Group(
        "colorings",
        tuple(
            f"docs/colorings/{name}.png"
            for name in (
                "binary",
                "log-delta",
                "sync-step",
                "clusters",
                "probability",
                "log-delta-equalize-float32",
                "log-delta-equalize-float64",
            )
        ),
        COLORINGS,
        ("attndyn.cli.render", "attndyn.cli.color"),
        ("src/attndyn/model/data/presets.toml",),
    ),
    Group(
        "colorings-before",
        ("docs/colorings/log-delta-equalize-float32-before.png",),
        None,
        note="the 'before' picture of docs/rendering.md, drawn by an earlier version on purpose",
    ),
    Group(
        "zoom",
        ("docs/zoom/zoom-2e-3.png", "docs/zoom/zoom-2e-6.png", "docs/zoom/zoom.gif"),
        ZOOM,
        ("attndyn.cli.render", "attndyn.cli.movie"),
        ("src/attndyn/model/data/presets.toml",),
    ),
    Group(
        "movies",
        tuple(f"docs/movies/sweep-{s}-{k}.png" for s in ("per-frame", "movie") for k in (26, 27)),
        MOVIES,
        ("attndyn.cli.movie",),
        ("src/attndyn/model/data/presets.toml",),
    ),
    *(
        Group(
            f"research-{name}",
            (f"docs/research/{name}.png",),
            EXPERIMENT.format(name=name),
            ("attndyn.cli.experiment", f"attndyn.particles.experiments.{name}"),
        )
        for name in EXPERIMENTS
    ),
    Group(
        "explorer",
        ("docs/explorer.png",),
        '$PY docs/explorer_screenshot.py "$WORK/explorer.png" && cp "$WORK/explorer.png" docs/',
        ("attndyn.cli.explore",),
        (
            "docs/explorer_screenshot.py",
            "docs/chromium.py",
            "src/attndyn/explorer/static/index.html",
            "src/attndyn/explorer/static/explorer.css",
            "src/attndyn/explorer/static/explorer.js",
            "src/attndyn/explorer/static/inspector.js",
            "src/attndyn/explorer/static/map.js",
            "src/attndyn/model/data/presets.toml",
        ),
    ),
    Group(
        "publish",
        ("docs/publish.png",),
        '$PY docs/publish_screenshot.py "$WORK/publish.png" && cp "$WORK/publish.png" docs/',
        ("attndyn.cli.publish",),
        (
            "docs/publish_screenshot.py",
            "docs/chromium.py",
            "src/attndyn/publish/static/index.html",
            "src/attndyn/publish/static/gallery.css",
            "src/attndyn/publish/static/gallery.js",
            "src/attndyn/model/data/presets.toml",
        ),
    ),
    Group(
        "residual",
        ("docs/residual/strip.png",),
        '$PY docs/residual_strip.py -o "$WORK/strip.png" && cp "$WORK/strip.png" docs/residual/',
        ("attndyn.model.options", "attndyn.pictures.coloring", "attndyn.rendering.render"),
        ("docs/residual_strip.py", "src/attndyn/engines/kernels/residual.py"),
    ),
)


@cache
def module_file(name: str) -> Path | None:
    """The source file of module ``name`` under src/, or None when there is none."""
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


_FROM = re.compile(
    r"^[ \t]*from[ \t]+(attndyn(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.M
)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+(attndyn(?:\.\w+)*)", re.M)


@cache
def _imported(path: Path) -> frozenset[str]:
    """Names of the attndyn modules ``path`` imports (``from a import b``: a, and a.b when
    that is a module), read line by line: an import statement at the start of a line, also
    inside a function (a docstring line that looks like one only adds a file)."""
    text = path.read_text(encoding="utf-8")
    names = set(_IMPORT.findall(text))
    for module, listed in _FROM.findall(text):
        names.add(module)
        for item in re.sub(r"#[^\n]*", "", listed).strip("()").split(","):
            member = item.split(" as ")[0].strip()
            if member and module_file(f"{module}.{member}") is not None:
                names.add(f"{module}.{member}")
    return frozenset(names)


def source_files(group: Group) -> list[str]:
    """The group's source files (paths relative to the root, sorted): see the module doc."""
    if group.commands is None:
        return []
    missing = [name for name in group.entries if module_file(name) is None]
    if missing:  # a module moved: the group would silently follow nothing
        raise LookupError(f"group {group.name}: no module {missing[0]} under src/; fix GROUPS")
    seen: set[Path] = set()
    pending = list(group.entries)
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for k in range(1, len(parts)):  # the packages' __init__.py run first
            package = module_file(".".join(parts[:k]))
            if package is not None:
                seen.add(package)
        path = module_file(name)
        if path is None or path in seen:
            continue
        seen.add(path)
        if path.name != "__init__.py":
            pending.extend(_imported(path))
    files = {p.relative_to(ROOT).as_posix() for p in seen}
    files.update(group.extra)
    return sorted(files)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record(group: Group) -> dict:
    """The manifest entry of ``group`` as the tree is now."""
    entry = {
        "pictures": {p: file_sha256(ROOT / p) for p in group.pictures},
        "sources": {f: file_sha256(ROOT / f) for f in source_files(group)},
        "commands": group.commands,
    }
    if group.note:
        entry["note"] = group.note
    return entry


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.is_file() else {}


def stale(group: Group, manifest: dict) -> bool:
    """Whether the pictures of ``group`` are older than their sources or not as recorded."""
    old = manifest.get(group.name)
    if old is None:
        return True
    return old != record(group)


def draw(group: Group, program: str) -> None:
    """Run the group's commands in a fresh scratch folder (bash, -e)."""
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "A": program, "PY": sys.executable, "WORK": work}
        script = "set -euo pipefail\nmkdir -p docs/gallery docs/colorings docs/zoom docs/movies "
        script += "docs/research\n" + group.commands
        subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, check=True)


def update_manifest(entries: dict, known: set[str]) -> None:
    """Set ``entries`` in the manifest and drop the records of unknown groups, under a lock
    and from the manifest as it is then, so that runs drawing other groups at the same time
    keep theirs."""
    folder = os.open(MANIFEST.parent, os.O_RDONLY)  # the lock: docs/ itself, no file left
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        manifest = {**load_manifest(), **entries}
        manifest = {name: entry for name, entry in manifest.items() if name in known}
        text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
        temporary = MANIFEST.with_suffix(f".json.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(MANIFEST)
    finally:
        os.close(folder)  # releases the lock


def main(argv: list[str]) -> int:
    names = {g.name: g for g in GROUPS}
    manifest = load_manifest()
    if "--check" in argv:
        late = [g.name for g in GROUPS if stale(g, manifest)]
        print("stale: " + ", ".join(late) if late else "every picture is fresh")
        return 1 if late else 0
    wanted = [a for a in argv if not a.startswith("--")]
    unknown = [a for a in wanted if a not in names]
    if unknown:
        print(f"unknown group {unknown[0]!r}; the groups: {', '.join(names)}", file=sys.stderr)
        return 2
    if wanted:
        chosen = [names[a] for a in wanted]
    elif "--all" in argv:
        chosen = list(GROUPS)
    else:
        chosen = [g for g in GROUPS if stale(g, manifest)]
    program = os.environ.get("ATTNDYN", str(ROOT / ".venv" / "bin" / "attndyn"))
    failed = []
    for group in chosen:
        if group.commands is None:
            print(f"{group.name}: kept as it is ({group.note}); recorded as it is now")
        else:
            started = time.perf_counter()
            print(f"{group.name}: drawing {len(group.pictures)} picture(s) ...", flush=True)
            try:
                draw(group, program)
            except subprocess.CalledProcessError as error:  # the others are still drawn
                print(f"{group.name}: FAILED (exit {error.returncode}); not recorded", flush=True)
                failed.append(group.name)
                continue
            print(f"{group.name}: done in {time.perf_counter() - started:.0f} s", flush=True)
        # after each group, so that an interruption keeps what is done
        update_manifest({group.name: record(group)}, set(names))
    update_manifest({}, set(names))
    if not chosen:
        print("every picture is fresh (make doc-pictures ALL=1 draws them all again)")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
