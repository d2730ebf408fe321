"""The torch engine against the reference engine, closed forms, and its chunking claim."""

import math
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from attndyn import Job  # noqa: E402
from attndyn.engines import get_engine  # noqa: E402
from attndyn.engines.numpy_ref import NumpyReferenceEngine  # noqa: E402
from attndyn.engines.torch_engine import (  # noqa: E402
    TorchEngine,
    torch_attention_step,
    torch_count_clusters,
    torch_gap,
    torch_pixel_weights,
)
from attndyn.model.errors import UserError  # noqa: E402
from attndyn.model.fields import CLUSTER_DISTANCE, count_clusters, synchronisation_gap  # noqa: E402
from attndyn.model.params import parse_parameter, pixel_matrices  # noqa: E402

from helpers import appendix_b, random_unit_points, whole  # noqa: E402

FIELDS = ("delta", "labels", "sync_step", "clusters")
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=CUDA)]


def reference_and_torch(spec, device="cpu", chunk_pixels=None):
    job, tile = Job(spec), whole(spec)
    return (
        NumpyReferenceEngine().compute(job, tile),
        TorchEngine(device=device, chunk_pixels=chunk_pixels).compute(job, tile),
    )


def assert_fields_agree(ours, theirs, *, labels, clusters):
    """Labels and clusters agree on the given shares of pixels; delta and sync_step are close
    wherever the labels agree. Delta is Δ_T, so chaotic pixels may differ by rounding
    amplified over the steps: allow that on 2% of pixels. sync_step follows the logarithms of
    the two gaps around tol, which float32 rounds differently by a few percent when they are
    within a few hundred ulps of 0 (see the numba engine's docstring), so it is compared as
    t0 = ceil(sync_step), to 0.1 steps, and to 0.01 steps on most pixels (measured here:
    89-99%)."""
    assert (ours.labels == theirs.labels).mean() >= labels
    assert (ours.clusters == theirs.clusters).mean() >= clusters
    same = ours.labels == theirs.labels
    close = np.isclose(ours.delta, theirs.delta, rtol=1e-4, atol=1e-6)
    assert close[same].mean() >= 0.98
    white = same & (ours.labels == 1)
    assert white.any() and (ours.labels == 0).any()  # both kinds of pixel are compared
    steps = np.abs(ours.sync_step - theirs.sync_step)[white]
    assert (np.ceil(ours.sync_step) == np.ceil(theirs.sync_step))[white].mean() >= 0.98
    assert (steps <= 0.1).mean() >= 0.98
    assert (steps <= 1e-2).mean() >= 0.8
    assert np.isnan(ours.sync_step[ours.labels == 0]).all()
    assert np.isnan(theirs.sync_step[theirs.labels == 0]).all()


# -- one step against hand computations ------------------------------------------------------


I2 = np.eye(2)


def one_step(points, wq=I2, wk=I2, wv=I2, beta=1.0, eps=0.0):
    X = torch.tensor(np.asarray(points, dtype=np.float64))[None]
    W_T = torch.tensor(np.concatenate([np.asarray(m).T for m in (wq, wk, wv)], axis=1))[None]
    beta = torch.full((1, 1, 1), beta, dtype=torch.float64)
    eps = torch.tensor(eps, dtype=torch.float64)
    return torch_attention_step(X, W_T, beta, eps)[0].numpy()


def test_identity_query_and_value_by_hand():
    # W_Q = W_V = I, W_K = diag(ln 3, ln 3), points e1 and e2: scores [[ln 3, 0], [0, ln 3]],
    # weights (3/4, 1/4) and (1/4, 3/4), new points (3, 1)/sqrt(10) and (1, 3)/sqrt(10).
    a = math.log(3.0)
    out = one_step([[1.0, 0.0], [0.0, 1.0]], wk=np.diag([a, a]))
    np.testing.assert_allclose(out, np.array([[3.0, 1.0], [1.0, 3.0]]) / math.sqrt(10), rtol=1e-14)


