"""Analysis of particle configurations: clusters and pairwise inner products.

Cluster counting follows the source package: run k-means with a few centres (more than the
number of clusters expected), then merge centres closer than a separation threshold.  On a
converged configuration, where particles sit on a handful of points, the merged centres are the
cluster locations and their assignment counts the cluster masses.

Clusters without choosing ``k`` (the connected components of the graph that links particles
closer than a distance, for batches of configurations at once, as the flows and phase diagrams
need at every recorded time) are :func:`attndyn.model.fields.count_clusters`, the count the
landscape's ``clusters`` field uses too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Clusters",
    "kmeans",
    "kmeans_clusters",
    "min_abs_inner_product",
    "pairwise_inner_products",
]


@dataclass(frozen=True)
class Clusters:
    """Merged clusters: ``centres`` (k, d), ``masses`` (k,, summing to 1), ``labels`` (n,)."""

    centres: np.ndarray
    masses: np.ndarray
    labels: np.ndarray

    @property
    def count(self) -> int:
        return int(self.centres.shape[0])


def pairwise_inner_products(x: np.ndarray) -> np.ndarray:
    """Gram matrix ``<x_i, x_j>``, shape ``(..., n, n)``."""
    return x @ np.swapaxes(x, -1, -2)


def min_abs_inner_product(x: np.ndarray) -> np.ndarray:
    """``min_{i,j} |<x_i, x_j>|`` over all pairs (shape ``x.shape[:-2]``), in ``[0, 1]``.

    Close to 1 when all particles sit at ``±u`` for one direction ``u`` (one cluster or two
    antipodal clusters); small when some pair is nearly orthogonal.  For unit vectors the
    value is at most 1 (Cauchy–Schwarz); the rounding of points normalised in a lower
    precision can push a product a few ulps past 1, so the result is clipped to ``[0, 1]``.
    """
    return np.clip(np.abs(pairwise_inner_products(x)).min(axis=(-1, -2)), 0.0, 1.0)


def kmeans(
    x: np.ndarray, k: int, rng: np.random.Generator, *, iterations: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ seeding; returns ``(centres (k, d), labels (n,))``.

    A centre that loses all its points keeps its previous position (no failure on data that
    has fewer distinct points than ``k``).
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    k = min(k, n)
    centres = np.empty((k, x.shape[1]))
    centres[0] = x[rng.integers(n)]
    closest = np.sum((x - centres[0]) ** 2, axis=1)
    for c in range(1, k):
        total = closest.sum()
        index = rng.integers(n) if total <= 0 else rng.choice(n, p=closest / total)
        centres[c] = x[index]
        closest = np.minimum(closest, np.sum((x - centres[c]) ** 2, axis=1))
    labels = np.zeros(n, dtype=int)
    for it in range(iterations):
        distances = np.sum((x[:, None, :] - centres[None, :, :]) ** 2, axis=-1)
        new_labels = distances.argmin(axis=1)
        if it > 0 and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros_like(centres)
        np.add.at(sums, labels, x)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres, labels


def kmeans_clusters(
    x: np.ndarray,
    rng: np.random.Generator | None = None,
    *,
    k: int = 3,
    threshold: float = 0.1,
) -> Clusters:
    """Clusters of the points ``x`` (n, d): k-means with ``k`` centres, then merging.

    So it finds **at most** ``k`` clusters: the count is capped by ``k``. Centres closer than
    ``threshold`` (Euclidean) are merged (single linkage); empty centres are dropped. The
    merged centre is the mass-weighted mean of its members' points. The default ``k = 3`` and
    ``threshold = 0.1`` are those of the source package (which expects at most two clusters),
    and the paper's experiments use them; raise ``k`` when more clusters may occur. To count
    clusters without a cap (points linked when closer than a distance), use
    :func:`attndyn.model.fields.count_clusters`, the landscape's count.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    x = np.asarray(x, dtype=float)
    n = x.shape[0]
    centres, labels = kmeans(x, k, rng)
    k_used = centres.shape[0]
    counts = np.bincount(labels, minlength=k_used)
    # union-find over centres that are closer than the threshold
    parent = np.arange(k_used)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    close = np.linalg.norm(centres[:, None] - centres[None, :], axis=-1) < threshold
    for a in range(k_used):
        for b in range(a + 1, k_used):
            if close[a, b] and counts[a] > 0 and counts[b] > 0:
                parent[find(b)] = find(a)
    roots = np.array([find(a) for a in range(k_used)])
    occupied = sorted({int(roots[a]) for a in range(k_used) if counts[a] > 0})
    remap = {root: i for i, root in enumerate(occupied)}
    merged_labels = np.array([remap[int(roots[label])] for label in labels], dtype=int)
    masses = np.bincount(merged_labels, minlength=len(occupied)) / n
    sums = np.zeros((len(occupied), x.shape[1]))
    np.add.at(sums, merged_labels, x)
    merged_centres = sums / (masses[:, None] * n)
    order = np.argsort(-masses, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return Clusters(
        centres=merged_centres[order], masses=masses[order], labels=inverse[merged_labels]
    )
