"""The first steps of BLOCK pixels side by side, on all n points, vectorised over the pixels.

A step of one pixel on its groups vectorises over the groups, which are few once the points
have collapsed; at the start, when all n points are distinct, it pays to vectorise over
pixels instead. :func:`block_steps` runs the max-free step (the group path's ``step_fast``
with counts 1, in the same order of operations) on the n points of BLOCK pixels, each
arithmetic operation one SIMD instruction across the pixels, and folds each step's gap (the
max over the n points) into each pixel's sync tracker. Only pixels on the fast path
(|S| <= 32) take these steps; then every pixel goes on on its groups.

How many: the first ``block_steps`` (8 by default) steps. The group steps vectorise worse
than the block steps, so a few more block steps pay on the hardest picture (see
benchmarks/LOG.md for the measurements).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from attndyn.engines.kernels.exp import fexp
from attndyn.engines.kernels.layout import BLOCK
from attndyn.engines.kernels.tracker import track

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def block_steps(count, n, steps, eps, tol, st, der, acc, nxt, trk):
    """``steps`` max-free steps of all n points (no groups) of ``count`` pixels side by side.

    All BLOCK lanes are computed, whatever ``count``: the lanes are independent, the ones past
    ``count`` hold finite leftovers (or produce inf/nan) that nobody reads, and a constant trip
    count lets LLVM drop the remainder loops (measured ~15% faster on the whole engine).

    st rows: x of the n points, y of the n points, then the 13 parameters. Each point's
    arithmetic is step_fast's with counts 1, in the same order, vectorised over pixels.
    trk rows: the sync tracker (last, before, after) of each pixel (see tracker.track),
    which each step's gap is folded into.
    """
    b = BLOCK
    at = 2 * n * b
    for step in range(steps):
        for i in range(n):
            xr = i * b
            yr = (n + i) * b
            d = 6 * i * b
            for q in range(BLOCK):
                x = st[xr + q]
                y = st[yr + q]
                beta = st[at + 12 * b + q]
                der[d + q] = beta * (st[at + q] * x + st[at + b + q] * y)
                der[d + b + q] = beta * (st[at + 2 * b + q] * x + st[at + 3 * b + q] * y)
                der[d + 2 * b + q] = st[at + 4 * b + q] * x + st[at + 5 * b + q] * y
                der[d + 3 * b + q] = st[at + 6 * b + q] * x + st[at + 7 * b + q] * y
                der[d + 4 * b + q] = st[at + 8 * b + q] * x + st[at + 9 * b + q] * y
                der[d + 5 * b + q] = st[at + 10 * b + q] * x + st[at + 11 * b + q] * y
        for i in range(n):
            di = 6 * i * b
            for q in range(BLOCK):
                acc[q] = _ZERO
                acc[b + q] = _ZERO
                acc[2 * b + q] = _ZERO
            for j in range(n):
                dj = 6 * j * b
                for q in range(BLOCK):
                    s = der[di + q] * der[dj + 2 * b + q] + der[di + b + q] * der[dj + 3 * b + q]
                    w = fexp(s)
                    acc[q] += w
                    acc[b + q] += w * der[dj + 4 * b + q]
                    acc[2 * b + q] += w * der[dj + 5 * b + q]
            for q in range(BLOCK):
                y0 = acc[b + q] / acc[q]
                y1 = acc[2 * b + q] / acc[q]
                nrm = np.sqrt(y0 * y0 + y1 * y1) + eps
                nxt[i * b + q] = y0 / nrm
                nxt[(n + i) * b + q] = y1 / nrm
        # Each pixel's gap, folded into its tracker. (A nan state may give a wrong gap here,
        # but nan is for ever, so the final delta is nan and sync_step does not use it.)
        for q in range(BLOCK):
            acc[q] = _ZERO
        for i in range(n):
            for q in range(BLOCK):
                acc[q] = max(acc[q], abs(nxt[i * b + q] - nxt[q]))
        t = np.float32(step + 1)
        for q in range(BLOCK):
            trk[q], trk[b + q], trk[2 * b + q] = track(
                t, t + _ONE, acc[q], tol, trk[q], trk[b + q], trk[2 * b + q]
            )
        for r in range(2 * n * b):
            st[r] = nxt[r]
