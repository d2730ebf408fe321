"""Every experiment runs in quick mode and writes its files; the registry contract; the
parameters (defaults, overrides, checks, records); the phase diagram's Geshkovski layout
against a plain transcription of their update loop."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from attndyn.model.errors import UserError
from attndyn.particles.experiments import EXPERIMENTS, ParameterError, phase, resolve
from attndyn.particles.experiments.fig2 import antipodal_pair_stable, thresholds
from attndyn.particles.experiments.fig4 import tanh_ratio
from attndyn.particles.experiments.phase import merged_pair_history, sample_geshkovski

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = [
    "fig1",
    "fig2",
    "fig3",
    "fig4",
    "fig5",
    "fig6",
    "fig7",
    "animations",
    "maxsplit",
    "sphere-densities",
    "phase",
]


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run every experiment once in quick mode; keep the files.

    How long the quick runs take is measured by benchmarks/bench_experiments.py, not here."""
    results = {}
    for name, experiment in EXPERIMENTS.items():
        out = tmp_path_factory.mktemp(name)
        files = experiment.run(out, quick=True, seed=0, progress=False)
        results[name] = (out, files)
    return results


def test_registry_names_order_and_fields():
    assert list(EXPERIMENTS) == NAMES
    seen = set()
    for name, experiment in EXPERIMENTS.items():
        assert experiment.name == name
        assert isinstance(experiment.aliases, tuple) and experiment.aliases
        assert experiment.summary and "\n" not in experiment.summary
        assert "Parameters" in experiment.description
        for key in (name, *experiment.aliases):
            assert key not in seen
            seen.add(key)


def test_resolve_names_and_aliases():
    for name, experiment in EXPERIMENTS.items():
        assert resolve(name) is experiment
        assert resolve(name.upper()) is experiment
        for alias in experiment.aliases:
            assert resolve(alias) is experiment
    assert resolve("four_particles") is EXPERIMENTS["fig4"]


def test_resolve_unknown_name_lists_valid_names():
    with pytest.raises(UserError) as info:
        resolve("fig8")
    message = str(info.value)
    assert "\n" not in message and "fig8" in message
    assert all(name in message for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_quick_run_writes_csv_and_png(outputs, name):
    out, files = outputs[name]
    paths = [Path(f) for f in files]
    assert out / f"{name}.params.json" in paths  # the parameters used, named as the command
    assert out / f"{name}.csv" in paths and out / f"{name}.png" in paths
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    header, rows = _read_csv(out / f"{name}.csv")
    assert len(header) >= 3 and rows
    assert (out / f"{name}.png").read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(out / f"{name}.png") as image:
        assert image.size[0] > 200 and image.size[1] > 200
    # atomic writes leave no temporary files behind, and nothing unlisted
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)


def test_quick_run_is_reproducible(tmp_path, outputs):
    out, _ = outputs["fig2"]
    EXPERIMENTS["fig2"].run(tmp_path, quick=True, seed=0, progress=False)
    assert (tmp_path / "fig2.csv").read_bytes() == (out / "fig2.csv").read_bytes()


def test_animations_turn_the_camera_around_the_converged_states(outputs):
    out, _ = outputs["animations"]  # the default view, rotate
    for movie in ("MinA", "MinB", "MinC", "MinD"):
        with Image.open(out / f"{movie}.gif") as gif:
            assert gif.n_frames == 4
        assert b"ftyp" in (out / f"{movie}.mp4").read_bytes()[:64]
    header, rows = _read_csv(out / "animations.csv")
    assert header == ["animation", "case", "view", "frame", "step", "azimuth", "energy"]
    for movie in ("MinA", "MinB", "MinC", "MinD"):
        mine = [r for r in rows if r["animation"] == movie]
        assert {r["view"] for r in mine} == {"rotate"}
        # one state, seen from 4 azimuths 90° apart: one full turn, no frame repeated
        assert len({r["step"] for r in mine}) == 1 and len({r["energy"] for r in mine}) == 1
        turns = np.diff([float(r["azimuth"]) for r in mine])
        assert np.allclose(turns, 90.0)


