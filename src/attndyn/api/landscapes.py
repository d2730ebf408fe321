"""Render, colour, save and load landscapes from Python: the ``render`` command as functions.

:func:`render` takes ``attndyn render``'s options as keyword arguments (see
:mod:`attndyn.api.keywords` for how Python values are read) and returns a :class:`Landscape`,
the computed fields and their spec; :meth:`Landscape.color` colours it into a
:class:`Picture` with the colour options of the command line, without recomputing;
:meth:`Picture.save` writes the PNG that ``attndyn render -o`` writes for the same options,
byte for byte (the spec and the colouring inside), and :meth:`Landscape.save` the fields file
of ``render --save``. :func:`load` reads back a fields file, a picture made by attndyn or a
Zarr store. Both classes display themselves in a notebook (:mod:`attndyn.api.display`).

The command line's ``render`` is a thin layer over these functions: it parses its arguments
into the same options, and renders, colours and saves through :func:`compute`,
:meth:`Landscape.picture`, :meth:`Picture.save` and :meth:`Landscape.save`.

Examples
--------
>>> import attndyn as ad
>>> landscape = ad.render(size=24, steps=30, engine="numpy", quiet=True)
>>> landscape.spec.seed, landscape.spec.init, landscape.fields.labels.shape
(1679700, 'shared', (24, 24))
>>> landscape.color(coloring="sync-step", equalize=True).image.size
(24, 24)
>>> ad.render(size=0)
Traceback (most recent call last):
...
attndyn.OptionError: size '0' must be at least 1 pixel in each direction
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from attndyn.api.display import display_png, display_size, html_figure, spec_rows
from attndyn.api.keywords import (
    color_options,
    keyword,
    keyword_errors,
    naming,
    path_text,
    refuse_unknown,
    render_options,
    resize_size,
)
from attndyn.model.errors import UserError

if TYPE_CHECKING:
    from PIL import Image

    from attndyn.engines import Engine
    from attndyn.model.fields import Fields
    from attndyn.model.job import Job
    from attndyn.model.spec import LandscapeSpec
    from attndyn.pictures.coloring import ColorOptions

EXECUTION_DEFAULTS: dict[str, Any] = {
    "engine": "auto",
    "device": "auto",
    "force": False,
    "quiet": False,
}
"""The keywords of ``render``'s execution options (``--engine`` ...) and their defaults."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


class Picture:
    """A coloured landscape: the image, and the spec and colour options it carries.

    Made by :meth:`Landscape.color`. ``image`` is a PIL image (1-bit for a plain binary
    picture, greyscale or RGB otherwise) with the lowest y values at the bottom; ``array`` is
    it as a uint8 array; :meth:`save` writes it as ``attndyn render -o`` does.
    """

    def __init__(self, image: Image.Image, spec: LandscapeSpec, options: ColorOptions) -> None:
        self.image = image
        self.spec = spec
        self.color_options = options

    @property
    def array(self) -> np.ndarray:
        """The picture as uint8: (H, W) for grey and 1-bit (0 or 255), (H, W, 3) for RGB."""
        image = self.image.convert("L") if self.image.mode == "1" else self.image
        return np.asarray(image, dtype=np.uint8)

    def save(self, path: str | Path) -> None:
        """Write the picture to ``path`` (``.png``, atomically), carrying the spec and colour
        options as ``attndyn render -o`` writes them, so that ``render --from`` and
        :func:`load` read them back."""
        from attndyn.model.outputs import check_writable
        from attndyn.pictures.images import write_png

        target = check_writable(path_text(path), suffix=".png", what="picture")
        write_png(
            target, self.image, self.spec.to_json(), coloring_json=self.color_options.to_json()
        )

    def __repr__(self) -> str:
        width, height = self.image.size
        return f"<Picture {width}x{height}, {_coloring_words(self.color_options)}>"

    def _repr_png_(self) -> bytes:
        return display_png(self.image)

    def _repr_html_(self) -> str:
        rows = [("coloring", _coloring_words(self.color_options)), *spec_rows(self.spec)]
        return html_figure(self._repr_png_(), rows, repr(self))


