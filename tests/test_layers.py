"""The package's folders are its layers, and each layer imports only from the layers below it.

The order is the one docs/architecture.md draws: the landscape model at the bottom, then the
engines, rendering, pictures, the particle library, analysis, the two browser front ends, the
Python API (``attndyn/__init__.py`` and ``attndyn/api``) and the command line on top. The test
reads every module's ``import`` statements with :mod:`ast` (imports inside functions and under
``TYPE_CHECKING`` included), so it needs nothing imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "attndyn"

# Lowest first. Layers of the same rank may not import each other.
RANKS = {
    "model": 0,
    "engines": 1,
    "rendering": 2,
    "pictures": 3,
    "particles": 4,
    "analysis": 5,
    "explorer": 6,
    "publish": 6,
    "api": 7,
    "cli": 8,
}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside attndyn (``attndyn`` itself is the API)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "api"
    return parts[1]


def module_name(path: Path, root: Path = PACKAGE) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, dotted name) of every attndyn module that ``path`` (under ``root``) imports."""
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == "attndyn":
                # `from attndyn import __version__` is the version, not the API layer.
                names = [alias.name for alias in node.names if alias.name != "__version__"]
                found += [(node.lineno, f"attndyn.{name}") for name in names]
            elif target.startswith("attndyn."):
                found.append((node.lineno, target))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("attndyn")]
    return sorted(found)


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "static" not in p.parts)


def test_every_top_level_entry_is_a_known_layer():
    entries = {
        p.name for p in PACKAGE.iterdir() if p.name not in ("__pycache__",) and p.name[0] != "."
    }
    layers = {name for name in entries if (PACKAGE / name).is_dir()}
    assert layers == set(RANKS), "a folder of src/attndyn that is not a layer (or a lost one)"
    assert entries - layers <= {"__init__.py", "py.typed"}


@pytest.mark.parametrize("path", modules(), ids=lambda p: module_name(p))
def test_a_module_imports_only_its_own_layer_or_the_layers_below(path):
    own = layer_of(module_name(path))
    for line, target in imported_modules(path):
        other = layer_of(target)
        if other == own:
            continue
        assert other in RANKS, f"{path.name}:{line} imports {target}, in no layer"
        assert RANKS[other] < RANKS[own], (
            f"{module_name(path)} (layer {own}) imports {target} (layer {other}) at line {line}"
        )


def test_the_check_sees_an_upward_import(tmp_path):
    """The scanner itself: a model module importing the CLI is an upward import it must find."""
    root = tmp_path / "attndyn"
    (root / "model").mkdir(parents=True)
    source = root / "model" / "bad.py"
    source.write_text(
        "from attndyn import __version__\n"
        "def f():\n    from attndyn.cli.main import run\n"
        "from . import spec\n"
        "from ..engines import numba_cpu\n"
    )
    assert imported_modules(source, root) == [
        (3, "attndyn.cli.main"),
        (4, "attndyn.model"),
        (5, "attndyn.engines"),
    ]