def test_animations_descent_view(tmp_path):
    files = EXPERIMENTS["animations"].run(tmp_path, quick=True, view="descent")
    assert tmp_path / "MinA.gif" in files
    with Image.open(tmp_path / "MinA.gif") as gif:
        assert gif.n_frames == 4
    _, rows = _read_csv(tmp_path / "animations.csv")
    for movie in ("MinA", "MinB", "MinC", "MinD"):
        mine = [r for r in rows if r["animation"] == movie]
        steps = [int(r["step"]) for r in mine]
        assert steps[0] == 0 and steps == sorted(steps) and len(set(steps)) == 4
        assert {float(r["azimuth"]) for r in mine} == {-55.0}
        # the descent lowers the energy
        assert float(mine[-1]["energy"]) <= float(mine[0]["energy"]) + 1e-12


def test_the_view_is_a_checked_parameter_of_the_animations_only():
    with pytest.raises(ParameterError, match="fig1 has no parameter 'view'"):
        EXPERIMENTS["fig1"].parameters({"view": "rotate"})
    with pytest.raises(ParameterError, match="view=spin has the unknown 'spin'"):
        EXPERIMENTS["animations"].parameters({"view": "spin"})
    assert EXPERIMENTS["animations"].parameters().view == "rotate"
    assert EXPERIMENTS["animations"].parameters({"view": "descent"}).view == "descent"


def test_fig7_energies_are_the_closed_forms(outputs):
    out, _ = outputs["fig7"]
    _, rows = _read_csv(out / "fig7.csv")
    for row in rows:
        d = float(row["d"])
        assert np.isclose(float(row["energy_one_cluster_e2"]), np.exp(d))
        assert np.isclose(float(row["energy_two_clusters_e1"]), np.cosh(1.0))
        assert np.isclose(float(row["energy_two_clusters_e2"]), np.cosh(d))
        assert float(row["best_found_by_dirac_search"]) <= float(row["best_candidate"]) + 1e-9


def test_fig4_stationary_ratio_and_large_step_failure(outputs):
    out, _ = outputs["fig4"]
    _, rows = _read_csv(out / "fig4.csv")
    ours = [r for r in rows if r["settings"] == "ours"]
    assert {r["precision"] for r in ours} == {"float64"}
    small = {float(r["d"]): float(r["ratio_mean"]) for r in ours if float(r["tau"]) == 0.002}
    large = {float(r["d"]): float(r["ratio_mean"]) for r in ours if float(r["tau"]) == 0.01}
    for d in (2.0, 5.0, 8.0, 10.0):
        assert np.isclose(small[d], d, rtol=1e-3)
    assert large[8.0] < 1e-6  # overshoot: the particles end at ±e2


# Rows of the source package's published tanh_min0.0005.csv and tanh_min0.05.csv (float32,
# 10000 steps): d -> mean ratio.
PUBLISHED_TAU_0_0005 = {2.0: 1.999610185623169, 5.0: 4.999407768249512, 10.0: 9.999484062194824}
PUBLISHED_TAU_0_05 = {2.0: 1.999998092651367, 5.0: 5.000008106231689, 8.0: 0.0, 10.0: 0.0}


def test_fig4_at_the_source_settings_matches_the_published_rows(outputs):
    out, _ = outputs["fig4"]
    _, rows = _read_csv(out / "fig4.csv")
    source = [r for r in rows if r["settings"] == "source"]
    assert {r["precision"] for r in source} == {"float32"}
    assert {int(r["steps"]) for r in source} == {10000}
    for tau, published in ((0.0005, PUBLISHED_TAU_0_0005), (0.05, PUBLISHED_TAU_0_05)):
        ours = {float(r["d"]): float(r["ratio_mean"]) for r in source if float(r["tau"]) == tau}
        for d, value in published.items():
            # float32 runs of 10000 steps agree to a few units in the 6th digit
            assert abs(ours[d] - value) < 2e-5, (tau, d, ours[d], value)


