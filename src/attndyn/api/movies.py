"""Movies from Python: ``attndyn movie zoom`` and ``attndyn movie sweep`` as one function.

:func:`movie` takes the ``movie`` command's options as keyword arguments (``kind`` "zoom" or
"sweep"; ``frames``, ``fps``, ``output``, ``frames_dir``, ``keep_frames``, ``color_scale``;
the zoom's ``center``, ``width`` and ``end_width``; the sweep's ``param``, ``values`` and
``spacing``; every ``render`` option and colour option) and writes the same files as the
command (frames through :func:`attndyn.pictures.movies.render_movie`, with its frame cache,
resume and progress bar). It returns a :class:`Movie`: the paths written, which a notebook
shows as a video (or a GIF) when the file is small enough to put in the notebook.

The command is a thin layer over :func:`movie_base`, :func:`frame_jobs` and :func:`make_movie`,
which raise :class:`~attndyn.model.errors.FieldError` for the front end to spell.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attndyn.api.keywords import (
    OptionError,
    color_options,
    keyword,
    keyword_errors,
    naming,
    number_text,
    numbers_text,
    path_text,
    refuse_unknown,
    render_options,
    resize_size,
)
from attndyn.model.errors import FieldError, UserError

if TYPE_CHECKING:
    from attndyn.engines import Engine
    from attndyn.model.job import Job
    from attndyn.model.options import RenderOptions
    from attndyn.pictures.coloring import ColorOptions
    from attndyn.pictures.movies import MovieResult

__all__ = ["Movie", "movie"]

KINDS = ("zoom", "sweep")
MAX_INLINE_BYTES = 8 * 1024**2
"""The largest video a notebook shows inline (base64 in the notebook); larger ones as links."""
OPTION_OF_ARGUMENT = {
    "target": "center",
    "start_width": "width",
    "from_value": "values",
    "to_value": "values",
}
"""The movie library's argument names as the command's options (errors are renamed)."""


def movie_base(kind: str, options: RenderOptions) -> tuple[Job, Any, float | None]:
    """The movie's base job, and a zoom's centre and first width (None, None for a sweep):
    a zoom's ``center`` and ``width`` are its own, not a window, and ``center`` is required.
    Raises FieldError naming options."""
    from attndyn.model.options import build_job

    if kind != "zoom":
        return build_job(options), None, None
    if options.center is None:
        raise FieldError(lambda n: f"movie zoom needs {n('center')} CX,CY, the point zoomed into")
    return build_job(replace(options, center=None, width=None)), options.center, options.width


def frame_jobs(
    kind: str,
    base: Job,
    center: Any = None,
    width: float | None = None,
    *,
    frames: int,
    end_width: float | None = None,
    param: str | None = None,
    values: tuple[float, float] | None = None,
    spacing: str = "linear",
) -> list[Job]:
    """The frames' jobs: a zoom into ``center`` from ``width`` (default: the spec's window
    width) to ``end_width``, or ``param`` swept over ``values`` with ``spacing``; each frame
    starts from the base job's points. Raises FieldError naming options."""
    from attndyn.model.job import Job
    from attndyn.pictures.movie_frames import sweep_specs, zoom_specs

    try:
        if kind == "zoom":
            if end_width is None:
                raise FieldError(lambda n: f"movie zoom needs {n('end_width')} W1")
            specs = zoom_specs(base.spec, center, width, end_width, frames)
        else:
            if param is None:
                raise FieldError(lambda n: f"movie sweep needs {n('param')} NAME")
            if values is None:
                raise FieldError(
                    lambda n: (
                        f"movie sweep needs {n('values')} A,B: the swept parameter's value in "
                        "the first frame and in the last"
                    )
                )
            specs = sweep_specs(base.spec, param, values[0], values[1], frames, spacing)
    except FieldError as error:
        raise error.renamed(OPTION_OF_ARGUMENT) from None
    return [Job(spec, base.x0) for spec in specs]


