"""Pixels with two groups, many at once: one pixel per SIMD lane.

float32. Once a pixel is down to two groups a, b (counts c_a, c_b), its safe step has a
closed form (:func:`pair_step`): in each row the larger of the two scores gives weight
exactly 1 and the other exp(-|s_ab - s_aa|), so a row is
y = (c_a e_a v_a + c_b e_b v_b) / (c_a e_a + c_b e_b) normalised with eps, in the safe step's
order of operations: the group path's ``step_safe`` for two groups, bit for bit as written
(tested). In the float32 engine both are compiled with the fastmath "contract" of the tile
kernel that calls them, which LLVM applies to each its own way, so there they agree to a few
ulps (tested) and the fields with and without the lanes are equal on the pictures tested. It
needs finite score differences, so only pixels with |S| <= 1e30 are paired. The lanes of a
CHUNK of pixels live in one array (row r of lane k at ``[r * CHUNK + k]``, rows ``LANE_*``)
and :func:`lanes_step` (compiled as ``pair_lanes_float32`` and ``_float64``) steps them all,
vectorised over the lanes.

float64. The lanes take only pixels on the max-free path (|S| <= 32), and step them with
:func:`pair_step_fast`: the group path's ``step_fast`` for two groups, the same operations
in the same order (the float64 exp, the multiplicity-weighted sums from 0, the division by
the row sum, eps), so the float64 fields with and without the lanes are equal bit for bit
(tested). :func:`compile_pairs` compiles the lanes once per precision, with its step.

Exits, as on the group path: merged (the two groups became one: delta 0), a fixed point,
period 2 (the state equals the one two steps back), nan, or the last step. A lane that
stops is finished (:func:`finish_pair`) and, once a quarter of the lanes are dead, the live
ones are packed to the front (:func:`run_pairs`).

The sync tracker. The lanes do not carry it in the vector loop: they flag the steps at which
Δ falls below tol (Δ_{t-1} >= tol > Δ_t), and the scalar loop records the last such step
(:func:`lane_crossing`), which is t0 whenever the final Δ is below tol, the only case in which
sync_step is not nan. At a period-2 exit the tail is completed as on the group path
(``period_two_tail`` of :mod:`attndyn.engines.kernels.tracker`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import overload

from attndyn.engines.inputs import N_PARAMETERS
from attndyn.engines.kernels.clusters import pair_clusters
from attndyn.engines.kernels.exp import exp_score, fexp_neg, score_scale
from attndyn.engines.kernels.layout import CHUNK
from attndyn.engines.kernels.targets import renamed_copy
from attndyn.engines.kernels.tracker import period_two_tail

_F32 = np.float32
_ZERO = _F32(0.0)
_ONE = _F32(1.0)
_NAN = _F32(np.nan)

# Rows of the lane array: the state (a_x, a_y, b_x, b_y), the previous state and whether there
# is one, the counts, the parameters, then the step, dead flag, event code and result of each
# lane, and its sync tracker (last, before, after; see tracker.track).
LANE_PREV = 4
LANE_HAS_PREV = 8
LANE_COUNT = 9
LANE_PRM = 11
LANE_T = LANE_PRM + N_PARAMETERS
LANE_DEAD = LANE_T + 1
LANE_EVENT = LANE_T + 2
LANE_RESULT = LANE_T + 3
LANE_LAST = LANE_T + 4
LANE_BEFORE = LANE_T + 5
LANE_AFTER = LANE_T + 6
LANE_ROWS = LANE_T + 7
# Event codes: the lane goes on; it goes on after its gap fell below tol at this step (the
# step may be t0: the tracker is updated); it stops with the final state the newest one; it
# stops on a period-2 orbit whose final state is the newest (the previous one comes at
# steps - 1) or the previous one (the newest comes at steps - 1).
_GO_ON = _F32(0.0)
_CROSSED = _F32(4.0)
_STOP = _F32(1.0)
_STOP_EVEN = _F32(2.0)
_STOP_ODD = _F32(3.0)
LANE_VECTOR = 16  # lanes per trip of the vector loop (CHUNK is a multiple of it)
MAX_PAIR_STEPS = 2**24  # steps are counted in float32 in the lanes


@njit(inline="always", cache=True, error_model="numpy")
def lane_parameters(prm, at, k):
    """Lane k's 13 parameters (W_Q, W_K, W_V by rows, then beta): prm[(at + e) * CHUNK + k]."""
    return (
        prm[at * CHUNK + k],
        prm[(at + 1) * CHUNK + k],
        prm[(at + 2) * CHUNK + k],
        prm[(at + 3) * CHUNK + k],
        prm[(at + 4) * CHUNK + k],
        prm[(at + 5) * CHUNK + k],
        prm[(at + 6) * CHUNK + k],
        prm[(at + 7) * CHUNK + k],
        prm[(at + 8) * CHUNK + k],
        prm[(at + 9) * CHUNK + k],
        prm[(at + 10) * CHUNK + k],
        prm[(at + 11) * CHUNK + k],
        prm[(at + 12) * CHUNK + k],
    )


