"""The CUDA kernel's own pieces, in numba's CUDA simulator without a GPU (tests/conftest.py).

The kernel as a whole is tested through its engine, in tests/engines/test_numba_cuda.py.
"""

import numpy as np
import pytest

from attndyn.engines.kernels.groups import merge_array

from helpers import random_unit_points

numba_cuda = pytest.importorskip("attndyn.engines.numba_cuda")
pytestmark = pytest.mark.skipif(
    not numba_cuda.cuda_available(), reason="no CUDA device and no CUDA simulator"
)
from numba import cuda  # noqa: E402

from attndyn.engines.kernels import fused_cuda  # noqa: E402


def _device_merge(points, counts):
    """The CUDA engine's merge of each configuration (P, n, 2), run in one thread each."""
    gx = np.ascontiguousarray(points[..., 0])
    gy = np.ascontiguousarray(points[..., 1])
    cnt = np.array(counts)  # a copy: the merge writes into it
    groups = np.zeros(len(points), np.int64)

    @cuda.jit
    def kernel(gx, gy, cnt, groups):
        p = cuda.grid(1)
        if p < groups.size:
            groups[p] = fused_cuda.merge(gx.shape[1], gx[p], gy[p], cnt[p])

    kernel[len(points), 1](gx, gy, cnt, groups)
    return gx, gy, cnt, groups


def test_the_merge_agrees_with_the_cpu_engines():
    # The one piece of exact logic the two engines do not share: the CPU's merge scans for an
    # equal pair with SIMD first. Same inputs, same groups, counts and order.
    rng = np.random.default_rng(7)
    pool = random_unit_points((6,), seed=8).astype(np.float32)
    pool[4], pool[5] = (0.0, 1.0), (-0.0, 1.0)  # +0 and -0: equal points
    n = 20
    points = pool[rng.integers(0, 6, size=(60, n))]
    points[:5] = random_unit_points((5, n), seed=9)  # nothing to merge
    counts = rng.integers(1, 4, size=(60, n)).astype(np.float32)
    gx, gy, cnt, groups = _device_merge(points, counts)
    for p in range(len(points)):
        x = np.zeros(32, np.float32)
        y = np.zeros(32, np.float32)
        c = np.zeros(32, np.float32)
        x[:n], y[:n], c[:n] = points[p, :, 0], points[p, :, 1], counts[p]
        m = merge_array(n, x, y, c)
        assert m == groups[p]
        for ours, theirs in ((x, gx), (y, gy), (c, cnt)):
            np.testing.assert_array_equal(ours[:m], theirs[p, :m])
        assert np.signbit(x[:m]).tolist() == np.signbit(gx[p, :m]).tolist()
