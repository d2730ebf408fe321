#!/usr/bin/env bash
# Regenerates every picture the documentation shows (the README and docs/*.md), with the
# commands the pages show. Run from the repository root after `make run` (or any install into
# .venv). About 10 minutes on a 2-core machine, most of it the research experiments.
set -euo pipefail
A=.venv/bin/attndyn
PY=.venv/bin/python
mkdir -p docs/gallery docs/colorings docs/zoom docs/research
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The picture `make run` draws, and the same fields drawn with their axes (Getting started).
$A render --size 768 -q -o docs/landscape.png --save "$WORK/landscape.npz"
$PY - "$WORK/landscape.npz" docs/landscape-axes.png <<'PYTHON'
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

fields = np.load(sys.argv[1])
spec = json.loads(str(fields["spec"]))
(x_lo, x_hi), (y_lo, y_hi) = spec["x_range"], spec["y_range"]
fig, ax = plt.subplots(figsize=(5.2, 5.0), dpi=120)
ax.imshow(fields["labels"], origin="lower", extent=[x_lo, x_hi, y_lo, y_hi], cmap="gray",
          interpolation="nearest")
ax.set_xlabel("b = W_K[1, 1]   (columns: col 0 at the left)")
ax.set_ylabel("a = W_K[0, 0]   (rows: row 0 at the bottom)")
ax.set_title("labels[row, col]: white = synchronised (Δ < tol)", fontsize=10)
fig.tight_layout()
fig.savefig(sys.argv[2])
PYTHON

# The gallery at the seed's resolution, as 240-pixel previews (bicubic, antialiased).
$A gallery -o docs/gallery --size 1500 --resize 240 -q
# The README's strip: the shared versions on one contact sheet (reuses the pictures just made).
$A gallery -o docs/gallery --size 1500 --resize 240 --init shared --sheet docs/gallery-sheet.png -q

# Colourings of one map.
P="--preset art5227590 --init shared --size 512"
$A render $P --save docs/colorings/fields.npz -q -o docs/colorings/binary.png
$A color docs/colorings/fields.npz --coloring log-delta --cmap magma -q -o docs/colorings/log-delta.png
$A color docs/colorings/fields.npz --coloring sync-step --cmap twilight_shifted --equalize -q -o docs/colorings/sync-step.png
$A color docs/colorings/fields.npz --coloring clusters -q -o docs/colorings/clusters.png
$A render --preset art5227590 --size 512 --samples 16 --coloring probability --cmap bone -q -o docs/colorings/probability.png
rm docs/colorings/fields.npz
# log-delta --equalize in float32 and float64 (the "before" picture is kept, not regenerated).
W="--preset art1679700 --init shared --center=0,3.5 --width 16 --size 320x200 --coloring log-delta --equalize"
$A render $W -q -o docs/colorings/log-delta-equalize-float32.png
$A render $W --precision float64 -q -o docs/colorings/log-delta-equalize-float64.png

# A zoom into a boundary, in float32 and deep in float64.
Z="--preset art1679700 --init shared --size 512 --coloring sync-step --cmap twilight_shifted --equalize"
$A render $Z --center=-3.06819,-1.82531 --width 0.002 -q -o docs/zoom/zoom-2e-3.png
$A render $Z --center=-3.06819,-1.82531 --width 2e-6 --precision float64 -q -o docs/zoom/zoom-2e-6.png

# A short movie.
$A movie zoom --preset art1679700 --init shared --size 160 --center=-3.06819,-1.82531 \
    --end-width 0.002 --frames 40 --fps 12 --coloring sync-step --cmap twilight_shifted \
    --equalize -q -o docs/zoom/zoom.gif
# Two frames of a sweep, coloured each on its own and on the movie's scale.
mkdir -p docs/movies
S="--preset art1679700 --init shared --size 160 --param wv01 --values=-3,-1 --frames 48 --fps 12"
$A movie sweep $S --coloring sync-step --equalize --color-scale per-frame --keep-frames \
    --frames-dir "$WORK/sweep-per-frame" -q -o "$WORK/sweep-per-frame.gif"
$A movie sweep $S --coloring sync-step --equalize --color-scale movie --keep-frames \
    --frames-dir "$WORK/sweep-movie" -q -o "$WORK/sweep-movie.gif"
for scale in per-frame movie; do
    for k in 26 27; do cp "$WORK/sweep-$scale"/000$k-*.png "docs/movies/sweep-$scale-$k.png"; done
done

# The research experiments at full size (Research); their CSVs and movies stay in $WORK.
for name in fig1 fig2 fig3 fig4 fig5 fig6 fig7 animations; do
    $A experiment "$name" -o "$WORK/results" -q
    cp "$WORK/results/$name.png" docs/research/
done