@njit(inline="always", cache=True, error_model="numpy")
def projections(w00, w01, w10, w11, ax, ay, bx, by):
    """W a and W b of two points a, b for the 2 x 2 matrix W (by rows): a0, a1, b0, b1."""
    return w00 * ax + w01 * ay, w10 * ax + w11 * ay, w00 * bx + w01 * by, w10 * bx + w11 * by


@njit(inline="always", cache=True, error_model="numpy")
def pair_row(sa, sb, ca, cb, vax, vay, vbx, vby, eps):
    """step_safe's row for two groups, bit for bit, given finite scores sa and sb."""
    d = sb - sa
    e = fexp_neg(-abs(d))
    ea = _ONE if d <= _ZERO else e
    eb = e if d <= _ZERO else _ONE
    z = _ZERO + ca * ea + cb * eb
    wa = ca * ea / z
    wb = cb * eb / z
    y0 = _ZERO + wa * vax + wb * vbx
    y1 = _ZERO + wa * vay + wb * vby
    nrm = np.sqrt(y0 * y0 + y1 * y1) + eps
    return y0 / nrm, y1 / nrm


@njit(inline="always", cache=True, error_model="numpy")
def pair_step(ax, ay, bx, by, ca, cb, prm, at, k, eps):
    """step_safe for two groups a, b (counts ca, cb), parameters prm[(at + e) * CHUNK + k]."""
    (
        wq00, wq01, wq10, wq11, wk00, wk01, wk10, wk11, wv00, wv01, wv10, wv11, beta
    ) = lane_parameters(prm, at, k)  # fmt: skip
    qa0, qa1, qb0, qb1 = projections(wq00, wq01, wq10, wq11, ax, ay, bx, by)
    ka0, ka1, kb0, kb1 = projections(wk00, wk01, wk10, wk11, ax, ay, bx, by)
    va0, va1, vb0, vb1 = projections(wv00, wv01, wv10, wv11, ax, ay, bx, by)
    saa = beta * (qa0 * ka0 + qa1 * ka1)
    sab = beta * (qa0 * kb0 + qa1 * kb1)
    sba = beta * (qb0 * ka0 + qb1 * ka1)
    sbb = beta * (qb0 * kb0 + qb1 * kb1)
    nax, nay = pair_row(saa, sab, ca, cb, va0, va1, vb0, vb1, eps)
    nbx, nby = pair_row(sba, sbb, ca, cb, va0, va1, vb0, vb1, eps)
    return nax, nay, nbx, nby


@njit(inline="always", cache=True, error_model="numpy")
def pair_row_fast(pi0, pi1, ka0, ka1, kb0, kb1, ca, cb, va0, va1, vb0, vb1, eps):
    """step_fast's row for two groups, bit for bit: the row's scaled query (pi0, pi1)
    against the keys of a and b, the weights c exp(s) summed from 0, then normalised."""
    zz = _ZERO
    u0 = _ZERO
    u1 = _ZERO
    w = ca * exp_score(pi0 * ka0 + pi1 * ka1)
    zz += w
    u0 += w * va0
    u1 += w * va1
    w = cb * exp_score(pi0 * kb0 + pi1 * kb1)
    zz += w
    u0 += w * vb0
    u1 += w * vb1
    y0 = u0 / zz
    y1 = u1 / zz
    d = np.sqrt(y0 * y0 + y1 * y1) + eps
    return y0 / d, y1 / d


@njit(inline="always", cache=True, error_model="numpy")
def pair_step_fast(ax, ay, bx, by, ca, cb, prm, at, k, eps):
    """step_fast (groups.py) for two groups a, b (counts ca, cb), parameters
    prm[(at + e) * CHUNK + k]; valid while |S| <= 32, like step_fast."""
    (
        wq00, wq01, wq10, wq11, wk00, wk01, wk10, wk11, wv00, wv01, wv10, wv11, beta
    ) = lane_parameters(prm, at, k)  # fmt: skip
    beta = score_scale(beta)
    qa0, qa1, qb0, qb1 = projections(wq00, wq01, wq10, wq11, ax, ay, bx, by)
    pa0 = beta * qa0
    pa1 = beta * qa1
    pb0 = beta * qb0
    pb1 = beta * qb1
    ka0, ka1, kb0, kb1 = projections(wk00, wk01, wk10, wk11, ax, ay, bx, by)
    va0, va1, vb0, vb1 = projections(wv00, wv01, wv10, wv11, ax, ay, bx, by)
    nax, nay = pair_row_fast(pa0, pa1, ka0, ka1, kb0, kb1, ca, cb, va0, va1, vb0, vb1, eps)
    nbx, nby = pair_row_fast(pb0, pb1, ka0, ka1, kb0, kb1, ca, cb, va0, va1, vb0, vb1, eps)
    return nax, nay, nbx, nby


