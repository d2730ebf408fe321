"""One kernel source, two compilers: numba's CPU target and its CUDA target.

The logic on which the CPU and GPU engines must agree bit for bit (the sync tracker, the
period-2 tail, the gap, the cluster link and count) is written once, as plain Python inside a
``compile_*(target)`` function of its module, and compiled by each engine with its own
:class:`Target`. A shared function calls another shared function through the closure, so
both are compiled for the same target.

For the CPU the flags are those of the rest of the CPU kernels: small functions are inlined
into their callers in numba's IR (``inline="always"``), so they take the caller's fastmath
flags, as if written there; the others are compiled on their own, once per signature, with
``error_model="numpy"`` (division by zero gives inf or nan, no exception), ``cache=True`` and
``no_cfunc_wrapper=True`` as everywhere (no C-callable wrapper, which only a first-class
function needs: 31 wrappers were about 2% of a cold compile; the functions that only other
kernels call have no CPython wrapper either, ``no_cpython_wrapper=True``, another 4%: calling
one of those from Python crashes the interpreter, so tests compile their own copies, see
below), and no fastmath flags of their own: numba then gives them those of their first caller
(its flag inheritance). In the float32 engine that caller is the tile kernel's chunk (fastmath
"contract"), so LLVM may fuse their multiply-adds too; a direct call from Python with the same
signature, compiled first, would make a second, unfused version the engine then links. Tests
therefore compile their own copies of such functions. The CUDA engine builds its target from
``cuda.jit(device=True)``: device functions, with the CUDA target's own defaults (which also
contract multiply-adds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import FunctionType
from typing import Any

from numba import njit

Compile = Callable[[Callable[..., Any]], Any]


@dataclass(frozen=True)
class Target:
    """How a shared source is compiled: ``inline`` for the small functions that callers
    inline, ``call`` for the functions that callers call."""

    inline: Compile
    call: Compile


CPU = Target(
    inline=njit(inline="always", cache=True, error_model="numpy"),
    call=njit(cache=True, error_model="numpy", no_cfunc_wrapper=True, no_cpython_wrapper=True),
)


def renamed_copy(func: FunctionType, name: str, **bound: Any) -> FunctionType:
    """A copy of ``func`` named ``name`` whose globals also bind ``bound``: one source compiled
    several times, each compile with its own callees (a global's value is a constant to
    numba) and its own cache files (numba names them by the qualified name)."""
    copy = FunctionType(func.__code__, {**func.__globals__, **bound}, name)
    copy.__qualname__ = name
    copy.__doc__ = func.__doc__
    return copy
