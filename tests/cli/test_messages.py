"""What commands say: export given a fields file or a picture, gallery's lines off a terminal,
and render --from's note when it computes a picture again only to change its colours."""

import re
import shlex

import numpy as np
from PIL import Image

import attndyn.cli.gallery
from attndyn.cli.main import main

from helpers import one_line_error
from helpers import run_cli as run

SMALL = ("--preset", "art1679700", "--size", "16", "--steps", "20", "--engine", "numpy")


def test_export_of_a_fields_file_points_to_color_whatever_is_installed(
    tmp_path, capsys, monkeypatch
):
    try:  # without the 'big' extra: the message must not blame it
        import attndyn.rendering.store.zarr_store as zarr_store

        monkeypatch.setattr(zarr_store, "zarr", None)
    except ImportError:
        pass
    fields = tmp_path / "f.npz"
    assert run("render", *SMALL, "-q", "--save", fields) == 0
    assert run("export", fields, "-o", tmp_path / "p.png") == 2
    err = one_line_error(capsys, "is a fields file", f"attndyn color {fields} -o OUT.png")
    assert "extra" not in err
    assert run("render", *SMALL, "-q", "-o", tmp_path / "p.png") == 0
    assert run("export", tmp_path / "p.png", "-o", tmp_path / "q.png") == 2
    one_line_error(capsys, "is a picture", "render --from")
    assert not (tmp_path / "q.png").exists()


def test_gallery_off_a_terminal_prints_its_lines_and_nothing_between(tmp_path, capsys, monkeypatch):
    # Off a terminal, a progress bar's redraws and the spaces that clear it would be lines of
    # their own between the pictures' lines: no bar there, and no blank line.
    real = attndyn.cli.gallery.render_landscape
    bars = []

    def recording(job, engine, **kwargs):
        bars.append(kwargs.get("progress"))
        return real(job, engine, **kwargs)

    monkeypatch.setattr(attndyn.cli.gallery, "render_landscape", recording)
    argv = ["gallery", "-o", tmp_path / "g", "--size", "12", "--only", "art1679700"]
    assert run(*argv, "--engine", "numpy") == 0
    err = capsys.readouterr().err
    lines = re.split(r"\r\n|\r|\n", err.rstrip("\r\n"))
    assert bars == [False, False]
    assert [line.split()[0] for line in lines] == ["wrote", "wrote", "gallery"], lines


def test_render_from_to_recolour_names_the_fields_beside_the_picture(tmp_path, capsys):
    picture, fields = tmp_path / "p.png", tmp_path / "p-fields.npz"
    assert run("render", *SMALL, "-q", "-o", picture, "--save", fields) == 0
    colours = ["--coloring", "log-delta", "--cmap", "viridis", "--equalize"]
    again = tmp_path / "again.png"
    assert run("render", "--from", picture, *colours, "--engine", "numpy", "-o", again) == 0
    note, wrote = capsys.readouterr().err.strip().split("\n")
    assert note.startswith("attndyn: note: ") and wrote.startswith("wrote")  # before computing
    command = re.search(r"'(attndyn color [^']*)'", note).group(1)
    assert command.startswith(f"attndyn color {fields} -o {again}")
    (tmp_path / "again.png").rename(tmp_path / "computed.png")
    assert main(shlex.split(command)[1:]) == 0  # the suggested command gives the same picture
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "computed.png")), np.asarray(Image.open(again))
    )


def test_render_from_to_recolour_without_fields_says_once_that_save_keeps_them(tmp_path, capsys):
    picture = tmp_path / "p.png"
    assert run("render", *SMALL, "-q", "-o", picture) == 0
    (tmp_path / "other.npz").write_bytes(b"not an npz")  # unreadable neighbours are skipped
    assert run("render", "--from", picture, "--coloring", "sync-step", "--engine", "numpy",
               "-o", tmp_path / "a.png") == 0  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("attndyn: note: ") == 1 and "--save" in err
    # the same colours (nothing to recolour), or -q: no note
    assert run("render", "--from", picture, "--engine", "numpy", "-o", tmp_path / "b.png") == 0
    assert run("render", "--from", picture, "--coloring", "sync-step", "--engine", "numpy", "-q",
               "-o", tmp_path / "c.png") == 0  # fmt: skip
    assert "note" not in capsys.readouterr().err
