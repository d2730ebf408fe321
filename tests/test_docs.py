"""The documentation's own code (docs/hooks/), the README's links, and the commands the
pages show against the command line itself.

The strict site build itself (``make docs``: every link, anchor, cross-reference and formula)
runs in ``.ci/run`` after the test suite, since it needs the ``docs`` extra that ``make test``
does not install and takes longer than a unit test should. These tests check the pieces of that
build that are plain functions, with hand-written expected outputs, and need no docs tools.
The last ones read every ``attndyn`` command in the pages (code blocks and inline code), the
README and docs/make_pictures.sh: each command exists, each option is in its ``--help``, and
every command is shown somewhere in docs/.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "docs" / "hooks"


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


roles = load_hook("griffe_roles")
mathml = load_hook("mathml")
reference_nav = load_hook("reference_nav")

# A fake scope: the names it resolves, and the objects that exist.
RESOLVES = {"linked": "attndyn.model.fields.linked", "Job": "attndyn.model.job.Job", "np": "numpy"}
EXISTS = {
    "attndyn.model.fields.linked",
    "attndyn.model.job.Job",
    "attndyn.model.job.Job.initial_points",
    "attndyn",
}


def fake_lookup(target: str) -> tuple[str | None, bool]:
    if target.startswith("attndyn"):
        return target, target in EXISTS
    head, _, tail = target.partition(".")
    if head not in RESOLVES:
        return None, False
    path = RESOLVES[head] + ("." + tail if tail else "")
    return path, path in EXISTS


def test_roles_that_resolve_become_optional_links_with_sphinx_titles():
    text = "See :func:`linked` and :meth:`~Job.initial_points`, or :mod:`attndyn`."
    assert roles.rewrite_roles(text, fake_lookup) == (
        'See <autoref identifier="attndyn.model.fields.linked" optional>'
        "<code>linked</code></autoref>"
        ' and <autoref identifier="attndyn.model.job.Job.initial_points" optional>'
        "<code>initial_points</code></autoref>, or "
        '<autoref identifier="attndyn" optional><code>attndyn</code></autoref>.'
    )


def test_a_missing_package_object_becomes_a_required_link_so_the_strict_build_fails():
    text = ":func:`attndyn.model.fields.linkd`"
    assert roles.rewrite_roles(text, fake_lookup) == (
        '<autoref identifier="attndyn.model.fields.linkd">'
        "<code>attndyn.model.fields.linkd</code></autoref>"
    )


def test_outside_or_unresolved_targets_become_code():
    text = ":class:`~matplotlib.figure.Figure`, :attr:`description`, :func:`np.exp`"
    assert roles.rewrite_roles(text, fake_lookup) == (
        "<code>Figure</code>, <code>description</code>, <code>np.exp</code>"
    )


def test_roles_in_code_blocks_become_their_bare_titles():
    text = (
        "Engines:\n"
        "\n"
        "    numpy   the reference (:mod:`~attndyn.model.fields.linked`)\n"
        "            more (:func:`linked`)\n"
        "\n"
        "Back to :func:`linked`.\n"
        "\n"
        "term\n"
        "    a definition with :func:`np.exp`\n"
        "\n"
        "        code in it, :class:`Job`\n"
    )
    link = (
        '<autoref identifier="attndyn.model.fields.linked" optional><code>linked</code></autoref>'
    )
    assert roles.rewrite_roles(text, fake_lookup) == (
        "Engines:\n"
        "\n"
        "    numpy   the reference (linked)\n"
        "            more (linked)\n"
        "\n"
        f"Back to {link}.\n"
        "\n"
        "term\n"
        ":   a definition with <code>np.exp</code>\n"
        "\n"
        "        code in it, Job\n"
    )


def test_rest_literal_marker_keeps_one_colon():
    assert roles.rewrite_roles("the map is::\n\n    x <- y\n", fake_lookup) == (
        "the map is:\n\n    x <- y\n"
    )


def test_rest_definition_lists_become_markdown_ones_before_numpydoc_sections():
    text = (
        "Intro.\n"
        "\n"
        "``a``\n"
        "    one line.\n"
        "``b``\n"
        "    first\n"
        "    second\n"
        "\n"
        "        code\n"
        "\n"
        "Parameters\n"
        "----------\n"
        "x\n"
        "    left to griffe\n"
    )
    assert roles.definition_lists(text) == (
        "Intro.\n"
        "\n"
        "``a``\n"
        ":   one line.\n"
        "\n"
        "``b``\n"
        ":   first\n"
        "    second\n"
        "\n"
        "        code\n"
        "\n"
        "Parameters\n"
        "----------\n"
        "x\n"
        "    left to griffe\n"
    )


def test_an_indented_block_after_a_paragraph_line_is_not_a_definition():
    text = "Some prose line\ncontinues here\n    indented\n"
    assert roles.definition_lists(text) == text


def test_maths_elements_are_converted_with_their_delimiters_removed_and_unescaped():
    page = (
        '<p>gap <span class="arithmatex">\\(\\Delta &lt; 10^{-5}\\)</span> and</p>\n'
        '<div class="arithmatex">\\[ x \\leftarrow A V \\]</div>'
    )
    calls = []

    def convert(latex: str, display: bool) -> str:
        calls.append((latex, display))
        return f"<math>{len(calls)}</math>"

    assert mathml.to_mathml(page, convert) == (
        '<p>gap <math>1</math> and</p>\n<div class="math"><math>2</math></div>'
    )
    assert calls == [("\\Delta < 10^{-5}", False), ("x \\leftarrow A V", True)]


def test_maths_that_does_not_convert_names_the_formula():
    def convert(latex: str, display: bool) -> str:
        raise RuntimeError("unknown command")

    with pytest.raises(ValueError, match=r"\\\\bad\{x\}.*unknown command"):
        mathml.to_mathml('<span class="arithmatex">\\(\\bad{x}\\)</span>', convert)


def test_reference_nav_puts_every_reference_page_under_the_index_entry(tmp_path):
    (tmp_path / "reference").mkdir()
    for name in ("index", "model.spec", "engines.numpy_ref", "pictures.coloring"):
        (tmp_path / "reference" / f"{name}.md").write_text(f"# attndyn.{name}\n")
    pages = reference_nav.reference_pages(tmp_path)
    assert pages == [
        "reference/engines.numpy_ref.md",
        "reference/model.spec.md",
        "reference/pictures.coloring.md",
    ]
    nav = [{"Home": "index.md"}, {"Guide": [{"API reference": "reference/index.md"}]}]
    assert reference_nav.expand_nav(nav, pages)
    assert nav == [
        {"Home": "index.md"},
        {"Guide": [{"API reference": ["reference/index.md", *pages]}]},
    ]
    assert not reference_nav.expand_nav([{"Home": "index.md"}], pages)


def test_reference_nav_shows_the_public_api_first_then_the_layers_in_order():
    names = ["analysis.trace", "api", "api.landscapes", "api.display", "attndyn", "engines",
             "engines.contract", "model.spec", "model", "model.errors", "zzz.extra"]  # fmt: skip
    pages = [f"reference/{name}.md" for name in names]
    assert reference_nav.grouped_pages(pages) == [
        "reference/attndyn.md",
        "reference/api.md",
        "reference/api.display.md",
        "reference/api.landscapes.md",
        {
            "Internals": [
                {"model": ["reference/model.md", "reference/model.errors.md",
                           "reference/model.spec.md"]},
                {"engines": ["reference/engines.md", "reference/engines.contract.md"]},
                {"analysis": ["reference/analysis.trace.md"]},
                {"zzz": ["reference/zzz.extra.md"]},
            ]
        },
    ]  # fmt: skip


def test_every_reference_page_names_a_module_that_exists():
    pages = reference_nav.reference_pages(ROOT / "docs")
    assert pages
    for page in pages:
        target = reference_nav.TARGET.search((ROOT / "docs" / page).read_text(encoding="utf-8"))
        assert target, f"{page} has no ::: block"
        assert reference_nav.summary(ROOT / "src", target.group(1)), f"{page}: no module doc"


def test_readme_links_and_pictures_point_to_files_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    targets += re.findall(r'<img src="([^"]+)"', readme)
    assert targets
    for target in targets:
        if "://" not in target:
            assert (ROOT / target).is_file(), f"README links to a missing {target}"


# -- the commands the pages show ------------------------------------------------------------

PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
SCRIPTS = [ROOT / "docs" / "make_pictures.sh", ROOT / "docs" / "pictures.py"]
_SHELL_FENCES = ("```", "```bash", "```sh", "```shell", "```console")
_INLINE = re.compile(r"`((?:\.venv/bin/)?attndyn [^`]+)`")
_SHELL_STOP = {"&&", "||", "|", ";", ">", "2>", ">>", "<"}
_PROGRAMS = {"attndyn", ".venv/bin/attndyn", "$A"}  # $A is docs/pictures.py's name for it


_ASSIGNMENT = re.compile(r"^([A-Z_]+)=\"([^\"]*)\"$", re.MULTILINE)


def _logical_lines(text: str) -> list[str]:
    """The lines of shell text, continuations joined and its ``NAME="..."`` variables
    (``Z="--preset ..."``, then ``$A render $Z``) expanded."""
    lines = text.replace("\\\n", " ").splitlines()
    for name, value in _ASSIGNMENT.findall(text):
        lines = [re.sub(rf"\$({name}\b|{{{name}}})", value, line) for line in lines]
    return lines


def _shell_blocks(text: str) -> list[str]:
    """The code blocks of a markdown page that hold shell commands (not python, toml ...)."""
    blocks, lines, fence = [], [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if fence is None:
                fence, lines = line.strip(), []
            else:
                if fence in _SHELL_FENCES:
                    blocks.append("\n".join(lines))
                fence = None
        elif fence is not None:
            lines.append(line)
    return blocks


def shown_commands(path: Path, *, inline: bool = True) -> list[list[str]]:
    """The ``attndyn`` commands of a page (or a script): argv lists without the program.

    ``inline=False`` leaves out the pages' inline code, which may show part of a command.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        lines = [line for block in _shell_blocks(text) for line in _logical_lines(block)]
        lines += _INLINE.findall(text) if inline else []
    else:
        lines = _logical_lines(text)
    commands = []
    for line in lines:
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:  # an unbalanced quote in prose-like code: not a command line
            continue
        while tokens:
            starts = [i for i, token in enumerate(tokens) if token in _PROGRAMS]
            if not starts:
                break
            rest = tokens[starts[0] + 1 :]
            end = next((i for i, token in enumerate(rest) if token in _SHELL_STOP), len(rest))
            commands.append(rest[:end])
            tokens = rest[end:]
    return commands