def test_one_point_is_a_normalised_linear_map_with_its_own_matrices():
    # n = 1: the softmax is 1, so x <- W_V x / (|W_V x| + eps), whatever W_Q, W_K and beta are;
    # this also checks that Q, K and V are cut from the right columns of the joint product.
    wv = np.array([[0.0, -2.0], [2.0, 0.0]])  # twice a quarter turn
    out = one_step([[0.6, 0.8]], wq=np.full((2, 2), 7.0), wk=np.diag([3.0, -5.0]), wv=wv, eps=0.5)
    np.testing.assert_allclose(out, np.array([[-1.6, 1.2]]) / 2.5, rtol=1e-14)


def test_the_gap_is_the_reference_definition():
    points = random_unit_points((9, 5), seed=3)
    np.testing.assert_array_equal(
        torch_gap(torch.tensor(points)).numpy(), synchronisation_gap(points)
    )


# -- whole pictures against the reference engine ----------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("init", ["independent", "shared"])
@pytest.mark.parametrize("seed", [1679700, 5227590])
def test_float32_agrees_with_the_reference(seed, init, device):
    # Torch's exp, softmax and products round differently from NumPy's by a few ulps; that
    # can flip a pixel whose gap ends near tol or whose dynamics amplify rounding. At 128^2
    # the labels agreed on >= 99.98% of pixels (module docstring).
    spec = appendix_b(seed, init=init, width=24, height=24, steps=100, n_points=20)
    ours, theirs = reference_and_torch(spec, device)
    assert_fields_agree(ours, theirs, labels=0.99, clusters=0.99)


def test_agrees_with_the_seeds_torch_code():
    # appendix_a_torch is the seed's Appendix A loop verbatim (whole grid at once, its own
    # layout); given attndyn's matrices and initial points it must draw the same picture.
    from appendix_a import appendix_a_torch, to_seed_order

    size = 20
    spec = appendix_b(5227590, init="independent", width=size, height=size, steps=100)
    job = Job(spec)
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    x0 = job.initial_points(rows.ravel(), cols.ravel()).reshape(size, size, 20, 2)
    wq, wv = (np.reshape(m, (2, 2)) for m in (spec.wq, spec.wv))
    labels_grid, diff_grid = appendix_a_torch(wq, wv, to_seed_order(x0), size)
    ours = TorchEngine("cpu", chunk_pixels=64).compute(job, whole(spec))
    assert (ours.labels == labels_grid.T).mean() >= 0.99
    assert 0 < ours.labels.mean() < 1
    assert np.isclose(ours.delta, diff_grid.T, rtol=1e-4, atol=1e-6).mean() >= 0.98


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("init", ["independent", "shared"])
def test_float64_labels_and_clusters_equal_the_reference(init, device):
    # In float64 the engines' rounding differences (~1e-16) are too small to move a gap across
    # tol = 1e-5 or a distance across the cluster distance 1e-3 within 100 steps on these
    # maps, chaotic pixels included: every label and cluster count is the reference's
    # (measured: all pixels at 128^2, both seeds, both inits).
    spec = appendix_b(1679700, init=init, width=24, height=24, steps=100, dtype="float64")
    ours, theirs = reference_and_torch(spec, device)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    np.testing.assert_array_equal(ours.clusters, theirs.clusters)
    np.testing.assert_allclose(ours.delta, theirs.delta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.sync_step, theirs.sync_step, rtol=1e-5, atol=1e-5)
    assert 0 < ours.labels.mean() < 1


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_chunks_do_not_change_the_result(init):
    # Every kernel the step uses works matrix by matrix (bmm) or row by row (softmax, the
    # norm, the gap) or elementwise, so a pixel's numbers do not depend on which pixels share
    # its chunk: chunks of 7 pixels (and a ragged last one) give the same arrays, bit for bit.
    spec = appendix_b(5227590, init=init, width=11, height=9, steps=40)
    job, tile = Job(spec), whole(spec)
    small = TorchEngine("cpu", chunk_pixels=7).compute(job, tile)
    large = TorchEngine("cpu", chunk_pixels=10_000).compute(job, tile)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(small, name), getattr(large, name), err_msg=name)