def test_tanh_ratio_of_the_analytic_stationary_state():
    # minimise cosh(u) cosh(d (1 - u)) over u = a² by brute force, independently of the flow
    for d in (0.5, 3.0):
        u = np.linspace(0.0, 1.0, 200001)
        best = u[np.argmin(np.cosh(u) * np.cosh(d * (1.0 - u)))]
        x = np.array([[np.sqrt(best), np.sqrt(1.0 - best)]])
        assert np.isclose(tanh_ratio(x, np.diag([1.0, d]))[0], d, rtol=1e-3)


def test_fig5_first_order_fit(outputs):
    out, _ = outputs["fig5"]
    _, rows = _read_csv(out / "fig5.csv")
    for row in rows:
        eps = float(row["eps"])
        if eps != 0.0:
            # the fitted exponent agrees with the first-order one up to O(ε²)
            assert abs(float(row["f_fitted"]) - float(row["f_first_order"])) < 1.5 * eps**2
            assert (
                float(row["l2sigma_density_guess_fitted_f"])
                <= float(row["l2sigma_density_first_order"]) + 1e-12
            )
        # the Euclidean norm of weight vectors w = ρ/N is the L²(σ) norm of densities over √N
        N = 200  # quick mode's grid
        for what in ("first_order", "guess_source_f"):
            assert np.isclose(
                float(row[f"euclid_weights_{what}"]),
                float(row[f"l2sigma_density_{what}"]) / np.sqrt(N),
                rtol=1e-9,
                atol=1e-15,
            )


def test_split_thresholds_match_direct_energy_comparison():
    lower, upper = thresholds()
    assert np.isclose(lower, np.tanh(1.0)) and np.isclose(upper * np.tanh(upper), 1.0)

    def pair_energy(D, a):
        # equal masses at ±(top eigenvector), both turned by the angle a towards the other one
        _, v = np.linalg.eigh(D)
        top, other = v[:, -1], v[:, 0]
        x = np.cos(a) * top + np.sin(a) * other
        y = -(np.cos(a) * top - np.sin(a) * other)
        k = lambda p, q: np.exp(p @ D @ q)  # noqa: E731
        return (k(x, x) + k(y, y) + k(x, y) + k(y, x)) / 4

    for d in (0.2, 0.7, 0.8, 1.1, 1.15, 1.25, 1.5):
        D = np.diag([d, 1.0])
        stays_max = pair_energy(D, 1e-3) < pair_energy(D, 0.0)
        assert stays_max == antipodal_pair_stable(D)


def test_fig2_inner_products_stay_within_zero_and_one(outputs):
    out, _ = outputs["fig2"]
    _, rows = _read_csv(out / "fig2.csv")
    for row in rows:
        for column in ("mean_min_abs_inner_product", "min_min_abs_inner_product"):
            assert 0.0 <= float(row[column]) <= 1.0


def test_fig6_modes_energies_and_matrix_labels(outputs):
    out, _ = outputs["fig6"]
    text = (out / "fig6.csv").read_text()
    assert "-0," not in text and "-0)" not in text  # zeros are written 0
    _, rows = _read_csv(out / "fig6.csv")
    assert [m for m in dict.fromkeys(r["mode"] for r in rows)] == [
        "Id",
        "NonId",
        "NonId2",
        "added",
    ]
    nonid2 = [r for r in rows if r["mode"] == "NonId2"]
    assert nonid2[0]["D"] == "diag(-1, 0, 0)"
    for row in rows:  # the maximal energy is cosh(β |λ|_max); no state exceeds it
        top = {"Id": 1.0, "NonId": 4.0, "NonId2": 1.0, "added": 1.0}[row["mode"]]
        assert np.isclose(float(row["max_energy"]), np.cosh(top))
        assert float(row["energy"]) <= float(row["max_energy"]) + 1e-9


