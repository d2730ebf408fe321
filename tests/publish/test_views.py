"""Pinned views from a presets TOML as the explorer's "Download my views" writes it
(explorer/static/explorer.js, presetsToml: a comment, then ``[name]``, ``caption`` and every key
of the view's picture spec but format, attndyn_version, init, x0_sha256 and x0_per_pixel)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from attndyn.model.errors import UserError
from attndyn.model.spec import LandscapeSpec
from attndyn.publish.views import read_views

SITE = LandscapeSpec(wq=(1.0, -0.5, 0.3, 0.8), wv=(0.9, 0.2, -0.4, 1.1), width=300, height=200,
                     x_range=(-6.0, 6.0), y_range=(-4.0, 4.0), init="shared")  # fmt: skip
NOT_IN_PRESETS = {"format", "attndyn_version", "init", "x0_sha256", "x0_per_pixel"}
INT_FIELDS = {"width", "height", "n_points", "steps", "seed", "samples", "supersample"}


def toml_value(key, value):
    """explorer.js's tomlValue, transcribed."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(key, v) for v in value) + "]"
    if key in INT_FIELDS:
        return str(value)
    return f"{float(value):.1f}" if float(value).is_integer() else repr(float(value))


def explorer_toml(views: dict[str, LandscapeSpec]) -> str:
    lines = ["# My views from attndyn explore, as presets"]
    for name, spec in views.items():
        lines += ["", f"# attndyn render --presets my.toml --preset {name}", f"[{name}]",
                  f'caption = "{name}, centre somewhere"']  # fmt: skip
        for key, value in spec.to_dict().items():
            if key not in NOT_IN_PRESETS and value is not None:
                lines.append(f"{key} = {toml_value(key, value)}")
    return "\n".join(lines) + "\n"


def test_the_explorers_views_of_this_landscape_become_windows(tmp_path):
    zoom = replace(SITE, x_range=(-1.25, 0.5), y_range=(2.0, 3.0), width=1280, height=731,
                   dtype="float64")  # fmt: skip
    path = tmp_path / "my.toml"
    path.write_text(explorer_toml({"view-1": zoom, "view-2": SITE}))
    first, second = read_views(path, SITE)
    assert first == {"name": "view-1", "caption": "view-1, centre somewhere",
                     "x_range": [-1.25, 0.5], "y_range": [2.0, 3.0], "colors": {}}  # fmt: skip
    assert second["x_range"] == [-6.0, 6.0] and second["y_range"] == [-4.0, 4.0]


@pytest.mark.parametrize(
    ("change", "named"),
    [({"steps": 50}, "steps 50"), ({"wq": (1.0, -0.5, 0.3, 0.9)}, "wq"), ({"seed": 3}, "seed 3")],
)
def test_a_view_of_another_landscape_is_refused(tmp_path, change, named):
    path = tmp_path / "my.toml"
    path.write_text(explorer_toml({"other": replace(SITE, **change)}))
    with pytest.raises(UserError, match=f"view 'other' is of another landscape: its {named}"):
        read_views(path, SITE)
