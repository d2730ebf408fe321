"""User options to a validated landscape spec: the one place where a picture is assembled.

``attndyn render`` (and ``movie``) on the command line and the explorer's URL query give the
same options under the same names, the names of ``render``'s options: ``preset``, ``wq``,
``seed``, ``x-param``, ``center``, ``width`` ... :class:`RenderOptions` holds them, typed
(its field names are the option names with ``_`` for ``-``, except ``from_picture`` for
``from``); :meth:`RenderOptions.from_strings` parses them from text; :func:`build_job` turns
them into a :class:`~attndyn.model.job.Job`: the validated spec, plus the initial points of an
``x0`` file when one is given.

Precedence, lowest first:

1. the spec's defaults (:class:`~attndyn.model.spec.LandscapeSpec`);
2. a preset (``preset``, from the built-in presets and any ``presets`` files), or the spec
   a picture carries (``from``), which reproduces that picture exactly and so takes no other
   spec option;
3. the options given.

The default picture. Options that name no map (none of ``preset``, ``from``, ``wq``, ``wv``,
``seed``, ``x0``) draw the gallery's :data:`DEFAULT_PRESET` in its :data:`DEFAULT_INIT`
version, one configuration of points shared by all pixels: the seed's look, where the spec's
defaults alone (matrices drawn from seed 1, fresh points per pixel) give mostly white speckle.
Every other option given still applies (``init`` too).

Matrices. W_Q and W_V that neither the options nor the preset give are drawn from the seed
(:func:`~attndyn.model.initial.seeded_matrices`); W_K defaults to 0.

Window. ``range`` = (lo, hi) sets both axes; ``x-range`` and ``y-range`` set one each and win
over ``range``. Or ``center`` = (cx, cy) with ``width`` w sets

    x: [cx - w/2, cx + w/2],   y: [cy - h/2, cy + h/2],   h = w * H / W,

with W x H the picture's size in pixels, so that pixels are square (:func:`window_around`).
A window is given one way or the other, not both.

Validation lives in the spec: :func:`build_job` checks only what the spec cannot see (how
options combine, the window's centre and width, the ``x0`` file), and refuses the specs that
the library allows but that make no picture: 0 steps (every pixel shows its starting points)
and a single point (always synchronised). Every error is a one-line
:class:`~attndyn.model.errors.FieldError` naming options, so a front end spells them its own way;
an error the spec raises about a spec field is renamed to the option that set the field
(``n_points`` -> ``points``, ``dtype`` -> ``precision``, ``width``/``height`` -> ``size``,
``x_range`` -> ``range`` when ``range`` set it).

Examples
--------
>>> options = RenderOptions.from_strings({"preset": "art1679700", "init": "shared",
...                                       "center": "-3,-1.75", "width": "0.5"})
>>> spec = build_job(options).spec
>>> spec.x_range, spec.y_range, spec.seed, spec.init
((-3.25, -2.75), (-2.0, -1.5), 1679700, 'shared')
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, fields, replace
from typing import Any

from attndyn.model.errors import FieldError, UserError
from attndyn.model.initial import seeded_matrices
from attndyn.model.job import Job, load_x0
from attndyn.model.parsing import parse_flag, parse_float, parse_int, parse_numbers, parse_size
from attndyn.model.picture_metadata import read_picture_text
from attndyn.model.presets import get_preset, load_presets
from attndyn.model.spec import LandscapeSpec, Matrix2, checked_seed

SPEC_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(LandscapeSpec) if f.default is not MISSING
}
DEFAULT_PRESET = "art1679700"
DEFAULT_INIT = "shared"
MAP_FIELDS = ("preset", "from_picture", "wq", "wv", "seed", "x0")
"""The options that name a map; given none, :func:`build_job` draws the default picture."""
MIN_STEPS = 1
MIN_POINTS = 2


@dataclass(frozen=True)
class RenderOptions:
    """The options of one picture, as a user gives them; None (or empty) means not given.

    Field names are ``render``'s option names with ``_`` for ``-`` (``x_param`` is
    ``--x-param``, or ``x-param`` in a URL), except ``from_picture``, which is ``from``.
    ``presets``, ``from_picture``, ``x0`` and ``normalize_x0`` name files, which a server
    must not accept (see ``files`` in :meth:`from_strings`).
    """

    # starting points
    preset: str | None = None
    presets: tuple[str, ...] = ()
    from_picture: str | None = None
    # the map
    wq: Matrix2 | None = None
    wv: Matrix2 | None = None
    wk: Matrix2 | None = None
    beta: float | None = None
    residual: float | None = None
    seed: int | None = None
    points: int | None = None
    steps: int | None = None
    tol: float | None = None
    eps: float | None = None
    precision: str | None = None
    # the grid
    size: tuple[int, int] | None = None
    range: tuple[float, float] | None = None
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    center: tuple[float, float] | None = None
    width: float | None = None
    x_param: str | None = None
    y_param: str | None = None
    supersample: int | None = None
    # initial points
    init: str | None = None
    samples: int | None = None
    x0: str | None = None
    normalize_x0: bool = False

    @classmethod
    def from_strings(cls, values: Mapping[str, Any], *, files: bool = True) -> RenderOptions:
        """Options from text: ``{"x-param": "wq01", "range": "-3,3", "steps": "60"}``.

        Keys are option names (``x-param``, ``from``) or field names (``x_param``,
        ``from_picture``); a value of None means not given. ``presets`` takes one file name
        or a list of them; ``normalize-x0`` takes a bool or true/false. ``files=False``
        refuses the options that name files (``from``, ``presets``, ``x0``,
        ``normalize-x0``), as a server must. Raises :class:`~attndyn.model.errors.FieldError`
        naming the option for an unknown key or a value that does not parse.
        """
        allowed = OPTION_FIELDS if files else _SPEC_OPTION_FIELDS
        parsed: dict[str, Any] = {}
        for key, value in values.items():
            field = _FIELD_OF_OPTION.get(key, key)
            if field not in allowed:
                known = ", ".join(option_name(f) for f in allowed)
                raise FieldError(
                    lambda n, key=key, known=known: (
                        f"option {key!r} is unknown; known options are {known}"
                    )
                )
            if value is None:
                continue
            parsed[field] = _PARSERS[field](field, value)
        return cls(**parsed)

    def to_strings(self) -> dict[str, str | tuple[str, ...]]:
        """The options given, as ``{option name: text}`` that :meth:`from_strings` reads back
        to equal options (numbers are written exactly; ``presets`` stays a tuple)."""
        out: dict[str, str | tuple[str, ...]] = {}
        for field in OPTION_FIELDS:
            value = getattr(self, field)
            if value is None or value == () or value is False:
                continue
            out[option_name(field)] = value if field == "presets" else _text(field, value)
        return out

    def to_argv(self) -> list[str]:
        """The equivalent ``attndyn render`` arguments, e.g. ``["--preset", "art1679700",
        "--range=-3.0,3.0"]`` (a value that starts with ``-`` is joined with ``=``)."""
        argv: list[str] = []
        for name, value in self.to_strings().items():
            if name == "normalize-x0":
                argv.append("--normalize-x0")
                continue
            for text in value if isinstance(value, tuple) else (value,):
                argv += [f"--{name}={text}"] if text.startswith("-") else [f"--{name}", text]
        return argv


OPTION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RenderOptions))
FILE_FIELDS = ("presets", "from_picture", "x0", "normalize_x0")
_SPEC_OPTION_FIELDS = tuple(f for f in OPTION_FIELDS if f not in FILE_FIELDS)


def option_name(field: str) -> str:
    """The user's name of a field: ``x_param`` -> ``x-param``, ``from_picture`` -> ``from``.

    The command line puts ``--`` before it; the explorer's URL query uses it as the key.
    Names that are not fields of :class:`RenderOptions` (``end_width`` of a movie) follow the
    same rule.
    """
    return "from" if field == "from_picture" else field.replace("_", "-")


OPTION_NAMES: tuple[str, ...] = tuple(option_name(f) for f in OPTION_FIELDS)
_FIELD_OF_OPTION = {option_name(f): f for f in OPTION_FIELDS}

# The option that sets each spec field whose name differs from the option's.
OPTION_OF_SPEC_FIELD: dict[str, str] = {
    "n_points": "points",
    "dtype": "precision",
    "width": "size",
    "height": "size",
    "x0_sha256": "x0",
    "x0_per_pixel": "x0",
}


def _matrix(field: str, text: Any) -> Matrix2:
    return parse_numbers(field, text, 4)  # type: ignore[return-value]


def _pair(field: str, text: Any) -> tuple[float, float]:
    return parse_numbers(field, text, 2)  # type: ignore[return-value]


def _files(field: str, value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _word(field: str, value: Any) -> str:
    return str(value)


_PARSERS = {
    "preset": _word,
    "presets": _files,
    "from_picture": _word,
    "wq": _matrix,
    "wv": _matrix,
    "wk": _matrix,
    "beta": parse_float,
    "residual": parse_float,
    "seed": parse_int,
    "points": parse_int,
    "steps": parse_int,
    "tol": parse_float,
    "eps": parse_float,
    "precision": _word,
    "size": parse_size,
    "range": _pair,
    "x_range": _pair,
    "y_range": _pair,
    "center": _pair,
    "width": parse_float,
    "x_param": _word,
    "y_param": _word,
    "supersample": parse_int,
    "init": _word,
    "samples": parse_int,
    "x0": _word,
    "normalize_x0": parse_flag,
}


def _text(field: str, value: Any) -> str:
    if field == "size":
        return f"{value[0]}x{value[1]}"
    if isinstance(value, tuple):
        return ",".join(repr(float(v)) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


# -- assembly ---------------------------------------------------------------------------------


def window_around(
    center: tuple[float, float], width: float, size: tuple[int, int]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The window ``(x_range, y_range)`` of width ``width`` centred on ``center`` (cx, cy).

    The height is ``width * H / W`` for a picture of ``size`` = (W, H) pixels, so pixels are
    square: x = [cx - w/2, cx + w/2], y = [cy - h/2, cy + h/2].

    >>> window_around((1.0, -2.0), 4.0, (8, 4))
    ((-1.0, 3.0), (-3.0, -1.0))
    """
    cx, cy = center
    if not (math.isfinite(cx) and math.isfinite(cy)):
        raise FieldError(
            lambda n: f"{n('center')} {cx},{cy} is not finite; give two finite numbers"
        )
    if not (width > 0 and math.isfinite(width)):
        raise FieldError(lambda n: f"{n('width')} {width} must be a finite number > 0")
    height = width * size[1] / size[0]
    x_range, y_range = (cx - width / 2, cx + width / 2), (cy - height / 2, cy + height / 2)
    if not (x_range[0] < x_range[1] and y_range[0] < y_range[1]):
        raise FieldError(
            lambda n: (
                f"{n('width')} {width} is too narrow to make a window around {n('center')} "
                f"{cx},{cy} in float64; widen it"
            )
        )
    return x_range, y_range