def test_maxsplit_outcomes_and_their_energies(outputs):
    out, _ = outputs["maxsplit"]
    _, rows = _read_csv(out / "maxsplit.csv")
    outcomes = [r["outcome"] for r in rows]
    assert {"A", "B"} <= set(outcomes)  # both one-cluster outcomes occur (seed 0)
    for row in rows:
        if row["outcome"] in ("A", "B"):  # one Dirac at ±e2: E = exp(β λ_max) = exp(1.25)
            assert int(row["clusters"]) == 1
            assert float(row["mass_x2_positive"]) == (1.0 if row["outcome"] == "A" else 0.0)
            assert np.isclose(float(row["energy"]), np.exp(1.25), rtol=1e-4)
        if row["outcome"] == "C":
            m = float(row["mass_x2_positive"])
            pair = (m * m + (1 - m) ** 2) * np.exp(1.25) + 2 * m * (1 - m) * np.exp(-1.25)
            assert np.isclose(float(row["ideal_energy"]), pair)


def test_sphere_densities_formula_against_sampling(outputs):
    out, _ = outputs["sphere-densities"]
    _, rows = _read_csv(out / "sphere-densities.csv")
    for case in {r["case"] for r in rows}:
        formula = np.array([float(r["density_formula"]) for r in rows if r["case"] == case])
        sampled = np.array([float(r["density_sampled"]) for r in rows if r["case"] == case])
        assert formula.size == 800
        # equal-area cells: the mean of a probability density over them is its mass, 1
        assert np.isclose(formula.mean(), 1.0, atol=2e-3) and np.isclose(sampled.mean(), 1.0)
        # 200000 samples in 800 cells: 250 per unit density, a relative error of ~6% per
        # cell; the mean absolute difference is a few percent of the mean
        assert np.mean(np.abs(sampled - formula)) < 0.05


def test_phase_diagram_counts(outputs):
    out, _ = outputs["phase"]
    _, rows = _read_csv(out / "phase.csv")
    assert {r["family"] for r in rows} == {"identity", "gaussian", "goe"}
    for row in rows:
        mean = float(row["mean_clusters"])
        assert 1.0 <= mean <= 32.0 and 0.0 <= float(row["fraction_one_cluster"]) <= 1.0
        if float(row["time"]) == 0.0:
            # 32 uniform random points: a pair closer than 0.05 is rare (chance ~ 0.3)
            assert mean >= 31.0
    # Q = K = V = I at small β: every draw has collapsed to one cluster by t = 10
    last = max(float(r["time"]) for r in rows)
    small = min(float(r["beta"]) for r in rows)
    row = next(
        r
        for r in rows
        if r["family"] == "identity" and float(r["time"]) == last and float(r["beta"]) == small
    )
    assert float(row["fraction_one_cluster"]) == 1.0


# ------------------------------------------------------------------------------ parameters

