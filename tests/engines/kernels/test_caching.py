"""The kernels are cached on disk, under a stamp of every module they are compiled from."""

from numba.core.caching import NullCache

from attndyn.engines.kernels import caching, points, tile


def test_jit_results_are_cached_on_disk():
    for kernel in (tile.tile_kernel, tile.run_chunk, points.pixel_points_kernel):
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
