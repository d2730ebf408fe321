"""The documentation's pictures are no older than the code that draws them (hashing only).

docs/pictures.json records, for each group of pictures, the commands that draw them, the
SHA-256 of every source file they were drawn from and of every picture (docs/pictures.py
writes it when `make doc-pictures` draws them). These tests hash the files as they are now:
a source changed since its pictures were drawn, a picture replaced without the manifest, or a
picture the docs show that no group draws, each fails with what to run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "docs" / "pictures.json").read_text(encoding="utf-8"))
REDRAW = "run `make doc-pictures` (docs/pictures.py redraws the stale groups)"


def _pictures_module():
    spec = importlib.util.spec_from_file_location("doc_pictures", ROOT / "docs" / "pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


PICTURES = _pictures_module()
GROUPS = {group.name: group for group in PICTURES.GROUPS}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded(name: str) -> dict:
    entry = MANIFEST.get(name)
    assert entry is not None, f"{name}: not in docs/pictures.json; {REDRAW}"
    return entry


def test_the_manifest_has_one_record_per_group():
    assert sorted(MANIFEST) == sorted(GROUPS), REDRAW


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_no_source_changed_since_the_pictures_were_drawn(name):
    entry = recorded(name)
    changed = [
        path
        for path, digest in entry["sources"].items()
        if not (ROOT / path).is_file() or sha256(ROOT / path) != digest
    ]
    assert not changed, f"{name}: {', '.join(changed)} changed after the pictures; {REDRAW}"
    assert entry["commands"] == GROUPS[name].commands, f"{name}: new commands; {REDRAW}"


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_the_recorded_sources_are_what_the_pictures_import_now(name):
    # a new import (or one dropped) changes what draws the pictures
    now = set(PICTURES.source_files(GROUPS[name]))
    then = set(recorded(name)["sources"])
    assert now == then, f"{name}: sources now {sorted(now ^ then)} differ; {REDRAW}"


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_each_picture_is_the_one_recorded(name):
    pictures = recorded(name)["pictures"]
    assert sorted(pictures) == sorted(GROUPS[name].pictures)
    for path, digest in pictures.items():
        assert (ROOT / path).is_file(), f"{path} is missing; {REDRAW}"
        assert sha256(ROOT / path) == digest, f"{path} is not the picture recorded; {REDRAW}"


def test_every_picture_the_docs_show_or_hold_is_in_a_group():
    drawn = {path for entry in MANIFEST.values() for path in entry["pictures"]}
    shown = set()
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        base = ROOT if page.name == "README.md" else ROOT / "docs"
        for target in re.findall(r"\]\(([^)\s]+\.(?:png|gif))\)", page.read_text("utf-8")):
            if "://" not in target:
                shown.add((base / target).resolve().relative_to(ROOT).as_posix())
    held = {
        p.relative_to(ROOT).as_posix()
        for pattern in ("*.png", "*.gif")
        for p in (ROOT / "docs").rglob(pattern)
    }
    assert shown, "the pages show no picture: the pattern above is wrong"
    assert not shown - drawn, f"pictures the docs show that no group draws: {shown - drawn}"
    assert not held - drawn, f"pictures under docs/ that no group draws: {held - drawn}"


def test_the_sources_follow_imports_and_a_changed_one_makes_its_group_stale(tmp_path, monkeypatch):
    # a hand-made package: a imports b (lazily, in a function) and pkg.c through
    # `from attndyn.pkg import c`; pkg/__init__.py imports d, which is not followed (a
    # registry); e is imported by nothing here
    files = {
        "src/attndyn/__init__.py": "",
        "src/attndyn/a.py": "from attndyn.pkg import c\n\ndef f():\n    import attndyn.b\n",
        "src/attndyn/b.py": "x = 1\n",
        "src/attndyn/pkg/__init__.py": "from attndyn import d\n",
        "src/attndyn/pkg/c.py": "from attndyn.b import x\n",
        "src/attndyn/d.py": "",
        "src/attndyn/e.py": "",
        "docs/p.png": "picture",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(PICTURES, "ROOT", tmp_path)
    monkeypatch.setattr(PICTURES, "SRC", tmp_path / "src")
    monkeypatch.setattr(PICTURES, "MANIFEST", tmp_path / "docs" / "pictures.json")
    PICTURES.module_file.cache_clear()
    PICTURES._imported.cache_clear()
    try:
        group = PICTURES.Group("g", ("docs/p.png",), "$A draw", ("attndyn.a",))
        assert PICTURES.source_files(group) == [
            "src/attndyn/__init__.py",
            "src/attndyn/a.py",
            "src/attndyn/b.py",
            "src/attndyn/pkg/__init__.py",
            "src/attndyn/pkg/c.py",
        ]
        PICTURES.update_manifest({"g": PICTURES.record(group)}, {"g"})
        manifest = PICTURES.load_manifest()
        assert not PICTURES.stale(group, manifest)
        (tmp_path / "src/attndyn/e.py").write_text("y = 2\n")  # not a source: still fresh
        assert not PICTURES.stale(group, manifest)
        (tmp_path / "src/attndyn/b.py").write_text("x = 2\n")  # a source: stale
        assert PICTURES.stale(group, manifest)
    finally:
        PICTURES.module_file.cache_clear()
        PICTURES._imported.cache_clear()
