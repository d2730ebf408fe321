#!/usr/bin/env bash
# Regenerates every picture in the README, with the commands the README shows.
# Run from the repository root after `make run` (or any install into .venv).
set -euo pipefail
A=.venv/bin/attndyn
mkdir -p docs/gallery docs/colorings docs/zoom

# The picture `make run` draws.
$A render --size 768 --preset art1679700 --init shared -q -o docs/landscape.png

# The gallery at the seed's resolution, as 240-pixel previews (bicubic, antialiased).
$A gallery -o docs/gallery --size 1500 --resize 240 -q

# Colourings of one map.
P="--preset art5227590 --init shared --size 512"
$A render $P --save docs/colorings/fields.npz -q -o docs/colorings/binary.png
$A color docs/colorings/fields.npz --coloring log-delta --cmap magma -q -o docs/colorings/log-delta.png
$A color docs/colorings/fields.npz --coloring sync-step --cmap twilight_shifted --equalize -q -o docs/colorings/sync-step.png
$A color docs/colorings/fields.npz --coloring clusters -q -o docs/colorings/clusters.png
$A render --preset art5227590 --size 512 --samples 16 --coloring probability --cmap bone -q -o docs/colorings/probability.png
rm docs/colorings/fields.npz

# A zoom into a boundary, in float32 and deep in float64.
Z="--preset art1679700 --init shared --size 512 --coloring sync-step --cmap twilight_shifted --equalize"
$A render $Z --center=-3.06819,-1.82531 --width 0.002 -q -o docs/zoom/zoom-2e-3.png
$A render $Z --center=-3.06819,-1.82531 --width 2e-6 --precision float64 -q -o docs/zoom/zoom-2e-6.png

# A short movie.
$A movie zoom --preset art1679700 --init shared --size 160 --target=-3.06819,-1.82531 \
    --end-width 0.002 --frames 40 --fps 12 --coloring sync-step --cmap twilight_shifted \
    --equalize --clean-frames -q -o docs/zoom/zoom.gif