def make_movie(
    jobs: Sequence[Job],
    colors: ColorOptions,
    outputs: Sequence[Path],
    *,
    frames_dir: Path,
    engine: Engine,
    fps: float,
    size: tuple[int, int] | None,
    progress: bool,
    keep_frames: bool,
    color_scale: str,
    force: bool,
    force_option: str = "force=True",
) -> MovieResult:
    """Refuse a huge movie (unless ``force``; the message names ``force_option``), then render
    its frames (reusing cached ones) and write ``outputs``
    (:func:`attndyn.pictures.movies.render_movie`). Ctrl-C raises
    :class:`~attndyn.pictures.movies.MovieInterrupted`, the finished frames kept."""
    from attndyn.pictures.movies import estimate_movie_cost, render_movie
    from attndyn.rendering.estimate import refuse_if_huge

    cost = estimate_movie_cost(
        jobs, colors, engine, frames_dir=frames_dir, size=size, color_scale=color_scale
    )
    refuse_if_huge(cost, force=force, force_option=force_option)
    return render_movie(
        jobs,
        colors,
        outputs,
        frames_dir=frames_dir,
        engine=engine,
        fps=fps,
        size=size,
        progress=progress,
        keep_frames=keep_frames,
        color_scale=color_scale,
    )


class Movie:
    """A movie written by :func:`movie`: ``outputs`` (the videos' paths; ``path`` the first,
    and ``os.fspath(movie)``), the number of ``frames``, which were ``computed`` (the others
    came from the frame cache), the ``frame_size`` (width, height) and ``fps``. A notebook
    shows it as a video (mp4) or an image (GIF) when it is at most
    :data:`MAX_INLINE_BYTES`, else as links."""

    def __init__(self, result: MovieResult, frame_size: tuple[int, int], fps: float) -> None:
        self.outputs: list[Path] = list(result.outputs)
        self.frames = len(result.frame_paths)
        self.computed: list[int] = list(result.computed)
        self.frame_size = frame_size
        self.fps = fps

    @property
    def path(self) -> Path:
        """The first output."""
        return self.outputs[0]

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __repr__(self) -> str:
        width, height = self.frame_size
        names = ", ".join(str(p) for p in self.outputs)
        return f"<Movie {names}: {self.frames} frames {width}x{height} at {self.fps:g} fps>"

    def _repr_html_(self) -> str:
        for path in sorted(self.outputs, key=lambda p: p.suffix.lower() != ".mp4"):
            if path.exists() and path.stat().st_size <= MAX_INLINE_BYTES:
                data = base64.b64encode(path.read_bytes()).decode("ascii")
                if path.suffix.lower() == ".mp4":
                    return (
                        "<video controls loop autoplay muted playsinline "
                        f"src='data:video/mp4;base64,{data}'></video>"
                    )
                return f"<img src='data:image/gif;base64,{data}' alt='{html.escape(str(path))}'/>"
        links = ", ".join(
            f"<a href='{html.escape(path.as_posix(), quote=True)}'>{html.escape(str(path))}</a>"
            for path in self.outputs
        )
        return f"<p>{links}: {html.escape(repr(self))}</p>"


def _outputs(output: Any, kind: str) -> list[str]:
    if output is None:
        return [f"{kind}.mp4"]
    if isinstance(output, str | os.PathLike):
        return [path_text(output)]
    return [path_text(p) for p in output]


