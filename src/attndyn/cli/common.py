"""The option groups that several subcommands share, and how the command line names options.

Options are read as text and parsed by the library (:mod:`attndyn.model.options`,
:class:`~attndyn.pictures.coloring.ColorOptions`), exactly as the explorer parses its URL query; the
spec validates the values. Errors name options by their field names; :func:`option_flag`
writes them as the command line's ``--options``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from attndyn.engines import DEVICES, engine_names
from attndyn.model.options import (
    DEFAULT_INIT,
    DEFAULT_PRESET,
    OPTION_FIELDS,
    RenderOptions,
    option_name,
)
from attndyn.model.params import SWEEPABLE_NAMES
from attndyn.model.parsing import parse_size
from attndyn.model.spec import DTYPES, INIT_MODES
from attndyn.pictures.coloring import COLOR_OPTION_NAMES, COLORINGS, ColorOptions

EXAMPLES_HEADING = "examples:"
QUIET_HELP = "no progress bar, no notice and no summary (errors still print)"


def option_flag(name: str) -> str:
    """The command line's spelling of an option named in an error: ``x_param`` -> ``--x-param``."""
    return "--" + option_name(name)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, with the examples (an epilog starting ``examples:``) kept line by line.

    Descriptions are wrapped to the terminal as usual; the examples' commands are not, so
    they can be copied.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith(EXAMPLES_HEADING):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


def examples_epilog(examples: Sequence[tuple[str, str]]) -> str:
    """The ``examples:`` epilog: each command, then what it does on an indented line."""
    lines = [EXAMPLES_HEADING]
    for command, what in examples:
        lines += [f"  {command}", f"      {what}"]
    return "\n".join(lines)


def warn_deprecated(old: str, new: str) -> None:
    """One line on stderr: ``attndyn: warning: OLD is deprecated, use NEW``."""
    print(f"attndyn: warning: {old} is deprecated, use {new}", file=sys.stderr)


class _DeprecatedAlias(argparse.Action):
    """A hidden old spelling: stores into the new option's dest after a one-line warning."""

    def __init__(self, option_strings: list[str], dest: str, *, use: str, **kwargs: Any) -> None:
        kwargs.setdefault("default", argparse.SUPPRESS)  # the new option sets the default
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)
        self.use = use

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        warn_deprecated(option_string or self.option_strings[0], self.use)
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)


def add_deprecated_alias(
    container: argparse._ActionsContainer, old: str, *, dest: str, use: str, flag: bool = False
) -> None:
    """Accept ``old`` as a hidden spelling of the option ``use`` (whose dest is ``dest``).

    The value (or True for a ``flag``) goes to ``dest``, with the deprecation line on stderr.
    """
    if flag:
        container.add_argument(
            old, dest=dest, action=_DeprecatedAlias, use=use, nargs=0, const=True
        )
    else:
        container.add_argument(old, dest=dest, action=_DeprecatedAlias, use=use)


def add_quiet_argument(container: argparse._ActionsContainer, result: str = "") -> None:
    """``-q/--quiet``, the same in every command: :data:`QUIET_HELP`, plus what stays."""
    container.add_argument(
        "--quiet", "-q", action="store_true", help=QUIET_HELP + (f"; {result}" if result else "")
    )


