"""The residual gallery strip of docs/residual.md: the default picture at h = 0.1 ... 20 and none.

The same matrices and points (the default picture: the gallery's art1679700 with one shared
configuration of points, 100 steps, the window [-8, 8]^2), rendered with the skip connection
X <- normalize(X + h A V) for each h, and without it (the seed's map, "none"). Top row: the
labels (white: synchronised), as the seed draws them; bottom row: the sync step (the step at
which the points synchronised, black where they did not). Re-run from the repository root:

    .venv/bin/python docs/residual_strip.py            # docs/residual/strip.png, 256 px each
    .venv/bin/python docs/residual_strip.py --size 128 -o /tmp/strip.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from attndyn.model.options import RenderOptions, build_job
from attndyn.pictures.coloring import ColorOptions, picture
from attndyn.rendering.render import render_landscape

STEPS_H: tuple[float | None, ...] = (0.1, 0.5, 1.0, 2.0, 5.0, 20.0, None)
LABEL_HEIGHT = 22
GAP = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("-o", "--output", default="docs/residual/strip.png")
    args = parser.parse_args()
    size = args.size
    columns = len(STEPS_H)
    strip = Image.new("RGB", (columns * (size + GAP) - GAP, LABEL_HEIGHT + 2 * size + GAP), "white")
    draw = ImageDraw.Draw(strip)
    for k, h in enumerate(STEPS_H):
        job = build_job(RenderOptions(residual=h, size=(size, size)))
        fields = render_landscape(job, "numba", progress=True).fields
        labels = picture(fields, job.spec, ColorOptions("binary", None, False, False))
        steps = picture(
            fields, job.spec, ColorOptions("sync-step", "twilight_shifted", False, False)
        )
        left = k * (size + GAP)
        strip.paste(labels.convert("RGB"), (left, LABEL_HEIGHT))
        strip.paste(steps.convert("RGB"), (left, LABEL_HEIGHT + size + GAP))
        text = "none (the seed's map)" if h is None else f"h = {h:g}"
        draw.text((left + 4, 5), text, fill="black")
        white = fields.labels.mean()
        print(f"{text}: {100 * white:.1f}% synchronised")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    strip.save(args.output, optimize=True)
    print(f"wrote {args.output} ({strip.width} x {strip.height})")


if __name__ == "__main__":
    main()