def _coloring_words(options: ColorOptions) -> str:
    from attndyn.pictures.coloring import DEFAULT_CMAPS

    words = [options.coloring, options.cmap or DEFAULT_CMAPS[options.coloring]]
    words += [name for name in ("equalize", "invert") if getattr(options, name)]
    return " ".join(words)


class Landscape:
    """A rendered landscape: its spec and its fields, which colour into pictures.

    ``fields`` holds one array per field (``labels``, ``delta``, ``sync_step``, ``clusters``
    and, with ``samples`` > 1, ``probability``), indexed [row, col] with row 0 the lowest y;
    ``spec`` is the validated :class:`~attndyn.model.spec.LandscapeSpec`. Made by
    :func:`render` and :func:`load`; a landscape loaded from a picture colours by default as
    that picture was coloured.
    """

    def __init__(
        self, spec: LandscapeSpec, fields: Fields, *, coloring: ColorOptions | None = None
    ) -> None:
        self._spec = spec
        self._fields = fields
        self._coloring = coloring

    @property
    def spec(self) -> LandscapeSpec:
        """The spec the fields were computed for."""
        return self._spec

    @property
    def fields(self) -> Fields:
        """The computed fields (:class:`~attndyn.model.fields.Fields`)."""
        return self._fields

    def color(
        self,
        coloring: str | None = None,
        cmap: str | None = None,
        *,
        equalize: bool = False,
        invert: bool = False,
        resize: int | tuple[int, int] | str | None = None,
    ) -> Picture:
        """The picture of the fields under ``render``'s colour options; nothing is recomputed.

        A landscape loaded from a picture starts from that picture's colouring, as
        ``render --from`` does: ``coloring`` and ``cmap`` given replace it, ``equalize`` and
        ``invert`` true turn its switch on. Raises :class:`~attndyn.api.keywords.OptionError`
        naming the keyword for a value that is refused.

        Parameters
        ----------
        coloring
            What the colours show: binary (the default), log-delta, sync-step, probability or
            clusters (:mod:`attndyn.pictures.coloring`).
        cmap
            Any matplotlib colormap (default: the colouring's own).
        equalize, invert
            Histogram-equalise the colours; reverse the colormap.
        resize
            Resample the picture to this size (bicubic, antialiased): ``R``, ``(W, H)`` or
            ``"WxH"``.
        """
        options = color_options(
            coloring, cmap, equalize=equalize, invert=invert, base=self._coloring
        )
        return self.picture(options, size=resize_size(resize))

    def picture(self, options: ColorOptions, *, size: tuple[int, int] | None = None) -> Picture:
        """The picture under parsed colour ``options``, resized to ``size`` = (W, H) if given:
        :meth:`color` once its keywords are read (the command line calls this)."""
        from attndyn.pictures.coloring import picture

        with naming("coloring", options.coloring):
            image = picture(self._fields, self._spec, options, size=size)
        return Picture(image, self._spec, options)

    def save(self, path: str | Path) -> None:
        """Write the fields file of ``render --save`` to ``path`` (``.npz``, atomically): every
        field and the spec, which ``attndyn color`` and :func:`load` read back."""
        from attndyn.model.outputs import check_writable
        from attndyn.rendering.store import Landscape as Rendered
        from attndyn.rendering.store import save_landscape

        target = check_writable(path_text(path), suffix=".npz", what="fields file")
        save_landscape(target, Rendered(spec=self._spec, fields=self._fields))

    def __repr__(self) -> str:
        spec = self._spec
        share = 100.0 * float(np.mean(self._fields.labels))
        return (
            f"<Landscape {spec.width}x{spec.height}, {spec.x_param} in "
            f"[{spec.x_range[0]:g}, {spec.x_range[1]:g}] x {spec.y_param} in "
            f"[{spec.y_range[0]:g}, {spec.y_range[1]:g}], {share:.1f}% synchronised>"
        )

    def _display(self) -> Picture:
        """The picture a notebook shows: this landscape's colouring, at most
        :data:`~attndyn.api.display.DISPLAY_PIXELS` pixels on its long side."""
        return self.color(resize=display_size((self._spec.width, self._spec.height)))

    def _repr_png_(self) -> bytes:
        return display_png(self._display().image)

    def _repr_html_(self) -> str:
        picture = self._display()
        rows = [("coloring", _coloring_words(picture.color_options)), *spec_rows(self._spec)]
        return html_figure(display_png(picture.image), rows, repr(self))


