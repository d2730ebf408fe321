"""The documentation's own code (docs/hooks/) and the README's links.

The strict site build itself (``make docs``: every link, anchor, cross-reference and formula)
runs in ``.ci/run`` after the test suite, since it needs the ``docs`` extra that ``make test``
does not install and takes longer than a unit test should. These tests check the pieces of that
build that are plain functions, with hand-written expected outputs, and need no docs tools.
"""

from __future__ import annotations

import importlib.util
import re
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
RESOLVES = {"linked": "attndyn.fields.linked", "Job": "attndyn.job.Job", "np": "numpy"}
EXISTS = {"attndyn.fields.linked", "attndyn.job.Job", "attndyn.job.Job.initial_points", "attndyn"}


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
        'See <autoref identifier="attndyn.fields.linked" optional><code>linked</code></autoref>'
        ' and <autoref identifier="attndyn.job.Job.initial_points" optional>'
        "<code>initial_points</code></autoref>, or "
        '<autoref identifier="attndyn" optional><code>attndyn</code></autoref>.'
    )


def test_a_missing_package_object_becomes_a_required_link_so_the_strict_build_fails():
    text = ":func:`attndyn.fields.linkd`"
    assert roles.rewrite_roles(text, fake_lookup) == (
        '<autoref identifier="attndyn.fields.linkd"><code>attndyn.fields.linkd</code></autoref>'
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
        "    numpy   the reference (:mod:`~attndyn.fields.linked`)\n"
        "            more (:func:`linked`)\n"
        "\n"
        "Back to :func:`linked`.\n"
        "\n"
        "term\n"
        "    a definition with :func:`np.exp`\n"
        "\n"
        "        code in it, :class:`Job`\n"
    )
    link = '<autoref identifier="attndyn.fields.linked" optional><code>linked</code></autoref>'
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
    for name in ("index", "spec", "engines.numpy_ref", "coloring"):
        (tmp_path / "reference" / f"{name}.md").write_text(f"# attndyn.{name}\n")
    pages = reference_nav.reference_pages(tmp_path)
    assert pages == ["reference/coloring.md", "reference/engines.numpy_ref.md", "reference/spec.md"]
    nav = [{"Home": "index.md"}, {"Guide": [{"API reference": "reference/index.md"}]}]
    assert reference_nav.expand_nav(nav, pages)
    assert nav == [
        {"Home": "index.md"},
        {"Guide": [{"API reference": ["reference/index.md", *pages]}]},
    ]
    assert not reference_nav.expand_nav([{"Home": "index.md"}], pages)


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