# The paper's values as the module docstrings (and the source scripts they name) state them.
PAPER_VALUES = {
    "fig1": {"beta": 1.0, "tau": 0.1, "steps": 500, "repetitions": 30},
    "fig2": {
        "d_min": 0.0,
        "d_max": 1.5,
        "d_count": 20,
        "particles": 100,
        "repetitions": 100,
        "tau": 0.1,
        "steps": 1500,
        "picture_particles": 100,
        "picture_tau": 0.075,
        "picture_steps": 1400,
    },
    "fig3": {"particles": 400, "beta": 1.0, "steps": 20000, "taus": (0.1, 0.5, 0.75, 0.75)},
    "fig4": {
        "d_values": tuple(0.5 * k for k in range(1, 21)),
        "taus": (0.002, 0.01),
        "steps": 20000,
        "source_taus": (0.0005, 0.05),
        "source_steps": 10000,
    },
    "fig5": {"d2_min": 0.9, "d2_max": 1.3, "d2_count": 9, "grid": 1000, "steps": 1500, "lr": 1},
    "fig6": {"particles": 100, "tau": 0.1, "steps": 500, "repetitions": (6, 100, 10, 20)},
    "fig7": {
        "d_min": -1.0,
        "d_max": 1.0,
        "d_count": 100,
        "starts": 8,
        "steps": 400,
        "lr": 0.2,
        "noise": 0.5,
        "noise_decay": 0.9,
    },
    "animations": {"view": "rotate", "particles": 400, "steps": 20000, "fps": 12, "size": 320},
    "maxsplit": {"particles": 100, "repetitions": 60, "tau": 0.075, "steps": 1400},
    "sphere-densities": {"points": 2_000_000, "bands": 20, "sectors": 40},
    "phase": {
        "layout": "ours",
        "families": ("identity", "gaussian", "goe"),
        "dimension": 3,
        "particles": 32,
        "beta_min": 0.25,
        "beta_max": 16.0,
        "betas": 25,
        "t_max": 40.0,
        "step": 0.1,
        "draws": 32,
        "record": 0.5,
    },
}


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_the_papers_values(name):
    params = EXPERIMENTS[name].parameters()
    for key, value in PAPER_VALUES[name].items():
        assert getattr(params, key) == value, key
    assert set(PAPER_VALUES[name]) <= set(EXPERIMENTS[name].specs)


def test_quick_values_and_auto_values():
    fig4 = EXPERIMENTS["fig4"].parameters(quick=True)
    assert fig4.d_values == (0.5, 2.0, 5.0, 8.0, 10.0) and fig4.steps == 6000
    assert fig4.source_steps == 10000  # the source's runs keep their steps in quick mode
    animations = EXPERIMENTS["animations"]
    assert animations.parameters().frame_count == 72
    assert animations.parameters({"view": "descent"}).frame_count == 48
    assert animations.parameters({"view": "descent"}, quick=True).frame_count == 4
    theirs = EXPERIMENTS["phase"].parameters({"layout": "geshkovski"})
    assert (theirs.dimension, theirs.beta_min, theirs.beta_max, theirs.betas) == (2, 0.1, 9.0, 90)
    assert theirs.t_max == 30.0 and theirs.checkpoints == 200 and theirs.merge_threshold == 0.999
    assert theirs.families == ("identity", "psd")
    assert np.allclose(theirs.beta_values(), np.arange(90) * 0.1 + 0.1)  # linspace(0.1, 9, 90)


@pytest.mark.parametrize("name", NAMES)
def test_list_params_shows_every_parameter_default_and_meaning(name):
    experiment = EXPERIMENTS[name]
    text = experiment.describe_parameters()
    for key, spec in experiment.specs.items():
        assert f"  {key} = " in text and spec.help in text
        assert spec.help and "\n" not in spec.help


def test_text_values_are_parsed_as_written():
    fig4 = EXPERIMENTS["fig4"]
    assert fig4.parameters({"d_values": "0:1:5"}).d_values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert fig4.parameters({"taus": " 0.001, 0.02 "}).taus == (0.001, 0.02)
    assert fig4.parameters({"steps": "1e3"}).steps == 1000
    assert fig4.parameters({"source-steps": "7"}).source_steps == 7  # - for _
    phase = EXPERIMENTS["phase"]
    assert phase.parameters({"layout": "geshkovski", "softmax": "no"}).softmax is False
    assert phase.parameters({"dimension": "auto"}).dimension == 3
    # Python values are accepted and checked alike
    assert fig4.parameters({"taus": [0.003], "steps": 12}).taus == (0.003,)
    with pytest.raises(ParameterError, match=r"steps=2\.5 has 2\.5, not a int"):
        fig4.parameters({"steps": 2.5})


