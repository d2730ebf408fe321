"""docs/python.md's examples and the API modules' docstring examples run, and print what they
say they print.

The page's examples are the ``>>>`` sessions in its fenced ``pycon`` blocks, run in order in
one namespace (as cells of one notebook) in an empty folder, so its ``save`` lines write
there. The sizes are small (64 pixels at most), so the page runs in seconds once numba's
kernels are compiled.
"""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "python.md"
FENCE = re.compile(r"^```pycon\n(.*?)^```", re.MULTILINE | re.DOTALL)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def page_sessions(text: str) -> list[tuple[int, str]]:
    """(line number, text) of every fenced pycon block of a Markdown page."""
    return [(text.count("\n", 0, m.start(1)), m.group(1)) for m in FENCE.finditer(text)]


def run_examples(name: str, blocks: list[tuple[int, str]], globs: dict) -> doctest.TestResults:
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=FLAGS)
    for line, text in blocks:
        test = parser.get_doctest(text, globs, name, str(PAGE), line)
        runner.run(test, clear_globs=False)
        globs.update(test.globs)  # the next block sees this one's names, as notebook cells do
    return runner.summarize(verbose=False)


def test_the_page_has_examples_within_its_own_limits():
    sessions = page_sessions(PAGE.read_text(encoding="utf-8"))
    assert len(sessions) >= 5
    for line, text in sessions:
        inputs = [row for row in text.splitlines() if row.startswith(">>> ")]
        assert 1 <= len(inputs) <= 5, f"python.md line {line}: {len(inputs)} lines of code"
        for size in re.findall(r"size=(\d+)", text):
            assert int(size) <= 64, f"python.md line {line}: size={size} is slow for a test"


def test_the_page_runs_as_shown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sessions = page_sessions(PAGE.read_text(encoding="utf-8"))
    result = run_examples("python.md", sessions, {})
    assert result.attempted > 10
    assert result.failed == 0, "docs/python.md's examples differ from what they print (above)"
    assert (tmp_path / "art.png").exists() and (tmp_path / "art.npz").exists()


def test_a_wrong_line_on_the_page_would_fail(tmp_path, monkeypatch):
    """The runner itself: an example whose printed result is wrong counts as a failure."""
    monkeypatch.chdir(tmp_path)
    result = run_examples("bad", [(0, ">>> 1 + 1\n3\n")], {})
    assert (result.attempted, result.failed) == (1, 1)


@pytest.mark.parametrize(
    "module", ["attndyn.api.landscapes", "attndyn.api.keywords", "attndyn.api.display"]
)
def test_the_module_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=FLAGS)
    assert result.failed == 0
