"""A movie's frames: the windows of an exponential zoom, or the values of a parameter sweep.

Each frame is an ordinary :class:`~attndyn.model.spec.LandscapeSpec`;
:mod:`attndyn.pictures.movies` renders, colours and encodes them.

Zoom (:func:`zoom_specs`)
    N >= 2 frames centred on the target (cx, cy), in (x_param, y_param) coordinates. Frame i,
    i = 0..N-1, has the window width

        w_i = w0 * (w1 / w0) ** (i / (N - 1))      (so w_0 = w0 and w_{N-1} = w1 exactly),

    i.e. log w_i is linear in i and consecutive frames shrink by the constant factor
    (w1 / w0) ** (1 / (N - 1)): the zoom speed looks constant. The window's height is
    h_i = w_i * height / width (square pixels) and the window is
    [cx - w_i/2, cx + w_i/2] x [cy - h_i/2, cy + h_i/2]. Frames too narrow for the working
    precision are *refused up front* (before anything is rendered) with a message naming the
    first such frame and suggesting ``--precision float64``; the precision is never switched
    mid-movie, because float32 and float64 pictures of the same window can differ visibly
    near the boundary and the switch would show as a jump.

Sweep (:func:`sweep_specs`)
    Frame k, k = 0..N-1, sets the parameter p (any name of
    :data:`attndyn.model.params.SWEEPABLE_NAMES` other than the two axis parameters: one matrix
    entry, beta, or the residual step h) to, with t_k = k / (N - 1),

        linear:  p_k = (1 - t_k) * a + t_k * b,
        log:     p_k = a * (b / a) ** t_k          (a, b > 0),

    exactly a and b at the ends. Linear steps are equal, a + (b - a) k / (N - 1) up to
    rounding; log steps are equal in log p (consecutive frames differ by the factor
    (b / a) ** (1 / (N - 1))), for a parameter whose effect spans decades, such as the residual
    step h from the attention flow (small h) to the seed's map (large h). Every other spec
    field is left as it is; a frame whose value the spec refuses (beta or h <= 0, say) is
    named before anything is rendered.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from attndyn.model.errors import FieldError, UserError
from attndyn.model.params import RESIDUAL, SWEEPABLE_NAMES, parse_parameter
from attndyn.model.spec import LandscapeSpec

SPACINGS = ("linear", "log")
"""How a sweep's values step: equal differences, or equal ratios."""

__all__ = ["SPACINGS", "sweep_specs", "sweep_values", "zoom_specs", "zoom_widths"]


def _check_frames(frames: int) -> int:
    if isinstance(frames, bool) or not isinstance(frames, int | np.integer):
        raise FieldError(
            lambda n: f"{n('frames')} {frames!r} is not an integer; give an integer >= 2"
        )
    if frames < 2:
        raise FieldError(
            lambda n: f"{n('frames')} {frames} is too few; a movie needs at least 2 frames"
        )
    return int(frames)


def positive_value(name: str, value: float) -> float:
    """``value`` as a float, or a :class:`FieldError` naming ``name`` unless finite and > 0."""
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise FieldError(lambda n: f"{n(name)} {value!r} must be a finite number > 0")
    return value


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise FieldError(lambda n: f"{n(name)} {value!r} is not finite")
    return value


def zoom_widths(start_width: float, end_width: float, frames: int) -> list[float]:
    """Window widths w_i = w0 * (w1 / w0) ** (i / (N - 1)), i = 0..N-1, ends exact."""
    frames = _check_frames(frames)
    w0 = positive_value("start_width", start_width)
    w1 = positive_value("end_width", end_width)
    ratio = w1 / w0
    widths = [w0 * ratio ** (i / (frames - 1)) for i in range(frames)]
    widths[0], widths[-1] = w0, w1
    return widths


