"""Trace a pixel and measure a boundary from Python: the ``trace`` and ``dimension`` commands.

:func:`trace` takes ``attndyn trace``'s options as keyword arguments (the pixel as ``pixel``
or ``at``, every ``render`` option, the outputs ``output``, ``plot``, ``animation`` and
``fps``) and returns a :class:`PixelTrace`: the run of that pixel
(:class:`~attndyn.analysis.trace.Trace`, its gap, cluster counts and points at every step)
that shows its plot in a notebook. :func:`dimension` takes ``attndyn dimension``'s (the
landscape, a fields file or a :class:`~attndyn.api.landscapes.Landscape`; ``field``,
``min_box``, ``max_box``, ``confidence``, ``output``, ``plot``) and returns a
:class:`BoundaryDimension`, the box-counting fit
(:class:`~attndyn.analysis.dimension.DimensionEstimate`) that shows its fit plot.

Both check their keywords as the commands check their options and raise
:class:`~attndyn.api.keywords.OptionError` (a ValueError) naming the keyword. Files are
written only when named; the command line's ``dimension`` writes ``dimension.png`` when no
output is named, where a notebook shows the plot instead.

The commands are thin layers over the functions below the keyword parsing
(:func:`find_pixel`, :func:`checked_fps`, :func:`trace_outputs`, :func:`write_trace_outputs`,
:func:`trace_summary`; :func:`checked_field`, :func:`field_of`, :func:`write_dimension_outputs`,
:func:`dimension_summary`), which raise :class:`~attndyn.model.errors.FieldError` for the front
end to spell.

Examples
--------
>>> import attndyn as ad
>>> run = ad.trace(pixel=(10, 20), size=64, quiet=True)
>>> run.row, run.col, run.delta.shape, run.label, int(run.clusters[-1])
(10, 20, (101,), 0, 2)
>>> fit = ad.dimension(ad.render(size=64, quiet=True), min_box=2, max_box=8)
>>> fit.sizes.tolist(), fit.field
([2, 3, 4, 5, 6, 7, 8], 'labels')
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from attndyn.api.display import html_figure
from attndyn.api.keywords import (
    OptionError,
    keyword,
    keyword_errors,
    naming,
    number_text,
    path_text,
    refuse_unknown,
    render_options,
)
from attndyn.model.errors import FieldError, Spell, UserError

if TYPE_CHECKING:
    from attndyn.analysis.dimension import DimensionEstimate
    from attndyn.analysis.trace import Trace
    from attndyn.api.landscapes import Landscape
    from attndyn.model.job import Job
    from attndyn.model.spec import LandscapeSpec

__all__ = ["BoundaryDimension", "PixelTrace", "dimension", "trace"]

MAX_ANIMATION_FRAMES = 200
"""The most frames a trace's animation has (``--animation``): the steps are thinned evenly."""
DEFAULT_TRACE_FPS = 10.0
FIELDS = ("labels", "clusters")
"""The fields whose boundary :func:`dimension` measures."""


def _as_is(name: str) -> str:
    return name


