"""Movies of convergence landscapes: the frames rendered, coloured, cached and encoded.

A movie is a list of frame specs (ordinary :class:`~attndyn.model.spec.LandscapeSpec` values;
:mod:`attndyn.pictures.movie_frames` makes those of a zoom or a sweep), each rendered and
colored exactly like ``attndyn render`` would, then encoded as MP4 and/or GIF.

Colour scale (``color_scale``)
    A colouring that adapts to the data (the range of ``log-delta`` and ``sync-step``, and
    every ``equalize``) takes its range and its equalisation from *all* frames' fields by
    default (``"movie"``): a pixel with the same field value has the same colour in every
    frame, so the colours hold still where the landscape does. The values that set the scale
    (:func:`movie_reference`) are every finite value of every frame when there are at most
    :data:`REFERENCE_VALUES`; otherwise each frame gives evenly spaced order statistics of its
    values, as many as its share of the movie's pixels allows, plus the movie's smallest and
    largest value, so the range is exact and the equalisation is that of a stratified sample.
    ``"per-frame"`` colours each frame by its own values (each frame then looks its best
    alone, and the colours of a sweep jump from frame to frame). Colourings that do not adapt
    (``binary``, ``probability``, ``clusters`` without ``equalize``) are the same either way.

Frame cache and resume (:func:`render_movie`)
    Each finished frame is written (atomically) to ``frames_dir/NNNNN-HASH.png``: NNNNN is the
    frame index and HASH the first 16 hex digits of sha256 of the frame's spec JSON, the
    coloring JSON and the picture size (and, with the movie's colour scale, every frame's
    spec, which decides the scale). The PNG carries its spec, so
    ``attndyn render --from frames_dir/00012-....png`` reproduces that frame's landscape (its
    colours too with ``per-frame``). With the movie's colour scale the cache first holds each
    frame's fields, ``NNNNN-HASH.npz`` (HASH of the spec alone; the file of ``render --save``,
    so ``attndyn color`` recolours it), and the PNGs are coloured from them once every frame's
    fields exist: one pass over the cache, nothing recomputed. A rerun reuses every frame whose
    file exists under its name and computes only the others, so an interrupted movie resumes
    where it stopped, and a movie with other settings never picks up a stale frame (another
    colouring of a kept movie reuses its fields). The video files are written only after every
    frame exists, each to a temporary file that is then renamed. ``keep_frames`` keeps the
    cache after success (re-encoding at another fps or to another format costs nothing);
    otherwise this movie's frames are removed afterwards (and the directory when it is then
    empty).

Encoding
    ``.mp4``: H.264 (libx264, yuv420p, crf 18) through the ffmpeg that ``imageio-ffmpeg``
    bundles. yuv420p needs an even frame width and height; odd sizes are refused up front (no
    padding), so the video has exactly the frames' pixels. ``.gif``: Pillow, adaptive palette,
    looping forever, frame duration round(1000 / fps) ms. GIF stores identical consecutive
    frames once, with their durations added, so a GIF of a sweep that leaves the picture
    unchanged for a while can have fewer than N stored frames but the same running time.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from attndyn.engines import Engine, get_engine
from attndyn.engines.warmup import compile_first
from attndyn.model.errors import FieldError, UserError
from attndyn.model.job import Job
from attndyn.model.outputs import check_writable
from attndyn.model.spec import LandscapeSpec
from attndyn.pictures import video
from attndyn.pictures.coloring import ColorOptions, field_values, picture
from attndyn.pictures.images import write_png
from attndyn.pictures.movie_frames import positive_value
from attndyn.pictures.movie_frames import sweep_specs as sweep_specs  # importable from here too
from attndyn.pictures.movie_frames import sweep_values as sweep_values
from attndyn.pictures.movie_frames import zoom_specs as zoom_specs
from attndyn.pictures.movie_frames import zoom_widths as zoom_widths
from attndyn.rendering.estimate import CostEstimate, estimate_cost
from attndyn.rendering.render import RenderInterrupted, render_landscape
from attndyn.rendering.store import load_landscape, save_landscape

VIDEO_SUFFIXES = (".mp4", ".gif")
DEFAULT_FPS = 24.0
COLOR_SCALES = ("movie", "per-frame")
DEFAULT_COLOR_SCALE = "movie"
REFERENCE_VALUES = 1 << 22  # at most about this many values set a movie's colour scale
_HASH_DIGITS = 16

__all__ = [
    "COLOR_SCALES",
    "REFERENCE_VALUES",
    "VIDEO_SUFFIXES",
    "MovieInterrupted",
    "MovieResult",
    "check_outputs",
    "estimate_movie_cost",
    "fields_name",
    "frame_name",
    "frame_size",
    "movie_reference",
    "render_movie",
]


# -- outputs --------------------------------------------------------------------------------


def check_outputs(
    outputs: Sequence[str | Path], frame_size: tuple[int, int] | None = None
) -> list[Path]:
    """Refuse, before any work, outputs that cannot be written or encoded.

    Each output must end in .mp4 or .gif, be writable, and appear once; an .mp4 needs an even
    ``frame_size`` (width, height).
    """
    if not outputs:
        raise UserError("a movie needs at least one output (.mp4 or .gif)")
    paths: list[Path] = []
    for output in outputs:
        path = Path(output)
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            raise UserError(
                f"output {str(path)!r} has an unknown suffix; allowed are "
                f"{', '.join(VIDEO_SUFFIXES)}"
            )
        check_writable(path, what="movie")
        if any(os.path.abspath(path) == os.path.abspath(p) for p in paths):
            raise UserError(f"output {str(path)!r} is given twice")
        if path.suffix.lower() == ".mp4" and frame_size is not None:
            width, height = frame_size
            if width % 2 or height % 2:
                raise UserError(
                    f"mp4 needs an even frame width and height (H.264, yuv420p); the frames are "
                    f"{width}x{height}: use an even --size or --resize, or write a .gif"
                )
        paths.append(path)
    return paths


def default_frames_dir(output: str | Path) -> Path:
    """``OUT.frames`` beside the first output: ``zoom.mp4`` -> ``zoom.frames``."""
    return Path(output).with_suffix(".frames")


def _check_frames_dir(frames_dir: Path) -> None:
    if frames_dir.exists() and not frames_dir.is_dir():
        raise UserError(f"frames directory {str(frames_dir)!r} is a file; give a directory")
    existing = frames_dir if frames_dir.is_dir() else frames_dir.parent
    if str(existing) == "":
        existing = Path(".")
    if not existing.is_dir():
        raise UserError(f"directory {str(existing)!r} of the frames does not exist")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"frames directory {str(existing)!r} is not writable")


# -- rendering ------------------------------------------------------------------------------


def frame_key(
    spec: LandscapeSpec,
    options: ColorOptions,
    size: tuple[int, int] | None,
    scale: str | None = None,
) -> str:
    """sha256 (hex) of what a frame's picture depends on: spec, coloring and picture size, and
    ``scale``, the identity of a movie-wide colour scale (:func:`movie_scale_id`; None: the
    frame's own scale)."""
    digest = hashlib.sha256()
    parts = [spec.to_json(), options.to_json(), repr(size)]
    if scale is not None:
        parts.append(scale)
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def frame_name(
    index: int,
    spec: LandscapeSpec,
    options: ColorOptions,
    size: tuple[int, int] | None = None,
    scale: str | None = None,
) -> str:
    """The cache file name of frame ``index``'s picture: ``NNNNN-HASH.png``."""
    return f"{index:05d}-{frame_key(spec, options, size, scale)[:_HASH_DIGITS]}.png"


def fields_name(index: int, spec: LandscapeSpec) -> str:
    """The cache file name of frame ``index``'s fields: ``NNNNN-HASH.npz``, HASH of the spec."""
    return f"{index:05d}-{hashlib.sha256(spec.to_json().encode()).hexdigest()[:_HASH_DIGITS]}.npz"


def movie_scale_id(specs: Sequence[LandscapeSpec]) -> str:
    """What a movie-wide colour scale depends on besides the colouring: every frame's spec
    (which decides its fields) and how many values set the scale."""
    digest = hashlib.sha256(f"movie {REFERENCE_VALUES}\n".encode())
    for spec in specs:
        digest.update(spec.to_json().encode())
        digest.update(b"\n")
    return digest.hexdigest()


def adapts_to_data(options: ColorOptions) -> bool:
    """Whether ``options`` colour by the data's range or distribution (a scale to share)."""
    return options.equalize or options.coloring in ("log-delta", "sync-step")


def _check_color_scale(color_scale: str) -> str:
    if color_scale not in COLOR_SCALES:
        raise FieldError(
            lambda n: (
                f"{n('color_scale')} {color_scale!r} is unknown; choose one of "
                f"{', '.join(COLOR_SCALES)}"
            )
        )
    return color_scale


def movie_reference(
    fields_paths: Sequence[Path], coloring: str, *, limit: int = REFERENCE_VALUES
) -> np.ndarray:
    """The sorted values that set a movie's colour scale (see the module docstring): the
    colouring's finite field values (:func:`attndyn.pictures.coloring.field_values`) of every
    frame's fields file, or, when the frames hold more than ``limit`` values in all, from each frame
    ceil(n * limit / P) of its n finite values (P: all frames' pixels), evenly spaced in
    order, plus the smallest and the largest value of all. One pass over the files."""
    parts: list[np.ndarray] = []
    lo, hi = np.inf, -np.inf
    pixels_in_all = None
    for path in fields_paths:
        landscape = load_landscape(path)
        values = field_values(landscape.fields, landscape.spec, coloring)
        if pixels_in_all is None:
            pixels_in_all = values.size * len(fields_paths)
        data = np.sort(values[np.isfinite(values)])
        if not data.size:
            continue
        lo, hi = min(lo, float(data[0])), max(hi, float(data[-1]))
        if pixels_in_all > limit:
            wanted = min(data.size, math.ceil(data.size * limit / pixels_in_all))
            data = data[np.rint(np.linspace(0, data.size - 1, wanted)).astype(np.int64)]
        parts.append(data)
    if not parts:
        return np.full(0, np.nan)
    return np.sort(np.concatenate([*parts, [lo, hi]]))


def frame_size(spec: LandscapeSpec, size: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height) of the movie's frames: ``size`` (a resize) if given, else the spec's."""
    return size if size is not None else (spec.width, spec.height)


@dataclass(frozen=True)
class _CachePlan:
    """A movie's cache files and the frames whose fields must be computed: with a movie-wide
    colour scale the fields files are the cache (``fields_paths``); otherwise the PNGs are."""

    frame_paths: list[Path]
    fields_paths: list[Path] | None
    todo: list[int]


def _cache_plan(
    specs: Sequence[LandscapeSpec],
    options: ColorOptions,
    size: tuple[int, int] | None,
    frames_dir: Path,
    color_scale: str,
) -> _CachePlan:
    shared = _check_color_scale(color_scale) == "movie" and adapts_to_data(options)
    scale = movie_scale_id(specs) if shared else None
    frame_paths = [
        frames_dir / frame_name(i, spec, options, size, scale) for i, spec in enumerate(specs)
    ]
    if not shared:
        return _CachePlan(
            frame_paths, None, [i for i, p in enumerate(frame_paths) if not p.is_file()]
        )
    fields_paths = [frames_dir / fields_name(i, spec) for i, spec in enumerate(specs)]
    if all(path.is_file() for path in frame_paths):  # every picture is done already
        return _CachePlan(frame_paths, fields_paths, [])
    return _CachePlan(
        frame_paths, fields_paths, [i for i, p in enumerate(fields_paths) if not p.is_file()]
    )


def estimate_movie_cost(
    frames: Sequence[Job],
    options: ColorOptions,
    engine: Engine,
    *,
    frames_dir: Path,
    size: tuple[int, int] | None = None,
    color_scale: str = DEFAULT_COLOR_SCALE,
) -> CostEstimate:
    """What rendering the frames not yet in the cache costs: the sum of their times and the
    largest of their memory needs (frames are rendered one after another)."""
    plan = _cache_plan([job.spec for job in frames], options, size, frames_dir, color_scale)
    costs = [estimate_cost(frames[i].spec, engine) for i in plan.todo]
    return CostEstimate(
        seconds=sum(c.seconds for c in costs), bytes=max((c.bytes for c in costs), default=0)
    )


class MovieInterrupted(Exception):
    """Raised when a movie is interrupted; finished frames stay in ``frames_dir``."""

    def __init__(self, frames_done: int, frames_total: int, frames_dir: Path) -> None:
        super().__init__(f"interrupted after {frames_done} of {frames_total} frames")
        self.frames_done = frames_done
        self.frames_total = frames_total
        self.frames_dir = frames_dir


@dataclass(frozen=True)
class MovieResult:
    """What :func:`render_movie` did: the frame files, which frames it computed (the others
    came from the cache), and the videos written."""

    frame_paths: list[Path]
    computed: list[int]
    outputs: list[Path]


def render_movie(
    frames: Sequence[LandscapeSpec | Job],
    options: ColorOptions | None = None,
    outputs: Sequence[str | Path] = (),
    *,
    frames_dir: str | Path | None = None,
    engine: str | Engine = "auto",
    fps: float = DEFAULT_FPS,
    size: tuple[int, int] | None = None,
    progress: bool = False,
    keep_frames: bool = False,
    on_frame: Callable[[int], None] | None = None,
    color_scale: str = DEFAULT_COLOR_SCALE,
) -> MovieResult:
    """Render every frame (reusing cached ones), then write each output video atomically.

    Parameters
    ----------
    frames
        Frame specs (e.g. from :func:`~attndyn.pictures.movie_frames.zoom_specs` or
        :func:`~attndyn.pictures.movie_frames.sweep_specs`), or jobs when the frames start from
        an explicit initial-point array. All must give the same picture size.
    options
        Coloring of every frame (default: binary).
    outputs
        ``.mp4`` and/or ``.gif`` paths; may be empty to only fill the frame cache.
    frames_dir
        The frame cache (default ``OUT.frames`` beside the first output).
    size
        Resize every picture to (width, height), as ``--resize`` does.
    progress
        A progress bar over frames, on stderr; kernels that still need their first compile
        are compiled before it starts, under a notice
        (:func:`attndyn.engines.warmup.compile_first`).
    keep_frames
        Keep this movie's frame files after the videos are written. By default they are
        removed (and the directory, if then empty) once every output is written; they are
        always kept when there is no output (the frames are then the product) and when the
        movie is interrupted (so that a rerun resumes from them).
    on_frame
        Called with the index of each frame after it is computed and saved.
    color_scale
        ``"movie"`` (default): colour ranges and equalisation from all frames' fields, so the
        colours hold still; ``"per-frame"``: each frame's own (see the module docstring).

    Raises
    ------
    MovieInterrupted
        On KeyboardInterrupt; the frames finished so far are in the cache.
    """
    from tqdm.auto import tqdm

    options = options or ColorOptions()
    jobs = [frame if isinstance(frame, Job) else Job(frame) for frame in frames]
    if not jobs:
        raise UserError("a movie needs at least one frame")
    sizes = {frame_size(job.spec, size) for job in jobs}
    if len(sizes) != 1:
        raise UserError(f"frames have different picture sizes {sorted(sizes)}; give one size")
    (pixels,) = sizes
    paths = check_outputs(outputs, pixels) if outputs else []
    fps = positive_value("fps", fps)
    if frames_dir is None:
        if not paths:
            raise UserError("give a frames directory or an output")
        frames_dir = default_frames_dir(paths[0])
    frames_dir = Path(frames_dir)
    _check_frames_dir(frames_dir)
    if isinstance(engine, str):
        engine = get_engine(engine)

    plan = _cache_plan([job.spec for job in jobs], options, size, frames_dir, color_scale)
    frame_paths, fields_paths, todo = plan.frame_paths, plan.fields_paths, plan.todo
    try:
        frames_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(
            f"cannot create frames directory {str(frames_dir)!r}: {error.strerror or error}"
        ) from None
    total = len(jobs)
    done = total - len(todo)
    computed: list[int] = []
    if progress and todo:  # the kernels' first compile, said and done before the bar starts
        compile_first(engine, [jobs[index].spec for index in todo])
    bar = tqdm(
        total=total, initial=done, unit="frame", desc="movie", disable=not progress, leave=False
    )
    try:
        for index in todo:
            job = jobs[index]
            landscape = render_landscape(job, engine)
            if fields_paths is not None:  # pictures once every frame's fields are known
                save_landscape(fields_paths[index], landscape)
            else:
                image = picture(landscape.fields, job.spec, options, size=size)
                write_png(
                    frame_paths[index], image, job.spec.to_json(), coloring_json=options.to_json()
                )
            done += 1
            computed.append(index)
            bar.update(1)
            if on_frame is not None:
                on_frame(index)
    except (KeyboardInterrupt, RenderInterrupted):
        raise MovieInterrupted(done, total, frames_dir) from None
    finally:
        bar.close()

    try:
        if fields_paths is not None:
            _color_frames(jobs, options, size, frame_paths, fields_paths, progress=progress)
        for path in paths:
            if path.suffix.lower() == ".mp4":
                write_mp4(frame_paths, path, fps=fps)
            else:
                write_gif(frame_paths, path, fps=fps)
    except KeyboardInterrupt:
        raise MovieInterrupted(done, total, frames_dir) from None
    if paths and not keep_frames:
        for path in [*frame_paths, *(fields_paths or [])]:
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            frames_dir.rmdir()
    return MovieResult(frame_paths=frame_paths, computed=computed, outputs=paths)


def _color_frames(
    jobs: Sequence[Job],
    options: ColorOptions,
    size: tuple[int, int] | None,
    frame_paths: Sequence[Path],
    fields_paths: Sequence[Path],
    *,
    progress: bool,
) -> None:
    """Colour every frame picture not yet in the cache from its fields file, on the movie's
    colour scale (:func:`movie_reference`); a pass over the cache, nothing recomputed."""
    from tqdm.auto import tqdm

    missing = [i for i, path in enumerate(frame_paths) if not path.is_file()]
    if not missing:
        return
    reference = movie_reference(fields_paths, options.coloring)
    for index in tqdm(missing, unit="frame", desc="colour", disable=not progress, leave=False):
        landscape = load_landscape(fields_paths[index])
        image = picture(landscape.fields, jobs[index].spec, options, size=size, reference=reference)
        write_png(
            frame_paths[index], image, jobs[index].spec.to_json(), coloring_json=options.to_json()
        )


# -- encoders -------------------------------------------------------------------------------


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.ascontiguousarray(np.asarray(image.convert("RGB")))


def write_mp4(frame_paths: Sequence[Path], path: str | Path, *, fps: float = DEFAULT_FPS) -> None:
    """Encode the frame pictures as H.264 MP4, streamed from disk (even sizes only)."""
    video.write_mp4((_rgb(p) for p in frame_paths), path, fps=fps)


def write_gif(frame_paths: Sequence[Path], path: str | Path, *, fps: float = DEFAULT_FPS) -> None:
    """A GIF of the frame pictures that loops forever."""
    video.write_gif((_rgb(p) for p in frame_paths), path, fps=fps)