def _parsers() -> dict[str, argparse.ArgumentParser]:
    from attndyn.cli.main import _build_parser, command_parsers

    return dict(command_parsers(_build_parser()))


def _command_path(argv: list[str], parsers: dict) -> str | None:
    """``"movie zoom"`` for ``["movie", "zoom", ...]``; None for a placeholder (COMMAND)."""
    path = ""
    for word in argv[:2]:
        candidate = f"{path} {word}".strip()
        if candidate in parsers:
            path = candidate
        elif word.startswith("-") or path:
            break
        elif word.isupper() or not word.isidentifier():
            return None  # `attndyn COMMAND --help`
        else:
            raise AssertionError(f"the docs show a command that does not exist: attndyn {word}")
    return path


def _options_shown(argv: list[str]) -> list[str]:
    options = []
    for token in argv:
        if token == "--":
            break
        if token.startswith("-") and not re.match(r"^-[\d.]", token) and token != "-":
            options.append(token.split("=", 1)[0])
    return options


def _help_options(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions
        if action.help is not argparse.SUPPRESS
        for option in action.option_strings
    }


def test_the_pages_show_attndyn_commands():
    shown = [argv for path in PAGES + SCRIPTS for argv in shown_commands(path)]
    assert len(shown) > 50
    assert ["render", "--preset", "art1679700", "--init", "shared", "--size", "1500", "-o",
            "art.png"] in shown  # fmt: skip


