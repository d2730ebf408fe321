"""The ``attndyn`` command.

Every user mistake ends in one line, ``attndyn: error: <what is wrong and what is allowed>``,
and exit code 2, before any output file is touched. The library names the options in its
errors by their field names (:class:`~attndyn.model.errors.FieldError`); here they are written as
the command line's options (``x_param`` -> ``--x-param``). An unknown command, option or
choice gets the closest known ones (``did you mean --cmap?``, :func:`attndyn.model.parsing.
did_you_mean`). Every ``--help`` ends with examples (:mod:`attndyn.cli.examples`).
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from attndyn import __version__
from attndyn.cli import COMMANDS
from attndyn.cli.common import HelpFormatter, examples_epilog, option_flag
from attndyn.cli.examples import EXAMPLES
from attndyn.model.errors import EXIT_INTERRUPTED, EXIT_USAGE, FieldError, UserError
from attndyn.model.parsing import did_you_mean

_NUMBER_LIST = re.compile(r"^-[\d.]")
_MAIN = threading.main_thread()


class _Parser(argparse.ArgumentParser):
    """argparse, but usage mistakes end in one line and exit code 2, and an unknown choice
    (a command, a --coloring ...) gets the closest known ones."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")

    def _check_value(self, action: argparse.Action, value: object) -> None:
        if action.choices is not None and value not in action.choices:
            choices = [str(choice) for choice in action.choices]
            raise argparse.ArgumentError(
                action,
                f"invalid choice: {value!r}{did_you_mean(str(value), choices)}; choose from "
                f"{', '.join(choices)}",
            )


def subparsers_of(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    """The parser's subcommands (None for a parser without any)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def command_parsers(
    parser: argparse.ArgumentParser, path: str = ""
) -> list[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the tree with its command path: ``("", attndyn)``, ``("render", ...)``,
    ``("movie zoom", ...)``; an alias (``colour``) is not listed again."""
    found = [(path, parser)]
    sub = subparsers_of(parser)
    seen: set[int] = set()
    for name, child in (sub.choices if sub else {}).items():
        if id(child) not in seen:
            seen.add(id(child))
            found += command_parsers(child, f"{path} {name}".strip())
    return found


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """The innermost parser the command line chose (``movie zoom``'s for a zoom)."""
    while (sub := subparsers_of(parser)) is not None:
        name = getattr(args, sub.dest, None)
        if name not in sub.choices:
            break
        parser = sub.choices[name]
    return parser


def _unrecognized(parser: argparse.ArgumentParser, extras: Sequence[str]) -> str:
    """argparse's "unrecognized arguments" message, with the closest of the parser's options."""
    message = f"unrecognized arguments: {' '.join(extras)}"
    unknown = next((t for t in extras if t.startswith("-") and not _NUMBER_LIST.match(t)), None)
    if unknown is None:
        return message
    visible = [
        option
        for action in parser._actions
        if action.help is not argparse.SUPPRESS
        for option in action.option_strings
    ]
    return message + did_you_mean(unknown.split("=", 1)[0], visible, quote=False)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="attndyn",
        description=(
            "Self-attention as interacting particles on the sphere. 'render' draws the "
            "convergence landscape of the map X <- normalize_rows(softmax(X Wq^T (X Wk^T)^T) "
            "X Wv^T) over a grid of W_K = diag(a, b); 'color' re-colours saved fields; "
            "'presets' and 'gallery' give the seed's named pictures; 'movie' makes zooms and "
            "parameter sweeps; 'experiment' reproduces the experiments of the Transformer "
            "Dynamics paper. 'attndyn COMMAND --help' explains each command's options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"attndyn {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.register(subparsers)
    for path, command_parser in command_parsers(parser):
        command_parser.formatter_class = HelpFormatter
        if command_parser.epilog is None and path in EXAMPLES:
            command_parser.epilog = examples_epilog(EXAMPLES[path])
    return parser


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """Let ``--range -8,8`` mean ``--range=-8,8`` (argparse would read -8,8 as an option).

    A long option followed by a token that starts with '-' and a digit or '.' takes that
    token as its value.
    """
    out: list[str] = []
    tokens = list(argv)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if (
            token.startswith("--")
            and "=" not in token
            and index + 1 < len(tokens)
            and _NUMBER_LIST.match(tokens[index + 1])
        ):
            out.append(f"{token}={tokens[index + 1]}")
            index += 2
            continue
        out.append(token)
        index += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``attndyn`` command; returns the exit code."""
    parser = _build_parser()
    args, extras = parser.parse_known_args(
        _join_negative_values(sys.argv[1:] if argv is None else argv)
    )
    if extras:
        chosen = _chosen_parser(parser, args)
        chosen.error(_unrecognized(chosen, extras))
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except UserError as error:
        message = error.spelled(option_flag) if isinstance(error, FieldError) else str(error)
        print(f"attndyn: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("attndyn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> NoReturn:
    """The console script: :func:`main`, then the exit, without Python's finalisation when it
    has nothing left to do.

    After a render, finalising the interpreter (tearing down every module and collecting
    numba's and LLVM's object graphs) takes about 0.15 s, a fifth of a small render's whole
    time (benchmarks/LOG.md, 2026-12-02). When :func:`main` has returned and no other thread
    is running, everything the command wrote is closed already, so the exit handlers
    (:mod:`atexit`: temporary folders, logging) run, the standard streams are flushed and the
    process ends with :func:`os._exit`. (Daemon threads, such as tqdm's monitor, would be
    stopped by the usual exit as well.) With other threads alive (a Dask client, a server),
    or when :func:`main` raises (argparse's --help and usage errors exit by SystemExit), the
    exit is Python's usual one.
    """
    code = main()
    if any(not thread.daemon for thread in threading.enumerate() if thread is not _MAIN):
        sys.exit(code)
    atexit._run_exitfuncs()  # what the interpreter would run first at exit, in the same order
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): Python's own exit gives 120
            code = code or 120
    os._exit(code)


if __name__ == "__main__":
    run()
