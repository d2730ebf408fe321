"""MkDocs hook: the API reference lists itself from the files in ``docs/reference/``.

Each ``docs/reference/NAME.md`` documents one module (a title line ``# attndyn.NAME`` and a
``::: attndyn.NAME`` block).  This hook puts every such page, sorted by file name, under the
nav entry whose page is ``reference/index.md``, and replaces the marker
``<!-- reference-pages -->`` on that index page with a table of them (the title, and the first
line of the module's docstring, read from ``src/``).  Adding a module to the reference is adding one
file; nothing else lists them.
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


def reference_pages(docs_dir: Path) -> list[str]:
    """The reference pages other than the index, as paths relative to ``docs_dir``, sorted."""
    folder = docs_dir / "reference"
    return sorted(
        str(path.relative_to(docs_dir)).replace("\\", "/")
        for path in folder.glob("*.md")
        if path.name != "index.md"
    )


def expand_nav(nav: list, pages: list[str]) -> bool:
    """Replace the entry ``{title: INDEX}`` in ``nav`` (in place) by a section of ``pages``."""
    for position, item in enumerate(nav):
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if value == INDEX:
                nav[position] = {title: [INDEX, *pages]}
                return True
            if isinstance(value, list) and expand_nav(value, pages):
                return True
    return False


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


def on_config(config):
    docs_dir = Path(config["docs_dir"])
    if config["nav"] is not None and not expand_nav(config["nav"], reference_pages(docs_dir)):
        raise ValueError(f"mkdocs.yml: no nav entry points to {INDEX}")
    return config


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != INDEX:
        return markdown
    docs_dir = Path(config["docs_dir"])
    source_root = Path(config["config_file_path"]).parent / "src"
    return markdown.replace(MARKER, index_list(docs_dir, source_root, reference_pages(docs_dir)))