def set_help(parser: argparse.ArgumentParser, dest: str, help: str, **changes: Any) -> None:
    """Change the help (and e.g. ``required``) of a shared option in one command's parser."""
    for action in parser._actions:
        if action.dest == dest and action.help is not argparse.SUPPRESS:
            action.help = help
            for name, value in changes.items():
                setattr(action, name, value)
            return
    raise KeyError(dest)


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that define a spec (render and movie); dests are RenderOptions' fields."""
    source = parser.add_argument_group("starting points")
    source.add_argument(
        "--preset",
        metavar="NAME",
        help=f"start from a named picture (see 'attndyn presets'); without --preset, --wq/--wv, "
        f"--seed, --x0 or --from: {DEFAULT_PRESET} with --init {DEFAULT_INIT}, the gallery's "
        "picture",
    )
    add_presets_argument(source)
    source.add_argument(
        "--from",
        dest="from_picture",
        metavar="PICTURE.png",
        help="re-render a PNG made by attndyn, exactly, from the spec it carries",
    )

    model = parser.add_argument_group("the map")
    model.add_argument(
        "--wq", metavar="Q00,Q01,Q10,Q11", help="W_Q row-major (default: drawn from --seed)"
    )
    model.add_argument(
        "--wv", metavar="V00,V01,V10,V11", help="W_V row-major (default: drawn from --seed)"
    )
    model.add_argument(
        "--wk",
        metavar="K00,K01,K10,K11",
        help="W_K row-major; the swept entries are overwritten per pixel (default 0,0,0,0)",
    )
    model.add_argument("--beta", help="inverse temperature multiplying the scores (default 1)")
    model.add_argument(
        "--residual",
        metavar="H",
        help="a transformer layer's skip connection: X <- normalize(X + H A V), H > 0 (small H "
        "follows the attention flow, large H tends to the seed's map; default: none, the seed's "
        "map X <- normalize(A V))",
    )
    model.add_argument(
        "--seed",
        help="seed of attndyn's own generator: W_Q/W_V when not given, and the initial "
        "points (default: the preset's; 1 with --wq/--wv)",
    )
    model.add_argument("--points", "-n", help="number of points n, at least 2 (default 20)")
    model.add_argument("--steps", "-T", help="number of steps T, at least 1 (default 100)")
    model.add_argument("--tol", help="synchronised when delta < tol (default 1e-5)")
    model.add_argument("--eps", help="epsilon of the row normalisation (default 1e-8)")
    model.add_argument(
        "--precision",
        "--dtype",
        dest="precision",
        choices=DTYPES,
        help="working precision (default float32; float64 for deep zooms)",
    )

    grid = parser.add_argument_group("the grid")
    grid.add_argument(
        "--size",
        "-s",
        help="resolution: R for RxR, or WxH (default: the preset's, else 512, quick to draw; "
        "the gallery draws 1500, the seed's)",
    )
    grid.add_argument(
        "--range", dest="range", metavar="LO,HI", help="window on both axes (default -8,8)"
    )
    grid.add_argument("--x-range", metavar="LO,HI", help="window of the horizontal axis")
    grid.add_argument("--y-range", metavar="LO,HI", help="window of the vertical axis")
    grid.add_argument("--center", metavar="CX,CY", help="window centre (with --width)")
    grid.add_argument(
        "--width", metavar="W", help="window width; the height follows the picture's aspect ratio"
    )
    grid.add_argument(
        "--x-param",
        metavar="NAME",
        help="parameter along the horizontal axis (default wk11 = b); one of "
        + ", ".join(SWEEPABLE_NAMES),
    )
    grid.add_argument(
        "--y-param", metavar="NAME", help="parameter along the vertical axis (default wk00 = a)"
    )
    grid.add_argument(
        "--supersample", metavar="K", help="average K x K samples per output pixel (anti-aliasing)"
    )

    start = parser.add_argument_group("initial points")
    start.add_argument(
        "--init",
        choices=INIT_MODES[:2],
        help="shared: one configuration for all pixels, as the seed's text says (the default "
        "picture's); independent: fresh points for every pixel, as the seed's code does (the "
        "default with --preset, --seed or --wq/--wv, as in the spec)",
    )
    start.add_argument(
        "--samples",
        metavar="K",
        help="K independent initial configurations per pixel; adds the field 'probability' "
        "(default 1)",
    )
    start.add_argument(
        "--x0",
        metavar="FILE.npy",
        help="explicit points: shape (n, 2), or (H, W, n, 2) per pixel with row 0 = lowest a",
    )
    start.add_argument(
        "--normalize-x0",
        action="store_true",
        help="normalise --x0 rows to unit norm instead of refusing rows that are not",
    )


def add_presets_argument(group: argparse._ActionsContainer) -> None:
    """--presets FILE.toml, repeatable (render, movie, gallery and presets)."""
    group.add_argument(
        "--presets",
        metavar="FILE.toml",
        action="append",
        default=[],
        help="extra presets file (repeatable)",
    )


def add_color_arguments(
    parser: argparse.ArgumentParser,
    title: str = "colouring",
    coloring_help: str = "what the colours show (default binary)",
    resize: bool = True,
) -> None:
    """The options that turn fields into a picture (render, color, gallery, movie; publish
    with its own ``title`` and ``coloring_help`` and no ``--resize``)."""
    color = parser.add_argument_group(title)  # user-facing text keeps its spelling
    color.add_argument("--coloring", "--colouring", choices=COLORINGS, help=coloring_help)
    color.add_argument("--cmap", help="any matplotlib colormap (default depends on --coloring)")
    color.add_argument("--invert", action="store_true", help="reverse the colormap")
    color.add_argument("--equalize", action="store_true", help="histogram-equalise the colours")
    if resize:
        color.add_argument(
            "--resize",
            metavar="R|WxH",
            help="resample the picture to this size (bicubic, antialiased)",
        )


def add_engine_argument(group: argparse._ActionsContainer, what: str = "") -> None:
    """--engine, any of the installed engines, default auto; ``what`` says what it computes."""
    group.add_argument(
        "--engine",
        default="auto",
        choices=engine_names(),
        help=f"compute engine{what} (default auto: the fastest available)",
    )


def add_execution_arguments(group: argparse._ArgumentGroup) -> None:
    """--engine, --device, --force and --quiet (render, gallery and movie)."""
    add_engine_argument(group)
    group.add_argument(
        "--device",
        default="auto",
        choices=DEVICES,
        help="where the engine runs: cuda (with --engine auto: the fused cuda kernel) or cpu; "
        "default auto: torch on CUDA when torch sees a GPU, every other engine on the CPU",
    )
    group.add_argument(
        "--force", action="store_true", help="run even when the estimated time or memory is huge"
    )
    add_quiet_argument(group)


def render_options(args: argparse.Namespace) -> RenderOptions:
    """The spec options of :func:`add_spec_arguments`, parsed."""
    return RenderOptions.from_strings({field: getattr(args, field) for field in OPTION_FIELDS})


def color_options(args: argparse.Namespace, base: ColorOptions | None = None) -> ColorOptions:
    """The options of :func:`add_color_arguments` over ``base`` (a picture's stored ones)."""
    return ColorOptions.from_strings(
        {name: getattr(args, name) for name in COLOR_OPTION_NAMES}, base=base
    )


def picture_size(args: argparse.Namespace) -> tuple[int, int] | None:
    """--resize, parsed: (width, height), or None for the grid's own size."""
    return parse_size("resize", args.resize) if args.resize else None
