"""Where the numba engine's time goes: a sampling profile of one job, by kernel function.

    .venv/bin/python benchmarks/profile_kernel.py                      # the default job, 1000²
    .venv/bin/python benchmarks/profile_kernel.py --init shared --size 512 \\
        --center=-3.06819,-1.82531 --width 0.002                       # the boundary view
    .venv/bin/python benchmarks/profile_kernel.py --precision float64 --size 500

numba's machine code carries no symbols that perf can see, and this VM has no hardware
counters (``perf stat`` prints ``<not supported>``), so: a child process computes the job
(``--repeat`` times, after a warm-up) under ``perf record -e cpu-clock`` and prints where
numba loaded the tile kernel of its precision; the kernel's object code, with every function linked
into it, is read back from numba's disk cache, its symbols and sizes listed with ``nm``, and
each sample is charged to the function whose address range holds it (relative to the
kernel's entry point). Functions inlined into their callers (``inline="always"``: the exp,
the group steps, the merge) count as their callers; samples outside numba's code (Python,
NumPy, imports) are one line. A first child, without perf, loads the kernel, or compiles and
caches it: freshly compiled code is not laid out as the cached object the samples are mapped
onto, so the profiled child always runs the cached one.

Needs ``perf`` (Debian: linux-perf) and ``nm`` (binutils); prints what is missing otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPTIONS = ("preset", "init", "size", "center", "width", "steps", "seed", "precision")


def _job(args: argparse.Namespace):
    """The job of the render options given (raises FieldError for a bad one)."""
    from attndyn.model.options import RenderOptions, build_job

    values = {name: getattr(args, name) for name in OPTIONS if getattr(args, name) is not None}
    return build_job(RenderOptions.from_strings(values))


def _child(args: argparse.Namespace) -> None:
    """Compute the job under perf; print the kernel's entry address and its cached object."""
    from attndyn.engines.kernels.tile import tile_kernel, tile_kernel_exact
    from attndyn.engines.numba_cpu import NumbaCpuEngine
    from attndyn.model.tiles import Tile

    job = _job(args)
    kernel = tile_kernel if job.spec.dtype == "float32" else tile_kernel_exact
    engine = NumbaCpuEngine()
    rows, cols = job.spec.shape
    engine.compute(job, Tile(0, min(rows, 16), 0, min(cols, 16)))  # load the kernel
    overload = next(iter(kernel.overloads.values()))
    entry = overload.library.get_pointer_to_function(overload.fndesc.llvm_func_name)
    started = time.perf_counter()
    for _ in range(args.repeat):
        engine.compute(job, Tile(0, rows, 0, cols))
    seconds = (time.perf_counter() - started) / max(args.repeat, 1)
    cache = kernel._cache._cache_file
    print(json.dumps({"entry": entry, "name": overload.fndesc.llvm_func_name,
                      "index": str(cache._index_path), "seconds": seconds,
                      "pixels": rows * cols}))  # fmt: skip


def _object_code(index_path: Path, function_name: str) -> bytes:
    """The ELF object of the cached overload whose code defines ``function_name`` (numba's
    cache keeps each overload in a data file <index name>.<n>.nbc beside the index)."""
    folder = index_path.parent
    for data in sorted(folder.glob(index_path.name.replace(".nbi", ".*.nbc"))):
        payload = pickle.loads(data.read_bytes())
        for blob in _blobs(payload):
            if blob[:4] == b"\x7fELF" and function_name.encode() in blob:
                return blob
    raise SystemExit(f"no cached object for {function_name} beside {index_path}")


def _blobs(value: object, depth: int = 0):
    """Every bytes object inside a (nested) tuple, list or dict."""
    if isinstance(value, bytes | bytearray):
        yield bytes(value)
    elif depth < 8 and isinstance(value, tuple | list):
        for item in value:
            yield from _blobs(item, depth + 1)
    elif depth < 8 and isinstance(value, dict):
        for item in value.values():
            yield from _blobs(item, depth + 1)


