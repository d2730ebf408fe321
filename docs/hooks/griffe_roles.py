"""Griffe extension: Sphinx-style roles in attndyn's docstrings become API-reference links.

attndyn's docstrings cross-reference with reST roles (``:func:`~attndyn.model.fields.linked```,
``:mod:`attndyn.model.rng```, ``:class:`Job```). mkdocstrings renders docstrings as Markdown, where
such a role would show as raw text, so this extension rewrites each role, once the package is
loaded, into a mkdocs-autorefs reference:

* a target that resolves to an object of the package (absolute, or relative to the docstring's
  scope) becomes an *optional* autoref: a link where the object has a reference page, plain
  code where it has none yet (a module whose page is still to be written);
* an absolute ``attndyn.…`` target that does not exist becomes a *required* autoref, so that
  ``mkdocs build --strict`` fails on it: a bad reference in a docstring breaks the build;
* anything else (``matplotlib.figure.Figure``, a name the scope cannot resolve) becomes code.

A leading ``~`` shows only the last component, as in Sphinx. A line ending in ``::`` (a reST
literal-block marker) keeps one colon; the indented block after it is a code block in Markdown
too.  A reST definition list in the prose (a term at the left margin, its definition indented
by four spaces on the next line) becomes a Markdown one (``def_list``); the numpydoc sections
(``Parameters`` over a line of dashes, and all after it) are left to griffe's parser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

ROLE = re.compile(r":(?:py:)?(?P<role>mod|func|class|meth|attr|data|obj|exc):`(?P<target>[^`]+)`")
SECTION_RULE = re.compile(r"^-{3,}\s*$")
LITERAL_MARKER = re.compile(r"(?<=\S)::$", re.MULTILINE)
PACKAGE = "attndyn"

# lookup(target) -> (identifier, exists): the absolute path the target names (None when it
# cannot be resolved), and whether an object exists at that path.
Lookup = Callable[[str], tuple[str | None, bool]]


def rewrite_roles(text: str, lookup: Lookup) -> str:
    """``text`` with every role replaced by an autoref or a code span (see the module doc).

    Inside a code block (an indented block after a blank line; eight spaces deep inside a
    definition) a role becomes its bare title, since HTML would show there as text.
    """

    def link(match: re.Match[str]) -> str:
        target, title = _target_and_title(match)
        code = f"<code>{html.escape(title)}</code>"
        identifier, exists = lookup(target)
        if identifier is None or not in_package(identifier):
            return code
        optional = " optional" if exists else ""
        return f'<autoref identifier="{html.escape(identifier)}"{optional}>{code}</autoref>'

    def bare(match: re.Match[str]) -> str:
        return _target_and_title(match)[1]

    lines = []
    in_code = in_definition = False
    previous_blank = True
    for line in definition_lists(LITERAL_MARKER.sub(":", text)).split("\n"):
        indent = len(line) - len(line.lstrip())
        if line.startswith(":   "):
            in_definition = True
        elif line.strip() and indent == 0:
            in_definition = False
        code_indent = 8 if in_definition else 4
        if line.strip() and not (in_code and indent >= code_indent):
            in_code = previous_blank and indent >= code_indent
        lines.append(ROLE.sub(bare if in_code else link, line))
        previous_blank = not line.strip()
    return "\n".join(lines)


def _target_and_title(match: re.Match[str]) -> tuple[str, str]:
    target = match["target"].strip()
    short = target.startswith("~")
    target = target.lstrip("~")
    return target, target.rsplit(".", 1)[-1] if short else target


def in_package(path: str) -> bool:
    """Whether a dotted path names the package or something inside it."""
    return path == PACKAGE or path.startswith(PACKAGE + ".")


def definition_lists(text: str) -> str:
    """reST definition lists before the first numpydoc section, as Markdown ``def_list`` ones."""
    lines = text.split("\n")
    end = next(
        (i - 1 for i in range(1, len(lines)) if SECTION_RULE.match(lines[i]) and lines[i - 1]),
        len(lines),
    )
    out = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < end else ""
        before = lines[i - 1] if i else ""
        if out and out[-1] is None:  # the first line of a definition
            out[-1] = ":   " + line[4:]
            continue
        if (
            line.strip()
            and not line[0].isspace()
            and following.startswith("    ")
            and not following.startswith("     ")
            and (not before.strip() or before.startswith("    "))
        ):
            if before.strip():
                out.append("")  # a term right after a definition starts a new item
            out += [line, None]
        else:
            out.append(line)
    return "\n".join(out)


try:
    import griffe
except ImportError:  # the pure function above is tested without the docs extra
    griffe = None

if griffe is not None:

    def _exists(package: griffe.Module, path: str) -> bool:
        if path == package.path:
            return True
        if not path.startswith(package.path + "."):
            return False
        try:
            package[path[len(package.path) + 1 :]]
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return False
        return True

    def _lookup_in(package: griffe.Module, scope: griffe.Object) -> Lookup:
        def lookup(target: str) -> tuple[str | None, bool]:
            if target == package.path or target.startswith(package.path + "."):
                return target, _exists(package, target)
            head, _, tail = target.partition(".")
            try:
                resolved = scope.resolve(head)
            except (griffe.NameResolutionError, AttributeError):
                return None, False
            path = f"{resolved}.{tail}" if tail else resolved
            if not path.startswith(package.path):
                return None, False
            return path, _exists(package, path)

        return lookup

    def _walk(obj: griffe.Object):
        yield obj
        for member in obj.members.values():
            if member.is_alias:
                continue
            yield from _walk(member)

    class SphinxRoles(griffe.Extension):
        """Rewrite the roles of every docstring of a loaded package (see the module doc)."""

        def on_package(self, *, pkg: griffe.Module, **kwargs: object) -> None:
            for obj in _walk(pkg):
                if obj.docstring is not None:
                    obj.docstring.value = rewrite_roles(obj.docstring.value, _lookup_in(pkg, obj))