@CUDA
def test_cuda_chunks_agree_to_rounding():
    # cuBLAS may pick another batched-product algorithm for another batch count, so on CUDA
    # the chunking claim is tested with a tolerance: delta within rounding, labels nearly all.
    spec = appendix_b(5227590, width=16, height=16, steps=60)
    job, tile = Job(spec), whole(spec)
    small = TorchEngine("cuda", chunk_pixels=7).compute(job, tile)
    large = TorchEngine("cuda").compute(job, tile)
    assert (small.labels == large.labels).mean() >= 0.99
    assert np.isclose(small.delta, large.delta, rtol=1e-4, atol=1e-6).mean() >= 0.98


def test_explicit_points_are_used_bit_for_bit():
    # An explicit per-pixel x0 goes through Job.initial_points like the reference's: with no
    # steps, delta is the gap of those very points (in float32), on every pixel.
    x0 = random_unit_points((3, 4, 6), seed=11)
    job = Job.with_x0(appendix_b(1679700, steps=0), x0)
    fields = TorchEngine("cpu", chunk_pixels=5).compute(job, whole(job.spec))
    np.testing.assert_array_equal(fields.delta, synchronisation_gap(x0.astype(np.float32)))
    assert fields.delta.dtype == np.float32 and fields.clusters.dtype == np.uint16


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_configuration_for_every_pixel_is_the_jobs(dtype):
    # Shared points, seeded or from an (n, 2) file: the job's one configuration, sent to the
    # device once and repeated there, on every pixel of every chunk.
    x0 = random_unit_points((6,), seed=12)
    spec = appendix_b(1679700, steps=0, width=5, height=3, dtype=dtype)
    for job in (Job(replace(spec, init="shared")).for_sample(1), Job.with_x0(spec, x0)):
        engine = TorchEngine("cpu", chunk_pixels=4)
        fields = engine.compute(job, whole(job.spec))
        gap = synchronisation_gap(job.shared_configuration()).astype(np.float32)
        np.testing.assert_array_equal(fields.delta, np.full((3, 5), gap))
        assert engine.last_diagnostics.pixels == 15 and engine.last_diagnostics.seconds > 0
        assert engine.last_diagnostics.sync_tracker[0].shape == (3, 5)


# -- the per-pixel pieces built on the device ------------------------------------------------


def angles(*thetas):
    return np.stack([np.cos(thetas), np.sin(thetas)], axis=-1)


def test_clusters_of_hand_made_configurations():
    step = 0.9 * CLUSTER_DISTANCE  # a chain of links, each shorter than the distance
    chain = angles(*(np.arange(6) * step))  # one cluster of 6, linked end to end only
    apart = angles(0.0, 0.0, 1.0, 2.0, 2.0 + step, 3.0)  # {0,1}, {2}, {3,4}, {5}
    interleaved = angles(2.0, 0.0, 2.0, 0.0, 1.0, 0.0)  # {0,2}, {1,3,5}, {4}
    broken = chain.copy()
    broken[3, 1] = np.nan
    points = torch.tensor(np.stack([chain, apart, interleaved, broken]))
    assert torch_count_clusters(points).tolist() == [1, 4, 3, 0]
    assert torch_count_clusters(points[:, :1]).tolist() == [1, 1, 1, 1]  # n = 1
    assert torch_count_clusters(points[:, :2]).tolist() == [1, 1, 2, 1]  # n = 2


@pytest.mark.parametrize("device", DEVICES)
def test_clusters_equal_the_reference_on_random_clumped_configurations(device):
    # Points scattered around a few centres at about the link distance, so clusters merge
    # through chains of several links, the case where relabelling needs many rounds.
    rng = np.random.default_rng(5)
    centres = rng.uniform(0, 2 * np.pi, size=(3000, 20)) // 0.5 * 0.5
    scatter = rng.normal(scale=1.5 * CLUSTER_DISTANCE, size=(3000, 20))
    for dtype in (np.float32, np.float64):
        points = angles(*(centres + scatter).T).transpose(1, 0, 2).astype(dtype)
        expected = count_clusters(points)
        assert len(np.unique(expected)) > 5
        ours = torch_count_clusters(torch.from_numpy(points).to(device), max_pixels=1000)
        np.testing.assert_array_equal(ours.cpu().numpy(), expected)


