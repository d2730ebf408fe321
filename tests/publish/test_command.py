"""``attndyn publish`` on the command line: from render options (rendered into a store
first), from a store with a title and pinned views, Ctrl-C and the resume, and the inputs it
refuses in one line (exit 2)."""

from __future__ import annotations

import json

import pytest

from attndyn.model.errors import EXIT_INTERRUPTED, EXIT_USAGE
from attndyn.publish import pyramid
from attndyn.rendering.store import load_landscape

from helpers import one_line_error
from helpers import run_cli as run

pytest.importorskip("zarr")

PICTURE = ["--preset", "art5227590", "--init", "shared", "--size", "40x30", "--steps", "12",
           "--points", "5", "--engine", "numpy"]  # fmt: skip


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A site made from render options: the store goes beside it as SITE.zarr."""
    folder = tmp_path_factory.mktemp("command")
    assert run("publish", *PICTURE, "--chunk", 16, "-o", folder / "site", "-q") == 0
    return folder


def test_render_options_are_rendered_into_a_store_beside_the_site(published, capsys):
    site = published / "site"
    manifest = json.loads((site / "manifest.json").read_text())
    assert (published / "site.zarr" / "zarr.json").is_file()
    assert manifest["grid"]["cols"] == 40 and manifest["grid"]["rows"] == 30
    assert manifest["max_zoom"] == 0 and (site / "tiles" / "0" / "0" / "0.js").is_file()
    assert manifest["spec"]["seed"] == 5227590 and manifest["spec"]["init"] == "shared"
    assert manifest["command"].startswith("attndyn trace --wq=")
    # the store is finished: publishing it again writes the same tile
    tile = (site / "tiles" / "0" / "0" / "0.js").read_bytes()
    again = published / "again"
    assert run("publish", published / "site.zarr", "-o", again, "-q") == 0
    assert (again / "tiles" / "0" / "0" / "0.js").read_bytes() == tile


def test_title_and_views_go_into_the_manifest(published, tmp_path):
    views = tmp_path / "views.toml"
    views.write_text(
        '[bay]\ncaption = "the bay"\nx_range = [-2.0, 1.0]\ny_range = [0.0, 3.0]\n'
        'coloring = "sync-step"\nequalize = true\n'
        "[whole]\nseed = 5227590\nsteps = 12\n"
    )
    site = tmp_path / "site"
    colours = ["--coloring", "clusters", "--cmap", "Pastel1"]
    assert run("publish", published / "site.zarr", "-o", site, "--title", "My bay",
               "--views", views, *colours, "-q") == 0  # fmt: skip
    manifest = json.loads((site / "manifest.json").read_text())
    assert manifest["title"] == "My bay"
    assert manifest["colors"] == {
        "coloring": "clusters", "cmap": "Pastel1", "invert": False, "equalize": False
    }  # fmt: skip
    tables = json.loads((site / "tables.json").read_text())
    assert tables["luts"]["Pastel1"]["n"] == 9  # a colormap given is carried too
    assert len((site / "manifest.json").read_bytes()) < 10_000  # a small manifest
    bay, whole = manifest["views"]
    assert bay == {
        "name": "bay",
        "caption": "the bay",
        "x_range": [-2.0, 1.0],
        "y_range": [0.0, 3.0],
        "colors": {"coloring": "sync-step", "equalize": True},
    }
    spec = load_landscape_spec(published)
    assert whole["x_range"] == list(spec["x_range"]) and whole["colors"] == {}


def load_landscape_spec(published):
    return json.loads((published / "site" / "manifest.json").read_text())["spec"]


def test_ctrl_c_keeps_the_tiles_written_and_the_same_command_resumes(
    published, tmp_path, monkeypatch, capsys
):
    store = published / "site.zarr"
    site = tmp_path / "site"
    encode = pyramid.png_of_codes
    calls = {"n": 0}

    def interrupted(codes, bits):
        calls["n"] += 1
        if calls["n"] > 4 * 3:  # three tiles of four fields, then Ctrl-C
            raise KeyboardInterrupt
        return encode(codes, bits)

    monkeypatch.setattr("attndyn.publish.site.png_of_codes", interrupted)
    # the 40 x 30 store in 8-pixel tiles: zooms 0..3 with 1 + 2 + 6 + 20 tiles
    from attndyn.pictures.export import finished_store
    from attndyn.publish import PublishInterrupted, publish_store

    with pytest.raises(PublishInterrupted) as stop:
        publish_store(finished_store(store), site, tile_size=8)
    assert stop.value.done == 3 and stop.value.total == 1 + 2 + 6 + 20
    written = sorted(p for p in (site / "tiles").rglob("*.js"))
    assert len(written) == 3 and not list(site.rglob("*.tmp"))
    monkeypatch.setattr("attndyn.publish.site.png_of_codes", encode)
    report = publish_store(finished_store(store), site, tile_size=8)
    assert report.written == 29 - 3 and report.tiles == 29
    # on the command line: exit 130 and a line saying how to resume, then the same command
    calls["n"] = 4 * 3  # the next encoding is interrupted
    monkeypatch.setattr("attndyn.publish.site.png_of_codes", interrupted)
    cli_site = tmp_path / "cli"
    argv = ["publish", store, "-o", cli_site, "-q"]
    assert run(*argv) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == (
        f"attndyn: interrupted after 0 of 1 tiles; run the same command again to resume "
        f"{str(cli_site)!r}\n"
    )
    monkeypatch.setattr("attndyn.publish.site.png_of_codes", encode)
    assert run(*argv) == 0 and (cli_site / "tiles" / "0" / "0" / "0.js").is_file()


def test_bad_inputs_are_refused_in_one_line(published, tmp_path, capsys):
    store = published / "site.zarr"
    assert run("publish", store, "--size", 64, "-o", tmp_path / "a") == EXIT_USAGE
    one_line_error(capsys, "give a store or render options, not both")
    assert run("publish", tmp_path / "none.zarr", "-o", tmp_path / "a") == EXIT_USAGE
    one_line_error(capsys, "does not exist")
    assert run("publish", store, "-o", tmp_path / "a", "--max-zoom", 3) == EXIT_USAGE
    one_line_error(capsys, "--max-zoom 3 is not allowed; give 0 to 0")
    assert run("publish", store, "-o", tmp_path / "a", "--max-zoom", "x") == EXIT_USAGE
    one_line_error(capsys, "max-zoom")
    views = tmp_path / "v.toml"
    views.write_text("[other]\nseed = 7\n")
    assert run("publish", store, "-o", tmp_path / "a", "--views", views) == EXIT_USAGE
    one_line_error(capsys, "view 'other' is of another landscape: its seed 7")
    views.write_text("[bad]\ncoloring = 'rainbow'\n")
    assert run("publish", store, "-o", tmp_path / "a", "--views", views) == EXIT_USAGE
    one_line_error(capsys, "coloring 'rainbow' is unknown")
    assert run("publish", store, "-o", tmp_path / "a", "--views", tmp_path / "no.toml") == 2
    one_line_error(capsys, "cannot be read")
    assert run("publish", store, "-o", tmp_path / "a", "--coloring", "probability") == 2
    one_line_error(capsys, "coloring 'probability' needs the field 'probability'")
    assert run("publish", store, "-o", tmp_path / "a", "--cmap", "rainbo") == EXIT_USAGE
    one_line_error(capsys, "colormap 'rainbo' is unknown")
    (tmp_path / "f.txt").write_text("x")
    assert run("publish", store, "-o", tmp_path / "f.txt") == EXIT_USAGE
    one_line_error(capsys, "is a file")
    landscape_file = tmp_path / "l.npz"
    assert run("render", *PICTURE, "--save", landscape_file, "-q") == 0
    assert load_landscape(landscape_file) is not None
    assert run("publish", landscape_file, "-o", tmp_path / "b") == EXIT_USAGE
    one_line_error(capsys, "is a fields file (render --save), not a store")


def test_the_inspectors_command_names_the_published_landscape(published):
    """The manifest's ``attndyn trace`` command (the inspector adds ``--at=X,Y``) builds the
    store's own spec."""
    import shlex

    from attndyn.cli.common import render_options
    from attndyn.cli.main import _build_parser
    from attndyn.model.options import build_job
    from attndyn.pictures.export import finished_store

    manifest = json.loads((published / "site" / "manifest.json").read_text())
    argv = [*shlex.split(manifest["command"])[1:], "--at=0.5,-1.25"]
    args = _build_parser().parse_args(argv)
    assert args.command == "trace"
    spec = build_job(render_options(args)).spec
    assert spec == finished_store(published / "site.zarr").spec
