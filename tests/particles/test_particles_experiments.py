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
NAMES = ["fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "animations"]


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


def test_animations_write_readable_movies(outputs):
    out, _ = outputs["animations"]
    for movie in ("MinA", "MinB", "MinC", "MinD"):
        with Image.open(out / f"{movie}.gif") as gif:
            assert gif.n_frames == 4
        assert b"ftyp" in (out / f"{movie}.mp4").read_bytes()[:64]
    header, rows = _read_csv(out / "animations.csv")
    assert header == ["animation", "case", "frame", "step", "energy"]
    # the descent lowers the energy of every animation
    for movie in ("MinA", "MinB", "MinC", "MinD"):
        energies = [float(r["energy"]) for r in rows if r["animation"] == movie]
        assert energies[-1] <= energies[0] + 1e-12


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
    small = {float(r["d"]): float(r["ratio_mean"]) for r in rows if float(r["tau"]) == 0.002}
    large = {float(r["d"]): float(r["ratio_mean"]) for r in rows if float(r["tau"]) == 0.01}
    for d in (2.0, 5.0, 8.0):
        assert np.isclose(small[d], d, rtol=1e-3)
    assert large[8.0] < 1e-6  # overshoot: the particles end at ±e2


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
            assert float(row["l2_guess_fitted_f"]) <= float(row["l2_first_order"]) + 1e-12


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