def lane_ready(fast, pairable, prm):
    """Whether a pixel may join the lanes, by the precision of its parameters prm: in float32
    when its score differences are finite (``pairable``), in float64 when it is on the
    max-free path (``fast``), the step the float64 lanes take."""
    raise NotImplementedError("compiled only")


@overload(lane_ready, inline="always")
def _lane_ready_in_precision(fast, pairable, prm):
    if prm.dtype == types.float32:
        return lambda fast, pairable, prm: pairable
    return lambda fast, pairable, prm: fast


def lanes_step(active, steps, eps, tol, ln):
    """One step of every lane [0, active) of the lane array (row r of lane k: ln[r * CHUNK + k]).

    Marks a lane's event when it may stop: merged (delta 0), fixed point, period 2 or its
    last step; its result is then the final delta (see groups.run_groups for why each is
    exact). Otherwise the event says whether the gap fell below tol at this step
    (Δ_{t-1} >= tol > Δ_t), the only steps that can be t0 of a pixel whose final gap is below
    tol; run_pairs then updates the lane's tracker, so the vector loop does not carry it.

    The lanes go in whole vectors of LANE_VECTOR, so the loop has no scalar remainder: the
    lanes from ``active`` to the next multiple of LANE_VECTOR are stepped too, on whatever
    their rows hold, and nobody reads them (run_pairs reads lanes below ``active`` only, and
    the lanes of the next chunk are written before they are read). 2-3% faster on seed
    1679700 (benchmarks/LOG.md).
    """
    last = np.float32(steps)
    for v in range((active + LANE_VECTOR - 1) // LANE_VECTOR):
        for u in range(LANE_VECTOR):
            k = v * LANE_VECTOR + u
            ax = ln[k]
            ay = ln[1 * CHUNK + k]
            bx = ln[2 * CHUNK + k]
            by = ln[3 * CHUNK + k]
            nax, nay, nbx, nby = lane_step(  # noqa: F821 (bound by compile_pairs)
                ax,
                ay,
                bx,
                by,
                ln[LANE_COUNT * CHUNK + k],
                ln[(LANE_COUNT + 1) * CHUNK + k],
                ln,
                LANE_PRM,
                k,
                eps,
            )
            t = ln[LANE_T * CHUNK + k] + _ONE
            fixed = (nax == ax) & (nay == ay) & (nbx == bx) & (nby == by)
            period2 = (
                (ln[LANE_HAS_PREV * CHUNK + k] != _ZERO)
                & (nax == ln[LANE_PREV * CHUNK + k])
                & (nay == ln[(LANE_PREV + 1) * CHUNK + k])
                & (nbx == ln[(LANE_PREV + 2) * CHUNK + k])
                & (nby == ln[(LANE_PREV + 3) * CHUNK + k])
            )
            nan = (nax != nax) | (nay != nay) | (nbx != nbx) | (nby != nby)
            merged = (nax == nbx) & (nay == nby)
            gap = abs(nbx - nax)
            odd = (last - t) % np.float32(2.0) == _ONE
            res = abs(bx - ax) if period2 & odd & (not fixed) else gap
            res = _NAN if nan else res
            stop = (fixed | period2 | merged | nan | (t >= last)) & (
                ln[LANE_DEAD * CHUNK + k] == _ZERO
            )
            cycle = period2 & (not fixed) & (not nan)
            code = (_STOP_ODD if odd else _STOP_EVEN) if cycle else _STOP
            crossed = (abs(bx - ax) >= tol) & (gap < tol)  # dead lanes: harmless, see run_pairs
            ln[LANE_EVENT * CHUNK + k] = code if stop else (_CROSSED if crossed else _GO_ON)
            ln[LANE_RESULT * CHUNK + k] = res
            ln[LANE_PREV * CHUNK + k] = ax
            ln[(LANE_PREV + 1) * CHUNK + k] = ay
            ln[(LANE_PREV + 2) * CHUNK + k] = bx
            ln[(LANE_PREV + 3) * CHUNK + k] = by
            ln[k] = nax
            ln[1 * CHUNK + k] = nay
            ln[2 * CHUNK + k] = nbx
            ln[3 * CHUNK + k] = nby
            ln[LANE_HAS_PREV * CHUNK + k] = _ONE
            ln[LANE_T * CHUNK + k] = t


@njit(inline="always", cache=True, error_model="numpy")
def lane_crossing(k, tol, ln):
    """Record step t of lane k as its t0 if its gap fell below tol there (see tracker.track)."""
    before = abs(ln[(LANE_PREV + 2) * CHUNK + k] - ln[LANE_PREV * CHUNK + k])
    after = abs(ln[2 * CHUNK + k] - ln[k])
    if before >= tol and after < tol:
        ln[LANE_LAST * CHUNK + k] = ln[LANE_T * CHUNK + k]
        ln[LANE_BEFORE * CHUNK + k] = before
        ln[LANE_AFTER * CHUNK + k] = after


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
def finish_pair(k, steps, tol, ln, p, out, t0s, clusters):
    """Write the fields of lane k's pixel p when its lane stops (see lanes_step).

    The tracker of a lane knows only the last step at which its gap fell below tol, which is
    t0 whenever the final gap is below tol (else sync_step is nan and t0 does not matter).
    """
    code = ln[LANE_EVENT * CHUNK + k]
    t = np.int64(ln[LANE_T * CHUNK + k])
    lane_crossing(k, tol, ln)
    final = LANE_PREV if code == _STOP_ODD else 0
    other = 0 if code == _STOP_ODD else LANE_PREV
    ax = ln[final * CHUNK + k]
    ay = ln[(final + 1) * CHUNK + k]
    bx = ln[(final + 2) * CHUNK + k]
    by = ln[(final + 3) * CHUNK + k]
    gap = ln[LANE_RESULT * CHUNK + k]
    last = np.int64(ln[LANE_LAST * CHUNK + k])
    before = ln[LANE_BEFORE * CHUNK + k]
    after = ln[LANE_AFTER * CHUNK + k]
    if code != _STOP:
        previous = abs(ln[(other + 2) * CHUNK + k] - ln[other * CHUNK + k])
        last, before, after = period_two_tail(t, steps, tol, gap, previous, last, before, after)
    out[0, p] = gap
    out[1, p] = before
    out[2, p] = after
    t0s[p] = last
    clusters[p] = pair_clusters(ax, ay, bx, by)


def finish_lanes(count, steps, eps, tol, ln, pix, out, t0s, clusters, stats):
    """Finish ``count`` two-group pixels: lane k is pixel pix[k] (see lanes_step).

    ``stats`` (int64) accumulates: [0] lane steps computed, [1] steps skipped.
    """
    active = count
    dead_count = 0
    while active > 0:
        stats[0] += active - dead_count
        step_lanes(active, steps, eps, tol, ln)  # noqa: F821 (bound by compile_pairs)
        for k in range(active):
            event = ln[LANE_EVENT * CHUNK + k]
            if event == _CROSSED:  # (a dead lane's tracker is no longer read)
                lane_crossing(k, tol, ln)
            elif event != _GO_ON:
                finish_pair(k, steps, tol, ln, pix[k], out, t0s, clusters)
                stats[1] += steps - np.int64(ln[LANE_T * CHUNK + k])
                ln[LANE_DEAD * CHUNK + k] = _ONE
                dead_count += 1
        if 4 * dead_count > active:
            live = 0
            for k in range(active):
                if ln[LANE_DEAD * CHUNK + k] == _ZERO:
                    if live != k:
                        for row in range(LANE_ROWS):
                            ln[row * CHUNK + live] = ln[row * CHUNK + k]
                        pix[live] = pix[k]
                    live += 1
            active = live
            dead_count = 0


def compile_pairs(name: str, step: Any) -> tuple[Any, Any]:
    """:func:`lanes_step` and :func:`finish_lanes` compiled with ``step`` as the lanes' step
    (:func:`pair_step` in float32, :func:`pair_step_fast` in float64), named ``pair_lanes_NAME``
    and ``run_pairs_NAME``. Binding the step by name rather than by an overload on the
    precision compiles its body once, not twice (an inlined overload is compiled on its own
    first): about 2 s of a cold compile. Only the kernels call them (no CPython wrapper, so no
    machine code of their own: :mod:`~attndyn.engines.kernels.linking`); tests compile copies
    (``tests/helpers.standalone``), whose flags cannot leak into the engine's."""
    options = dict(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True)
    lanes = njit(**options)(renamed_copy(lanes_step, f"pair_lanes_{name}", lane_step=step))
    run = njit(**options)(renamed_copy(finish_lanes, f"run_pairs_{name}", step_lanes=lanes))
    return lanes, run


pair_lanes_float32, run_pairs_float32 = compile_pairs("float32", pair_step)
pair_lanes_float64, run_pairs_float64 = compile_pairs("float64", pair_step_fast)
