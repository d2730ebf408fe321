"""Link-only kernels: no machine code of their own, callers as before."""

from types import FunctionType

import llvmlite.binding as llvm
from numba import njit
from numba.core import caching

from attndyn.engines.kernels import linking

linking.install()

_OURS = "_ZN7attndyn7engines7kernels4tile9on_groupsB2v1E"
_OTHER = "_ZN5numba7cpython8builtins6ol_max4implE"


def _module(*defined, declared=()):
    lines = [f'define double @"{name}"(double %x) {{\n  ret double %x\n}}' for name in defined]
    lines += [f'declare double @"{name}"(double)' for name in declared]
    return llvm.parse_assembly("\n".join(lines))


def test_link_only_modules_hold_only_this_packages_functions_and_no_wrapper():
    assert linking.link_only(_module(_OURS))
    assert linking.link_only(_module(_OURS, declared=[_OTHER, "NRT_incref"]))
    assert not linking.link_only(_module(_OURS, "_ZN7cpython7attndyn7engines7kernels4tile1fE"))
    assert not linking.link_only(_module(_OURS, f"cfunc.{_OURS}"))
    assert not linking.link_only(_module(_OURS, _OTHER))
    assert not linking.link_only(_module("NRT_incref"))
    assert not linking.link_only(_module(declared=[_OURS]))


def test_install_is_idempotent():
    check = caching.CompileResultCacheImpl.check_cachable
    linking.install()
    assert caching.CompileResultCacheImpl.check_cachable is check
    assert not hasattr(check.__wrapped__, "__wrapped__")


def _callee(x):
    return 2.0 * x + 1.0


def _caller(x):
    return callee(x) * 3.0  # noqa: F821 (bound in the copy's globals)


def test_a_callee_without_wrappers_is_linked_into_its_caller_only():
    # Compiled as a function of this package (numba mangles a function under its module).
    names = {"__name__": "attndyn.engines.kernels.linking"}
    callee = njit(no_cpython_wrapper=True, no_cfunc_wrapper=True)(
        FunctionType(_callee.__code__, names, "callee")
    )
    names["callee"] = callee
    caller = njit(FunctionType(_caller.__code__, names, "caller"))
    assert caller(1.5) == (2.0 * 1.5 + 1.0) * 3.0
    (callee_result,) = callee.overloads.values()
    (caller_result,) = caller.overloads.values()
    assert linking.is_link_only(callee_result.library)
    assert not linking.is_link_only(caller_result.library)
    assert not getattr(callee_result.library._final_module, "_owned", False)  # not in MCJIT
    assert caller_result.library._final_module._owned
    check = caching.CompileResultCacheImpl.check_cachable
    assert not check(None, callee_result)
    assert check(None, caller_result)