# -- rendering --------------------------------------------------------------------------------


def get_engine(engine: str | Engine = "auto", device: str = "auto") -> Engine:
    """The engine ``engine`` on ``device`` (as ``--engine`` and ``--device``); an engine
    object is returned as it is. Errors name the keyword."""
    if not isinstance(engine, str):
        return engine
    from attndyn.engines import get_engine as engine_named

    with naming("engine", engine):
        return engine_named(engine, device)


def compute(
    job: Job,
    engine: Engine,
    *,
    progress: bool = False,
    force: bool = False,
    force_option: str = "force=True",
    checkpoint: str | Path | None = None,
    resume: bool = True,
) -> Landscape:
    """The landscape of ``job``, computed by ``engine``: refused first if huge (unless
    ``force``; the message says to pass ``force_option``), with a progress bar if
    ``progress``, resumable from ``checkpoint`` (unless ``resume`` is false, which discards an
    earlier one). Ctrl-C raises :class:`~attndyn.rendering.render.RenderInterrupted`."""
    from attndyn.rendering.estimate import estimate_cost, refuse_if_huge
    from attndyn.rendering.render import render_landscape

    refuse_if_huge(estimate_cost(job.spec, engine), force=force, force_option=force_option)
    if checkpoint is not None and not resume:
        Path(checkpoint).unlink(missing_ok=True)
    rendered = render_landscape(job, engine, progress=progress, checkpoint=checkpoint)
    return Landscape(rendered.spec, rendered.fields)


def render(**options: Any) -> Landscape:
    """The landscape that ``attndyn render`` with these options computes.

    Keywords are the command's option names with ``_`` for ``-``, and ``from_`` for ``--from``,
    with the same defaults: no option draws the gallery's art1679700 in its shared version,
    512 x 512. Values are Python values or the command line's text (``size=256``,
    ``size=(800, 600)``, ``center=(-3, -1.75)``, ``wq=[[1.16, -0.03], [-0.81, -0.94]]``).

    - starting points: ``preset``, ``presets`` (files), ``from_`` (a picture made by attndyn,
      re-rendered exactly);
    - the map: ``wq``, ``wv``, ``wk`` (2 x 2, or 4 numbers row-major), ``beta``, ``seed``,
      ``points``, ``steps``, ``tol``, ``eps``, ``precision`` ("float32" or "float64");
    - the grid: ``size``, ``range``, ``x_range``, ``y_range``, or ``center`` with ``width``;
      ``x_param``, ``y_param``, ``supersample``;
    - initial points: ``init`` ("shared" or "independent"), ``samples``, ``x0`` (a .npy
      file), ``normalize_x0``;
    - execution: ``engine`` ("auto", "numpy", "numba", ... or an engine object), ``device``,
      ``force`` (run a job estimated to be huge), ``quiet`` (no progress bar or notice).

    Every option is checked as the command checks it; a bad value raises
    :class:`~attndyn.api.keywords.OptionError` (a ValueError) naming the keyword, and an
    unknown keyword says which known one is closest. docs/rendering.md says what the options
    mean.
    """
    from attndyn.model.options import OPTION_FIELDS, build_job

    known = [keyword(field) for field in OPTION_FIELDS] + list(EXECUTION_DEFAULTS)
    refuse_unknown(options, known, "render()")
    execution = {name: options.pop(name, default) for name, default in EXECUTION_DEFAULTS.items()}
    parsed = render_options(options)
    with keyword_errors():
        job = build_job(parsed)
    engine = get_engine(execution["engine"], execution["device"])
    landscape = compute(
        job, engine, progress=not execution["quiet"], force=bool(execution["force"])
    )
    if parsed.from_picture is not None:
        from attndyn.pictures.coloring import ColorOptions

        landscape._coloring = ColorOptions.from_picture(parsed.from_picture)
    return landscape


# -- loading ----------------------------------------------------------------------------------