def _plot_png(draw: Callable[[Path], Any]) -> bytes:
    """The PNG bytes a plot function writes to a path (through a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="attndyn-plot-") as folder:
        path = Path(folder) / "plot.png"
        draw(path)
        return path.read_bytes()


# -- trace ------------------------------------------------------------------------------------


def find_pixel(spec: LandscapeSpec, pixel: str | None, at: str | None) -> tuple[int, int]:
    """(row, col) from ``pixel`` ("ROW,COL", grid indices) or ``at`` ("X,Y", the nearest
    pixel to these parameter values); exactly one of them. Raises FieldError naming them."""
    from attndyn.analysis.trace import pixel_at
    from attndyn.model.parsing import parse_int, parse_numbers

    if (pixel is None) == (at is None):
        raise FieldError(
            lambda n: f"trace needs one of {n('pixel')} ROW,COL or {n('at')} X,Y (not both)"
        )
    if at is not None:
        x, y = parse_numbers("at", at, 2)
        return pixel_at(spec, x, y)
    parts = str(pixel).split(",")
    if len(parts) != 2:
        raise FieldError(lambda n: f"{n('pixel')} {pixel!r} is not ROW,COL")
    return parse_int("pixel", parts[0]), parse_int("pixel", parts[1])


def checked_fps(text: Any) -> float:
    """Frames per second of a trace's animation: a finite number > 0 (FieldError naming
    ``fps`` otherwise)."""
    from attndyn.model.parsing import parse_float

    fps = parse_float("fps", text)
    if not (np.isfinite(fps) and fps > 0):
        raise FieldError(lambda n: f"{n('fps')} {fps!r} must be a finite number > 0")
    return fps


def trace_outputs(
    output: str | None, plot: str | None, animation: str | None, spell: Spell = _as_is
) -> tuple[Path | None, Path | None, Path | None]:
    """The (csv, plot, animation) paths, each checked writable before any work; ``spell``
    writes an option's name in the messages (``--output`` on the command line)."""
    from attndyn.model.outputs import check_writable

    csv_path = check_writable(output, suffix=".csv", what=spell("output")) if output else None
    plot_path = check_writable(plot, suffix=".png", what=spell("plot")) if plot else None
    movie_path = None
    if animation:
        movie_path = check_writable(animation, what=spell("animation"))
        if movie_path.suffix.lower() not in (".gif", ".mp4"):
            raise UserError(f"{spell('animation')} path {animation!r} must end in .gif or .mp4")
    return csv_path, plot_path, movie_path


def write_trace_outputs(
    run: Trace,
    csv_path: Path | None,
    plot_path: Path | None,
    movie_path: Path | None,
    *,
    fps: float = DEFAULT_TRACE_FPS,
    progress: bool = False,
) -> list[Path]:
    """Write the outputs named (the CSV of step, delta, clusters; the plot; the animation of
    the points, at most :data:`MAX_ANIMATION_FRAMES` frames); the paths written."""
    if csv_path is not None:
        from attndyn.particles.experiments.common import write_csv

        rows = zip(run.steps, run.delta.astype(np.float64), run.clusters, strict=True)
        write_csv(csv_path, ["step", "delta", "clusters"], rows)
    if plot_path is not None:
        from attndyn.analysis.trace_plots import plot_trace

        plot_trace(run, plot_path)
    if movie_path is not None:
        from attndyn.analysis.trace_plots import write_trace_movie

        write_trace_movie(
            run, movie_path, fps=fps, max_frames=MAX_ANIMATION_FRAMES, progress=progress
        )
    return [path for path in (csv_path, plot_path, movie_path) if path is not None]


def trace_summary(run: Trace) -> str:
    """The two lines ``attndyn trace`` prints: the pixel and its parameters, then the final
    gap, the label, the sync step and the cluster count."""
    spec = run.spec
    sync = "never" if np.isnan(run.sync_step) else f"{run.sync_step:.4g}"
    return (
        f"pixel row {run.row}, col {run.col}: {spec.x_param} = {run.x_value!r}, "
        f"{spec.y_param} = {run.y_value!r}\n"
        f"delta after {spec.steps} steps = {float(run.delta[-1]):.6g} "
        f"({'synchronised' if run.label else 'not synchronised'}, tol {spec.tol:g}); "
        f"sync step {sync}; {int(run.clusters[-1])} clusters"
    )


class _Result:
    """Reads the attributes it lacks from the library's result it wraps (``_result``), so
    that the result's numbers are its attributes; the analysis modules (scipy's among them)
    are imported only when a result is made, not with ``import attndyn``."""

    _result: Any

    def __getattr__(self, name: str) -> Any:
        result = self.__dict__.get("_result")
        if result is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(result, name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *dir(self.__dict__.get("_result"))})


