"""``attndyn warmup``: compile the numba kernels ahead, so that no later command waits for it.

The numba engine compiles its kernels for the CPU the first time a precision is used, then
loads them from numba's disk cache (:mod:`attndyn.engines.warmup`). This command does that first use
on purpose, for each precision asked for (every kernel of the seed's map, and with
``--residual`` the residual map's), and says which of the two happened.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from attndyn.engines import get_engine
from attndyn.engines.warmup import (
    PRECISIONS,
    check_precision,
    compile_notice,
    expected_compile_seconds,
    kernels_ready,
    warm_up,
)
from attndyn.model.errors import FieldError

EXAMPLES = """\
examples:
  attndyn warmup
      compile both precisions: float32 (every picture by default) and float64 (deep zooms)
  attndyn warmup --precision float32
      only what 'attndyn render' needs with its default --precision
  attndyn warmup --residual
      also the residual map's kernels (render --residual H; a few seconds each)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    about = round(expected_compile_seconds("float32"))
    warmup = subparsers.add_parser(
        "warmup",
        help="compile the numba kernels for this CPU ahead, once",
        description=textwrap.fill(
            "Compile the numba engine's kernels for this CPU now, so that no later command "
            f"waits for it. The compile happens once per precision (about {about} s each on a "
            "2-core machine) and is cached on disk (numba's cache: the package's __pycache__, "
            "or NUMBA_CACHE_DIR); it is needed again only after attndyn or numba changes. "
            "Kernels already compiled are just loaded, in a second or less. Without this "
            "command, the first render of each precision compiles them, saying so on stderr.",
            width=78,
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    warmup.add_argument(
        "--precision",
        metavar="LIST",
        default=",".join(PRECISIONS),
        help=f"the precisions to compile, a comma list of {', '.join(PRECISIONS)} "
        f"(default {','.join(PRECISIONS)})",
    )
    warmup.add_argument(
        "--residual",
        action="store_true",
        help="also compile the residual map's kernels (render --residual), for each precision",
    )
    warmup.add_argument(
        "--quiet", "-q", action="store_true", help="no compile notice and no summary"
    )
    warmup.set_defaults(run=run)


def _precisions(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not any(names) or "" in names:
        raise FieldError(
            lambda n: (
                f"{n('precision')} {text!r} has an empty item; give a comma list of "
                f"{', '.join(PRECISIONS)}"
            )
        )
    return list(dict.fromkeys(check_precision(name) for name in names))


def run(args: argparse.Namespace) -> int:
    precisions = _precisions(args.precision)
    get_engine("numba")  # a one-line error where numba cannot be imported
    maps = (False, True) if args.residual else (False,)
    for precision in precisions:
        for residual in maps:
            name = f"{precision} residual" if residual else precision
            if kernels_ready(precision, residual=residual):
                seconds = warm_up(precision, residual=residual)
                report = f"{name}: already compiled (loaded in {seconds:.1f} s)"
            elif args.quiet:
                seconds = warm_up(precision, residual=residual)
                report = ""
            else:
                with compile_notice(precision, summary=False, residual=residual):
                    seconds = warm_up(precision, residual=residual)
                report = f"{name}: compiled in {seconds:.0f} s"
            if not args.quiet:
                print(report, file=sys.stderr)
    return 0
