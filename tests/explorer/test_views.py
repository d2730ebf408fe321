"""Views: the tile pyramid, the float64 switch, the export's window and the command line."""

from __future__ import annotations

import shlex

import pytest

from attndyn.cli.common import render_options
from attndyn.cli.main import _build_parser
from attndyn.explorer.views import Limits, View, parse_export_size
from attndyn.model.errors import UserError
from attndyn.model.options import build_job
from attndyn.model.tiles import TileAddress

README_ZOOM = {"preset": "art1679700", "init": "shared", "center": "-3.06819,-1.82531"}


def test_pyramid_is_the_window_at_256_whatever_the_view():
    view = View.from_query({**README_ZOOM, "width": "2e-6", "size": "800x600"})
    assert (view.base.width, view.base.height) == (256, 256)
    assert view.base.x_range == view.base.y_range == (-8.0, 8.0)
    assert view.tile_query() == {"preset": "art1679700", "init": "shared"}


def test_tiles_take_float64_only_where_float32_cannot_resolve_them():
    view = View.from_query({"preset": "art1679700"})
    assert view.tile_job(TileAddress(8, 100, 100)).spec.dtype == "float32"
    assert view.tile_job(TileAddress(24, 0, 0)).spec.dtype == "float64"  # near (-8, -8)
    # as deep, but next to (0, 0): float32's ulps are small there
    assert view.tile_job(TileAddress(24, 1 << 23, 1 << 23)).spec.dtype == "float32"
    with pytest.raises(UserError, match="float64's limit"):
        view.tile_job(TileAddress(60, 0, 0))
    forced = View.from_query({"preset": "art1679700", "precision": "float64"})
    assert forced.tile_job(TileAddress(1, 0, 0)).spec.dtype == "float64"


def test_export_window_and_precision_follow_render():
    shallow = View.from_query({**README_ZOOM, "width": "0.002", "size": "64x32"})
    spec = shallow.export_job().spec
    assert spec.dtype == "float32" and (spec.width, spec.height) == (64, 32)
    assert spec.x_range == pytest.approx((-3.06919, -3.06719), abs=1e-12)
    assert spec.y_range == pytest.approx((-1.82581, -1.82481), abs=1e-12)
    deep = View.from_query({**README_ZOOM, "width": "2e-6", "size": "64"})
    assert deep.export_job().spec.dtype == "float64"


def test_command_line_renders_the_same_spec():
    view = View.from_query({**README_ZOOM, "width": "2e-6", "coloring": "sync-step"})
    argv = shlex.split(view.command((320, 200)))
    assert argv[:2] == ["attndyn", "render"] and "--precision" in argv
    args = _build_parser().parse_args(argv[1:])
    assert build_job(render_options(args)).spec == view.export_job((320, 200)).spec
    assert args.coloring == "sync-step"


def test_caps():
    with pytest.raises(UserError, match="supersample 4"):
        View.from_query({"supersample": "4"})
    with pytest.raises(UserError, match="size 5000x5000"):
        parse_export_size("5000x5000", Limits())
    assert parse_export_size("4096", Limits()) == (4096, 4096)


# The caps of docs/explorer.md ("steps <= 2000, points <= 64, samples <= 16, supersample <= 3"):
# a value at its cap is allowed, one over it refused.
@pytest.mark.parametrize(
    ("option", "cap"), [("steps", 2000), ("points", 64), ("samples", 16), ("supersample", 3)]
)
def test_a_value_at_its_cap_is_accepted_and_one_more_refused(option, cap):
    assert getattr(Limits(), option) == cap
    view = View.from_query({option: str(cap)})
    spec_name = {"points": "n_points"}.get(option, option)
    assert getattr(view.base, spec_name) == cap
    with pytest.raises(UserError) as refused:
        View.from_query({option: str(cap + 1)})
    assert str(refused.value).startswith(f"{option} {cap + 1} is over the explorer's cap")
    assert str(refused.value).endswith(f"it must be <= {cap}")
    # a smaller cap of one's own is honoured the same way
    small = Limits(**{option: 2})
    assert getattr(View.from_query({option: "2"}, limits=small).base, spec_name) == 2
    with pytest.raises(UserError, match="over the explorer's cap; it must be <= 2"):
        View.from_query({option: "3"}, limits=small)


def test_the_default_view_is_a_coloured_view_of_a_gallery_preset():
    from attndyn.explorer.views import DEFAULT_VIEW
    from attndyn.model.presets import builtin_presets

    view = View.from_query(DEFAULT_VIEW)
    assert view.options.preset in builtin_presets()
    assert view.colors.coloring != "binary" and view.colors.cmap is not None
    assert view.to_query() == DEFAULT_VIEW  # the redirect's URL reopens it


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # nothing given: the default view
        (
            {},
            {
                "preset": "art8012376",
                "init": "shared",
                "coloring": "sync-step",
                "cmap": "twilight_shifted",
                "equalize": "true",
            },
        ),
        # a spec option changes that option only
        (
            {"steps": "30"},
            {
                "preset": "art8012376",
                "init": "shared",
                "steps": "30",
                "coloring": "sync-step",
                "cmap": "twilight_shifted",
                "equalize": "true",
            },
        ),
        # another preset, in the default colours
        (
            {"preset": "art1679700", "init": "independent"},
            {
                "preset": "art1679700",
                "init": "independent",
                "coloring": "sync-step",
                "cmap": "twilight_shifted",
                "equalize": "true",
            },
        ),
        # matrices given: the default preset (and its seed) goes
        (
            {"wq": "1,0,0,1"},
            {
                "init": "shared",
                "wq": "1,0,0,1",
                "coloring": "sync-step",
                "cmap": "twilight_shifted",
                "equalize": "true",
            },
        ),
        # a colour option replaces the colours as a whole
        ({"coloring": "binary"}, {"preset": "art8012376", "init": "shared", "coloring": "binary"}),
        ({"invert": "true"}, {"preset": "art8012376", "init": "shared", "invert": "true"}),
    ],
)
def test_first_view_is_the_given_options_over_the_default(given, expected):
    from attndyn.explorer.views import first_view_query

    assert first_view_query(given) == expected
