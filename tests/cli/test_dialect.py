"""One dialect for every command: -o/--output, --init, --center, -q, examples under every
--help, the old spellings as hidden aliases with one warning line, and "did you mean"."""

import argparse
import re
import shlex

import pytest

from attndyn.cli.common import EXAMPLES_HEADING, QUIET_HELP
from attndyn.cli.main import _build_parser, _join_negative_values, command_parsers, main

PARSERS = dict(command_parsers(_build_parser()))
# The commands that write files; -o/--output names the main one.
WRITERS = (
    "render",
    "color",
    "export",
    "gallery",
    "experiment",
    "movie zoom",
    "movie sweep",
    "flow",
    "trace",
    "dimension",
)
OLD_SPELLINGS = ("--out", "--inits", "--target", "--from-value", "--to-value", "--start-width")


def run(*argv):
    return main([str(a) for a in argv])


def visible_options(parser):
    return [
        option
        for action in parser._actions
        if action.help is not argparse.SUPPRESS
        for option in action.option_strings
    ]


def examples(parser):
    """The commands of the parser's examples epilog (a line may chain two with &&)."""
    assert parser.epilog and parser.epilog.startswith(EXAMPLES_HEADING), parser.prog
    lines = [line.strip() for line in parser.epilog.splitlines()[1:]]
    return [line for line in lines if line.startswith("attndyn ") or line == "attndyn"]


def parse(command):
    """Parse one example as main would; returns (namespace, unrecognised arguments)."""
    argv = shlex.split(command)
    assert argv[0] == "attndyn"
    return _build_parser().parse_known_args(_join_negative_values(argv[1:]))


def test_the_command_tree_is_what_the_docs_name():
    assert {"", "render", "movie", "movie zoom", "movie sweep", "explore"} <= set(PARSERS)


@pytest.mark.parametrize("path", sorted(PARSERS))
def test_every_help_ends_with_two_or_three_examples_that_parse(path, capsys):
    parser = PARSERS[path]
    text = parser.format_help()
    commands = examples(parser)
    assert 2 <= len(commands) <= 3, commands
    assert text.rstrip().endswith(parser.epilog.rstrip().splitlines()[-1].strip())
    assert any(c.startswith(f"attndyn {path}".strip()) for c in commands)
    for line in commands:
        for command in line.split("&&"):
            args, extras = parse(command.strip())
            assert extras == [], command
            assert args.command is not None, command
    assert "deprecated" not in capsys.readouterr().err  # the examples use today's spellings


def test_the_cheap_examples_run(capsys):
    for command in examples(PARSERS["presets"])[:1] + examples(PARSERS["experiment"])[:1]:
        assert run(*shlex.split(command)[1:]) == 0
    out = capsys.readouterr().out
    assert "art1679700" in out and "fig7" in out


@pytest.mark.parametrize("path", WRITERS)
def test_the_main_output_is_dash_o_or_dash_dash_output(path):
    actions = [a for a in PARSERS[path]._actions if "-o" in a.option_strings]
    assert len(actions) == 1 and "--output" in actions[0].option_strings


def test_one_spelling_per_concept_in_every_help():
    for path, parser in PARSERS.items():
        options = visible_options(parser)
        assert not set(options) & set(OLD_SPELLINGS), path
        assert not [o for o in options if "init" in o and o != "--init"], path
        assert not [o for o in options if "target" in o or "centre" in o], path


def test_dash_q_means_quiet_everywhere():
    for path, parser in PARSERS.items():
        for action in parser._actions:
            if "-q" in action.option_strings or "--quiet" in action.option_strings:
                assert sorted(action.option_strings) == ["--quiet", "-q"], path
    for path in WRITERS:  # one help text: the same words, and what a command keeps after them
        (quiet,) = [a for a in PARSERS[path]._actions if "-q" in a.option_strings]
        assert quiet.help.startswith(QUIET_HELP), path


def test_old_spellings_are_hidden():
    for path, old in [
        ("experiment", "--out"),
        ("gallery", "--inits"),
        ("movie zoom", "--target"),
        ("movie zoom", "--start-width"),
        ("movie sweep", "--from-value"),
        ("trace", "--csv"),
        ("dimension", "--csv"),
    ]:
        assert not re.search(re.escape(old) + r"(?![\w-])", PARSERS[path].format_help()), old


