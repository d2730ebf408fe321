"""The wheel as a pip user meets it: built from the sdist, installed into a fresh venv.

``python -m build`` makes the sdist from the checkout and the wheel from the unpacked sdist, so
the wheel's Leaflet proves the sdist carries it. The venv borrows the dependencies of the
environment running the tests through a ``.pth`` file (no download) and gets the wheel with
``--no-deps``; the installed ``attndyn`` script then renders a picture and serves the explorer,
whose page, Leaflet and Leaflet's images are fetched from 127.0.0.1. The build hook's choices
(keep a copy, copy from node_modules, run npm, fail without npm) are checked on scratch trees.

Skipped where the build tools or the web packages are missing, except under CI (``CI`` set),
whose set-up (``make test``) installs them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from local_servers import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
LEAFLET_IN_PACKAGE = "attndyn/explorer/static/leaflet/"
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png")  # named in leaflet.css
STEP_TIMEOUT = 120  # seconds, for each build, install and render
SERVER_START_TIMEOUT = 30


def _missing() -> str | None:
    for module in ("build", "hatchling", "fastapi", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[dev,explore]')"
    return None


if (reason := _missing()) is not None:
    if os.environ.get("CI"):
        pytest.fail(f"the packaging test cannot run: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def pinned_leaflet() -> str:
    """Leaflet's version as package-lock.json pins it."""
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return lock["packages"]["node_modules/leaflet"]["version"]


def declared_version() -> str:
    """The version as src/attndyn/__init__.py writes it, read as text."""
    text = (ROOT / "src" / "attndyn" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE).group(1)


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment for the venv's commands: nothing that points back at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def the_one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_sdist_carries_leaflet_and_both_licences(dist: Path) -> None:
    sdist = the_one(dist, "attndyn-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    leaflet = "src/" + LEAFLET_IN_PACKAGE
    expected = {"leaflet.js", "leaflet.css", *(f"images/{png}" for png in LEAFLET_IMAGES)}
    assert {leaflet + name for name in expected} <= names
    assert {"LICENSE", "LICENSE-leaflet", "hatch_build.py", "package-lock.json"} <= names
    assert not any("node_modules" in name or "__pycache__" in name for name in names)


def test_the_wheel_holds_leaflet_py_typed_licences_and_the_version(dist: Path) -> None:
    version = declared_version()
    wheel = the_one(dist, "attndyn-*.whl")
    assert wheel.name == f"attndyn-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"attndyn-{version}.dist-info/METADATA").decode()
        script = archive.read(LEAFLET_IN_PACKAGE + "leaflet.js")[:400].decode()
    expected = {"leaflet.js", "leaflet.css", *(f"images/{png}" for png in LEAFLET_IMAGES)}
    assert {LEAFLET_IN_PACKAGE + name for name in expected} <= names
    assert f"Leaflet {pinned_leaflet()}," in script
    assert "attndyn/py.typed" in names
    licences = f"attndyn-{version}.dist-info/licenses/"
    assert {licences + "LICENSE", licences + "LICENSE-leaflet"} <= names
    assert f"\nVersion: {version}\n" in metadata
    assert "\nLicense-Expression: MIT AND BSD-2-Clause\n" in metadata
    # The explorer's extra is the server alone; the test tools are in dev.
    explore = set(re.findall(r"Requires-Dist: ([\w-]+).*; extra == 'explore'", metadata))
    assert explore == {"fastapi", "uvicorn"}


def test_leaflets_licence_is_the_pinned_packages_own() -> None:
    npm_licence = ROOT / "node_modules" / "leaflet" / "LICENSE"
    if not npm_licence.is_file():
        pytest.skip("node_modules/leaflet is absent (npm ci)")
    assert (ROOT / "LICENSE-leaflet").read_bytes() == npm_licence.read_bytes()


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel, with this environment's packages as its dependencies."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, timeout=60
    )
    python = home / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    # Plain directory lines: the borrowed site-packages' own .pth files (the checkout's editable
    # install among them) are not read, so the venv's attndyn can only be the wheel's.
    borrowed = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n")
    wheel = the_one(dist, "attndyn-*.whl")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    install = subprocess.run(
        [*pip, "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        env=quiet_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return home


def attndyn(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "attndyn"), *args],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        cwd=cwd,
        env=quiet_env(),
    )


def test_the_installed_package_is_the_wheels(venv: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import attndyn; print(attndyn.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=quiet_env(),
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv)
    version = attndyn(venv, "--version", cwd=tmp_path)
    assert version.stdout.strip() == f"attndyn {declared_version()}"


def test_the_installed_script_renders_the_checkouts_picture(venv: Path, tmp_path: Path) -> None:
    args = ("render", "--engine", "numpy", "--size", "16", "--steps", "20", "--quiet")
    installed = attndyn(venv, *args, "-o", str(tmp_path / "wheel.png"), cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    cli = [sys.executable, "-c", "from attndyn.cli.main import run; run()"]
    checkout = subprocess.run(
        [*cli, *args, "-o", str(tmp_path / "checkout.png")],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )
    assert checkout.returncode == 0, checkout.stderr
    wheel_picture = np.asarray(Image.open(tmp_path / "wheel.png"))
    assert wheel_picture.shape[:2] == (16, 16)
    assert len(np.unique(wheel_picture.reshape(-1, wheel_picture.shape[-1]), axis=0)) > 1
    assert np.array_equal(wheel_picture, np.asarray(Image.open(tmp_path / "checkout.png")))


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_installed_explorer_serves_its_page_and_leaflet(venv: Path, tmp_path: Path) -> None:
    port = free_port()
    command = [str(venv / "bin" / "attndyn"), "explore", "--no-browser", "--port", str(port)]
    # The numpy engine: the wheel's numba kernels would compile cold in the venv (a minute).
    first_view = ["--engine", "numpy", "--preset", "art1679700", "--init", "shared"]
    log = tmp_path / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [*command, *first_view],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=quiet_env(NUMBA_CACHE_DIR=str(tmp_path / "numba-cache")),
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        health: tuple[int, bytes] | None = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = fetch(base + "/api/health")
                break
            except OSError:
                time.sleep(0.1)
        assert server.poll() is None, log.read_text()
        assert health is not None and health[0] == 200, health
        assert json.loads(health[1])["status"] == "ok"

        status, page = fetch(base + "/")
        assert status == 200 and b"<title>attndyn explore</title>" in page
        linked = re.findall(rb'(?:href|src)="(/static/leaflet/[^"]+)"', page)
        assert {b"/static/leaflet/leaflet.js", b"/static/leaflet/leaflet.css"} <= set(linked)

        status, script = fetch(base + "/static/leaflet/leaflet.js")
        assert status == 200 and f"Leaflet {pinned_leaflet()},".encode() in script[:400]
        npm_script = ROOT / "node_modules" / "leaflet" / "dist" / "leaflet.js"
        if npm_script.is_file():
            assert script == npm_script.read_bytes()
        status, css = fetch(base + "/static/leaflet/leaflet.css")
        assert status == 200
        for png in LEAFLET_IMAGES:
            assert f"url(images/{png})".encode() in css
            status, image = fetch(f"{base}/static/leaflet/images/{png}")
            assert status == 200 and image.startswith(b"\x89PNG\r\n\x1a\n"), png
    finally:
        stop_process(server, seconds=10)


# The build hook on scratch trees ------------------------------------------------------------


def load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hatch_build", ROOT / "hatch_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_leaflet(folder: Path, version: str) -> None:
    """Leaflet's files as npm lays them out, with the banner that names the version."""
    (folder / "images").mkdir(parents=True)
    (folder / "leaflet.js").write_text(f"/* @preserve\n * Leaflet {version}, a JS library */\n")
    (folder / "leaflet.css").write_text(".leaflet-pane {}\n")
    (folder / "images" / "layers.png").write_bytes(b"\x89PNG\r\n\x1a\n")


def scratch_tree(root: Path, pinned: str) -> None:
    lock = {"packages": {"node_modules/leaflet": {"version": pinned}}}
    (root / "package-lock.json").write_text(json.dumps(lock))


def test_the_hook_copies_the_pinned_leaflet_from_node_modules(tmp_path: Path) -> None:
    hook = load_hook()
    scratch_tree(tmp_path, "1.9.4")
    fake_leaflet(tmp_path / "node_modules" / "leaflet" / "dist", "1.9.4")
    (tmp_path / "node_modules" / "leaflet" / "package.json").write_text('{"version": "1.9.4"}')
    target = tmp_path / hook.LEAFLET_DIR
    fake_leaflet(target, "1.9.3")  # a stale copy is replaced
    hook.ensure_leaflet(tmp_path)
    assert "Leaflet 1.9.4," in (target / "leaflet.js").read_text()
    assert (target / "images" / "layers.png").is_file()
    assert not target.with_name("leaflet.partial").exists()


def test_the_hook_keeps_a_complete_copy_without_npm(tmp_path: Path, monkeypatch) -> None:
    """A build from the sdist: the copy is there, node_modules is not, npm is never called."""
    hook = load_hook()
    scratch_tree(tmp_path, "1.9.4")
    fake_leaflet(tmp_path / hook.LEAFLET_DIR, "1.9.4")
    monkeypatch.setattr(hook.shutil, "which", lambda name: pytest.fail(f"looked for {name}"))
    hook.ensure_leaflet(tmp_path)
    assert "Leaflet 1.9.4," in (tmp_path / hook.LEAFLET_DIR / "leaflet.js").read_text()


def test_the_hook_runs_npm_ci_when_node_modules_lacks_the_pin(tmp_path: Path, monkeypatch) -> None:
    hook = load_hook()
    scratch_tree(tmp_path, "1.9.4")
    calls: list[tuple[list[str], Path]] = []

    def npm(command: list[str], cwd: Path, check: bool) -> None:
        calls.append((command, cwd))
        fake_leaflet(tmp_path / "node_modules" / "leaflet" / "dist", "1.9.4")

    monkeypatch.setattr(hook.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(hook.subprocess, "run", npm)
    hook.ensure_leaflet(tmp_path)
    assert [command[:2] for command, _ in calls] == [["/usr/bin/npm", "ci"]]
    assert calls[0][1] == tmp_path
    assert "Leaflet 1.9.4," in (tmp_path / hook.LEAFLET_DIR / "leaflet.js").read_text()


def test_the_hook_without_npm_says_how_to_build(tmp_path: Path, monkeypatch) -> None:
    hook = load_hook()
    scratch_tree(tmp_path, "1.9.4")
    monkeypatch.setattr(hook.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"Leaflet 1\.9\.4 from npm.*build from the sdist"):
        hook.ensure_leaflet(tmp_path)
    assert not (tmp_path / hook.LEAFLET_DIR).exists()


def test_the_hook_leaves_an_editable_install_alone(tmp_path: Path, monkeypatch) -> None:
    """``pip install -e .`` (make run) needs no npm; a wheel or an sdist needs Leaflet."""
    hook = load_hook()
    scratch_tree(tmp_path, "1.9.4")
    monkeypatch.setattr(hook.shutil, "which", lambda name: None)

    def for_target(target: str):
        return hook.LeafletBuildHook(str(tmp_path), {}, None, None, str(tmp_path), target)

    for_target("wheel").initialize("editable", {})
    assert not (tmp_path / hook.LEAFLET_DIR).exists()
    for target, version in (("wheel", "standard"), ("sdist", "standard")):
        with pytest.raises(RuntimeError, match="npm is not installed"):
            for_target(target).initialize(version, {})