@contextmanager
def _named(option_of_field: Mapping[str, str]) -> Iterator[None]:
    """Rename the spec fields of a FieldError raised inside to the options that set them."""
    try:
        yield
    except FieldError as error:
        raise error.renamed(option_of_field) from None


def with_default_picture(options: RenderOptions) -> RenderOptions:
    """``options`` with the default picture's preset and init when they name no map.

    Options that name one (any of :data:`MAP_FIELDS`) come back unchanged; otherwise the
    preset is :data:`DEFAULT_PRESET` and ``init`` the one given, else :data:`DEFAULT_INIT`.
    """
    if any(getattr(options, field) not in (None, ()) for field in MAP_FIELDS):
        return options
    return replace(options, preset=DEFAULT_PRESET, init=options.init or DEFAULT_INIT)


def build_job(options: RenderOptions) -> Job:
    """The job that ``options`` describe: a validated spec, and the points of an ``x0`` file.

    See the module docstring for precedence, the default picture, the window and how errors
    name options.
    """
    if options.from_picture is not None:
        return _job_from_picture(options)
    _refuse_no_picture(options.steps, options.points, "points")
    job = _seeded_or_x0_job(with_default_picture(options))
    _refuse_no_picture(job.spec.steps, job.spec.n_points, "x0" if options.x0 else "points")
    return job


