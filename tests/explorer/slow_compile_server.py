"""An explorer server whose kernel compile takes SECONDS longer: the page's compile message
can be watched without paying numba's real compile (tests/explorer/test_first_screen.py).

    python tests/explorer/slow_compile_server.py PORT SECONDS [QUERY]

The compile is :mod:`attndyn.engines.warmup`'s (a load when numba's cache is warm), after a sleep;
the kernels say "compiling" throughout, as on a machine that compiles them.
"""

from __future__ import annotations

import sys
import time
from urllib.parse import parse_qsl

import uvicorn

from attndyn.engines import warmup
from attndyn.explorer.app import ExplorerConfig, create_app
from attndyn.explorer.kernels import Kernels


class SlowBackend:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def kernels_ready(self, precision: str, **kernels: bool) -> bool:
        return False

    def expected_compile_seconds(self, precision: str, **kernels: bool) -> float:
        return warmup.expected_compile_seconds(precision, **kernels)

    def warm_up(self, precision: str, **kernels: bool) -> float:
        time.sleep(self.seconds)
        return self.seconds + warmup.warm_up(precision, **kernels)


def main() -> None:
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    config = ExplorerConfig(kernels=Kernels(backend=SlowBackend(seconds)))
    if len(sys.argv) > 3:
        config.first_view = dict(parse_qsl(sys.argv[3]))
    uvicorn.run(create_app(config), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
