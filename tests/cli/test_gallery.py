import os

from attndyn.cli.main import main
from attndyn.model.presets import builtin_presets


def run(*argv):
    return main([str(a) for a in argv])


def test_presets_lists_the_seed_gallery(capsys):
    assert run("presets") == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(builtin_presets())


def test_gallery_renders_both_versions_and_resumes(tmp_path, capsys):
    argv = [
        "gallery",
        "-o",
        tmp_path / "g",
        "--size",
        "12",
        "--only",
        "art1679700",
        "--only",
        "seed1-identity",
        "-q",
    ]
    assert run(*argv) == 0
    files = sorted(p.name for p in (tmp_path / "g").iterdir())
    assert files == [
        f"{n}-{i}.png" for n in ("art1679700", "seed1-identity") for i in ("independent", "shared")
    ]
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "g").iterdir()}
    os.utime(tmp_path / "g" / "art1679700-shared.png", ns=(0, 0))  # an old file with the same spec
    assert run(*argv) == 0  # nothing to redo: the pictures carry their specs
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "g").iterdir()}
    assert after["art1679700-shared.png"] == 0
    assert after["seed1-identity-independent.png"] == before["seed1-identity-independent.png"]


def test_gallery_errors(tmp_path, capsys):
    assert run("gallery", "-o", tmp_path, "--init", "both") == 2
    assert "--init holds 'both'; choose from independent, shared" in capsys.readouterr().err
    assert run("gallery", "-o", tmp_path, "--init", "shared,indepedent") == 2
    assert "--init holds 'indepedent' (did you mean 'independent'?)" in capsys.readouterr().err
    assert run("gallery", "-o", tmp_path, "--only", "nope") == 2
    assert "preset 'nope' is unknown" in capsys.readouterr().err


def test_gallery_sheet_holds_every_picture(tmp_path):
    import numpy as np
    from PIL import Image

    out = tmp_path / "g"
    argv = ["gallery", "-o", out, "--size", "16", "--init", "independent", "-q"]
    assert run(*argv, "--sheet", tmp_path / "sheet.png") == 0
    names = [f"{name}-independent" for name in builtin_presets()]
    sheet = np.asarray(Image.open(tmp_path / "sheet.png").convert("RGB"))
    margin, cell = 4, 16 + 8
    assert sheet.shape[1] == 3 * cell  # six presets, three to a row, like the seed's Figure 1
    # The first row's pictures, pixel for pixel, where the layout puts them.
    for c, name in enumerate(names[:3]):
        picture = np.asarray(Image.open(out / f"{name}.png").convert("RGB"))
        left = c * cell + margin
        np.testing.assert_array_equal(sheet[margin : margin + 16, left : left + 16], picture)


def test_gallery_sheet_path_is_checked_first(tmp_path, capsys):
    argv = ["gallery", "-o", tmp_path / "g", "--size", "8", "--only", "art1679700", "-q"]
    assert run(*argv, "--sheet", tmp_path / "sheet.jpg") == 2
    assert "sheet" in capsys.readouterr().err
    assert not (tmp_path / "g").exists() or not list((tmp_path / "g").iterdir())
