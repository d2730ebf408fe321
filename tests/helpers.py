"""Shared test data and checks: the seed's Appendix B matrices, independently drawn points,
running the command line and its one-line errors, a store's recorded chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attndyn import Job, LandscapeSpec
from attndyn.model.tiles import Tile

from appendix_a import APPENDIX_B

__all__ = [
    "APPENDIX_B",
    "SlowEngine",
    "appendix_b",
    "differing",
    "logged_tiles",
    "manifest_lines",
    "one_line_error",
    "period_two_job",
    "random_unit_points",
    "run_cli",
    "same_bytes",
    "standalone",
    "whole",
    "wide_window_spec",
]


def random_unit_points(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Normalised Gaussian points from numpy's own generator (independent of attndyn's)."""
    points = np.random.default_rng(seed).standard_normal((*shape, 2))
    return points / np.linalg.norm(points, axis=-1, keepdims=True)


def period_two_job(steps: int) -> Job:
    """A 2x2 picture whose every pixel alternates exactly between two states.

    Each point attends only to itself (a, b ~ 2000: the other weight, exp(-800), is 0 in
    float32) and W_V swaps the coordinates, so the state alternates between (e1, (0.6, 0.8))
    and (e2, (0.8, 0.6)): delta is 0.4 after an even number of steps and 0.8 after an odd one,
    and tol = 0.5 sits between them.
    """
    spec = LandscapeSpec(
        wq=(1, 0, 0, 1),
        wv=(0, 1, 1, 0),
        x_range=(2000, 2001),
        y_range=(2000, 2001),
        width=2,
        height=2,
        steps=steps,
        tol=0.5,
    )
    return Job.with_x0(spec, np.array([[1.0, 0.0], [0.6, 0.8]]))


def appendix_b(seed: int, **overrides) -> LandscapeSpec:
    """A spec with the seed's Appendix B matrices of ``seed`` (and that seed)."""
    wq, wv = APPENDIX_B[seed]
    return LandscapeSpec(**{"wq": wq, "wv": wv, "seed": seed, **overrides})


def whole(spec: LandscapeSpec) -> Tile:
    """The tile covering the whole grid of ``spec``."""
    rows, cols = spec.shape
    return Tile(0, rows, 0, cols)


def differing(reference, ours) -> int:
    """How many pixels' labels differ between two Fields."""
    return int((reference.labels != ours.labels).sum())


def wide_window_spec(width: int, height: int, **overrides) -> LandscapeSpec:
    """Large matrices over a window thousands wide: scores far beyond the max-free bound of
    the fast engines (|S| <= 32), so every pixel takes the max-subtracted (safe) step."""
    values = dict(
        wq=(30.0, -2.0, 5.0, 41.0),
        wv=(-300.0, 20.0, 7.0, 100.0),
        x_range=(-2000.0, 1500.0),
        y_range=(-900.0, 3000.0),
        width=width,
        height=height,
        steps=30,
    )
    values.update(overrides)
    return LandscapeSpec(**values)


# Known-answer vectors of Random123's Philox4x32-10 (kat_vectors): counter words, key words,
# expected output words.
PHILOX_KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


def standalone(kernel, **flags):
    """A separate compile of a numba kernel's Python source, with ``error_model="numpy"`` and
    ``flags``, for calling it directly in a test.

    numba compiles a function once per signature, with the fastmath flags of its first caller
    when it has none of its own, and caches that; a test calling the engine's own dispatcher
    could make the unfused version the one the engine links (see
    attndyn.engines.kernels.targets). A copy has its own compiles and no disk cache.
    """
    from numba import njit

    return njit(error_model="numpy", **flags)(kernel.py_func)


class SlowEngine:
    """The numpy reference engine, sleeping ``delay`` seconds before each tile and, when
    ``log`` is given, appending ``row0 col0`` of each tile to that file (one line a call,
    flushed at once), so a test can count engine calls across processes and kill a render
    mid-chunk. Picklable, importable by Dask workers that have tests/ on their path."""

    name = "slow-numpy"
    tile_pixels = 32_768
    supports_float64 = True

    def __init__(self, delay: float = 0.0, log: str | None = None) -> None:
        self.delay = delay
        self.log = log
        self.last_diagnostics = None

    def pixels_per_second(self, spec: LandscapeSpec) -> float:
        return 1.0e4

    def compute(self, job: Job, tile: Tile):
        import time

        from attndyn.engines.numpy_ref import NumpyReferenceEngine

        if self.log is not None:
            with open(self.log, "a", encoding="utf-8") as file:
                file.write(f"{tile.row0} {tile.col0}\n")
        time.sleep(self.delay)
        return NumpyReferenceEngine().compute(job, tile)


def logged_tiles(log) -> list[tuple[int, int]]:
    """The (row0, col0) of every call a :class:`SlowEngine` logged."""
    try:
        lines = open(log, encoding="utf-8").read().split("\n")
    except FileNotFoundError:
        return []
    return [tuple(int(v) for v in line.split()) for line in lines if line.strip()]


def same_bytes(a, b) -> bool:
    """Whether two arrays are equal dtype, shape and bytes (nan equals nan)."""
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def run_cli(*argv) -> int:
    """``attndyn ARGV`` in this process (arguments turned into strings): its exit code."""
    from attndyn.cli.main import main

    return main([str(a) for a in argv])


def one_line_error(capsys, *fragments: str) -> str:
    """The command's stderr, checked to be one ``attndyn: error:`` line holding every one of
    ``fragments``."""
    err = capsys.readouterr().err
    assert err.startswith("attndyn: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def manifest_lines(path: Path) -> int:
    """How many chunks a store's manifest records (0 before it exists)."""
    try:
        return (path / "manifest.jsonl").read_text().count("\n")
    except FileNotFoundError:
        return 0
