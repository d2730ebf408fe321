"""Colormap look-up tables for a published site, taken from matplotlib at publish time.

matplotlib colours a unit value u in [0, 1] with a colormap of N colours as its entry
``min(floor(u N), N - 1)`` (as bytes: ``(lut * 255).astype(uint8)``). A table of the N byte
colours, and the same for the reversed colormap (``--invert``), is all the page needs to
give the colours :func:`attndyn.pictures.coloring.color_array` gives.
"""

from __future__ import annotations

import base64

import numpy as np

from attndyn.pictures.coloring import DEFAULT_CMAPS, colormap

# The explorer's list (explorer/static/explorer.js), and every colouring's default.
SITE_CMAPS = (
    "gray",
    "magma",
    "inferno",
    "viridis",
    "plasma",
    "cividis",
    "twilight_shifted",
    "twilight",
    "turbo",
    "cubehelix",
    "bone",
    "copper",
    "ocean",
    "terrain",
    "tab10",
    "tab20",
    "hsv",
)


def lut_bytes(name: str, reversed_: bool = False) -> np.ndarray:
    """The (N, 3) uint8 colours of colormap ``name`` (reversed if asked), entry by entry."""
    cmap = colormap(name)
    if reversed_:
        cmap = cmap.reversed()
    return np.ascontiguousarray(cmap(np.arange(cmap.N), bytes=True)[:, :3])


def site_luts(names: tuple[str, ...] = SITE_CMAPS) -> dict[str, dict]:
    """Every colormap of ``names`` (and the colourings' defaults) as the page reads it:
    ``{name: {"n": N, "rgb": base64, "rgb_r": base64 of the reversed map}}``."""
    out = {}
    for name in dict.fromkeys((*names, *DEFAULT_CMAPS.values())):
        plain, flipped = lut_bytes(name), lut_bytes(name, True)
        out[name] = {
            "n": int(plain.shape[0]),
            "rgb": base64.b64encode(plain.tobytes()).decode("ascii"),
            "rgb_r": base64.b64encode(flipped.tobytes()).decode("ascii"),
        }
    return out