@pytest.mark.parametrize(
    ("name", "given", "fragment"),
    [
        ("fig4", {"tua": "1"}, "fig4 has no parameter 'tua'; it takes d_values, beta, taus,"),
        ("fig1", {"stpes": "3"}, "fig1 has no parameter 'stpes' (did you mean 'steps'?)"),
        ("fig4", {"taus": "0.01,-1"}, "fig4 parameter taus=0.01,-1 is out of range; it takes "),
        ("fig1", {"tau": "0"}, "fig1 parameter tau=0 is out of range; it takes float > 0"),
        ("fig1", {"steps": "0"}, "fig1 parameter steps=0 is out of range; it takes int >= 1"),
        ("fig1", {"steps": "ten"}, "fig1 parameter steps=ten is not a number; it takes int >= 1"),
        ("fig1", {"beta": "inf"}, "beta=inf is not a finite number"),
        ("fig4", {"taus": "0.1,,2"}, "taus='0.1,,2' has an empty item"),
        ("fig4", {"d_values": "0:1:x"}, "has COUNT 'x', not an integer >= 1"),
        ("fig3", {"taus": "0.1,0.2"}, "fig3 parameter taus has 2 values; give 4, one per matrix"),
        ("fig6", {"repetitions": "1,2"}, "fig6 parameter repetitions has 2 values; give 4"),
        ("fig7", {"noise_decay": "1.5"}, "noise_decay=1.5 is out of range; it takes float > 0 and"),
        ("fig7", {"d_min": "1", "d_max": "0"}, "d_max must be >= d_min"),
        ("phase", {"layout": "gesh"}, "layout=gesh has the unknown 'gesh' (did you mean"),
        ("phase", {"families": "psd"}, "families has 'psd', not a family of layout=ours"),
        ("phase", {"qk": "goe"}, "phase parameter qk applies to layout=geshkovski only"),
        ("phase", {"layout": "geshkovski", "record": "2"}, "record applies to layout=ours only"),
        ("phase", {"record": "0.25"}, "record=0.25 is not a multiple of step=0.1"),
        ("phase", {"beta_min": "0"}, "beta_min=0 is out of range for layout=ours"),
        ("phase", {"merge_threshold": "2"}, "merge_threshold=2 is out of range"),
    ],
)
def test_bad_parameters_are_one_line_errors_naming_the_key(name, given, fragment):
    with pytest.raises(ParameterError) as info:
        EXPERIMENTS[name].parameters(given)
    message = str(info.value)
    assert fragment in message and "\n" not in message


def _csv_column(path, column):
    _, rows = _read_csv(path)
    return [float(row[column]) for row in rows]


def test_an_override_reaches_the_run_and_is_recorded_in_json_and_png(tmp_path):
    given = {"d_min": "0", "d_max": "1", "d_count": "3", "beta": "2", "starts": 1, "steps": 5}
    files = EXPERIMENTS["fig7"].run(tmp_path, params=given)
    assert tmp_path / "fig7.params.json" in files
    _, rows = _read_csv(tmp_path / "fig7.csv")
    assert [float(r["d"]) for r in rows] == [0.0, 0.5, 1.0]
    for row in rows:  # the closed forms at β = 2: exp(βd), cosh(β), cosh(βd)
        d = float(row["d"])
        assert np.isclose(float(row["energy_one_cluster_e2"]), np.exp(2 * d))
        assert np.isclose(float(row["energy_two_clusters_e1"]), np.cosh(2.0))
        assert np.isclose(float(row["energy_two_clusters_e2"]), np.cosh(2 * d))
    record = json.loads((tmp_path / "fig7.params.json").read_text())
    assert record["experiment"] == "fig7" and record["seed"] == 0 and record["quick"] is False
    assert record["parameters"] == {
        "d_min": 0.0,
        "d_max": 1.0,
        "d_count": 3,
        "beta": 2.0,
        "starts": 1,
        "steps": 5,
        "lr": 0.2,
        "noise": 0.5,
        "noise_decay": 0.9,
    }
    with Image.open(tmp_path / "fig7.png") as image:
        assert json.loads(image.text["attndyn-parameters"]) == record
        image.load()  # the added chunk leaves a valid PNG


