"""``python -m attndyn.cli``: the ``attndyn`` command, for an environment without its script."""

from attndyn.cli.main import run

if __name__ == "__main__":
    run()
