"""Kernels that only other kernels call get no machine code of their own: a cut of the cold compile.

numba compiles each ``@njit`` function into a library of its own: LLVM optimises its module,
then, when the library is finalised, MCJIT turns it into machine code, and ``cache=True``
writes that machine code to the disk cache. A caller links the callee's optimised LLVM module
into its own and optimises and compiles it again there, so that the machine code it runs,
and caches, holds the callee's code. Most of the kernels' functions are such callees
(``no_cpython_wrapper=True``: Python cannot call them): their own machine code, and their own
cache entries, are made and never used. A warm start loads only the tile kernels, whose cached
machine code holds all of it.

:func:`install` (called by :func:`~attndyn.engines.kernels.caching.load_kernel` before the
first compile of a process, as :mod:`~attndyn.engines.kernels.inlining` is) makes numba skip
that work for the libraries of this package that define no wrapper, neither a CPython nor a C
one (:func:`link_only`): their module is optimised as before (callers link the optimised
module), but not added to the execution engine, so MCJIT does not compile it; numba then finds
no symbol to point the dispatcher at (the address it gets is 0, as for any function without a
CPython wrapper) nor an environment to set, and does not cache the library (there is no
machine code to cache; the callers' entries are whole without it). The callers' modules, their
optimisation and their machine code are exactly what they were, so the kernels and their
fields are too (the engine tests, and seven golden jobs in benchmarks/LOG.md). About 10 of the
31 libraries of a float32 compile, and 1.0-1.4 s of its CPU time (benchmarks/LOG.md,
2026-12-06). Anything numba no longer has (a later version) leaves numba as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba.core import caching, codegen

# numba mangles a function's name under its module: ``_ZN`` and each dotted part's length and
# name. The functions of this package:
_PACKAGE_PREFIX = "_ZN7attndyn7engines7kernels"
# Its wrappers: the CPython wrapper of a function (``cpython.<module>.<name>``, mangled) and its
# C wrapper (``cfunc.<mangled name>``).
_WRAPPER_PREFIXES = ("_ZN7cpython", "cfunc.")

_LINK_ONLY = "_attndyn_link_only"


def link_only(module: Any) -> bool:
    """Whether an LLVM module (a library's final module) holds only functions of this package
    and no wrapper: code that only other compiled functions reach, through their own copy."""
    defined = [function.name for function in module.functions if not function.is_declaration]
    return bool(defined) and all(
        name.startswith(_PACKAGE_PREFIX) and not name.startswith(_WRAPPER_PREFIXES)
        for name in defined
    )


def is_link_only(library: Any) -> bool:
    """Whether ``library`` was finalised without machine code of its own (:func:`install`)."""
    return bool(getattr(library, _LINK_ONLY, False))


def _skipping_machine_code(finalize: Callable[[Any], None]) -> Callable[[Any], None]:
    def finalize_final_module(self: Any) -> None:
        if not link_only(self._final_module):
            finalize(self)
            return
        # numba's own steps, less adding the module to the engine and compiling it.
        self._finalize_dynamic_globals()
        self._verify_declare_only_symbols()
        setattr(self, _LINK_ONLY, True)
        self._finalized = True

    finalize_final_module.__wrapped__ = finalize  # type: ignore[attr-defined]
    return finalize_final_module


def _setting_defined_environments(set_env: Callable[..., None]) -> Callable[..., None]:
    def set_env_if_defined(self: Any, env_name: str, env: Any) -> None:
        if self._engine.get_global_value_address(env_name):  # 0: a link-only library's
            set_env(self, env_name, env)

    set_env_if_defined.__wrapped__ = set_env  # type: ignore[attr-defined]
    return set_env_if_defined


def _caching_compiled_only(check: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check_cachable(self: Any, cres: Any) -> bool:
        return not is_link_only(getattr(cres, "library", None)) and check(self, cres)

    check_cachable.__wrapped__ = check  # type: ignore[attr-defined]
    return check_cachable


def install() -> None:
    """Patch numba as the module docstring says (idempotent; a numba without these internals is
    left as it is)."""
    library = getattr(codegen, "CPUCodeLibrary", None)
    jit_codegen = getattr(codegen, "JITCPUCodegen", None)
    impl = getattr(caching, "CompileResultCacheImpl", None)
    needed = (
        (library, "_finalize_final_module"),
        (library, "_finalize_dynamic_globals"),
        (library, "_verify_declare_only_symbols"),
        (jit_codegen, "set_env"),
        (impl, "check_cachable"),
    )
    if any(owner is None or not hasattr(owner, name) for owner, name in needed):
        return
    if hasattr(library._finalize_final_module, "__wrapped__"):
        return
    library._finalize_final_module = _skipping_machine_code(library._finalize_final_module)
    jit_codegen.set_env = _setting_defined_environments(jit_codegen.set_env)
    impl.check_cachable = _caching_compiled_only(impl.check_cachable)
