"""A plain transcription of the seed's Appendix A code, kept apart from attndyn's engines.

It follows the seed's batched formulation and its conventions (``A, B = meshgrid(a, b)``,
pixel k = i * N + j with b = b_vals[i] and a = a_vals[j], scores of the whole grid at once),
with one change that makes it comparable: the matrices and the per-pixel initial points are
arguments instead of ``torch.randn`` draws. The grid is square, N x N, as in the seed, and the
softmax subtracts the row max, as ``torch.softmax`` does. The tests use it as an independent
check, and the benchmarks as "the reference formulation".

``labels_grid`` is returned in the seed's layout, ``labels_grid[i, j]`` for (b_i, a_j); the
seed shows ``labels_grid.T`` with ``origin='lower'``, so ``labels_grid.T`` is indexed
[a index, b index], which is attndyn's [row, col].
"""

from __future__ import annotations

import numpy as np

# The matrices of the seed's Appendix B, row-major: {seed: (W_Q, W_V)}. They came from CUDA's
# generator, so they cannot be re-drawn from the seed on a CPU.
APPENDIX_B = {
    1679700: ((1.1646, -0.0278, -0.8054, -0.9405), (-1.9675, -2.0948, 0.3671, 1.4580)),
    5227590: ((-0.4588, 0.7752, 0.4600, -0.6778), (-0.3571, 0.0005, 0.9241, 0.7379)),
    6306593: ((-0.4323, -0.6186, -1.1823, -0.0825), (1.7736, -0.0223, -0.1021, 1.0466)),
    6549664: ((-1.8000, -2.5357, 0.4014, 0.4851), (0.0223, 1.9094, 0.1081, 2.5201)),
    8012376: ((0.4720, 1.2490, -0.8313, -0.0374), (0.0728, 0.5135, -0.6503, -1.0870)),
}


def appendix_a_numpy(
    WQ: np.ndarray,
    WV: np.ndarray,
    X_grid: np.ndarray,
    num_samples: int,
    range_min: float = -8.0,
    range_max: float = 8.0,
    num_iterations: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's loop in NumPy float32. Returns (labels_grid, diff_grid), both N x N."""
    WQ = np.asarray(WQ, dtype=np.float32)
    WV = np.asarray(WV, dtype=np.float32)
    a_vals = np.linspace(range_min, range_max, num_samples)
    b_vals = np.linspace(range_min, range_max, num_samples)
    A, B = np.meshgrid(a_vals, b_vals)
    ab_grid = np.stack([A.ravel(), B.ravel()], axis=-1).astype(np.float32)
    num_grid = ab_grid.shape[0]
    X_grid = np.asarray(X_grid, dtype=np.float32).copy()
    d = X_grid.shape[-1]
    WK_grid = np.zeros((num_grid, d, d), dtype=np.float32)
    WK_grid[:, 0, 0] = ab_grid[:, 0]
    WK_grid[:, 1, 1] = ab_grid[:, 1]
    for _ in range(num_iterations):
        Q = X_grid @ WQ.T
        K = X_grid @ WK_grid.transpose(0, 2, 1)
        V = X_grid @ WV.T
        scores = np.matmul(Q, K.transpose(0, 2, 1))
        scores = scores - scores.max(axis=-1, keepdims=True)
        attn = np.exp(scores)
        attn = attn / attn.sum(axis=-1, keepdims=True)
        X_grid = np.matmul(attn, V)
        X_grid = X_grid / (np.sqrt((X_grid**2).sum(axis=-1, keepdims=True)) + np.float32(1e-8))
    diff_grid = np.abs(X_grid[..., 0] - X_grid[:, 0, 0:1]).max(axis=1)
    labels_grid = (diff_grid < 1e-5).astype(np.int32).reshape(num_samples, num_samples)
    return labels_grid, diff_grid.reshape(num_samples, num_samples)


def appendix_a_torch(
    WQ: np.ndarray,
    WV: np.ndarray,
    X_grid: np.ndarray,
    num_samples: int,
    range_min: float = -8.0,
    range_max: float = 8.0,
    num_iterations: int = 100,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's loop verbatim in torch (needs torch). Returns (labels_grid, diff_grid)."""
    import torch

    WQ = torch.tensor(np.asarray(WQ, dtype=np.float32), device=device)
    WV = torch.tensor(np.asarray(WV, dtype=np.float32), device=device)
    a_vals = np.linspace(range_min, range_max, num_samples)
    b_vals = np.linspace(range_min, range_max, num_samples)
    A, B = np.meshgrid(a_vals, b_vals)
    ab_grid = torch.tensor(
        np.stack([A.ravel(), B.ravel()], axis=-1), device=device, dtype=torch.float32
    )
    num_grid = ab_grid.shape[0]
    X_grid = torch.tensor(np.asarray(X_grid, dtype=np.float32), device=device)
    d = X_grid.shape[-1]
    WK_grid = torch.zeros(num_grid, d, d, device=device)
    WK_grid[:, 0, 0] = ab_grid[:, 0]
    WK_grid[:, 1, 1] = ab_grid[:, 1]
    for _ in range(num_iterations):
        Q = X_grid @ WQ.T
        K = X_grid @ WK_grid.transpose(1, 2)
        V = X_grid @ WV.T
        scores = torch.matmul(Q, K.transpose(1, 2))
        attn = torch.softmax(scores, dim=-1)
        X_grid = torch.matmul(attn, V)
        X_grid = X_grid / (X_grid.norm(dim=-1, keepdim=True) + 1e-8)
    diff_grid = (X_grid[..., 0] - X_grid[:, 0, 0:1]).abs().max(dim=1).values
    labels_grid = (diff_grid < 1e-5).int().cpu().numpy().reshape(num_samples, num_samples)
    return labels_grid, diff_grid.cpu().numpy().reshape(num_samples, num_samples)


def to_seed_order(x0_rows_cols: np.ndarray) -> np.ndarray:
    """attndyn's per-pixel points [row = a index, col = b index] -> the seed's X_grid order."""
    height, width, n, d = x0_rows_cols.shape
    return x0_rows_cols.transpose(1, 0, 2, 3).reshape(height * width, n, d)