_NO_STEPS = "with no step every pixel shows only its starting points"
_ONE_POINT = "a single point is always synchronised, so every pixel would be white"


def _refuse_no_picture(steps: Any, points: Any, points_option: str) -> None:
    """Refuse fewer than 1 step or 2 points (as given, or in the spec built): no landscape.

    The spec itself allows both (0 steps is the initial state, which the engines' tests use).
    """
    if isinstance(steps, int) and steps < MIN_STEPS:
        raise FieldError(
            lambda n: (
                f"{n('steps')} {steps} is too few; give an integer >= {MIN_STEPS} ({_NO_STEPS})"
            )
        )
    if isinstance(points, int) and points < MIN_POINTS:
        if points_option == "x0":
            raise FieldError(
                lambda n: (
                    f"{n('x0')} holds {points} point; give a file of >= {MIN_POINTS} points "
                    f"({_ONE_POINT})"
                )
            )
        raise FieldError(
            lambda n: (
                f"{n('points')} {points} is too few; give an integer >= {MIN_POINTS} ({_ONE_POINT})"
            )
        )


def _seeded_or_x0_job(options: RenderOptions) -> Job:
    """The job of options that do not come from a picture (see :func:`build_job`)."""
    if options.init == "file":
        raise FieldError(
            lambda n: f"{n('init')} 'file' is what {n('x0')} sets; choose independent or shared"
        )
    values, option_of_field = _spec_values(options)
    if options.x0 is None:
        if options.normalize_x0:
            raise FieldError(lambda n: f"{n('normalize_x0')} needs {n('x0')}")
        with _named(option_of_field):
            return Job(LandscapeSpec(**values))
    if options.init is not None:
        raise FieldError(
            lambda n: (
                f"{n('init')} {options.init} and {n('x0')} both set the initial points; give one"
            )
        )
    x0 = load_x0(options.x0, normalize=options.normalize_x0)
    n_file = x0.shape[-2]
    if options.points is not None and options.points != n_file:
        raise FieldError(
            lambda n: (
                f"{n('points')} {options.points} disagrees with {n('x0')}, which holds "
                f"{n_file} points"
            )
        )
    if x0.ndim == 4 and options.size is not None and options.size != (x0.shape[1], x0.shape[0]):
        raise FieldError(
            lambda n: (
                f"{n('size')} {_text('size', options.size)} disagrees with {n('x0')}, "
                f"which is for a {x0.shape[1]}x{x0.shape[0]} grid (shape H, W, n, 2)"
            )
        )
    if x0.ndim == 4 and (options.supersample or 1) > 1:
        raise FieldError(
            lambda n: (
                f"{n('supersample')} needs seeded points; a per-pixel {n('x0')} fixes the grid"
            )
        )
    values["n_points"] = n_file
    values.pop("init", None)
    with _named(option_of_field):
        return Job.with_x0(LandscapeSpec(**values), x0)


