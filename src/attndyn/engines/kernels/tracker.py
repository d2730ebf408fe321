"""The sync tracker: the three numbers per pixel that ``sync_step`` is made of.

``sync_step`` (see :mod:`attndyn.model.fields`) needs only t0 = 1 + the last step t with
Δ_t >= tol (0 if none), Δ_{t0-1} and Δ_{t0}, where Δ_t = max_i |x_i0(t) - x_00(t)| is the
gap of step t. A kernel keeps them as (last, before, after) and folds each step's gap in
(:func:`track`); :func:`attndyn.model.fields.fields_from_tracker` applies the formula afterwards.

On a group state (distinct points g_k; group 0 holds point 0) the gap is
Δ = max_k |g_k0 - g_00| (:func:`gap`), since copies of a point add no new differences.

When a kernel stops early on an exact exit, the tracker is completed in closed form:
  * one group (or two merged groups): Δ = 0 < tol for ever, so no later step is >= tol and
    the tracker is final;
  * a fixed point: Δ stays that of the state, already folded in (if it is >= tol the label
    is 0 and sync_step is nan, so only last matters);
  * period 2 with states S (step t) and S' (step t - 1), both folded in: the later gaps
    alternate, so Δ_T is that of S or S' by the parity of T - t and Δ_{T-1} that of the
    other; if T > t and Δ_{T-1} >= tol > Δ_T then t0 = T, else the tracker is final
    (:func:`period_two_tail`);
  * nan: delta is nan, label 0, sync_step nan (a nan state may fold a wrong gap in, which is
    harmless for the same reason).

These functions must agree bit for bit between the CPU and GPU engines, so they are one
source compiled for both (:mod:`~attndyn.engines.kernels.targets`): :func:`compile_tracker`
with a target; this module's own names are the CPU's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from attndyn.engines.kernels.targets import CPU, Target

_ZERO = np.float32(0.0)  # float64 where the gaps are float64: numba unifies the types


class Tracker(NamedTuple):
    """The tracker's functions compiled for one target."""

    track: Callable[..., Any]
    period_two_tail: Callable[..., Any]
    gap: Callable[..., Any]


def compile_tracker(target: Target) -> Tracker:
    """:func:`track`, :func:`period_two_tail` and :func:`gap` compiled for ``target``."""

    @target.inline
    def track(t, t_next, gap, tol, last, before, after):
        """Fold the gap Δ_t of step t into (last, before, after) = (t0 so far, Δ_{t0-1},
        Δ_{t0}).

        last = 1 + the last step so far with Δ >= tol (0 if none); ``after`` is taken from the
        step following that one. t_next = t + 1, in the type of t (steps are float32 in the
        block steps, integers in the group steps; the pair lanes track only the steps where
        the gap falls below tol, see lanes.lanes_step).
        """
        after = gap if last == t else after
        big = gap >= tol
        last = t_next if big else last
        before = gap if big else before
        return last, before, after

    @target.inline
    def period_two_tail(t, steps, tol, final, other, last, before, after):
        """The tracker after the steps t+1..steps of a period-2 orbit whose state at step t
        has gap ``other`` or ``final`` (the one at ``steps``), steps t and t-1 being tracked
        already.

        The gaps alternate, so only steps - 1 and steps can still matter: Δ_{steps-1} is
        ``other`` and Δ_{steps} is ``final``.
        """
        if steps > t and other >= tol:
            last = steps
            before = other
            after = final
        if final >= tol:
            last = steps + 1
        return last, before, after

    @target.inline
    def gap(m, gx):
        """Δ = max_k |g_k0 - g_00| over the m groups; nan if any coordinate is nan (as
        np.max propagates nan)."""
        first = gx[0]
        gap = _ZERO
        for k in range(m):
            d = abs(gx[k] - first)
            if d > gap or d != d:
                gap = d
        return gap

    return Tracker(track, period_two_tail, gap)


track, period_two_tail, gap = compile_tracker(CPU)
