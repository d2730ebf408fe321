"""The fit plot of a box-counting estimate (:mod:`attndyn.analysis.dimension`).

Left: ``log N(s)`` against ``log(1/s)`` with the fitted line and the estimate with its
interval. Right: the local slopes between neighbouring box sizes and the slopes over sliding
windows of sizes (each at its window's middle), against the box size, with the estimate, the
fit's confidence interval (dark band) and the reported interval (light band, the fit's widened
to the windows' slopes); a set with one dimension over the range gives flat rows of slopes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import NullFormatter

from attndyn.analysis.dimension import DimensionEstimate


def plot_fit(estimate: DimensionEstimate, path: str | Path, *, title: str = "") -> Path:
    """Write the two-panel fit plot as a PNG, atomically."""
    from attndyn.particles.plots import new_figure, save_png

    sizes = estimate.sizes.astype(float)
    u = -np.log(sizes)
    v = np.log(estimate.counts.astype(float))
    low, high = estimate.reported_interval
    fit_low, fit_high = estimate.interval
    level = f"{100 * estimate.confidence:g}%"
    fig = new_figure(figsize=(10, 4))
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(u, v, "o", color="C0", label="box counts")
    ax.plot(
        u,
        estimate.intercept + estimate.dimension * u,
        "-",
        color="C1",
        label=f"D = {estimate.dimension:.3f}, [{low:.3f}, {high:.3f}] (fit {level}, box ranges)",
    )
    ax.set_xlabel(r"$\log(1/s)$, $s$ = box size in pixels")
    ax.set_ylabel(r"$\log N(s)$")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 2, 2)
    middles = np.sqrt(sizes[:-1] * sizes[1:])
    ax.semilogx(middles, estimate.local_slopes, "o-", color="C0", label="local slope")
    k = estimate.window
    centres = np.sqrt(sizes[: sizes.size - k + 1] * sizes[k - 1 :])
    ax.semilogx(centres, estimate.window_slopes, "s-", color="C2", label=f"slope over {k} sizes")
    ax.axhspan(low, high, color="C1", alpha=0.12, label="reported interval")
    ax.axhspan(fit_low, fit_high, color="C1", alpha=0.3, label=f"fit's {level} interval")
    ax.axhline(estimate.dimension, color="C1")
    ax.set_xlabel("box size s (pixels)")
    ticks = [2**k for k in range(0, 31) if sizes[0] <= 2**k <= sizes[-1]]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(r"$-\Delta \log N / \Delta \log s$")
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_png(fig, Path(path))