def _spec_values(options: RenderOptions) -> tuple[dict[str, Any], dict[str, str]]:
    """Spec fields from the preset and the options (before x0), and which option set each."""
    option_of_field = dict(OPTION_OF_SPEC_FIELD)
    values: dict[str, Any] = {}
    if options.preset is not None:
        values.update(get_preset(options.preset, load_presets(list(options.presets))).values)
    seed = options.seed if options.seed is not None else values.get("seed", SPEC_DEFAULTS["seed"])
    values["seed"] = checked_seed(seed)  # the matrices below are drawn from it
    for name in ("wq", "wv", "wk"):
        if getattr(options, name) is not None:
            values[name] = getattr(options, name)
    if "wq" not in values or "wv" not in values:
        seeded_wq, seeded_wv = seeded_matrices(values["seed"])
        values.setdefault("wq", tuple(map(float, seeded_wq.ravel())))
        values.setdefault("wv", tuple(map(float, seeded_wv.ravel())))
    if options.size is not None:
        values["width"], values["height"] = options.size
    _window(options, values, option_of_field)
    explicit = {
        "beta": options.beta,
        "residual": options.residual,
        "n_points": options.points,
        "steps": options.steps,
        "tol": options.tol,
        "eps": options.eps,
        "dtype": options.precision,
        "x_param": options.x_param,
        "y_param": options.y_param,
        "supersample": options.supersample,
        "init": options.init,
        "samples": options.samples,
    }
    values.update({name: value for name, value in explicit.items() if value is not None})
    return values, option_of_field