def movie(
    kind: str = "zoom",
    *,
    frames: int,
    fps: float | None = None,
    output: str | Path | Sequence[str | Path] | None = None,
    frames_dir: str | Path | None = None,
    keep_frames: bool = False,
    color_scale: str | None = None,
    end_width: float | None = None,
    param: str | None = None,
    values: Any = None,
    spacing: str = "linear",
    coloring: str | None = None,
    cmap: str | None = None,
    equalize: bool = False,
    invert: bool = False,
    resize: Any = None,
    engine: str | Engine = "auto",
    device: str = "auto",
    force: bool = False,
    quiet: bool = False,
    **options: Any,
) -> Movie:
    """The movie ``attndyn movie zoom`` or ``attndyn movie sweep`` writes with these options.

    A bad keyword raises :class:`~attndyn.api.keywords.OptionError` naming it; Ctrl-C raises
    :class:`~attndyn.pictures.movies.MovieInterrupted`, the finished frames kept for a rerun.

    Parameters
    ----------
    kind
        "zoom" (an exponential zoom into ``center``, from ``width``, default the spec's window
        width, to ``end_width``) or "sweep" (``param`` from ``values[0]`` to ``values[1]``,
        ``spacing`` "linear" or "log").
    frames, fps
        The number of frames (at least 2) and frames per second (default 24).
    output
        The movie file(s), ``.mp4`` and/or ``.gif`` (default ``zoom.mp4`` or ``sweep.mp4``);
        an mp4 needs an even width and height.
    frames_dir, keep_frames, color_scale
        The frame cache (default ``OUT.frames`` beside the first output; a rerun reuses its
        frames), whether to keep it afterwards, and "movie" (one colour scale for all frames,
        the default) or "per-frame".
    coloring, cmap, equalize, invert, resize
        The frames' colours and size, as :meth:`attndyn.Landscape.color`.
    engine, device, force, quiet
        As :func:`attndyn.render`; ``quiet``: no progress bar.
    **options
        ``render``'s options for every frame (``preset``, ``size``, ``init`` ...).
    """
    from attndyn.api.landscapes import get_engine
    from attndyn.model.options import OPTION_FIELDS
    from attndyn.model.parsing import parse_float, parse_int, parse_numbers
    from attndyn.pictures.coloring import ColorOptions
    from attndyn.pictures.movies import (
        COLOR_SCALES,
        DEFAULT_COLOR_SCALE,
        DEFAULT_FPS,
        check_outputs,
        default_frames_dir,
        frame_size,
    )

    refuse_unknown(options, [keyword(f) for f in OPTION_FIELDS], "movie()")
    if kind not in KINDS:
        raise OptionError(f"kind {kind!r} is unknown; choose one of {', '.join(KINDS)}", ("kind",))
    scale = DEFAULT_COLOR_SCALE if color_scale is None else color_scale
    if scale not in COLOR_SCALES:
        raise OptionError(
            f"color_scale {scale!r} is unknown; choose one of {', '.join(COLOR_SCALES)}",
            ("color_scale",),
        )
    parsed = render_options(options, what="movie()")
    with keyword_errors():
        base, center, width = movie_base(kind, parsed)
    stored = ColorOptions.from_picture(parsed.from_picture) if parsed.from_picture else None
    colors = color_options(coloring, cmap, equalize=equalize, invert=invert, base=stored)
    size = resize_size(resize)
    pixels = frame_size(base.spec, size)
    with naming("output", output):
        paths = check_outputs(_outputs(output, kind), pixels)
    cache = Path(path_text(frames_dir)) if frames_dir is not None else default_frames_dir(paths[0])
    with keyword_errors():
        count = parse_int("frames", number_text(frames))
        rate = parse_float("fps", number_text(DEFAULT_FPS if fps is None else fps))
        last = None if end_width is None else parse_float("end_width", number_text(end_width))
        pair = None
        if values is not None:
            pair = parse_numbers("values", numbers_text("values", values), 2)
        jobs = frame_jobs(
            kind,
            base,
            center,
            width,
            frames=count,
            end_width=last,
            param=param,
            values=pair,  # type: ignore[arg-type]
            spacing=spacing,
        )
    try:
        result = make_movie(
            jobs,
            colors,
            paths,
            frames_dir=cache,
            engine=get_engine(engine, device),
            fps=rate,
            size=size,
            progress=not quiet,
            keep_frames=keep_frames,
            color_scale=scale,
            force=force,
        )
    except FieldError as error:
        raise OptionError(str(error)) from None
    except UserError:
        raise
    return Movie(result, pixels, rate)