def test_fig4_step_size_is_a_parameter(tmp_path):
    given = {"taus": "0.005,0.05", "steps": 4000, "d_values": "2,8", "source_taus": "0.0005"}
    EXPERIMENTS["fig4"].run(tmp_path, params=given | {"source_steps": 100})
    _, rows = _read_csv(tmp_path / "fig4.csv")
    ours = {(float(r["tau"]), float(r["d"])): float(r["ratio_mean"]) for r in rows[:4]}
    assert [r["settings"] for r in rows] == ["ours"] * 4 + ["source"] * 2
    assert {int(r["steps"]) for r in rows[:4]} == {4000}
    # τ = 0.005 reaches the stationary state tanh(x1²)/tanh(d x2²) = d (t = 20) ...
    assert np.isclose(ours[(0.005, 2.0)], 2.0, rtol=1e-3)
    assert np.isclose(ours[(0.005, 8.0)], 8.0, rtol=1e-3)
    # ... τ = 0.05 overshoots at d = 8 (increments ~ τ d e^{(1+d)/2} ≈ 36): the ratio drops to 0
    assert ours[(0.05, 8.0)] < 1e-6


# ---------------------------------------------------- the phase diagram, Geshkovski's layout


def _their_loop(BF, V, x0, beta, times, *, step, maxtime, softmax, threshold):
    """A plain transcription of do_single_beta and simu_xform.step_1/check_stats of
    phase-diagrams.py (borjanG/2023-transformers-rotf), torch replaced by numpy: one β, the
    whole batch; returns the density tensor's row."""
    ntokens = x0.shape[1]
    if softmax:
        eta = step
    else:
        eta = step / max(np.sqrt(beta) * np.exp(beta - 1 / 2), 1)
    M = x0.copy()
    dens_row = np.zeros(len(times))
    cur_ckpt, cur_time = 0, 0.0
    while True:
        # step_1
        M2 = M @ BF
        SM = M2 @ M.transpose(0, 2, 1)
        SM = SM * beta
        if softmax:
            SM = np.exp(SM - SM.max(axis=2, keepdims=True))
            SM = SM / SM.sum(axis=2, keepdims=True)
        else:
            SM = np.exp(SM)
            SM = SM / ntokens
        M2 = SM @ M
        M2 = M2 * eta
        if V is not None:
            M2 = M2 @ V
        M2 = M2 + M
        M = M2 / np.maximum(np.sqrt((M2 * M2).sum(axis=2, keepdims=True)), 1e-12)
        cur_time = cur_time + eta
        # do_single_beta's bookkeeping with check_stats
        if cur_time >= times[cur_ckpt]:
            IP = M @ M.transpose(0, 2, 1)
            mask = ~np.broadcast_to(np.eye(ntokens, dtype=bool), IP.shape)
            inner_prods = IP[mask]
            dens = (inner_prods > threshold).sum() / len(inner_prods)
            while cur_time >= times[cur_ckpt]:
                dens_row[cur_ckpt] = dens
                cur_ckpt += 1
                if cur_ckpt >= len(times):
                    break
        if cur_time >= maxtime:
            break
    return dens_row


