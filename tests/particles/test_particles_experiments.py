"""Every experiment runs in quick mode and writes its files; the registry contract."""

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from attndyn.errors import UserError
from attndyn.particles.experiments import EXPERIMENTS, resolve
from attndyn.particles.experiments.fig2 import antipodal_pair_stable, thresholds
from attndyn.particles.experiments.fig4 import tanh_ratio

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


def test_experiment_options_are_checked():
    with pytest.raises(UserError, match="view"):
        EXPERIMENTS["fig1"].options({"view": "rotate"})
    with pytest.raises(UserError, match="'spin' is unknown"):
        EXPERIMENTS["animations"].options({"view": "spin"})
    assert EXPERIMENTS["animations"].options({"view": None}) == {"view": "rotate"}


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