class PixelTrace(_Result):
    """The run of one pixel: every attribute of its :class:`~attndyn.analysis.trace.Trace`
    (``points``, ``delta``, ``clusters``, ``steps``, ``label``, ``sync_step``, the pixel's
    ``row``, ``col``, ``x_value``, ``y_value``, matrices and ``spec``), the files
    :func:`trace` wrote (``written``), its summary, and its plot in a notebook."""

    def __init__(self, run: Trace, written: Sequence[Path] = ()) -> None:
        self._result = run
        self.written = tuple(written)

    @property
    def trace(self) -> Trace:
        """The library's result (:class:`~attndyn.analysis.trace.Trace`)."""
        return self._result

    @property
    def summary(self) -> str:
        """The two lines ``attndyn trace`` prints (:func:`trace_summary`)."""
        return trace_summary(self.trace)

    @cached_property
    def plot_png(self) -> bytes:
        """The three-panel plot of ``trace --plot`` as PNG bytes."""
        from attndyn.analysis.trace_plots import plot_trace

        return _plot_png(lambda path: plot_trace(self.trace, path))

    def __repr__(self) -> str:
        first, second = self.summary.split("\n")
        return f"<PixelTrace {first}; {second}>"

    def _repr_png_(self) -> bytes:
        return self.plot_png

    def _repr_html_(self) -> str:
        rows = [
            ("pixel", f"row {self.row}, col {self.col}"),
            (self.spec.x_param, repr(self.x_value)),
            (self.spec.y_param, repr(self.y_value)),
            ("delta", f"{float(self.delta[-1]):.6g} after {self.spec.steps} steps"),
            ("synchronised", "yes" if self.label else "no"),
            ("sync step", "never" if math.isnan(self.sync_step) else f"{self.sync_step:.4g}"),
            ("clusters", str(int(self.clusters[-1]))),
        ]
        return html_figure(self.plot_png, rows, f"trace of pixel ({self.row}, {self.col})")


def _pixel_text(name: str, value: Any) -> str | None:
    """``(10, 20)`` -> ``"10,20"``; text as it is; None stays None."""
    if value is None or isinstance(value, str):
        return value
    try:
        return ",".join(number_text(v) for v in value)
    except TypeError:
        raise OptionError(
            f"{name}={value!r} is not two numbers; give a pair such as (10, 20) or text '10,20'",
            (name,),
        ) from None


def trace(
    pixel: Any = None,
    at: Any = None,
    *,
    output: str | Path | None = None,
    plot: str | Path | None = None,
    animation: str | Path | None = None,
    fps: float = DEFAULT_TRACE_FPS,
    quiet: bool = False,
    **options: Any,
) -> PixelTrace:
    """The dynamics behind one pixel of the landscape that :func:`attndyn.render` with the
    same ``options`` computes, as ``attndyn trace`` runs them.

    The last ``delta`` is the pixel's delta in the rendered landscape. A bad keyword raises
    :class:`~attndyn.api.keywords.OptionError` naming it.

    Parameters
    ----------
    pixel
        The pixel's grid indices (row, col), row 0 the lowest y value: ``(10, 20)`` or
        ``"10,20"``.
    at
        Or parameter values (x, y): the nearest pixel.
    output, plot, animation
        Files to write (none by default): the CSV of step, delta and clusters; the plot
        (``.png``); the points on the circle (``.gif`` or ``.mp4``, at most
        :data:`MAX_ANIMATION_FRAMES` frames) at ``fps`` frames per second.
    quiet
        No progress bar for the animation.
    **options
        ``render``'s options (:func:`attndyn.render`), e.g. ``preset``, ``size``, ``init``.
    """
    from attndyn.analysis.trace import trace_pixel
    from attndyn.model.options import OPTION_FIELDS, build_job

    own = ["pixel", "at", "output", "plot", "animation", "fps", "quiet"]
    refuse_unknown(options, [*own, *(keyword(field) for field in OPTION_FIELDS)], "trace()")
    parsed = render_options(options, what="trace()")
    with keyword_errors():
        job: Job = build_job(parsed)
        row, col = find_pixel(job.spec, _pixel_text("pixel", pixel), _pixel_text("at", at))
        rate = checked_fps(number_text(fps))
    try:
        paths = trace_outputs(*(path_text(p) if p else None for p in (output, plot, animation)))
    except UserError as error:  # each message starts with the keyword it names
        raise OptionError(str(error), (str(error).split(" ")[0],)) from None
    with keyword_errors():
        run = trace_pixel(job, row, col)
    written = write_trace_outputs(run, *paths, fps=rate, progress=not quiet)
    return PixelTrace(run, written)


