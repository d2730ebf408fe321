"""``attndyn render --residual H``: the residual map through the command line, against a plain
NumPy transcription of X <- normalize_rows(X + h softmax(beta Q K^T) V) written here."""

import numpy as np
import pytest

from attndyn.model.picture_metadata import read_picture_text
from attndyn.rendering.store import load_landscape

from helpers import APPENDIX_B, one_line_error, run_cli

WQ, WV = APPENDIX_B[1679700]  # the seed's gallery matrices


def transcription(x0, a, b, h, steps, beta=1.0, eps=1e-8):
    """Δ_T and the final points of one pixel: W_K = diag(a, b), the seed's matrices."""
    wq, wv, wk = np.reshape(WQ, (2, 2)), np.reshape(WV, (2, 2)), np.diag([a, b])
    x = np.array(x0, dtype=np.float64)
    for _ in range(steps):
        q, k, v = x @ wq.T, x @ wk.T, x @ wv.T
        s = beta * q @ k.T
        e = np.exp(s - s.max(axis=1, keepdims=True))
        y = x + h * (e / e.sum(axis=1, keepdims=True)) @ v
        x = y / (np.linalg.norm(y, axis=1, keepdims=True) + eps)
    return np.abs(x[:, 0] - x[0, 0]).max(), x


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_render_residual_agrees_with_a_plain_transcription_on_every_pixel(tmp_path, engine):
    points = np.random.default_rng(29).standard_normal((6, 2))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    np.save(tmp_path / "P.npy", points)
    argv = [
        "render", "--residual", "0.5", "--x0", tmp_path / "P.npy", "--precision", "float64",
        "--size", "12", "--steps", "40", "--wq", ",".join(map(str, WQ)),
        "--wv", ",".join(map(str, WV)), "--engine", engine, "-o", tmp_path / "r.png",
        "--save", tmp_path / "r.npz", "--quiet",
    ]  # fmt: skip
    assert run_cli(*argv) == 0
    landscape = load_landscape(tmp_path / "r.npz")
    fields = landscape.fields
    assert landscape.spec.residual == 0.5
    assert '"residual": 0.5' in read_picture_text(tmp_path / "r.png", "spec")
    values = np.linspace(-8, 8, 12)  # columns: b = W_K[1, 1]; rows: a = W_K[0, 0]
    labels = set()
    for row, a in enumerate(values):
        for col, b in enumerate(values):
            delta, _ = transcription(points, a, b, 0.5, 40)
            assert fields.delta[row, col] == pytest.approx(delta, rel=1e-6, abs=1e-12)
            assert fields.labels[row, col] == (delta < 1e-5)
            labels.add(int(fields.labels[row, col]))
    assert labels == {0, 1}  # both kinds of pixel


def test_a_bad_residual_is_one_line(capsys):
    assert run_cli("render", "--residual", "-1", "--size", "4", "--quiet") == 2
    one_line_error(capsys, "--residual -1.0 is not allowed; give a finite number > 0")


def test_trace_follows_the_residual_map(tmp_path):
    # attndyn trace --residual: every step's gap of one pixel, against the transcription run
    # for 0..T steps
    points = np.random.default_rng(7).standard_normal((5, 2))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    np.save(tmp_path / "P.npy", points)
    argv = [
        "trace", "--residual", "2", "--x0", tmp_path / "P.npy", "--precision", "float64",
        "--size", "12", "--steps", "15", "--wq", ",".join(map(str, WQ)),
        "--wv", ",".join(map(str, WV)), "--pixel", "8,3", "-o", tmp_path / "t.csv", "--quiet",
    ]  # fmt: skip
    assert run_cli(*argv) == 0
    rows = np.loadtxt(tmp_path / "t.csv", delimiter=",", skiprows=1)
    values = np.linspace(-8, 8, 12)
    expected = [transcription(points, values[8], values[3], 2.0, t)[0] for t in range(16)]
    assert rows[:, 0].tolist() == list(range(16))
    assert np.allclose(rows[:, 1], expected, rtol=1e-9, atol=1e-13)
    # without --residual the same pixel follows the seed's map, which goes elsewhere
    assert run_cli(*argv[:1], *argv[3:]) == 0
    plain = np.loadtxt(tmp_path / "t.csv", delimiter=",", skiprows=1)
    assert not np.allclose(plain[1:, 1], expected[1:], rtol=1e-3)