def zoom_specs(
    spec: LandscapeSpec,
    target: tuple[float, float],
    start_width: float | None,
    end_width: float,
    frames: int,
) -> list[LandscapeSpec]:
    """Frame specs of an exponential zoom into ``target`` (see the module docstring).

    ``start_width`` None means the width of ``spec``'s x window. Raises :class:`UserError`
    naming the first frame whose window the working precision cannot resolve.
    """
    cx, cy = (float(v) for v in target)
    if not (math.isfinite(cx) and math.isfinite(cy)):
        raise FieldError(lambda n: f"{n('target')} {cx!r},{cy!r} is not finite")
    if start_width is None:
        start_width = spec.x_range[1] - spec.x_range[0]
    widths = zoom_widths(start_width, end_width, frames)
    aspect = spec.height / spec.width
    out = []
    for index, width in enumerate(widths):
        height = width * aspect
        try:
            out.append(
                replace(
                    spec,
                    x_range=(cx - width / 2, cx + width / 2),
                    y_range=(cy - height / 2, cy + height / 2),
                )
            )
        except UserError as error:
            raise UserError(
                f"zoom frame {index} (counting from 0, of {len(widths)}; width {width:.3g}): "
                f"{error}"
            ) from None
    return out


def sweep_values(a: float, b: float, frames: int, spacing: str = "linear") -> list[float]:
    """The N values of a sweep from ``a`` to ``b``, ends exact, t = k / (N - 1):
    ``"linear"`` p_k = (1 - t) a + t b; ``"log"`` p_k = a (b / a) ** t, for a, b > 0.

    ``a`` and ``b`` are named ``from_value`` and ``to_value`` in errors (the movie options).
    """
    frames = _check_frames(frames)
    a, b = _finite("from_value", a), _finite("to_value", b)
    if spacing == "log":
        for name, value in (("from_value", a), ("to_value", b)):
            if not value > 0:
                raise FieldError(
                    lambda n, name=name, value=value: (
                        f"{n(name)} {value!r} is not > 0; a log-spaced sweep ({n('spacing')} "
                        f"log) needs both ends > 0 (or use {n('spacing')} linear)"
                    )
                )
        values = [a * (b / a) ** (k / (frames - 1)) for k in range(frames)]
        values[0], values[-1] = a, b
        return values
    if spacing != "linear":
        raise FieldError(
            lambda n: f"{n('spacing')} {spacing!r} is unknown; choose one of {', '.join(SPACINGS)}"
        )
    return [(1 - k / (frames - 1)) * a + (k / (frames - 1)) * b for k in range(frames)]


def _with_parameter(spec: LandscapeSpec, name: str, value: float) -> LandscapeSpec:
    parameter = parse_parameter(name)
    if parameter.matrix in ("beta", RESIDUAL):
        return replace(spec, **{parameter.matrix: value})
    entries = list(getattr(spec, parameter.matrix))
    entries[2 * parameter.row + parameter.col] = value
    return replace(spec, **{parameter.matrix: tuple(entries)})


def sweep_specs(
    spec: LandscapeSpec,
    param: str,
    a: float,
    b: float,
    frames: int,
    spacing: str = "linear",
) -> list[LandscapeSpec]:
    """Frame specs with ``param`` (a matrix entry such as ``wv01``, ``beta`` or ``residual``)
    going from ``a`` to ``b``, ``spacing`` ``"linear"`` or ``"log"`` (see the module
    docstring); the axis parameters are refused, and so is a frame value the spec refuses,
    naming the frame."""
    if param not in SWEEPABLE_NAMES:
        raise FieldError(
            lambda n: (
                f"{n('param')} {param!r} is unknown; choose one of {', '.join(_sweepable(spec))}"
            )
        )
    if param in (spec.x_param, spec.y_param):
        axis = "horizontal" if param == spec.x_param else "vertical"
        raise FieldError(
            lambda n: (
                f"{n('param')} {param!r} is the {axis} axis of the picture, so a frame "
                f"cannot set it; choose one of {', '.join(_sweepable(spec))}"
            )
        )
    values = sweep_values(a, b, frames, spacing)
    out = []
    for index, value in enumerate(values):
        try:
            out.append(_with_parameter(spec, param, value))
        except FieldError as error:
            raise FieldError(
                lambda n, error=error, index=index, value=value: (
                    f"sweep frame {index} (counting from 0, of {len(values)}; {param} = "
                    f"{value!r}): {error.spelled(n)}"
                )
            ) from None
    return out


def _sweepable(spec: LandscapeSpec) -> list[str]:
    return [name for name in SWEEPABLE_NAMES if name not in (spec.x_param, spec.y_param)]