@pytest.mark.parametrize("x_param", ["wk11", "wq01", "beta"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pixel_weights_equal_pixel_matrices(x_param, dtype):
    spec = appendix_b(1679700, width=7, height=5, x_param=x_param, y_param="wv10", dtype=dtype)
    rows, cols = whole(spec).pixel_coordinates()
    W_T, beta = torch_pixel_weights(
        Job(spec), torch.from_numpy(rows), torch.from_numpy(cols), getattr(torch, dtype)
    )
    base = {name: spec.matrix(name) for name in ("wq", "wk", "wv")}
    sweeps = [
        (parse_parameter(spec.x_param), spec.x_values()[cols]),
        (parse_parameter(spec.y_param), spec.y_values()[rows]),
    ]
    WQ, WK, WV, expected_beta = pixel_matrices(base, spec.beta, sweeps, spec.np_dtype)
    expected = np.concatenate([m.transpose(0, 2, 1) for m in (WQ, WK, WV)], axis=2)
    np.testing.assert_array_equal(W_T.numpy(), expected)
    np.testing.assert_array_equal(beta.numpy().ravel(), expected_beta)


@pytest.mark.parametrize("init", ["independent", "shared"])
def test_points_drawn_on_the_device_give_the_same_fields(init, monkeypatch):
    # The CUDA default, run on the CPU: the points are NumPy's bit for bit, so every field is.
    spec = appendix_b(1679700, init=init, width=12, height=10, steps=50)
    job, tile = Job(spec), whole(spec)
    copied = TorchEngine("cpu", chunk_pixels=33, device_points=False).compute(job, tile)
    if init == "independent":  # drawn on the device, never by NumPy
        monkeypatch.setattr(Job, "initial_points", None)
    drawn = TorchEngine("cpu", chunk_pixels=33, device_points=True).compute(job, tile)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(drawn, name), getattr(copied, name), err_msg=name)
    assert TorchEngine("cpu").device_points is False


# -- devices, errors and estimates -------------------------------------------------------------


def test_default_device_follows_cuda_availability():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert TorchEngine().device.type == expected
    assert get_engine("torch").device.type == expected
    assert get_engine("torch", "cpu").device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_one_line_user_error():
    with pytest.raises(UserError, match="no CUDA device") as error:
        TorchEngine(device="cuda")
    assert "\n" not in str(error.value)
    with pytest.raises(UserError, match="no CUDA device"):
        get_engine("torch", "cuda")


def test_unknown_device_and_bad_chunk_are_refused():
    with pytest.raises(UserError, match="'tpu'"):
        TorchEngine(device="tpu")
    with pytest.raises(ValueError, match="chunk_pixels"):
        TorchEngine(device="cpu", chunk_pixels=0)


def test_estimate_scales_with_the_work_and_the_chunk_with_the_scores():
    engine = TorchEngine("cpu")
    base = appendix_b(1679700)
    rate = engine.pixels_per_second(base)
    assert rate > 0
    heavier = appendix_b(1679700, n_points=40, steps=200)
    assert engine.pixels_per_second(heavier) == pytest.approx(rate / 8)
    assert engine.pixels_per_second(appendix_b(1679700, dtype="float64")) < rate
    # The default chunk holds a fixed budget of scores: 4x the points, 1/16 the pixels.
    assert engine.chunk_for(appendix_b(1679700, n_points=80)) == engine.chunk_for(base) // 16
    assert TorchEngine("cpu", chunk_pixels=7).chunk_for(base) == 7


def test_a_residual_spec_is_refused_with_one_line_naming_the_engine_and_the_others():
    spec = appendix_b(1679700, width=4, height=4, residual=0.5)
    with pytest.raises(UserError) as error:
        TorchEngine("cpu").compute(Job(spec), whole(spec))
    message = str(error.value)
    assert "engine 'torch' has no residual map" in message and "--engine numba or numpy" in message
    assert "\n" not in message
