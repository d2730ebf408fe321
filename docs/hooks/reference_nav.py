"""MkDocs hook: the API reference lists itself from the files in ``docs/reference/``.

Each ``docs/reference/NAME.md`` documents one module (a title line ``# attndyn.NAME`` and a
``::: attndyn.NAME`` block).  This hook puts every such page under the nav entry whose page is
``reference/index.md``, the public API first (``attndyn``, then ``attndyn.api`` and its
modules), then the internals under their own heading, one section per layer in the order of
docs/architecture.md (:data:`LAYERS`), each layer's package page first; and it replaces the
marker ``<!-- reference-pages -->`` on that index page with the same groups as tables (the
title, and the first line of the module's docstring, read from ``src/``).  Adding a module to
the reference is adding one file; nothing else lists them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

INDEX = "reference/index.md"
MARKER = "<!-- reference-pages -->"
TITLE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
TITLE_ANCHOR = re.compile(r"\s*\{[^}]*\}\s*$")
TARGET = re.compile(r"^:::\s+(\S+)", re.MULTILINE)
PUBLIC = ("attndyn", "api")
"""The public API's pages: ``attndyn`` itself and ``attndyn.api`` (page names start so)."""
LAYERS = (
    "model",
    "engines",
    "rendering",
    "pictures",
    "particles",
    "analysis",
    "explorer",
    "publish",
    "cli",
)
"""The internals' layers, lowest first (docs/architecture.md, "The folders")."""
INTERNALS = "Internals"


def reference_pages(docs_dir: Path) -> list[str]:
    """The reference pages other than the index, as paths relative to ``docs_dir``, sorted."""
    folder = docs_dir / "reference"
    return sorted(
        str(path.relative_to(docs_dir)).replace("\\", "/")
        for path in folder.glob("*.md")
        if path.name != "index.md"
    )


def expand_nav(nav: list, pages: list) -> bool:
    """Replace the entry ``{title: INDEX}`` in ``nav`` (in place) by a section of ``pages``
    (page paths, or nav sections ``{title: [...]}`` as :func:`grouped_pages` makes)."""
    for position, item in enumerate(nav):
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if value == INDEX:
                nav[position] = {title: [INDEX, *pages]}
                return True
            if isinstance(value, list) and expand_nav(value, pages):
                return True
    return False


def group_of(page: str) -> str:
    """The layer (or ``attndyn``/``api``) a page documents: the first part of its name."""
    return Path(page).stem.split(".")[0]


def in_group(pages: list[str], group: str) -> list[str]:
    """The pages of ``group``, its package page (``reference/GROUP.md``) first."""
    members = [page for page in pages if group_of(page) == group]
    return sorted(members, key=lambda page: (Path(page).stem != group, page))


def grouped_pages(pages: list[str]) -> list:
    """The nav under the index: the public API's pages, then ``{INTERNALS: [{layer: pages}]}``
    by layer (pages of a folder that is not in :data:`LAYERS` come last, by name)."""
    public = [page for group in PUBLIC for page in in_group(pages, group)]
    others = sorted({group_of(page) for page in pages} - set(PUBLIC) - set(LAYERS))
    internals = [
        {layer: in_group(pages, layer)} for layer in (*LAYERS, *others) if in_group(pages, layer)
    ]
    return [*public, {INTERNALS: internals}] if internals else public


def summary(source_root: Path, module: str) -> str:
    """The first line of ``module``'s docstring, read from its source file under ``source_root``."""
    path = source_root.joinpath(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            docstring = ast.get_docstring(ast.parse(candidate.read_text(encoding="utf-8")))
            return docstring.strip().split("\n")[0] if docstring else ""
    return ""


def index_list(docs_dir: Path, source_root: Path, pages: list[str]) -> str:
    """A Markdown table, one row per page: its title (a link) and its module's first line."""
    rows = ["| module | |", "| --- | --- |"]
    for page in pages:
        text = (docs_dir / page).read_text(encoding="utf-8")
        title = TITLE.search(text)
        target = TARGET.search(text)
        name = TITLE_ANCHOR.sub("", title.group(1)) if title else Path(page).stem
        first = summary(source_root, target.group(1)) if target else ""
        first = first.replace("|", "\\|")
        rows.append(f"| [`{name}`]({Path(page).name}) | {first} |")
    return "\n".join(rows)


def index_sections(docs_dir: Path, source_root: Path, pages: list[str]) -> str:
    """The index's tables: the public API, then a heading for the internals and a table per
    layer, in the nav's order (:func:`grouped_pages`)."""
    public = [page for group in PUBLIC for page in in_group(pages, group)]
    parts = ["## The public API", index_list(docs_dir, source_root, public)]
    layers = [item for item in grouped_pages(pages) if isinstance(item, dict)]
    if layers:
        parts += [
            f"## {INTERNALS}",
            "The machinery under the API, one folder per layer, lowest first "
            "([Architecture](../architecture.md#the-folders)).",
        ]
        for section in layers[0][INTERNALS]:
            ((layer, members),) = section.items()
            parts += [f"### {layer}", index_list(docs_dir, source_root, members)]
    return "\n\n".join(parts)


def on_config(config):
    docs_dir = Path(config["docs_dir"])
    nav = config["nav"]
    if nav is not None and not expand_nav(nav, grouped_pages(reference_pages(docs_dir))):
        raise ValueError(f"mkdocs.yml: no nav entry points to {INDEX}")
    return config


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != INDEX:
        return markdown
    docs_dir = Path(config["docs_dir"])
    source_root = Path(config["config_file_path"]).parent / "src"
    pages = reference_pages(docs_dir)
    return markdown.replace(MARKER, index_sections(docs_dir, source_root, pages))
