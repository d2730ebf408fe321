"""The note ``render --from PICTURE --coloring ...`` prints before it computes a picture again
only to change its colours: the fields beside the picture recolour it at once, or, when there
are none, ``--save`` keeps them for next time.

The fields of a picture are a ``.npz`` of ``render --save`` (read by ``attndyn color``) or a
Zarr store of ``render --store`` (read by ``attndyn export``) in the picture's directory whose
spec is the picture's: the picture's own name with ``.npz`` or ``.zarr`` first, then those
whose name starts as the picture's does up to its first '-' (a movie's frame NNNNN-...), then
the others in name order, at most :data:`MOST_CHECKED` of them (only their spec is read).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np

from attndyn.pictures.coloring import ColorOptions

MOST_CHECKED = 64


def _spec_json(candidate: Path) -> str | None:
    """The spec JSON a fields file or a store holds, None if it is neither or unreadable."""
    try:
        if candidate.is_dir():
            info = json.loads((candidate / "zarr.json").read_text())
            return str(info["attributes"]["attndyn"]["spec"])
        with np.load(candidate, allow_pickle=False) as archive:
            return str(archive["spec"]) if "spec" in archive.files else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def fields_beside(picture: Path, spec_json: str) -> Path | None:
    """A fields file or a store next to ``picture`` made for ``spec_json``, if there is one."""
    folder = picture.parent
    prefix = picture.stem.split("-")[0] + "-"  # a movie's frames: NNNNN-HASH.png, NNNNN-HASH.npz
    try:
        others = sorted(
            [*folder.glob("*.npz"), *folder.glob("*.zarr")],
            key=lambda path: (not path.name.startswith(prefix), path.name),
        )
    except OSError:
        others = []
    candidates = [picture.with_suffix(".npz"), picture.with_suffix(".zarr"), *others]
    checked = 0
    for candidate in dict.fromkeys(candidates):
        if checked >= MOST_CHECKED:
            break
        if candidate.name.endswith(".partial.npz") or not candidate.exists():
            continue  # an unfinished render's resume file is not a picture's fields
        checked += 1
        if _spec_json(candidate) == spec_json:
            return candidate
    return None


def _colour_arguments(colors: ColorOptions, output: Path | None, resize: str | None) -> str:
    words = ["-o", str(output or "OUT.png"), "--coloring", colors.coloring]
    words += ["--cmap", colors.cmap] if colors.cmap else []
    words += ["--invert"] if colors.invert else []
    words += ["--equalize"] if colors.equalize else []
    words += ["--resize", resize] if resize else []
    return shlex.join(words)


def recolour_note(
    picture: str | Path,
    spec_json: str,
    colors: ColorOptions,
    *,
    output: Path | None,
    resize: str | None,
    saving: bool,
) -> str | None:
    """The one-line note for recolouring ``picture`` by computing it again, or None (when
    the fields will be saved by this very render, ``saving``, and none are beside it)."""
    found = fields_beside(Path(picture), spec_json)
    arguments = _colour_arguments(colors, output, resize)
    if found is not None:
        command = "export" if found.is_dir() else "color"
        return (
            f"attndyn: note: {str(found)!r} holds this picture's fields; 'attndyn {command} "
            f"{shlex.quote(str(found))} {arguments}' recolours it without computing"
        )
    if saving:
        return None
    return (
        "attndyn: note: no fields of this picture are beside it, so recolouring computes it "
        "again; render with --save FIELDS.npz to recolour later with 'attndyn color' at once"
    )
