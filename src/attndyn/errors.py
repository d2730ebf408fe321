"""The one exception type for mistakes a user can fix."""


class UserError(ValueError):
    """Bad input: the message names the bad value and what is allowed, on one line.

    The command line prints it as ``attndyn: error: <message>`` and exits with code 2.
    """
