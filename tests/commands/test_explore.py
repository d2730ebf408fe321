"""``attndyn explore``'s command line: the first view, and what it refuses in one line."""

from __future__ import annotations

import pytest

from attndyn.cli import _build_parser, main
from attndyn.commands.explore import first_view
from attndyn.explore.views import View


def test_first_view_is_the_render_options_as_a_query():
    args = _build_parser().parse_args(
        ["explore", "--preset", "art1679700", "--init", "shared", "--range=-3,3", "--invert"]
    )
    query = first_view(args)
    assert query == {
        "preset": "art1679700",
        "range": "-3.0,3.0",
        "init": "shared",
        "invert": "true",
    }
    assert View.from_query(query).base.x_range == (-3.0, 3.0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--x0", "points.npy"], "explore takes no files (--x0)"),
        (["--presets", "mine.toml"], "explore takes no files (--presets)"),
        (["--steps", "0x"], "--steps '0x' is not an integer"),
        (["--resize", "64"], "explore takes no --resize"),
    ],
)
def test_refusals_are_one_line(argv, message, capsys):
    assert main(["explore", "--no-browser", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
