"""Clusters of a pixel's final points, counted on its groups.

Points i and j are linked when ``dx*dx + dy*dy <= CLUSTER_DISTANCE**2`` in float64, each
operation rounded (:func:`attndyn.model.fields.linked`), and ``clusters`` is the number of
single-linkage clusters: the connected components of the links. Copies of a point are at
distance 0, so the clusters of a pixel's points are those of its distinct groups, which a
small union-find joins whenever two groups are linked (:func:`count_clusters`; two groups:
:func:`pair_clusters`). A state with a non-finite coordinate has 0 clusters.

The link test is :func:`attndyn.model.fields.linked`'s arithmetic, except that a fused
multiply-add may round dx*dx + dy*dy once instead of twice: in the float32 CPU engine
:func:`count_clusters` and the pair lanes' finish inherit the fastmath "contract" of the tile
kernel that calls them (see :mod:`~attndyn.engines.kernels.targets`), and the CUDA target
contracts by default. That can change a decision only for two points whose squared distance
is within an ulp of CLUSTER_DISTANCE^2.

These functions are one source for the CPU and GPU engines (see
:mod:`~attndyn.engines.kernels.targets`): :func:`compile_clusters` with a target; this
module's own names are the CPU's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from attndyn.engines.kernels.targets import CPU, Target
from attndyn.model.fields import CLUSTER_DISTANCE

_LINK2 = CLUSTER_DISTANCE**2


class Clusters(NamedTuple):
    """The cluster functions compiled for one target."""

    linked: Callable[..., Any]
    count_clusters: Callable[..., Any]
    pair_clusters: Callable[..., Any]


def compile_clusters(target: Target) -> Clusters:
    """:func:`linked`, :func:`count_clusters` and :func:`pair_clusters` for ``target``."""

    @target.inline
    def linked(ax, ay, bx, by):
        """fields.linked for the points (ax, ay) and (bx, by)."""
        dx = np.float64(ax) - np.float64(bx)
        dy = np.float64(ay) - np.float64(by)
        return dx * dx + dy * dy <= _LINK2

    @target.call
    def count_clusters(m, gx, gy, parent):
        """Single-linkage clusters of the m groups (0 if any is non-finite), by union-find
        (``parent`` holds at least m integers)."""
        for k in range(m):
            if not (math.isfinite(gx[k]) and math.isfinite(gy[k])):
                return 0
        clusters = m
        for k in range(m):
            parent[k] = k
        for i in range(1, m):
            for j in range(i):
                if linked(gx[i], gy[i], gx[j], gy[j]):
                    a = i
                    while parent[a] != a:
                        parent[a] = parent[parent[a]]
                        a = parent[a]
                    b = j
                    while parent[b] != b:
                        parent[b] = parent[parent[b]]
                        b = parent[b]
                    if a != b:
                        parent[max(a, b)] = min(a, b)
                        clusters -= 1
        return clusters

    @target.inline
    def pair_clusters(ax, ay, bx, by):
        """count_clusters for two groups a, b."""
        if not (
            math.isfinite(ax) and math.isfinite(ay) and math.isfinite(bx) and math.isfinite(by)
        ):
            return 0
        return 1 if linked(ax, ay, bx, by) else 2

    return Clusters(linked, count_clusters, pair_clusters)


linked, count_clusters, pair_clusters = compile_clusters(CPU)