# -- dimension --------------------------------------------------------------------------------


def checked_field(name: str) -> str:
    """``labels`` or ``clusters``; FieldError naming ``field`` otherwise."""
    from attndyn.model.parsing import did_you_mean

    if name not in FIELDS:
        hint = did_you_mean(name, FIELDS)
        raise FieldError(
            lambda n: f"{n('field')} {name!r} is unknown{hint}; choose one of {', '.join(FIELDS)}"
        )
    return name


def field_of(landscape: Any, name: str, source: str) -> np.ndarray:
    """The field ``name`` of a landscape's fields; UserError naming ``source`` if absent."""
    field = landscape.fields.arrays().get(name)
    if field is None:
        raise UserError(f"fields file {source!r} holds no {name!r} field")
    return field


def write_dimension_outputs(
    estimate: DimensionEstimate, plot_path: Path | None, csv_path: Path | None, title: str
) -> list[Path]:
    """Write the fit plot and the CSV of box size, count, local slope and the slope of the
    sliding window of box sizes that starts there, those named; the paths written."""
    if plot_path is not None:
        from attndyn.analysis.dimension_plots import plot_fit

        plot_fit(estimate, plot_path, title=title)
    if csv_path is not None:
        from attndyn.particles.experiments.common import write_csv

        slopes = [*estimate.local_slopes, float("nan")]
        windows = [*estimate.window_slopes]
        windows += [float("nan")] * (estimate.sizes.size - len(windows))
        rows = zip(estimate.sizes, estimate.counts, slopes, windows, strict=True)
        header = ["box_size", "count", "local_slope_to_next", "window_slope_from_here"]
        write_csv(csv_path, header, rows)
    return [path for path in (plot_path, csv_path) if path is not None]


def dimension_summary(estimate: DimensionEstimate, shape: tuple[int, int]) -> str:
    """The line ``attndyn dimension`` prints: the estimate, its reported interval (the hull of
    the fit's interval and the sliding box ranges' slopes), both parts, the standard error,
    the box sizes and the grid (``shape`` = (rows, cols))."""
    low, high = estimate.reported_interval
    fit_low, fit_high = estimate.interval
    first, last = estimate.range_spread
    level = f"{100 * estimate.confidence:g}%"
    return (
        f"dimension {estimate.dimension:.4f} ({level} interval {low:.4f} .. {high:.4f}: "
        f"the fit's {fit_low:.4f} .. {fit_high:.4f} and the box ranges' {first:.4f} .. "
        f"{last:.4f}; standard error {estimate.stderr:.4f}) from {estimate.sizes.size} box "
        f"sizes {estimate.sizes[0]}..{estimate.sizes[-1]} px on a {shape[1]}x{shape[0]} grid"
    )


def dimension_warning(estimate: DimensionEstimate) -> str | None:
    """The warning ``attndyn dimension`` prints when the slope over sliding box ranges moves
    beyond the fit's interval (the reported interval then covers both), or None."""
    if not estimate.range_exceeds_interval:
        return None
    fit_low, fit_high = estimate.interval
    first, last = estimate.range_spread
    level = f"{100 * estimate.confidence:g}%"
    return (
        f"the slope moves from {first:.4f} to {last:.4f} over sliding ranges of "
        f"{estimate.window} box sizes, beyond the fit's {level} interval "
        f"{fit_low:.4f} .. {fit_high:.4f}; the interval given covers both"
    )


