"""``render --store``: the CLI's big-render path, its outputs, resume and bad options."""

import numpy as np
import pytest
from PIL import Image

from helpers import one_line_error, same_bytes
from helpers import run_cli as run

pytest.importorskip("zarr")
pytest.importorskip("distributed")

PICTURE = ["--preset", "art1679700", "--size", "14x10", "--steps", "20", "--points", "6",
           "--engine", "numpy"]  # fmt: skip


def test_a_store_render_writes_what_the_in_memory_render_writes(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    assert run("render", *PICTURE, "--store", store, "--chunk", 4, "-o", tmp_path / "s.png",
               "--save", tmp_path / "s.npz") == 0  # fmt: skip
    assert "12 of 12 chunks computed (0 done before)" in capsys.readouterr().err
    assert (
        run("render", *PICTURE, "-q", "-o", tmp_path / "m.png", "--save", tmp_path / "m.npz") == 0
    )
    with np.load(tmp_path / "s.npz") as ours, np.load(tmp_path / "m.npz") as theirs:
        assert sorted(ours.files) == sorted(theirs.files)
        for name in theirs.files:
            assert same_bytes(ours[name], theirs[name]), name
    with Image.open(tmp_path / "s.png") as a, Image.open(tmp_path / "m.png") as b:
        assert a.mode == b.mode and (np.asarray(a) == np.asarray(b)).all()
    assert run("render", *PICTURE, "--store", store) == 0  # again: nothing to do
    assert "0 of 12 chunks computed (12 done before)" in capsys.readouterr().err


def test_ctrl_c_keeps_the_finished_chunks_for_the_rerun(tmp_path, capsys, monkeypatch):
    import attndyn.cli.render as command
    from attndyn.engines.numpy_ref import NumpyReferenceEngine

    calls, interrupt_at = [], [5]

    class Interrupting(NumpyReferenceEngine):
        def compute(self, job, tile):
            calls.append(tile)
            if len(calls) == interrupt_at[0]:
                raise KeyboardInterrupt
            return super().compute(job, tile)

    monkeypatch.setattr(command, "get_engine", lambda name, device: Interrupting())
    store = tmp_path / "s.zarr"
    assert run("render", *PICTURE, "--store", store, "--chunk", 4) == 130
    assert "interrupted after 4 of 12 chunks; run the same command again to resume" in (
        capsys.readouterr().err
    )
    calls.clear()
    interrupt_at[0] = 0
    assert run("render", *PICTURE, "--store", store, "--chunk", 4) == 0
    assert len(calls) == 8
    assert "8 of 12 chunks computed (4 done before)" in capsys.readouterr().err


def test_a_local_cluster_from_the_command_line(tmp_path, capsys):
    assert run("render", *PICTURE, "--store", tmp_path / "w.zarr", "--chunk", 8, "--workers", 1,
               "--save", tmp_path / "w.npz") == 0  # fmt: skip
    assert "on Dask cluster tcp://127.0.0.1:" in capsys.readouterr().err
    assert run("render", *PICTURE, "-q", "--save", tmp_path / "m.npz") == 0
    with np.load(tmp_path / "w.npz") as ours, np.load(tmp_path / "m.npz") as theirs:
        assert all(same_bytes(ours[name], theirs[name]) for name in theirs.files)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--store", "{tmp}/s.zarr", "--scheduler", "localhost:8786"],
         "scheduler 'localhost:8786' is not a Dask scheduler address; give tcp://HOST:PORT"),
        (["--store", "{tmp}/s.zarr", "--workers", "0"], "--workers 0 must be an integer >= 1"),
        (["--store", "{tmp}/s.zarr", "--chunk", "0"], "--chunk 0 must be an integer >= 1"),
        (["--store", "{tmp}/s.zarr", "--workers", "1", "--scheduler", "tcp://127.0.0.1:9"],
         "--workers and --scheduler both say where to run"),
        (["--store", "{tmp}/file.txt/s.zarr"], "store directory '{tmp}/file.txt' does not exist"),
        (["--store", "{tmp}/file.txt"], "store path '{tmp}/file.txt' is a file"),
        (["--workers", "2"], "--workers needs --store OUT.zarr"),
        (["--store", "{tmp}/s.zarr", "--no-resume"], "--no-resume does not apply to --store"),
    ],
)  # fmt: skip
def test_bad_options_get_one_line_and_exit_code_2(tmp_path, capsys, extra, fragment):
    (tmp_path / "file.txt").write_text("not a directory")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    assert run("render", *PICTURE, *argv) == 2
    one_line_error(capsys, fragment.replace("{tmp}", str(tmp_path)))
    assert not (tmp_path / "s.zarr").exists()


