"""``render --store``'s limits: workers against the cores, memory per worker against what a
chunk needs, chunks against their overhead, ``--chunk`` against an existing store; each
refusal one line (exit code 2), each warning one line."""

import argparse

import pytest

from attndyn.cli.main import main

pytest.importorskip("zarr")
pytest.importorskip("distributed")
import attndyn.cli.render_store as render_store
import attndyn.rendering.dask_cluster
from attndyn import UserError
from attndyn.model.tiles import Tiling

PICTURE = ["render", "--preset", "art1679700", "--size", "14x10", "--steps", "20", "--points",
           "6", "--engine", "numpy"]  # fmt: skip
GIB = 1024**3


def options(**given):
    defaults = dict(workers=None, threads_per_worker=None, worker_memory=None, scheduler=None,
                    force=False, chunk=None)  # fmt: skip
    return argparse.Namespace(**{**defaults, **given})


@pytest.fixture
def two_cores_of_16_gib(monkeypatch):
    monkeypatch.setattr(render_store, "cores", lambda: 2)
    monkeypatch.setattr(attndyn.rendering.dask_cluster, "machine_memory", lambda: 16 * GIB)


TILING = Tiling((2048, 2048), (2048, 2048))


def test_workers_above_the_cores_warn_and_above_four_times_are_refused(two_cores_of_16_gib, capsys):
    limits = render_store.check_limits(options(workers="3"), TILING, 10.0, quiet=False)
    assert limits.workers == 3 and limits.memory is None
    assert capsys.readouterr().err == (
        "attndyn: warning: --workers 3 is more than the 2 cores here: the workers share them "
        "and render no faster than 2 workers\n"
    )
    render_store.check_limits(options(workers="8"), TILING, 10.0, quiet=True)
    with pytest.raises(UserError, match=r"^--workers 9 is more than 4 times the 2 cores here; "
                       r"give at most 8 .*, or add --force$"):  # fmt: skip
        render_store.check_limits(options(workers="9"), TILING, 10.0, quiet=True)
    assert render_store.check_limits(options(workers="9", force=True), TILING, 1, True).workers == 9
    render_store.check_limits(options(workers="2", threads_per_worker="2"), TILING, 10.0, False)
    assert "run 4 engine threads on 2 cores" in capsys.readouterr().err


def test_worker_memory_is_checked_against_what_a_chunk_needs(two_cores_of_16_gib):
    # a 2048 x 2048 chunk: 256 MiB of worker, 64 MiB of engine, 120 MiB of fields; / 0.8
    need = (256 + 64) * 1024**2 + 2048 * 2048 * 30
    assert render_store.check_limits(options(workers="2", worker_memory=f"{need / 0.8 + 1:.0f}B"),
                                      TILING, 1.0, True).memory == int(need / 0.8 + 1)  # fmt: skip
    with pytest.raises(UserError, match=r"^--worker-memory 500MB is less than the 550\.0 MiB a "
                       r"worker needs for chunks of 2048x2048"):  # fmt: skip
        render_store.check_limits(options(workers="1", worker_memory="500MB"), TILING, 1, True)
    with pytest.raises(UserError, match=r"^--worker-memory 'lots' is not a size"):
        render_store.check_limits(options(workers="1", worker_memory="lots"), TILING, 1, True)
    with pytest.raises(
        UserError, match=r"give it to each worker: dask worker \.\.\. --memory-limit"
    ):
        render_store.check_limits(
            options(scheduler="tcp://127.0.0.1:1", worker_memory="1GB"), TILING, 1, True
        )
    with pytest.raises(UserError, match=r"^--threads-per-worker needs --workers N or --scheduler"):
        render_store.check_limits(options(threads_per_worker="2"), TILING, 1, True)


def test_the_default_memory_per_worker_is_the_machines_divided_among_them(monkeypatch):
    monkeypatch.setattr(render_store, "cores", lambda: 64)
    monkeypatch.setattr(attndyn.rendering.dask_cluster, "machine_memory", lambda: 4 * GIB)
    assert attndyn.rendering.dask_cluster.default_worker_memory(8) == GIB // 2
    with pytest.raises(UserError, match=r"^the 512\.0 MiB each of 8 workers gets of this "
                       r"machine's 4\.0 GiB is less than the 550\.0 MiB"):  # fmt: skip
        render_store.check_limits(options(workers="8"), TILING, 1.0, True)


def test_chunks_whose_overhead_dominates_are_refused_or_warned_about(capsys):
    grid = Tiling((64, 64), (1, 1))
    with pytest.raises(UserError) as refused:
        render_store.check_limits(options(chunk="1"), grid, 0.5, quiet=True)
    assert str(refused.value) == (
        "--chunk 1 cuts the 64x64 grid into 4096 chunks: about 2.0 min of overhead (writing "
        "and recording each chunk, about 30 ms) for 0.5 s of rendering; use --chunk 64 or "
        "more, or add --force"
    )
    render_store.check_limits(options(chunk="1", force=True), grid, 0.5, quiet=False)
    assert capsys.readouterr().err.startswith("attndyn: warning: --chunk 1 cuts the 64x64 grid")
    render_store.check_limits(options(chunk="8"), Tiling((64, 64), (8, 8)), 0.5, quiet=False)
    assert capsys.readouterr().err == ""  # 64 chunks: 2 s of overhead at most, said nothing


def test_workers_beyond_the_limit_are_refused_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(render_store, "cores", lambda: 2)
    assert main([*PICTURE, "--store", str(tmp_path / "s.zarr"), "--workers", "1000"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "attndyn: error: --workers 1000 is more than 4 times the 2 cores here; give at most 8 "
        "(workers beyond the cores only share them), or add --force\n"
    )
    assert not (tmp_path / "s.zarr").exists()


def test_a_chunk_that_conflicts_with_the_store_is_one_line(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    assert main([*PICTURE, "-q", "--store", str(store), "--chunk", "8"]) == 0
    assert main([*PICTURE, "--store", str(store), "--chunk", "4"]) == 2
    assert capsys.readouterr().err == (
        f"attndyn: error: --chunk 4 would cut store {str(store)!r} into chunks of 4x4, but it "
        "has chunks of 8x8; drop --chunk to resume it with its own, or choose another path\n"
    )
    assert main([*PICTURE, "--store", str(store), "--chunk", "8"]) == 0
    assert main([*PICTURE, "--store", str(store)]) == 0
    assert "0 of 4 chunks computed (4 done before)" in capsys.readouterr().err