def load(
    path: str | Path,
    *,
    x0: str | Path | None = None,
    normalize_x0: bool = False,
    engine: str | Engine = "auto",
    device: str = "auto",
    force: bool = False,
    quiet: bool = False,
) -> Landscape:
    """The landscape a file holds: a fields file, a picture made by attndyn, or a Zarr store.

    ``path`` is

    - a fields file (``.npz``, from ``render --save`` or :meth:`Landscape.save`): its spec
      and fields, read as they are;
    - a Zarr store (a directory or URL, from ``render --store``): its spec and its fields at
      full resolution, each chunk checked against its checksum (the store must be finished
      and fit in memory);
    - a picture made by attndyn (a PNG or TIFF carrying its spec): the fields file or store
      with the picture's own name and ``.npz`` or ``.zarr`` (``x.npz`` beside ``x.png``) when
      one is there and holds the picture's spec, read without computing; otherwise the
      picture is rendered again from the spec it carries, exactly, as ``render --from`` does
      (with ``x0`` and ``normalize_x0`` for a picture made from an x0 file, and the
      execution keywords of :func:`render`). Either way the landscape colours by default as
      the picture was coloured.
    """
    from attndyn.rendering.store.locations import is_url

    location = path_text(path)
    if is_url(location) or Path(location).is_dir() or location.endswith((".zarr", ".zarr/")):
        return _store(location)
    try:
        with open(location, "rb") as file:
            head = file.read(len(PNG_SIGNATURE))
    except FileNotFoundError:
        raise UserError(
            f"{location!r} does not exist; give a fields file (.npz), a picture made by "
            "attndyn (.png) or a store (.zarr)"
        ) from None
    except OSError as error:
        raise UserError(f"{location!r} cannot be read: {error.strerror}") from None
    if head == PNG_SIGNATURE or head[:4] in TIFF_SIGNATURES:
        return _picture(location, x0, normalize_x0, engine, device, force, quiet)
    from attndyn.rendering.store import load_landscape

    saved = load_landscape(location)
    return Landscape(saved.spec, saved.fields)


def _store(location: str) -> Landscape:
    from attndyn.pictures.export import store_landscape

    stored = store_landscape(location)
    return Landscape(stored.spec, stored.fields)


def _picture(
    location: str,
    x0: Any,
    normalize_x0: bool,
    engine: str | Engine,
    device: str,
    force: bool,
    quiet: bool,
) -> Landscape:
    """A picture's landscape: the fields beside it, or the picture rendered again."""
    from attndyn.model.options import build_job
    from attndyn.model.picture_metadata import read_picture_text
    from attndyn.pictures.coloring import ColorOptions

    spec_json = read_picture_text(location, "spec")
    assert spec_json is not None
    coloring = ColorOptions.from_picture(location)
    beside = _fields_beside(Path(location), spec_json)
    if beside is not None:
        beside._coloring = coloring
        return beside
    parsed = render_options({"from_": location, "x0": x0, "normalize_x0": normalize_x0})
    with keyword_errors():
        job = build_job(parsed)
    landscape = compute(job, get_engine(engine, device), progress=not quiet, force=force)
    landscape._coloring = coloring
    return landscape


def _fields_beside(picture: Path, spec_json: str) -> Landscape | None:
    """The fields file or store named as ``picture`` (``.npz``, then ``.zarr``) if it holds
    the picture's spec (equal values; the package version may differ), else None."""
    from attndyn.model.spec import LandscapeSpec

    try:
        spec = LandscapeSpec.from_json(spec_json)
    except UserError:
        return None
    for candidate in (picture.with_suffix(".npz"), picture.with_suffix(".zarr")):
        if not candidate.exists():
            continue
        try:
            if candidate.suffix == ".zarr":
                from attndyn.rendering.store.zarr_store import ZarrStore

                if ZarrStore.load(candidate).spec != spec:
                    continue
                found = _store(str(candidate))
            else:
                with np.load(candidate, allow_pickle=False) as archive:
                    if LandscapeSpec.from_json(str(archive["spec"])) != spec:
                        continue
                found = load(candidate)
        except (UserError, OSError, ValueError, KeyError):
            continue
        return found
    return None
