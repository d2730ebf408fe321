"""The torch engine: the seed's batched PyTorch formulation, chunked, on the CPU or CUDA.

It is :mod:`attndyn.engines.numpy_ref`'s map written in torch, batched over a chunk of P
pixels with per-pixel matrices (:func:`attndyn.model.params.pixel_matrices`), in the spec's
precision (float32 or float64):

    Q = X W_Q^T               (P, n, 2)
    K = X W_K^T               (P, n, 2)
    V = X W_V^T               (P, n, 2)
    S = beta * Q K^T          (P, n, n)
    A = torch.softmax(S, -1)  (subtracts the row max)
    X = A V
    X = X / (||X||_2 by rows + eps)

repeated ``steps`` times (Q, K and V come from one product with [W_Q^T | W_K^T | W_V^T],
and the row norm is sqrt(x_0^2 + x_1^2) written out: see :func:`torch_attention_step`),
with the gap Δ_t = max_i |x_i0 - x_00| of every state (t = 0..steps) folded into the sync
tracker (t0, Δ_{t0-1}, Δ_{t0}) as it goes. Everything per pixel happens on the device: the
per-pixel weights (:func:`torch_pixel_weights`), the steps, the tracker and the cluster
counts (:func:`torch_count_clusters`); five numbers per pixel come back, and the fields are
built from them as the fast engines build theirs (:func:`~attndyn.model.fields.fields_from_tracker`:
``delta`` = Δ_T, ``labels`` from delta before rounding it to float32, ``sync_step`` the
reference's definition). The initial points are the reference's bit for bit: NumPy's
(``job.initial_points``), copied to the device, or, for independent float32 points on CUDA,
drawn there by the same counter-based formula (:mod:`attndyn.engines.torch_rng`; equal to
NumPy's on every value tested). On a GPU this leaves the CPU nothing to do per pixel: in
NumPy the cluster counts alone take 11-37 s per million pixels and the points about 3 s
(measured on the 2-core development machine). The seed held the scores of the whole grid
at once (3.6 GB at 1500^2); here a chunk holds P n^2 scores (about 4 MB on the CPU, 1 GB on
CUDA by default).

Agreement with the numpy engine. The formulation is the same, but torch's exp, softmax and
small matrix products round differently from NumPy's (by a few ulps), and chaotic pixels
amplify any difference. Measured at 128 x 128, n = 20, T = 100, on the CPU (torch 2.13),
for the Appendix B matrices of seeds 1679700 and 5227590 (``benchmarks/appendix_a.py``):

    float32  1679700 independent: labels and clusters agree on every pixel
             1679700 shared:      on all but 2 of 16384 pixels (99.99%)
             5227590 independent, 5227590 shared: on every pixel
             sync_step within 1e-3 steps on 64-86% of the white pixels (the numba engine's
             figure, for the same reason: the gaps around tol are rounding-sized)
    float64  all four: labels, clusters and delta (as float32) equal on every pixel;
             sync_step equal on 3 of the 4, within 1e-3 steps on every pixel of the fourth

The seed's own torch code (``appendix_a_torch``, the whole grid at once) gives this engine's
labels on all but 1 of the 16384 pixels of those four pictures at 64 x 64.

A matmul precision lowered for the process (``torch.set_float32_matmul_precision``, TF32 on
CUDA) would lose far more, so :meth:`TorchEngine.compute` asks for "highest" while it runs.
Each pixel's numbers do not depend on its chunk on the CPU: every kernel used works matrix by
matrix (bmm), row by row (softmax, the gap) or elementwise (tested: chunks of 7 pixels give
the same arrays as one chunk).

Chunk size. On the CPU the default chunk holds about 4 MB of scores (2621 pixels for n = 20
in float32): measured at 128^2 on the 2-core development machine, chunks of 512 to 4096
pixels ran at 6.5-7.0k pixels/s, and 16384 pixels (26 MB of scores, out of cache) at
3.3-5.6k (the machine is shared; its timings vary by up to about 30%). On CUDA a chunk
holds about 1 GB of scores, enough pixels to keep the GPU busy.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from attndyn.engines.contract import EngineDiagnostics
from attndyn.engines.torch_rng import torch_pixel_points
from attndyn.model.errors import UserError
from attndyn.model.fields import CLUSTER_DISTANCE, Fields, fields_from_tracker
from attndyn.model.job import Job, PointMode
from attndyn.model.params import parse_parameter
from attndyn.model.spec import LandscapeSpec
from attndyn.model.tiles import Tile

# Default chunk sizes: the bytes of one chunk's scores S (P n^2 numbers). The softmax makes
# one more array of that size and the products a few of P n 2, so the working set is about
# three times this.
CPU_SCORE_BYTES = 4 * 1024**2  # cache-sized: faster than larger chunks (module docstring)
CUDA_SCORE_BYTES = 1024**3
DEFAULT_TILE_PIXELS = 32_768

# Measured on the 2-core development machine (torch 2.13 CPU build, n = 20, T = 100):
# float32 5.0-7.5k pixels/s on the Appendix B maps (benchmarks/bench_engines.py at 128^2:
# 5.0-5.3k), float64 about half that; halved so that the refusal of huge jobs errs towards
# asking.
_CPU_PIXELS_PER_SECOND_N20_T100 = 2_500.0
# Not measured: no GPU was at hand when this was written. A guess, on the low side on
# purpose: the work is a few elementwise kernels and batched 20x20 products per step, bound
# by memory traffic; an H100 moves ~3 TB/s, which would allow millions of pixels/s. The
# estimate only has to keep the refusal of huge jobs from being too eager.
_CUDA_PIXELS_PER_SECOND_N20_T100 = 300_000.0


def resolve_device(device: str | None) -> torch.device:
    """The torch device for ``device``: None picks CUDA when available, else the CPU.

    Raises :class:`UserError` for "cuda" without a usable CUDA device, and for names other
    than "cpu", "cuda" and "cuda:N".
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        if not torch.cuda.is_available():
            raise UserError(
                f"engine 'torch' found no CUDA device for --device {device} (torch "
                f"{torch.__version__}, CUDA build {torch.version.cuda or 'none'}); use --device cpu"
            )
        return torch.device(device)
    raise UserError(f"engine 'torch' runs on device 'cpu' or 'cuda', not {device!r}")


