"""The kernels are cached on disk, under a stamp of every module they are compiled from."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from numba.core.caching import NullCache

from attndyn import Job
from attndyn.engines.kernels import caching, lanes, points, tile
from attndyn.engines.numba_cpu import NumbaCpuEngine

from helpers import appendix_b, whole


def test_jit_results_are_cached_on_disk():
    for kernel in (
        tile.tile_kernel,
        tile.tile_kernel_exact,
        lanes.run_pairs_float32,
        lanes.pair_lanes_float64,
        points.pixel_points_kernel,
    ):
        assert not isinstance(kernel._cache, NullCache)
        assert isinstance(kernel._cache._impl.locator, caching.KernelCacheLocator)


def test_the_stamp_covers_every_kernel_module_and_the_constants_they_bake_in(tmp_path):
    # A change to a module the tile kernel calls into (groups.py, say) must change the stamp
    # of the tile kernel's cache, which numba alone would key on tile.py only.
    stamp = tile.tile_kernel._cache._impl.locator.get_source_stamp()
    assert stamp == caching.source_stamp()
    names = {path.name for path in caching.KERNELS.glob("*.py")}
    assert {"groups.py", "lanes.py", "tracker.py", "tile.py"} <= names
    assert {path.name for path in caching.SOURCES} == {"inputs.py", "fields.py"}
    copy = tmp_path / "kernels"
    copy.mkdir()
    for path in caching.KERNELS.glob("*.py"):
        (copy / path.name).write_bytes(path.read_bytes())
    original = caching.KERNELS
    try:
        caching.KERNELS = copy
        assert caching.source_stamp() == stamp
        groups = copy / "groups.py"
        groups.write_text(groups.read_text() + "\n# edited\n")
        assert caching.source_stamp() != stamp
    finally:
        caching.KERNELS = original


def test_a_warm_start_loads_the_kernels_without_numbas_implementations(tmp_path):
    # A fresh process loads the cached tile kernel (written here, if it was not already)
    # without importing what numba needs only to compile (numba.np.arraymath, scipy.linalg),
    # gets the fields this process computes, and can still compile a new function after.
    spec = appendix_b(1679700, width=9, height=7, steps=30)
    expected = NumbaCpuEngine().compute(Job(spec), whole(spec))
    np.save(tmp_path / "labels.npy", expected.labels)
    np.save(tmp_path / "delta.npy", expected.delta)
    code = f"""
import sys
import numpy as np
from attndyn import Job
from attndyn.engines.numba_cpu import NumbaCpuEngine
from helpers import appendix_b, whole
spec = appendix_b(1679700, width=9, height=7, steps=30)
fields = NumbaCpuEngine().compute(Job(spec), whole(spec))
assert "numba.np.arraymath" not in sys.modules and "scipy.linalg" not in sys.modules
np.testing.assert_array_equal(fields.labels, np.load({str(tmp_path / "labels.npy")!r}))
np.testing.assert_array_equal(fields.delta, np.load({str(tmp_path / "delta.npy")!r}))
from numba import njit
assert njit(lambda x: np.sum(x))(np.arange(4.0)) == 6.0
print("ok")
"""
    tests = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
