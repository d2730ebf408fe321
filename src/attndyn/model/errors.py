"""The exception types for mistakes a user can fix, and the exit codes of the command."""

from __future__ import annotations

from collections.abc import Callable, Mapping

EXIT_USAGE = 2  # bad input
EXIT_INTERRUPTED = 130  # Ctrl-C; finished work is kept for a rerun

Spell = Callable[[str], str]
"""How a front end writes a field's name: ``"n_points" -> "--points"`` on the command line."""


def _as_is(name: str) -> str:
    return name


class UserError(ValueError):
    """Bad input: the message names the bad value and what is allowed, on one line.

    The command line prints it as ``attndyn: error: <message>`` and exits with code 2.
    """


class FieldError(UserError):
    """Bad input in named fields, with a message that front ends re-spell in their own names.

    ``write`` builds the message from a speller of field names. ``str(error)`` uses the names
    as they are (``"n_points 0 is too small; it must be >= 1"``); a front end calls
    :meth:`spelled` with its own speller (the command line's gives ``"--points 0 ..."``, a URL
    gives ``"points 0 ..."``), so the library never needs to know how options are written.

    Examples
    --------
    >>> error = FieldError(lambda n: f"{n('n_points')} 0 is too small; it must be >= 1")
    >>> str(error)
    'n_points 0 is too small; it must be >= 1'
    >>> error.spelled(lambda name: "--" + name.replace("_", "-"))
    '--n-points 0 is too small; it must be >= 1'
    """

    def __init__(self, write: Callable[[Spell], str]) -> None:
        self.write = write
        super().__init__(write(_as_is))

    def spelled(self, spell: Spell) -> str:
        """The message with every field name written by ``spell``."""
        return self.write(spell)

    def renamed(self, names: Mapping[str, str]) -> FieldError:
        """The same error in another vocabulary: field ``f`` becomes ``names.get(f, f)``."""
        write = self.write
        return FieldError(lambda spell: write(lambda name: spell(names.get(name, name))))

    def __reduce__(self):  # the message survives pickling (e.g. from a worker process)
        return UserError, (str(self),)