class BoundaryDimension(_Result):
    """The box-counting dimension of a landscape's boundary: every attribute of its
    :class:`~attndyn.analysis.dimension.DimensionEstimate` (``dimension``, ``interval``,
    ``stderr``, ``sizes``, ``counts``, ``local_slopes`` ...), the ``field`` and grid
    (``shape``, rows and columns) it was measured on, the files written, and the fit plot in
    a notebook."""

    def __init__(
        self,
        estimate: DimensionEstimate,
        *,
        field: str,
        shape: tuple[int, int],
        title: str,
        written: Sequence[Path] = (),
    ) -> None:
        self._result = estimate
        self.field, self.shape, self.title = field, shape, title
        self.written = tuple(written)

    @property
    def estimate(self) -> DimensionEstimate:
        """The library's result (:class:`~attndyn.analysis.dimension.DimensionEstimate`)."""
        return self._result

    @property
    def summary(self) -> str:
        """The line ``attndyn dimension`` prints (:func:`dimension_summary`)."""
        return dimension_summary(self.estimate, self.shape)

    @cached_property
    def plot_png(self) -> bytes:
        """The fit plot of ``dimension --plot`` as PNG bytes."""
        from attndyn.analysis.dimension_plots import plot_fit

        return _plot_png(lambda path: plot_fit(self.estimate, path, title=self.title))

    def __repr__(self) -> str:
        return f"<BoundaryDimension of {self.field}: {self.summary}>"

    def _repr_png_(self) -> bytes:
        return self.plot_png

    def _repr_html_(self) -> str:
        low, high = self.interval
        rows = [
            ("dimension", f"{self.dimension:.4f}"),
            (f"{100 * self.confidence:g}% interval", f"{low:.4f} .. {high:.4f}"),
            ("standard error", f"{self.stderr:.4f}"),
            ("box sizes", f"{self.sizes.size}: {self.sizes[0]}..{self.sizes[-1]} px"),
            ("grid", f"{self.shape[1]}x{self.shape[0]}"),
            ("field", self.field),
        ]
        return html_figure(self.plot_png, rows, self.title or repr(self))


def _landscape(fields: Any) -> tuple[Any, str]:
    """(a landscape, the name its plot title uses) from a Landscape or a file name."""
    from attndyn.api.landscapes import Landscape, load

    if isinstance(fields, Landscape):
        spec = fields.spec
        return fields, f"landscape {spec.width}x{spec.height}"
    with naming("fields", fields):
        return load(path_text(fields)), path_text(fields)


def dimension(
    fields: Landscape | str | Path,
    *,
    field: str = "labels",
    min_box: int | None = None,
    max_box: int | None = None,
    confidence: float = 0.95,
    output: str | Path | None = None,
    plot: str | Path | None = None,
) -> BoundaryDimension:
    """The box-counting dimension of the boundary between the labels (or clusters) of a
    landscape, as ``attndyn dimension`` measures it.

    A bad keyword raises :class:`~attndyn.api.keywords.OptionError` naming it.

    Parameters
    ----------
    fields
        A :class:`~attndyn.api.landscapes.Landscape` (from :func:`attndyn.render` or
        :func:`attndyn.load`), or a file :func:`attndyn.load` reads (a fields file from
        ``render --save``, a picture made by attndyn, a store).
    field
        ``labels`` (default) or ``clusters``.
    min_box, max_box
        The smallest and largest box sizes in pixels (default 2, and the shorter side / 16).
    confidence
        The level of the confidence interval (default 0.95).
    output, plot
        Files to write (none by default): the CSV of box size, count and local slope; the fit
        plot (``.png``), which a notebook shows anyway.
    """
    from attndyn.analysis.dimension import estimate_dimension
    from attndyn.model.outputs import check_writable
    from attndyn.model.parsing import parse_float, parse_int

    with keyword_errors():
        checked_field(str(field))
        low = parse_int("min_box", number_text(min_box)) if min_box is not None else None
        high = parse_int("max_box", number_text(max_box)) if max_box is not None else None
        level = parse_float("confidence", number_text(confidence))
    paths = []
    for name, value, suffix in (("plot", plot, ".png"), ("output", output, ".csv")):
        with naming(name, value):
            paths.append(
                check_writable(path_text(value), suffix=suffix, what=name) if value else None
            )
    landscape, source = _landscape(fields)
    with naming("field", field):
        array = field_of(landscape, str(field), source)
    with keyword_errors():
        estimate = estimate_dimension(array, min_box=low, max_box=high, confidence=level)
    warning = dimension_warning(estimate)
    if warning is not None:
        import warnings

        warnings.warn(warning, UserWarning, stacklevel=2)
    title = f"{source}: boundary of {field}"
    written = write_dimension_outputs(estimate, paths[0], paths[1], title)
    return BoundaryDimension(
        estimate, field=str(field), shape=array.shape, title=title, written=written
    )