def _window(
    options: RenderOptions, values: dict[str, Any], option_of_field: dict[str, str]
) -> None:
    """Set values' x_range/y_range from range, x-range, y-range or center and width."""
    if (options.center is None) != (options.width is None):
        raise FieldError(lambda n: f"{n('center')} and {n('width')} go together; give both")
    if options.center is not None:
        assert options.width is not None
        if any(r is not None for r in (options.range, options.x_range, options.y_range)):
            raise FieldError(
                lambda n: (
                    f"{n('center')}/{n('width')} and {n('range')}/{n('x_range')}/"
                    f"{n('y_range')} both set the window; give one"
                )
            )
        size = (
            values.get("width", SPEC_DEFAULTS["width"]),
            values.get("height", SPEC_DEFAULTS["height"]),
        )
        values["x_range"], values["y_range"] = window_around(options.center, options.width, size)
        return
    if options.range is not None:
        values["x_range"] = values["y_range"] = options.range
        option_of_field["x_range"] = option_of_field["y_range"] = "range"
    if options.x_range is not None:
        values["x_range"] = options.x_range
        option_of_field["x_range"] = "x_range"
    if options.y_range is not None:
        values["y_range"] = options.y_range
        option_of_field["y_range"] = "y_range"


def _job_from_picture(options: RenderOptions) -> Job:
    """The job of a picture made by attndyn, from the spec it carries (and its x0 file)."""
    given = [f for f in _SPEC_OPTION_FIELDS if getattr(options, f) is not None]
    if given:
        raise FieldError(
            lambda n: f"{n('from_picture')} reproduces a picture exactly; drop {n(given[0])}"
        )
    path = options.from_picture
    text = read_picture_text(path, "spec")
    assert text is not None and path is not None
    try:
        spec = LandscapeSpec.from_json(text)
    except UserError as error:
        raise UserError(f"picture {path!r} carries a spec that is not valid: {error}") from None
    if spec.init != "file":
        if options.x0 is not None:
            raise FieldError(
                lambda n: (
                    f"{path} was made from seeded points, not an {n('x0')} file; drop {n('x0')}"
                )
            )
        return Job(spec)
    if options.x0 is None:
        raise FieldError(
            lambda n: f"{path} was made from an {n('x0')} file; give it again with {n('x0')}"
        )
    x0 = load_x0(options.x0, normalize=options.normalize_x0)
    job = Job.with_x0(replace(spec, init="independent", x0_sha256=None, x0_per_pixel=False), x0)
    if job.spec != spec:
        raise FieldError(lambda n: f"{n('x0')} {options.x0} is not the file {path} was made from")
    return job


def spec_options(spec: LandscapeSpec) -> RenderOptions:
    """Options that rebuild ``spec`` exactly (seeded initial points only): every field given.

    ``build_job(spec_options(spec)).spec == spec``; the explorer's share links and "copy
    command" use it.
    """
    if spec.init == "file":
        raise UserError(
            "a spec made from an x0 file has no options that rebuild it without the file"
        )
    return RenderOptions(
        wq=spec.wq,
        wv=spec.wv,
        wk=spec.wk,
        beta=spec.beta,
        residual=spec.residual,
        seed=spec.seed,
        points=spec.n_points,
        steps=spec.steps,
        tol=spec.tol,
        eps=spec.eps,
        precision=spec.dtype,
        size=(spec.width, spec.height),
        x_range=spec.x_range,
        y_range=spec.y_range,
        x_param=spec.x_param,
        y_param=spec.y_param,
        supersample=spec.supersample,
        init=spec.init,
        samples=spec.samples,
    )
