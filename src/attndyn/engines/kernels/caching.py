"""The kernels' disk cache, invalidated by a change to any module they are compiled from.

numba caches a ``cache=True`` function in ``__pycache__`` under a stamp of its own source
file only; a change to a function it calls in another file leaves the stale machine code in
use. The kernels call each other across the modules of this package and bake in constants
of :mod:`attndyn.engines.inputs` and :mod:`attndyn.model.fields`, so their cache entries are
stamped with the contents of all of those files (:func:`source_stamp`): editing any of them
recompiles every kernel on its next use. Where the files live and how entries are named is
numba's usual choice; only the stamp changes. :func:`install` registers this with numba, before
any kernel is decorated (the package's ``__init__`` does it).

Loading without compiling. Before it loads a cached function, numba refreshes its CPU target
context: it imports the implementations of everything it can compile (numba.np.arraymath
and the rest, and through them scipy.linalg, for BLAS), about a third of a warm start's CPU
time (measured: 0.33 of 0.84 s for an 8 x 8 render; benchmarks/LOG.md). Loading machine code
needs none of that, only numba's runtime (NRT: the kernels allocate their work buffers), so
:func:`load_kernel` loads this package's functions after initialising the runtime alone.
Every compilation still refreshes the context first (numba's compiler does it), so a kernel
compiled later in the same process sees every implementation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from numba.core import caching
from numba.core.cpu import CPUContext
from numba.core.runtime import rtsys

KERNELS = Path(__file__).resolve().parent
SOURCES = (KERNELS.parent / "inputs.py", KERNELS.parent.parent / "model" / "fields.py")


_stamps: dict[tuple[tuple[str, int, int], ...], str] = {}


def source_stamp() -> str:
    """sha256 of the kernel package's modules and the modules whose constants they use.

    numba asks for it once per cached function, when the function is decorated; it is
    computed once per set of files (each file's path, size and modification time)."""
    paths = (*sorted(KERNELS.glob("*.py")), *SOURCES)
    files = tuple((str(path), (info := path.stat()).st_mtime_ns, info.st_size) for path in paths)
    if files not in _stamps:
        digest = hashlib.sha256()
        for path in paths:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        _stamps[files] = digest.hexdigest()
    return _stamps[files]


class KernelCacheLocator(caching._CacheLocator):
    """numba's own locator for a function of this package, with :func:`source_stamp`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._py_file = inner._py_file

    def ensure_cache_path(self) -> None:
        self._inner.ensure_cache_path()

    def get_cache_path(self) -> str:
        return self._inner.get_cache_path()

    def get_source_stamp(self) -> str:
        return source_stamp()

    def get_disambiguator(self) -> str:
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> KernelCacheLocator | None:
        if Path(py_file).resolve().parent != KERNELS:
            return None
        for other in _locator_classes():
            if other is not cls:
                inner = other.from_function(py_func, py_file)
                if inner is not None:
                    return cls(inner)
        return None


def _locator_classes() -> list[Any]:
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.61
    return impl._locator_classes


_load_overload_refreshed = caching.Cache.load_overload


def load_kernel(cache: Any, sig: Any, target_context: Any) -> Any:
    """numba's ``Cache.load_overload`` for this package's CPU functions, without the refresh of
    the target context (see the module docstring): the runtime is initialised, then the cached
    machine code is loaded; None when it is not in the cache. Other functions, and the CUDA
    kernels (whose context numba's CUDA cache sets up in that refresh), load as usual.

    On a miss, numba compiles next: numba's inliner, type inference and finalisation are
    patched first (:mod:`~attndyn.engines.kernels.inlining`,
    :mod:`~attndyn.engines.kernels.typing_shortcuts`, :mod:`~attndyn.engines.kernels.linking`),
    here rather than at import, since importing them imports numba's implementations, which a
    warm start does without."""
    ours = isinstance(cache._impl.locator, KernelCacheLocator)
    if not ours or not isinstance(target_context, CPUContext):
        return _load_overload_refreshed(cache, sig, target_context)
    rtsys.initialize(target_context)
    loaded = None
    with cache._guard_against_spurious_io_errors():
        loaded = cache._load_overload(sig, target_context)
    if loaded is None:  # not cached, or the guard swallowed an I/O error: compile instead
        from attndyn.engines.kernels import inlining, linking, typing_shortcuts

        inlining.install()
        typing_shortcuts.install()
        linking.install()
    return loaded


def install() -> None:
    """Make numba use :class:`KernelCacheLocator` for this package's functions and load them
    with :func:`load_kernel` (idempotent)."""
    classes = _locator_classes()
    if KernelCacheLocator not in classes:
        classes.insert(0, KernelCacheLocator)
    caching.Cache.load_overload = load_kernel