def test_every_option_the_pages_show_is_in_that_commands_help():
    parsers = _parsers()
    wrong = []
    for path in PAGES + SCRIPTS:
        for argv in shown_commands(path):
            command = _command_path(argv, parsers)
            if command is None:
                continue
            known = _help_options(parsers[command])
            for option in _options_shown(argv):
                if option not in known:
                    wrong.append(f"{path.name}: attndyn {command} ... {option}")
    assert wrong == []


def test_every_whole_command_the_pages_show_parses_in_todays_spellings(capsys):
    from attndyn.cli.main import _build_parser, _join_negative_values

    for path in PAGES + SCRIPTS:
        for argv in shown_commands(path, inline=False):
            try:
                args, extras = _build_parser().parse_known_args(_join_negative_values(argv))
            except SystemExit as stop:
                raise AssertionError(f"{path.name}: attndyn {shlex.join(argv)}") from stop
            assert extras == [], f"{path.name}: attndyn {shlex.join(argv)}"
            err = capsys.readouterr().err
            assert "deprecated" not in err, f"{path.name}: {err}"
            if args.command == "dimension" and args.output:  # -o once meant the plot
                assert args.output.endswith(".csv"), f"{path.name}: attndyn {shlex.join(argv)}"


def test_every_command_is_shown_in_the_docs():
    parsers = _parsers()
    shown = {
        _command_path(argv, parsers)
        for path in PAGES
        if path.parent.name == "docs"
        for argv in shown_commands(path)
    }
    shown |= {path.split()[0] for path in shown if path}  # "movie" by "movie zoom"
    missing = sorted(path for path in parsers if path and path not in shown)
    assert missing == []