@pytest.mark.parametrize(
    ("family", "qk", "softmax"),
    [
        ("identity", "identity", True),
        ("psd", "gaussian", True),
        ("minus-qk", "goe", True),
        ("plus-qk", "gaussian", False),
    ],
)
def test_geshkovski_layout_matches_a_transcription_of_their_loop(family, qk, softmax, monkeypatch):
    monkeypatch.setattr(phase, "CHUNK_ELEMENTS", 2 * 3 * 8 * 8)  # β two at a time
    rng = np.random.default_rng(7)
    d, n, draws = 2, 8, 3
    B, V = sample_geshkovski(family, qk, d, draws, rng)
    x0 = rng.standard_normal((draws, n, d))
    x0 /= np.linalg.norm(x0, axis=-1, keepdims=True)
    betas = np.array([0.1, 1.0, 3.0, 6.0])
    t_max = 3.0 if softmax else 0.6
    # 9 checkpoints between the steps, and 31, about one per step (which step records a
    # checkpoint then depends on the accumulated time: a rule one step off shows)
    for times in (np.linspace(0.0, t_max, 9), np.linspace(0.0, t_max, 31)):
        share = merged_pair_history(
            B, V, x0, betas, times, step=0.1, t_max=t_max, softmax=softmax, threshold=0.999
        )
        for j, beta in enumerate(betas):
            expected = _their_loop(
                B, V, x0, beta, times, step=0.1, maxtime=t_max, softmax=softmax, threshold=0.999
            )
            np.testing.assert_array_equal(share[:, j], expected)
        assert share.max() > 0  # some pairs merge on this grid: the check is not all zeros


def test_merged_pair_share_of_two_antipodal_groups_is_three_sevenths():
    # 4 particles at e1 and 4 at -e1 with Q = K = V = I stay put (the attention-weighted mean
    # of each points along its own position); merged ordered pairs: 2 groups x 4 x 3 = 24
    # of 8 x 7 = 56
    x0 = np.array([[[1.0, 0.0]] * 4 + [[-1.0, 0.0]] * 4])
    B = np.eye(2)[None]
    share = merged_pair_history(B, None, x0, np.array([1.0, 4.0]), [0.0, 1.0], step=0.1, t_max=1)
    assert np.allclose(share, 24 / 56)


def test_geshkovski_matrices_are_their_families():
    rng = np.random.default_rng(3)
    for qk, scale in (("identity", 1.0), ("gaussian", np.sqrt(3)), ("goe", np.sqrt(4))):
        B, V = sample_geshkovski("plus-qk", qk, 3, 5, rng)
        assert np.allclose(V, B / scale)
        B, V = sample_geshkovski("minus-qk", qk, 3, 5, rng)
        assert np.allclose(V, -B / scale)
        if qk == "goe":
            assert np.allclose(B, B.swapaxes(-1, -2))
        if qk == "identity":
            assert np.array_equal(B, np.broadcast_to(np.eye(3), (5, 3, 3)))
    _, V = sample_geshkovski("psd", "identity", 3, 50, rng)
    assert np.allclose(V, V.swapaxes(-1, -2)) and np.linalg.eigvalsh(V).min() > -1e-12
    assert sample_geshkovski("identity", "gaussian", 3, 5, rng)[1] is None


def test_geshkovski_layout_run_writes_its_measure_over_t_and_beta(tmp_path):
    given = {"layout": "geshkovski", "families": "identity,minus-qk", "qk": "goe", "betas": 3}
    given |= {"t_max": 2, "checkpoints": 5, "draws": 2, "particles": 6}
    EXPERIMENTS["phase"].run(tmp_path, params=given)
    header, rows = _read_csv(tmp_path / "phase.csv")
    assert header == ["family", "qk", "beta", "time", "merged_pair_share", "draws"]
    assert len(rows) == 2 * 3 * 5
    assert sorted({float(r["beta"]) for r in rows}) == [0.1, 4.55, 9.0]
    assert sorted({float(r["time"]) for r in rows}) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert all(0.0 <= float(r["merged_pair_share"]) <= 1.0 for r in rows)
    record = json.loads((tmp_path / "phase.params.json").read_text())["parameters"]
    assert record["dimension"] == 2 and record["layout"] == "geshkovski"
