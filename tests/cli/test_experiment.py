"""attndyn experiment: --list-params, --param overrides, and one-line errors (exit 2) before
any file or folder is made."""

import json

import pytest

from attndyn.cli.main import main
from attndyn.particles.experiments import Experiment


def run(*argv):
    return main([str(a) for a in argv])


def test_list_params_prints_defaults_types_quick_values_and_meanings(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("experiment", "tanh-ratio", "--list-params") == 0
    out = capsys.readouterr().out
    assert out.startswith("fig4: parameters")
    assert "  taus = 0.002,0.01  [list of float > 0" in out
    assert "  steps = 20000  [int >= 1; quick: 6000]" in out
    assert "step sizes τ of our float64 runs" in out
    assert list(tmp_path.iterdir()) == []  # nothing written, not even results/


def test_param_overrides_reach_the_files_and_are_recorded(tmp_path, capsys):
    argv = ["experiment", "fig7", "--quick", "-q", "-o", tmp_path / "r"]
    assert run(*argv, "--param", "d_count=3", "--param", "d_min=0", "--param", "d_max=1") == 0
    lines = (tmp_path / "r" / "fig7.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["0.0", "0.5", "1.0"]
    record = json.loads((tmp_path / "r" / "fig7.params.json").read_text())
    assert record["quick"] is True and record["parameters"]["d_count"] == 3
    assert record["parameters"]["starts"] == 2  # the quick value where none was given
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "fig7.csv",
        "fig7.params.json",
        "fig7.png",
    ]


def test_view_is_the_animations_view_parameter(tmp_path, monkeypatch):
    seen = {}

    def fake_run(self, out_dir, **kwargs):  # the command's wiring only, not the rendering
        seen.update(kwargs, name=self.name, params=self.parameters(kwargs["params"]))
        return []

    monkeypatch.setattr(Experiment, "run", fake_run)
    argv = ["experiment", "animations", "-q", "--param", "particles=8", "--view", "descent"]
    assert run(*argv, "-o", tmp_path) == 0
    assert seen["name"] == "animations" and seen["params"].view == "descent"
    assert seen["params"].particles == 8 and seen["params"].frame_count == 48


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["fig4", "--param", "tua=1"], "fig4 has no parameter 'tua'; it takes d_values, beta,"),
        (["fig4", "--param", "taus=0.01,0"], "fig4 parameter taus=0.01,0 is out of range"),
        (["fig4", "--param", "steps=1.5"], "fig4 parameter steps=1.5 is not an integer; it takes"),
        (["fig4", "--param", "steps"], "--param 'steps' is not KEY=VALUE; fig4 takes d_values,"),
        (["fig1", "--param", "=3"], "--param '=3' is not KEY=VALUE"),
        (["phase", "--param", "layout=theirs"], "phase parameter layout=theirs has the unknown"),
        (["phase", "--param", "qk=goe"], "qk applies to layout=geshkovski only"),
        (["fig1", "--view", "descent"], "--view does not apply to experiment 'fig1'"),
        (["animations", "--param", "view=spin"], "view=spin has the unknown 'spin'; it takes"),
    ],
)
def test_bad_params_are_one_line_errors_before_any_output(tmp_path, capsys, argv, fragment):
    out = tmp_path / "r"
    assert run("experiment", *argv, "-q", "-o", out) == 2
    err = capsys.readouterr().err
    assert err.startswith("attndyn: error: ") and fragment in err and err.count("\n") == 1
    assert "Traceback" not in err
    assert not out.exists()  # no partial files, not even the folder