@pytest.mark.parametrize(
    ("old", "new", "dest", "warning"),
    [
        (
            "experiment fig1 --out r",
            "experiment fig1 -o r",
            "output",
            "--out is deprecated, use -o/--output",
        ),
        (
            "gallery -o g --inits shared",
            "gallery -o g --init shared",
            "init",
            "--inits is deprecated, use --init",
        ),
        (
            "movie zoom --target=-3,-1.8 --end-width 1 --frames 3",
            "movie zoom --center=-3,-1.8 --end-width 1 --frames 3",
            "center",
            "--target is deprecated, use --center",
        ),
        (
            "movie zoom --center 0,0 --start-width 4 --end-width 1 --frames 3",
            "movie zoom --center 0,0 --width 4 --end-width 1 --frames 3",
            "width",
            "--start-width is deprecated, use --width",
        ),
        (
            "trace --pixel 1,1 --csv t.csv",
            "trace --pixel 1,1 -o t.csv",
            "output",
            "--csv is deprecated, use -o/--output",
        ),
    ],
)
def test_an_old_spelling_sets_the_same_option_after_one_warning(capsys, old, new, dest, warning):
    old_args, _ = parse("attndyn " + old)
    assert capsys.readouterr().err == f"attndyn: warning: {warning}\n"
    new_args, _ = parse("attndyn " + new)
    assert capsys.readouterr().err == ""
    assert getattr(old_args, dest) == getattr(new_args, dest)


def test_the_old_sweep_values_still_make_the_same_movie(tmp_path, capsys):
    from attndyn import LandscapeSpec
    from attndyn.pictures.images import read_png_spec

    small = ["--size", "8", "--steps", "5", "--engine", "numpy", "-q", "--keep-frames"]
    sweep = ["movie", "sweep", "--param", "wv01", "--frames", "2", *small]
    assert run(*sweep, "--from-value", "-2", "--to-value", "1", "-o", tmp_path / "old.gif") == 0
    assert capsys.readouterr().err.splitlines() == [
        "attndyn: warning: --from-value is deprecated, use --values A,B",
        "attndyn: warning: --to-value is deprecated, use --values A,B",
    ]
    assert run(*sweep, "--values=-2,1", "-o", tmp_path / "new.gif") == 0
    for name in ("old", "new"):
        frames = sorted((tmp_path / f"{name}.frames").iterdir())
        specs = [LandscapeSpec.from_json(read_png_spec(frame)) for frame in frames]
        assert [spec.wv[1] for spec in specs] == [-2.0, 1.0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["rendr"], "invalid choice: 'rendr' (did you mean 'render'?); choose from render,"),
        (["movie", "zom"], "invalid choice: 'zom' (did you mean 'zoom'?)"),
        (["render", "--colormap", "viridis"], "--colormap viridis (did you mean --cmap"),
        (["render", "--ouput", "x.png"], "arguments: --ouput x.png (did you mean --output?)"),
        (["render", "--cmap", "virdis"], "colormap 'virdis' is unknown (did you mean 'viridis'?)"),
        (["render", "--preset", "art167"], "'art167' is unknown (did you mean 'art1679700'?)"),
        (["render", "--coloring", "sync_step"], "'sync_step' (did you mean 'sync-step'?)"),
        (["render", "--init", "shard"], "invalid choice: 'shard' (did you mean 'shared'?)"),
        (["render", "--precision", "float46"], "(did you mean 'float64'?)"),
        (["render", "--x-param", "wk1"], "(did you mean 'wk10' or 'wk11'?)"),
        (["gallery", "-o", "g", "--only", "art16"], "(did you mean 'art1679700'?)"),
        (["color", "f.npz", "-o", "c.png", "--coloring", "lg-delta"], "did you mean 'log-delta'"),
        (["movie", "zoom", "--centre=1,2", "--end-width", "1", "--frames", "2"],
         "--centre=1,2 (did you mean --center?)"),
        (["render", "--zzzz"], "unrecognized arguments: --zzzz (see --help)"),
    ],
)  # fmt: skip
def test_an_unknown_word_gets_one_line_with_the_closest_known_ones(
    tmp_path, monkeypatch, capsys, argv, fragment
):
    monkeypatch.chdir(tmp_path)
    try:
        code = run(*argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []
