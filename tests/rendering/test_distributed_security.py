"""Where a store render connects: tls:// with Dask's TLS settings (refused without them), a
scheduler file, and the dashboard of a local cluster, on 127.0.0.1 only.

The scheduler and worker are started here on 127.0.0.1 (free ports) with a self-signed
certificate made by openssl for the test; everything started is stopped by its pid.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from attndyn import UserError

from helpers import SlowEngine, appendix_b

pytest.importorskip("zarr")
pytest.importorskip("distributed")
import dask

from attndyn.rendering.distributed import dask_client, render_store

from local_servers import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
SPEC = appendix_b(1679700, width=8, height=8, steps=20, n_points=6)
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(str(ROOT / d) for d in ("src", "tests", "benchmarks")),
}


def wait_for_file(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not (path.exists() and "address" in path.read_text()):
        assert time.monotonic() < deadline, f"gave up waiting {seconds} s for {path}"
        time.sleep(0.05)


def test_tls_without_certificates_is_refused_in_one_line():
    with pytest.raises(UserError) as refused:
        with dask_client(scheduler="tls://127.0.0.1:8786"):
            pass
    assert str(refused.value).startswith(
        "scheduler 'tls://127.0.0.1:8786' uses TLS, and Dask has no certificates for this "
        "client: set DASK_DISTRIBUTED__COMM__TLS__CA_FILE, "
    )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the certificate")
def test_a_tls_cluster_renders_with_dasks_tls_settings_and_a_scheduler_file(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=attndyn",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    scheduler_file = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": CHILD_ENV}
    dask_cli = [sys.executable, "-m", "dask"]
    started = [
        subprocess.Popen(
            [*dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(free_port()),
             "--protocol", "tls", "--no-dashboard", "--scheduler-file", str(scheduler_file),
             *tls],
            **quiet,
        )
    ]  # fmt: skip
    try:
        wait_for_file(scheduler_file, 60)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tls://127.0.0.1:")
        started.append(
            subprocess.Popen(
                [*dask_cli, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--host", "127.0.0.1", "--death-timeout", "30", *tls],
                **quiet,
            )
        )  # fmt: skip
        settings = {
            "distributed.comm.tls.ca-file": str(cert),
            "distributed.comm.tls.client.cert": str(cert),
            "distributed.comm.tls.client.key": str(key),
        }
        with dask.config.set(settings), dask_client(scheduler=str(scheduler_file)) as client:
            client.wait_for_workers(1, timeout=60)
            done = render_store(SPEC, tmp_path / "s.zarr", client, chunk=4, engine=SlowEngine())
        assert done.computed == 4 and done.where == f"Dask cluster {address}"
        assert done.store.complete
    finally:
        for process in reversed(started):
            stop_process(process, 10)


def test_a_scheduler_file_that_is_not_one_is_one_line(tmp_path):
    with pytest.raises(UserError, match=r"^scheduler file '.*missing\.json' does not exist$"):
        with dask_client(scheduler=str(tmp_path / "missing.json")):
            pass
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(UserError, match="is not one that dask scheduler --scheduler-file wrote"):
        with dask_client(scheduler=str(tmp_path / "bad.json")):
            pass


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("bokeh") is None, reason="the dashboard needs bokeh"
)
def test_a_local_clusters_dashboard_listens_on_127_0_0_1_only_and_workers_have_a_memory_limit():
    from distributed.system import MEMORY_LIMIT

    with dask_client(workers=2, dashboard=True) as client:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        assert [w["memory_limit"] for w in workers] == [MEMORY_LIMIT // 2] * 2  # not 0: none
        link = client.dashboard_link
        assert link.startswith("http://127.0.0.1:") and link.endswith("/status")
        with urllib.request.urlopen(link, timeout=30) as page:
            assert page.status == 200
        bound = {
            sock.getsockname()[0]
            for server in client.cluster.scheduler.http_server._sockets.values()
            for sock in [server]
        }
        assert bound == {"127.0.0.1"}