def _functions(elf: bytes) -> list[tuple[int, int, str]]:
    """(offset, size, name) of every function defined in the object, by ``nm``."""
    with tempfile.NamedTemporaryFile(suffix=".o") as handle:
        handle.write(elf)
        handle.flush()
        listing = subprocess.run(["nm", "-S", "--defined-only", handle.name],
                                 capture_output=True, text=True, check=True).stdout  # fmt: skip
    functions = []
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "TtWw":
            functions.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    return functions


def readable(symbol: str) -> str:
    """attndyn.engines.kernels.blocks.block_steps from numba's mangled name."""
    parts, rest = [], symbol.removeprefix("_ZN")
    for prefix in ("cfunc.", "__gufunc__."):
        if symbol.startswith(prefix):
            return prefix + readable(symbol.removeprefix(prefix))
    while match := re.match(r"(\d+)", rest):
        length = int(match.group(1))
        start = match.end()
        parts.append(rest[start : start + length])
        rest = rest[start + length :]
    name = ".".join(parts) or symbol
    return name.replace("_3clocals_3e", "<locals>").replace("_3cdynamic_3e", "<dynamic>")


def _samples(data: Path) -> list[tuple[int, str]]:
    """(samples, symbol or hex address) per line of perf's report by symbol."""
    report = subprocess.run(
        ["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "symbol",
         "-g", "none", "-n"], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = []
    for line in report.splitlines():
        match = re.match(r"\s*[\d.]+%\s+(\d+)\s+\[[.k]\]\s+(\S+)", line)
        if match:
            rows.append((int(match.group(1)), match.group(2)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="art1679700")
    parser.add_argument("--init")
    parser.add_argument("--size", default="1000")
    parser.add_argument("--center")
    parser.add_argument("--width")
    parser.add_argument("--steps")
    parser.add_argument("--seed")
    parser.add_argument("--precision", help="float32 (default) or float64")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return 0
    from attndyn.cli.common import option_flag
    from attndyn.model.errors import FieldError

    try:  # a bad option gets its one-line message here, before perf starts
        _job(args)
    except FieldError as error:
        print(f"profile_kernel.py: error: {error.spelled(option_flag)}", file=sys.stderr)
        return 2
    missing = [tool for tool in ("perf", "nm") if shutil.which(tool) is None]
    if missing:
        print(f"profile_kernel.py needs {' and '.join(missing)} (linux-perf, binutils)")
        return 2
    child = [sys.executable, __file__, "--child", "--repeat", str(args.repeat)]
    for name in OPTIONS:
        if getattr(args, name) is not None:
            child.append(f"--{name}={getattr(args, name)}")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    # A first run without perf compiles the kernel if needed: numba's freshly compiled code is
    # not laid out as the cache file's object, which the samples are mapped onto; the profiled
    # run then loads that object from the cache.
    warm = [sys.executable, __file__, "--child", "--repeat", "0", *child[5:]]
    subprocess.run(warm, capture_output=True, text=True, env=env, check=True)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "perf.data"
        record = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-o", str(data)]
        output = subprocess.run(record + child, capture_output=True, text=True, env=env)
        if output.returncode != 0:
            print(output.stderr.strip().splitlines()[-1] if output.stderr else "perf failed")
            return 1
        info = json.loads(output.stdout.strip().splitlines()[-1])
        rows = _samples(data)
    functions = _functions(_object_code(Path(info["index"]), info["name"]))
    kernel = next(offset for offset, _, name in functions if name == info["name"])
    base = info["entry"] - kernel
    share: collections.Counter[str] = collections.Counter()
    total = sum(count for count, _ in rows)
    for count, where in rows:
        percent = 100.0 * count / total
        if not where.startswith("0x"):
            share[
                "(outside numba's code: Python, NumPy, imports, the kernel's threads' waits)"
            ] += percent
            continue
        address = int(where, 16) - base
        owner = next((name for offset, size, name in functions
                      if offset <= address < offset + size), None)  # fmt: skip
        share[readable(owner) if owner else "(numba code outside the tile kernel)"] += percent
    rate = info["pixels"] / info["seconds"]
    print(f"job: {' '.join(child[5:])}; {info['seconds']:.3f} s per compute, {rate:,.0f} px/s")
    print(f"{'% of samples':>12}  function")
    for name, percent in share.most_common():
        print(f"{percent:12.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
