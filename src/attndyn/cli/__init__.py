"""The command line, the top layer: ``attndyn`` (:mod:`~attndyn.cli.main`) and its subcommands.

Each subcommand's module has ``register(subparsers)`` and ``run(args)``.

``register`` adds the subcommand's parser and sets ``run`` as its default; ``run`` returns the
exit code and raises :class:`attndyn.model.errors.UserError` for bad input.
"""

from attndyn.cli import (
    color,
    dimension,
    experiment,
    explore,
    export,
    flow,
    gallery,
    movie,
    presets,
    publish,
    render,
    trace,
    warmup,
)

COMMANDS = (
    render,
    color,
    export,
    presets,
    gallery,
    experiment,
    movie,
    flow,
    trace,
    dimension,
    explore,
    publish,
    warmup,
)
