"""The one exception type for mistakes a user can fix, and the exit codes of the command."""

EXIT_USAGE = 2  # bad input
EXIT_INTERRUPTED = 130  # Ctrl-C; finished work is kept for a rerun


class UserError(ValueError):
    """Bad input: the message names the bad value and what is allowed, on one line.

    The command line prints it as ``attndyn: error: <message>`` and exits with code 2.
    """