def test_a_store_of_another_spec_is_refused(tmp_path, capsys):
    assert run("render", *PICTURE, "-q", "--store", tmp_path / "s.zarr", "--chunk", 8) == 0
    assert run("render", *PICTURE, "--tol", "1e-4", "--store", tmp_path / "s.zarr") == 2
    one_line_error(
        capsys,
        "was made for another spec (tol 1e-05 in the store, 0.0001 here); remove it or choose "
        "another path",
    )


def test_save_of_a_picture_larger_than_memory_points_to_export(tmp_path, capsys, monkeypatch):
    import attndyn.pictures.export

    monkeypatch.setattr(attndyn.pictures.export, "IN_MEMORY_BYTES", 1000)
    assert (
        run("render", *PICTURE, "--store", tmp_path / "s.zarr", "--save", tmp_path / "f.npz") == 2
    )
    one_line_error(capsys, "use 'attndyn export STORE -o poster.tif'")
    assert not (tmp_path / "s.zarr").exists()


def test_a_sharded_store_render_writes_the_in_memory_fields(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    assert run("render", *PICTURE, "--store", store, "--chunk", 2, "--shard", 2,
               "--save", tmp_path / "s.npz") == 0  # fmt: skip
    # 14 x 10 pixels in shards of 4 x 4 (2 x 2 chunks of 2 x 2): 3 x 4 shards, the unit of work
    assert "12 of 12 chunks computed (0 done before)" in capsys.readouterr().err
    assert run("render", *PICTURE, "-q", "--save", tmp_path / "m.npz") == 0
    with np.load(tmp_path / "s.npz") as ours, np.load(tmp_path / "m.npz") as theirs:
        for name in theirs.files:
            assert same_bytes(ours[name], theirs[name]), name
    import zarr

    labels = zarr.open_group(str(store), mode="r")["labels/0"]
    assert labels.chunks == (2, 2) and labels.shards == (4, 4)
    assert run("render", *PICTURE, "--store", store, "--shard", 3) == 2
    one_line_error(capsys, "--shard 3: store")
    assert run("render", *PICTURE, "--store", store, "--chunk", 4) == 2
    one_line_error(capsys, "it has chunks of 2x2")
    assert run("render", *PICTURE, "--shard", 2) == 2
    one_line_error(capsys, "--shard needs --store OUT.zarr")


def test_a_memory_store_is_rendered_here_and_refused_to_dask_workers(tmp_path, capsys):
    url = "memory://cli-test/s.zarr"
    try:
        assert run("render", *PICTURE, "--store", url, "--chunk", 8, "-o", tmp_path / "s.png") == 0
        assert f"wrote {url}, " in capsys.readouterr().err
        assert run("render", *PICTURE, "--store", url, "--workers", 2) == 2
        one_line_error(capsys, "in this process's memory, which Dask workers cannot reach")
    finally:
        import fsspec

        fsspec.filesystem("memory").rm("/cli-test", recursive=True)


def test_a_file_url_store_is_reported_as_given(tmp_path, capsys):
    url = f"file://{tmp_path}/s.zarr"
    assert run("render", *PICTURE, "--store", url, "--chunk", 8, "--save", tmp_path / "s.npz") == 0
    assert f"wrote {url}, " in capsys.readouterr().err
    assert (tmp_path / "s.zarr" / "labels" / "0" / "zarr.json").is_file()
    assert run("render", *PICTURE, "--store", "", "--chunk", 8) == 2
    one_line_error(capsys, "store path '' is empty")
