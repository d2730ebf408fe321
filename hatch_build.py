"""The build hook: Leaflet goes into the package before a wheel or an sdist is built.

The explorer's page loads Leaflet from the package (``attndyn/explorer/static/leaflet``), never
from a CDN, so a wheel must carry it. Leaflet comes from the npm registry, pinned by
package-lock.json. From a checkout the hook copies it out of ``node_modules`` (running
``npm ci`` first when ``node_modules`` lacks the pinned version); the sdist carries the copied
files, so a build from the sdist, and an install of the wheel, need no npm. An editable install
(``make run``) is left alone: it needs no Leaflet to render, and ``make explore`` copies it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LEAFLET_DIR = Path("src/attndyn/explorer/static/leaflet")
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "images")
NPM_DIST = Path("node_modules/leaflet/dist")
# The first lines of leaflet.js: "/* @preserve\n * Leaflet 1.9.4, a JS library ..."
LEAFLET_BANNER = re.compile(r"Leaflet (\d+\.\d+\.\d+\S*), a JS library")


class LeafletBuildHook(BuildHookInterface):
    """Copies the pinned Leaflet into the package before a wheel or an sdist is built."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        ensure_leaflet(Path(self.root))


def ensure_leaflet(root: Path) -> None:
    """Leave the pinned Leaflet in ``LEAFLET_DIR``: keep a complete copy of the pinned version,
    else copy it from ``node_modules`` (after ``npm ci`` when that lacks it)."""
    pinned = pinned_version(root)
    target = root / LEAFLET_DIR
    present = copied_version(target)
    if present is not None and pinned in (None, present):
        return
    if pinned is None:
        raise RuntimeError(
            f"Leaflet is missing from {LEAFLET_DIR} and package-lock.json is absent, so it "
            "cannot be installed from npm; build from a checkout or from the sdist"
        )
    if npm_version(root) != pinned:
        npm_ci(root, pinned)
    copy_leaflet(root / NPM_DIST, target)


def pinned_version(root: Path) -> str | None:
    """Leaflet's version in package-lock.json (None when there is no lock file)."""
    lock = root / "package-lock.json"
    if not lock.is_file():
        return None
    return json.loads(lock.read_text())["packages"]["node_modules/leaflet"]["version"]


def npm_version(root: Path) -> str | None:
    """The version of Leaflet that ``npm ci`` left in ``node_modules`` (None when absent)."""
    manifest = root / "node_modules" / "leaflet" / "package.json"
    if not (manifest.is_file() and (root / NPM_DIST / "leaflet.js").is_file()):
        return None
    return json.loads(manifest.read_text())["version"]


def copied_version(target: Path) -> str | None:
    """The version of a complete copy in ``target`` (read from leaflet.js's banner), or None
    when a file is missing."""
    if not all((target / name).exists() for name in LEAFLET_FILES):
        return None
    if not any((target / "images").glob("*.png")):
        return None
    with (target / "leaflet.js").open(encoding="utf-8") as script:
        match = LEAFLET_BANNER.search(script.read(400))
    return match.group(1) if match else None


def npm_ci(root: Path, pinned: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"building from a checkout needs Leaflet {pinned} from npm, and npm is not "
            "installed: install Node.js (npm), or build from the sdist, which carries Leaflet"
        )
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=root, check=True)


def copy_leaflet(source: Path, target: Path) -> None:
    """Copy Leaflet's script, stylesheet and images into ``target``, whole or not at all (a
    scratch folder renamed into place)."""
    scratch = target.with_name(target.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for name in LEAFLET_FILES:
        if (source / name).is_dir():
            shutil.copytree(source / name, scratch / name)
        else:
            shutil.copy2(source / name, scratch / name)
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)
