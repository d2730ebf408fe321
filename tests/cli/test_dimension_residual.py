"""attndyn dimension on a residual landscape (``render --residual H --save``): the fields file
keeps the spec with its h, and the boundary's dimension is measured as for the seed's map."""

import csv

import numpy as np

from attndyn.cli.main import main
from attndyn.engines import get_engine
from attndyn.model.options import RenderOptions, build_job
from attndyn.pictures.images import read_png_spec
from attndyn.rendering.render import render_landscape
from attndyn.rendering.store import load_landscape

OPTIONS = dict(preset="art1679700", residual=1.0, size=(64, 64), steps=40)


def run(*argv):
    return main([str(a) for a in argv])


def test_dimension_of_a_residual_landscape_and_its_spec_round_trip(tmp_path, capsys):
    fields, picture = tmp_path / "f.npz", tmp_path / "f.png"
    render = ["render", "--preset", "art1679700", "--residual", "1", "--size", "64"]
    assert (
        run(*render, "--steps", "40", "--engine", "numpy", "--save", fields, "-o", picture, "-q")
        == 0
    )
    # the spec comes back with its h, from the fields file and from the picture
    expected = build_job(RenderOptions(**OPTIONS)).spec
    saved = load_landscape(fields)
    assert saved.spec == expected and saved.spec.residual == 1.0
    assert saved.spec.to_json() == read_png_spec(picture)
    # the fields are the reference engine's residual map (not the seed's), with a boundary
    reference = render_landscape(expected, get_engine("numpy"))
    np.testing.assert_array_equal(saved.labels, reference.labels)
    seed_spec = build_job(RenderOptions(**{**OPTIONS, "residual": None})).spec
    seed_map = render_landscape(seed_spec, get_engine("numpy"))
    assert not np.array_equal(seed_map.delta, saved.delta)
    assert 0 < saved.labels.mean() < 1
    # dimension reads it like any fields file
    table = tmp_path / "d.csv"
    assert run("dimension", fields, "-o", table, "--plot", tmp_path / "d.png", "-q") == 0
    value = float(capsys.readouterr().out.strip())
    assert 1.0 <= value <= 2.0
    with open(table, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) >= 3 and all(int(r["count"]) > 0 for r in rows)