@contextmanager
def _highest_matmul_precision() -> Iterator[None]:
    """Full float32 products (no TF32 or bfloat16 shortcuts) for the duration, then restore."""
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


def torch_attention_step(
    X: torch.Tensor, W_T: torch.Tensor, beta: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
    """One step for a batch: X (P, n, 2), W_T = [W_Q^T | W_K^T | W_V^T] (P, 2, 6), beta (P, 1, 1).

    Q, K and V come from one product X W_T (each entry is the same two-term dot product as in
    three separate products). The row norm is sqrt(x_0 x_0 + x_1 x_1) written out, the sum
    NumPy's ``np.linalg.norm`` forms for two coordinates, and several times faster than
    ``torch.linalg.vector_norm``'s reduction over a dimension of length 2.
    """
    QKV = torch.bmm(X, W_T)
    Q, K, V = QKV[..., 0:2], QKV[..., 2:4], QKV[..., 4:6]
    S = beta * torch.bmm(Q, K.transpose(1, 2))
    A = torch.softmax(S, dim=-1)
    X = torch.bmm(A, V)
    x0, x1 = X[..., 0:1], X[..., 1:2]
    return X / (torch.sqrt(x0 * x0 + x1 * x1) + eps)


def torch_gap(X: torch.Tensor) -> torch.Tensor:
    """Δ of configurations (P, n, 2): max_i |x_i0 - x_00|, as fields.synchronisation_gap."""
    first = X[..., 0]
    return (first - first[..., :1]).abs().amax(dim=-1)


def torch_count_clusters(points: torch.Tensor, max_pixels: int = 1 << 16) -> torch.Tensor:
    """:func:`attndyn.model.fields.count_clusters` of configurations (P, n, 2), on their device
    (int64).

    The link graph is the reference's: points i and j are linked when
    ``dx*dx + dy*dy <= CLUSTER_DISTANCE**2`` in float64, each operation its own kernel, so
    rounded after each as in NumPy. The count is the number of its connected components,
    found without a data-dependent loop: with R_1 = the links (the diagonal included),
    R_{2k} = [R_k R_k > 0] joins paths of up to 2k links, so ceil(log2(n - 1)) squarings give
    the reachability R; a component's smallest index i is the one with no j < i in R[i], and
    those are counted. (The reference relabels by minima until nothing changes; the number of
    components does not depend on how they are found.) The products are of 0/1 matrices in
    float32: their entries are path counts of at most n, exact. A configuration with a
    non-finite coordinate has 0 clusters. Configurations go ``max_pixels`` at a time, so the
    float64 differences (8 n^2 bytes each per pixel) stay a few hundred MB.
    """
    n = points.shape[-2]
    earlier = torch.ones(n, n, dtype=torch.bool, device=points.device).tril(diagonal=-1)
    counts = []
    for part in torch.split(points, max_pixels):
        coords = part.to(torch.float64)
        dx = coords[:, :, None, 0] - coords[:, None, :, 0]
        dy = coords[:, :, None, 1] - coords[:, None, :, 1]
        reach = ((dx * dx + dy * dy) <= CLUSTER_DISTANCE**2).to(torch.float32)
        del coords, dx, dy
        for _ in range(max(n - 2, 0).bit_length()):  # = ceil(log2(n - 1)) for n >= 2
            reach = (torch.bmm(reach, reach) > 0).to(torch.float32)
        smallest = ~((reach > 0) & earlier).any(dim=-1)
        finite = torch.isfinite(part).all(dim=-1).all(dim=-1)
        counts.append(torch.where(finite, smallest.sum(dim=-1), 0))
    return torch.cat(counts)


def torch_pixel_weights(
    job: Job, rows: torch.Tensor, cols: torch.Tensor, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel ``W_T = [W_Q^T | W_K^T | W_V^T]`` (P, 2, 6) and beta (P, 1, 1) on rows' device.

    :func:`attndyn.model.params.pixel_matrices`, built on the device: the spec's matrices, with the
    swept entry of pixel (r, c) set to the job's grid values x_values[c] (x) and y_values[r]
    (y), in the working precision. Entry (i, j) of matrix m sits at W_T[:, j, 2 m + i].
    """
    spec = job.spec
    device = rows.device
    base = [spec.matrix(name).astype(np.float64).T for name in ("wq", "wk", "wv")]
    weights = torch.from_numpy(np.concatenate(base, axis=1)).to(device=device, dtype=dtype)
    weights = weights.expand(rows.shape[0], 2, 6).clone()
    beta = torch.full((rows.shape[0],), spec.beta, dtype=dtype, device=device)
    sweeps = [(spec.x_param, job.x_values(), cols), (spec.y_param, job.y_values(), rows)]
    for name, values, index in sweeps:
        values = torch.from_numpy(values).to(device)[index].to(dtype)
        parameter = parse_parameter(name)
        if parameter.matrix == "beta":
            beta = values
        else:
            matrix = ("wq", "wk", "wv").index(parameter.matrix)
            weights[:, parameter.col, 2 * matrix + parameter.row] = values
    return weights, beta.reshape(-1, 1, 1)


class TorchEngine:
    """The seed's batched torch formulation, in chunks of ``chunk_pixels`` pixels.

    ``device`` is "cpu", "cuda" (or "cuda:N"), or None for CUDA when torch sees a GPU and the
    CPU otherwise. ``chunk_pixels`` defaults to the pixels whose scores take about 4 MB on
    the CPU and 1 GB on CUDA, for the spec's n and precision. ``device_points`` draws the
    independent float32 initial points on the device (:mod:`attndyn.engines.torch_rng`)
    instead of taking NumPy's; None means on CUDA only.
    """

    name = "torch"
    supports_float64 = True

    def __init__(
        self,
        device: str | None = None,
        chunk_pixels: int | None = None,
        device_points: bool | None = None,
    ) -> None:
        if chunk_pixels is not None and chunk_pixels < 1:
            raise ValueError(f"chunk_pixels {chunk_pixels} must be >= 1")
        self.device = resolve_device(device)
        self.chunk_pixels = chunk_pixels
        self.device_points = self.device.type == "cuda" if device_points is None else device_points
        self.last_diagnostics: EngineDiagnostics | None = None
        # Tiles as large as a default chunk on CUDA (for n = 20, float32), so that a
        # launch is not wasted on a small tile; on the CPU the renderer's usual tiles.
        self.tile_pixels = (
            CUDA_SCORE_BYTES // (20**2 * 4) if self.device.type == "cuda" else DEFAULT_TILE_PIXELS
        )

    def chunk_for(self, spec: LandscapeSpec) -> int:
        """Pixels per chunk for ``spec``: the given ``chunk_pixels`` or the device's default."""
        if self.chunk_pixels is not None:
            return self.chunk_pixels
        budget = CUDA_SCORE_BYTES if self.device.type == "cuda" else CPU_SCORE_BYTES
        per_pixel = spec.n_points**2 * np.dtype(spec.np_dtype).itemsize
        return max(1, budget // per_pixel)

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        rate = (
            _CUDA_PIXELS_PER_SECOND_N20_T100
            if self.device.type == "cuda"
            else _CPU_PIXELS_PER_SECOND_N20_T100
        )
        if spec.dtype != "float32":
            # Half the speed on the CPU (measured); consumer GPUs are far slower in float64.
            rate /= 2 if self.device.type == "cpu" else 16
        work = spec.n_points**2 * max(spec.steps, 1)
        return rate * (20**2 * 100) / work

    def _initial_points(
        self,
        job: Job,
        rows: np.ndarray,
        cols: np.ndarray,
        device_rows: torch.Tensor,
        device_cols: torch.Tensor,
        dtype: torch.dtype,
    ) -> torch.Tensor:
        """The chunk's initial points (P, n, 2) on the device, for pixels (rows, cols), which
        ``device_rows`` and ``device_cols`` hold on the device: the job's, by its point mode
        (one shared configuration goes to the device once, and is repeated there)."""
        spec = job.spec
        mode = job.point_mode
        if self.device_points and mode is PointMode.INDEPENDENT and dtype == torch.float32:
            return torch_pixel_points(
                job.points_seed,
                device_rows,
                device_cols,
                spec.n_points,
                sample=job.sample,
                dtype=dtype,
            )
        if mode is PointMode.SHARED:
            one = torch.from_numpy(job.shared_configuration()).to(self.device)
            return one.expand(len(rows), *one.shape).contiguous()
        points = job.initial_points(rows, cols)
        return torch.from_numpy(np.ascontiguousarray(points)).to(self.device)

    def compute(self, job: Job, tile: Tile) -> Fields:
        """Fields of ``tile``: the map run in chunks, with the sync tracker kept per step.

        Per chunk, everything stays on the device: the weights, the points (see
        ``device_points``), the T steps, the tracker (t0, Δ_{t0-1}, Δ_{t0}) with t0 = 1 + the
        last t with Δ_t >= tol (the fast engines' form of the reference's gap record, which
        :func:`~attndyn.model.fields.fields_from_tracker` turns into sync_step) and the cluster
        counts; five numbers per pixel come back.
        """
        if job.spec.residual_map:
            raise UserError(
                "engine 'torch' has no residual map (--residual); use --engine numba or numpy"
            )
        started = time.perf_counter()
        spec = job.spec
        torch_dtype = torch.float64 if np.dtype(spec.np_dtype) == np.float64 else torch.float32
        device = self.device
        rows, cols = tile.pixel_coordinates()
        device_rows, device_cols = (
            torch.from_numpy(index).to(device=device, dtype=torch.int64) for index in (rows, cols)
        )
        chunk = self.chunk_for(spec)
        eps = torch.tensor(spec.eps, dtype=torch_dtype, device=device)
        tol = torch.tensor(spec.tol, dtype=torch_dtype, device=device)
        parts: list[tuple[torch.Tensor, ...]] = []

        with torch.inference_mode(), _highest_matmul_precision():
            for start in range(0, tile.size, chunk):
                part = slice(start, start + chunk)
                r, c = rows[part], cols[part]
                device_r, device_c = device_rows[part], device_cols[part]
                W_T, beta = torch_pixel_weights(job, device_r, device_c, torch_dtype)
                X = self._initial_points(job, r, c, device_r, device_c, torch_dtype)
                previous = torch_gap(X)
                t0 = torch.zeros(len(r), dtype=torch.int32, device=device)
                before = torch.zeros_like(previous)
                after = torch.zeros_like(previous)
                for t in range(1, spec.steps + 1):
                    X = torch_attention_step(X, W_T, beta, eps)
                    gap = torch_gap(X)
                    above = previous >= tol
                    t0 = torch.where(above, t, t0)
                    before = torch.where(above, previous, before)
                    after = torch.where(above, gap, after)
                    previous = gap
                clusters = torch_count_clusters(X)
                parts.append((previous, t0, before, after, clusters))
            columns = zip(*parts, strict=True)
            delta, t0, before, after, clusters = (
                torch.cat(column).cpu().numpy().reshape(tile.shape) for column in columns
            )
        self.last_diagnostics = EngineDiagnostics(
            pixels=tile.size,
            seconds=time.perf_counter() - started,
            sync_tracker=(t0, before, after),
        )
        return fields_from_tracker(delta, t0, before, after, clusters, spec.tol)
