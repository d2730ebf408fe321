"""The first steps of BLOCK pixels side by side, on all n points, vectorised over the pixels.

A step of one pixel on its groups vectorises over the groups, which are few once the points
have collapsed; at the start, when all n points are distinct, it pays to vectorise over
pixels instead. :func:`block_step` is the max-free step (the group path's ``step_fast``
with counts 1, in the same order of operations) on the n points of BLOCK pixels, each
arithmetic operation one SIMD instruction across the pixels, and each step's gap (the max
over the n points) is folded into each pixel's sync tracker. Only pixels on the fast path
(|S| <= 32) take these steps; then every pixel goes on on its groups. The precision is that
of the buffers: the scores and their weights are ``score_scale`` and ``exp_score`` (float32:
scores in base 2 and ``fexp2``; float64: ``dexp``), as in the group path's max-free step.

Two kinds of block steps:

  * :func:`block_steps`: the first ``block_steps`` steps (8 by default) of every pixel of
    the block, float32 only. Two points that become equal here stay equal, but these steps
    go on adding their terms one by one where the group steps would add one term times 2,
    which rounds differently: the float32 fields are defined with these steps as they are.
  * :func:`distinct_steps`: then, the pixels whose n points are all distinct go on side by
    side, each until two of its points are equal. While all n points are distinct the group
    path has n groups of count 1, so these steps are its steps bit for bit (tested), and a
    pixel leaves with the state and step at which the group path would merge; its exits in
    between (a fixed point, period 2, nan) are exact, so going on through them gives the
    same fields. They change no field: float32 is as without them, and float64, which takes
    only these (from step 0), is the group path's bit for bit. They stop for the whole block
    when fewer than ``keep`` of its pixels are left: the others are cheaper on the groups.
    Pixels on a boundary keep their n points distinct for about 25 steps (the boundary zoom
    of benchmarks/bench_engines.py), which the first kind alone left to the group path.

How many: the group steps vectorise worse than the block steps, so a few fixed block steps
pay on the hardest picture (see benchmarks/LOG.md for the measurements).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from attndyn.engines.kernels.exp import exp_score, score_scale
from attndyn.engines.kernels.layout import BLOCK
from attndyn.engines.kernels.tracker import track

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@njit(inline="always", cache=True, error_model="numpy")
def block_projections(n, m, st, der):
    """The scaled queries, keys and values of the first m points of every lane of st, into
    der (6 rows per point), as step_fast computes them."""
    b = BLOCK
    at = 2 * n * b
    for i in range(m):
        xr = i * b
        yr = (n + i) * b
        d = 6 * i * b
        for q in range(BLOCK):
            x = st[xr + q]
            y = st[yr + q]
            beta = score_scale(st[at + 12 * b + q])
            der[d + q] = beta * (st[at + q] * x + st[at + b + q] * y)
            der[d + b + q] = beta * (st[at + 2 * b + q] * x + st[at + 3 * b + q] * y)
            der[d + 2 * b + q] = st[at + 4 * b + q] * x + st[at + 5 * b + q] * y
            der[d + 3 * b + q] = st[at + 6 * b + q] * x + st[at + 7 * b + q] * y
            der[d + 4 * b + q] = st[at + 8 * b + q] * x + st[at + 9 * b + q] * y
            der[d + 5 * b + q] = st[at + 10 * b + q] * x + st[at + 11 * b + q] * y


@njit(inline="always", cache=True, error_model="numpy")
def block_normalise(n, i, eps, acc, nxt):
    """Point i of every lane from its sums (acc: the weights', then the weighted values'):
    y = u / z normalised with eps, as step_fast, into nxt."""
    b = BLOCK
    for q in range(BLOCK):
        y0 = acc[b + q] / acc[q]
        y1 = acc[2 * b + q] / acc[q]
        nrm = np.sqrt(y0 * y0 + y1 * y1) + eps
        nxt[i * b + q] = y0 / nrm
        nxt[(n + i) * b + q] = y1 / nrm


@njit(inline="always", cache=True, error_model="numpy")
def block_step(n, eps, st, der, acc, nxt):
    """One max-free step of all n points of every lane of st, into nxt (st is unchanged);
    each point's arithmetic is step_fast's with counts 1, in the same order."""
    b = BLOCK
    block_projections(n, n, st, der)
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
                w = exp_score(s)
                acc[q] += w
                acc[b + q] += w * der[dj + 4 * b + q]
                acc[2 * b + q] += w * der[dj + 5 * b + q]
        block_normalise(n, i, eps, acc, nxt)
    # Each lane's gap, into acc[:BLOCK]. (A nan state may give a wrong gap here, but nan is
    # for ever, so the final delta is nan and sync_step does not use it.)
    for q in range(BLOCK):
        acc[q] = _ZERO
    for i in range(n):
        for q in range(BLOCK):
            acc[q] = max(acc[q], abs(nxt[i * b + q] - nxt[q]))


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
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
    for step in range(steps):
        block_step(n, eps, st, der, acc, nxt)
        t = np.float32(step + 1)
        for q in range(BLOCK):
            trk[q], trk[b + q], trk[2 * b + q] = track(
                t, t + _ONE, acc[q], tol, trk[q], trk[b + q], trk[2 * b + q]
            )
        for r in range(2 * n * b):
            st[r] = nxt[r]


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def distinct_steps(n, first, steps, keep, eps, tol, st, der, acc, nxt, trk, live, equal, reached):
    """Go on stepping the lanes whose n points are all distinct, from step ``first``.

    ``live`` (bool, BLOCK) marks the lanes that may go on; before each step a lane with two
    equal points (x and y equal, as the group path's merge compares them) drops out, keeping
    its state in st and its step in ``reached`` (int64, BLOCK; set to ``first`` here). The
    steps stop at ``steps`` or when fewer than ``keep`` lanes are live (the rest are cheaper
    on the group path). A live lane's step is the group path's step_fast on n groups of
    count 1, bit for bit (see the module docstring). ``equal`` (bool, BLOCK) is scratch.
    """
    b = BLOCK
    for q in range(BLOCK):
        reached[q] = first
    t = first
    while t < steps:
        for q in range(BLOCK):
            equal[q] = False
        for i in range(n):  # (from 0, not 1: LLVM then sees that the row offsets are >= 0)
            xr = i * b
            yr = (n + i) * b
            for j in range(i):
                xs = j * b
                ys = (n + j) * b
                for q in range(BLOCK):
                    equal[q] |= (st[xr + q] == st[xs + q]) & (st[yr + q] == st[ys + q])
        live_count = 0
        for q in range(BLOCK):
            live[q] = live[q] and not equal[q]
            live_count += live[q]
        if live_count < keep:
            return
        block_step(n, eps, st, der, acc, nxt)
        t += 1
        tt = np.float32(t)
        for q in range(BLOCK):
            last, before, after = track(
                tt, tt + _ONE, acc[q], tol, trk[q], trk[b + q], trk[2 * b + q]
            )
            go = live[q]
            trk[q] = last if go else trk[q]
            trk[b + q] = before if go else trk[b + q]
            trk[2 * b + q] = after if go else trk[2 * b + q]
            reached[q] = t if go else reached[q]
        for i in range(2 * n):
            for q in range(BLOCK):
                st[i * b + q] = nxt[i * b + q] if live[q] else st[i * b + q]


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def first_equal(n, rows, st, first):
    """first[i * BLOCK + q] = the least j <= i whose point equals point i in lane q of st, for
    the first ``rows`` points.

    The groups of a lane's points, as the group path's merge finds them (float equality of
    x and y: +0 and -0 are equal, nan equals nothing), for all lanes at once: for each i, the
    j < i in order, each a select over the lanes that takes j where none was found before.
    A pixel leaves the blocks with its groups read off ``first`` (int32, n * BLOCK) instead
    of a merge of its n points one by one; the group blocks merge their lanes' groups so.
    """
    n = max(n, 0)  # (so that LLVM sees the row offsets are >= 0, and vectorises)
    b = BLOCK
    for i in range(rows):
        xr = i * b
        yr = (n + i) * b
        none = np.int32(i)
        for q in range(BLOCK):
            first[xr + q] = none
        for j in range(i):  # (from 0 up: LLVM then sees that the row offsets are >= 0)
            xs = j * b
            ys = (n + j) * b
            for q in range(BLOCK):
                equal = (st[xr + q] == st[xs + q]) & (st[yr + q] == st[ys + q])
                found = first[xr + q]
                first[xr + q] = np.int32(j) if equal & (found == none) else found
