"""Where a store render runs: a Dask client for a local cluster or a remote scheduler, and a
watchdog for a cluster left without workers.

:func:`dask_client` makes the client: None (the render runs in this process), a local cluster
of N worker processes on 127.0.0.1, or a connection to an existing scheduler (``dask
scheduler`` and ``dask worker`` started on other machines; tcp://, tls:// with Dask's TLS
settings, or a scheduler file), refused in one line when it cannot be reached. A local
cluster's workers share this machine's memory (:func:`default_worker_memory`).
:class:`NoWorkerWatchdog` stops a render whose cluster has had no worker for a while, since
Dask would wait for workers forever.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from attndyn.model.errors import UserError
from attndyn.rendering.store.zarr_store import require_zarr

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "NoWorkerWatchdog",
    "dask_client",
    "default_worker_memory",
    "machine_memory",
]

CONNECT_TIMEOUT_SECONDS = 10.0


class NoWorkerWatchdog:
    """Watches a cluster for workers: with none for ``seconds``, the render's tasks are
    cancelled and :attr:`reason` says why (Dask would wait for workers forever)."""

    def __init__(self, client: Client, seconds: float) -> None:
        self.client, self.seconds = client, seconds
        self.reason: str | None = None
        self._futures: list[Any] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="attndyn-watchdog")
        self._thread.start()

    def watch(self, futures: list[Any]) -> None:
        self._futures = futures

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _workers(self) -> int | None:
        try:
            return len(self.client.scheduler_info(n_workers=-1)["workers"])
        except Exception:
            return None

    def _loop(self) -> None:
        alone_since: float | None = None
        while not self._stop.wait(min(1.0, self.seconds / 4)):
            workers = self._workers()
            if workers:
                alone_since = None
                continue
            alone_since = alone_since or time.monotonic()
            if time.monotonic() - alone_since >= self.seconds:
                self.reason = (
                    f"no Dask worker was connected to the scheduler at "
                    f"{self.client.scheduler.address} for {self.seconds:g} s"
                    if workers == 0
                    else f"the Dask scheduler could not be reached for {self.seconds:g} s"
                )
                with contextlib.suppress(Exception):
                    self.client.cancel(self._futures)
                return


TLS_SETTINGS = (
    "DASK_DISTRIBUTED__COMM__TLS__CA_FILE, DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and "
    "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY"
)


def _checked_scheduler_address(address: str) -> str:
    """A tcp:// or tls:// scheduler address, or a Dask scheduler file (JSON written by
    ``dask scheduler --scheduler-file``) read for its address; tls:// only with Dask's TLS
    settings for the client (certificates), refused in one line otherwise."""
    if "://" not in address and address.endswith(".json"):
        address = _address_in_scheduler_file(address)
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None or port < 1:
        raise UserError(
            f"scheduler {address!r} is not a Dask scheduler address; give tcp://HOST:PORT, "
            "tls://HOST:PORT or a scheduler file (SCHEDULER.json)"
        )
    if parts.scheme == "tls":
        import dask
        from distributed import Security

        security = Security()
        loader = dask.config.get("distributed.client.security-loader", None)
        if not loader and not (security.tls_ca_file and security.tls_client_cert):
            raise UserError(
                f"scheduler {address!r} uses TLS, and Dask has no certificates for this "
                f"client: set {TLS_SETTINGS} (or the same keys under distributed.comm.tls in "
                "a Dask config file), or use tcp:// on a trusted network"
            )
    return address


def _address_in_scheduler_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            address = json.load(file)["address"]
    except FileNotFoundError:
        raise UserError(f"scheduler file {path!r} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(
            f"scheduler file {path!r} is not one that dask scheduler --scheduler-file wrote "
            f"({type(error).__name__}: {error})"
        ) from None
    if not isinstance(address, str):
        raise UserError(f"scheduler file {path!r} holds no address")
    return address


def machine_memory() -> int:
    """Bytes of memory this machine gives its processes (a container's limit included)."""
    from distributed.system import MEMORY_LIMIT

    return int(MEMORY_LIMIT)


def default_worker_memory(workers: int) -> int:
    """The memory limit of each of ``workers`` local workers: the machine's memory divided
    among them, as Dask's own default does (computed here so that it can be shown)."""
    return machine_memory() // max(1, workers)


@contextlib.contextmanager
def _quiet_distributed() -> Iterator[None]:
    """Dask's own log lines (a lost scheduler logs several) off, while a render speaks for
    itself in one line."""
    names = [
        "distributed",
        *(n for n in logging.root.manager.loggerDict if n.startswith("distributed.")),
    ]
    loggers = [logging.getLogger(name) for name in names]  # Dask sets some children's levels
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def dask_client(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    timeout: float = CONNECT_TIMEOUT_SECONDS,
    worker_memory: int | None = None,
    dashboard: bool = False,
) -> Iterator[Client | None]:
    """A Dask client for a render: None (in this process) when neither is given; a local
    cluster of ``workers`` processes with one task thread each, on 127.0.0.1; or a connection
    to the scheduler at ``scheduler`` (tcp://HOST:PORT, tls://HOST:PORT with Dask's TLS
    settings, or a scheduler file), refused in one line when it cannot be reached within
    ``timeout`` seconds. What it started, it stops on the way out.

    A local cluster's workers each have ``worker_memory`` bytes (default
    :func:`default_worker_memory`): Dask pauses a worker at 80% of it and restarts it at 95%.
    With ``dashboard`` (and bokeh installed) the cluster serves Dask's dashboard on 127.0.0.1
    at a free port: ``client.dashboard_link``.
    """
    if workers is not None and scheduler is not None:
        raise UserError("workers and scheduler both say where to run; give one")
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise UserError(f"workers {workers!r} must be an integer >= 1")
    if workers is None and scheduler is None:
        yield None
        return
    require_zarr()
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserError(
            "running on Dask needs the 'big' extra; install it with pip install 'attndyn[big]'"
        ) from None
    if scheduler is not None:
        address = _checked_scheduler_address(scheduler)
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise UserError(
                f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s: "
                f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
            ) from None
        try:
            with _quiet_distributed():
                yield client
        finally:
            with _quiet_distributed(), contextlib.suppress(Exception):
                client.close(timeout=timeout)
        return
    assert workers is not None
    with_dashboard = dashboard and importlib.util.find_spec("bokeh") is not None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0" if with_dashboard else None,
        silence_logs=logging.ERROR,
        memory_limit=worker_memory if worker_memory is not None else default_worker_memory(workers),
    )
    try:
        client = Client(cluster, set_as_default=False)
        try:
            with _quiet_distributed():
                yield client
        finally:
            client.close()
    finally:
        with _quiet_distributed():
            cluster.close()
