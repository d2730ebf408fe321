"""numba's inliner, copying a function's variables once per inlined call rather than once per
block.

To inline a function (``inline="always"``), numba copies the callee's IR block by block with
``copy.deepcopy``, a fresh memo each time. Every variable refers to the function's one
``Scope``, which lists all of its variables, so each block's copy copies the whole scope again:
the cost grows as blocks times variables. ``groups.run_groups`` (138 blocks, 1,386 variables)
took 2.2 s to inline, and the copies were about a fifth of a cold compile of the kernels
(cProfile, benchmarks/LOG.md, 2026-12-06).

:func:`install` (called by :func:`~attndyn.engines.kernels.caching.load_kernel` before the
first compile of a process) wraps numba's ``InlineWorker.inline_ir`` so that, during one
inlining, the blocks that share a scope share that scope's copy: as in the callee, where all
blocks share one scope. The inliner only reads the copies' scopes (it makes the new variables in the
caller's scope), so what it builds is the same; the copies are made per inlining and dropped
after it, so no copy outlives it or is shared between two inlined calls. The kernels' fields
are byte for byte those of the unpatched inliner (the engine tests, and seven golden jobs in
benchmarks/LOG.md). Anything numba no longer has (a later version) leaves numba as it is.

Two more copies are saved the same way:

- ``inline_ir`` copies the callee's blocks a second time, an unmutated copy it returns, which
  both of numba's callers drop (``_, _, _, new_blocks = ...``). Where numba's source still
  reads so (checked at :func:`install`), that copy returns the blocks of the first copy as
  they are.
- ``inline_function`` runs the callee's untyped passes (bytecode to IR, its own inlining,
  rewrites) at every call site: 144 times for the kernels' 27 compiled functions. It now
  runs them once per function, flags and locals, and hands ``inline_ir`` that IR, which
  ``inline_ir`` copies before it changes anything; the caller's flags get ``enable_ssa`` as
  the untyped passes set it.
"""

from __future__ import annotations

import copy
import inspect
import threading
import weakref
from collections.abc import Callable
from typing import Any

from numba.core import inline_closurecall, ir

_state = threading.local()


class _ScopeSharingCopy:
    """``copy`` as ``inline_closurecall`` sees it: ``deepcopy`` of an IR block reuses the copy
    of the block's scope made earlier in the same inlining; everything else is :mod:`copy`."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        scopes = getattr(_state, "scopes", None)
        if memo is not None or scopes is None or not isinstance(value, ir.Block):
            return copy.deepcopy(value, memo)
        copies = _state.copies
        if _SECOND_COPY_UNUSED and id(value) in copies:
            return value  # the copy inline_ir makes of its own copy, to return unused
        scope = value.scope
        if id(scope) not in scopes:
            scopes[id(scope)] = (scope, copy.deepcopy(scope))  # (kept alive: ids stay unique)
        block = copy.deepcopy(value, {id(scope): scopes[id(scope)][1]})
        copies[id(block)] = block
        return block


def _sharing_scopes(inline_ir: Callable[..., Any]) -> Callable[..., Any]:
    def inline_ir_sharing_scopes(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_state, "scopes", None), getattr(_state, "copies", None)
        _state.scopes, _state.copies = {}, {}
        try:
            return inline_ir(*args, **kwargs)
        finally:
            _state.scopes, _state.copies = outer

    inline_ir_sharing_scopes.__wrapped__ = inline_ir  # type: ignore[attr-defined]
    return inline_ir_sharing_scopes


def _drops_second_copy() -> bool:
    """Whether numba's ``inline_ir`` makes its unmutated second copy only to return it, and
    both of numba's callers drop it: the source as this module was written against."""
    from numba.core import typed_passes, untyped_passes

    try:
        inline_ir = inspect.getsource(inline_closurecall.InlineWorker.inline_ir)
        inline_function = inspect.getsource(inline_closurecall.InlineWorker.inline_function)
        callers = inspect.getsource(untyped_passes) + inspect.getsource(typed_passes)
    except (OSError, TypeError, AttributeError):
        return False
    dropped = callers.count("_, _, _, new_blocks =")
    return (
        "callee_ir_original = copy_ir(callee_ir)" in inline_ir
        and "return self.inline_ir(" in inline_function
        and callers.count(".inline_ir(") + callers.count(".inline_function(") == 2
        and dropped == 2
    )


_SECOND_COPY_UNUSED = False

# The untyped IR of each function inlined so far, by the function and what its untyped passes
# read (the flags, the locals): function -> {key: IR}.
_untyped: weakref.WeakKeyDictionary[Any, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _untyped_key(worker: Any) -> tuple[Any, ...]:
    flags = tuple(sorted((name, repr(value)) for name, value in worker.flags.values().items()))
    locals_ = tuple(sorted((name, repr(value)) for name, value in (worker.locals or {}).items()))
    return id(worker.typingctx), id(worker.targetctx), type(worker.pipeline), flags, locals_


def _reusing_untyped_ir(inline_function: Callable[..., Any]) -> Callable[..., Any]:
    def inline_function_reusing_ir(
        self: Any, caller_ir: Any, block: Any, i: int, function: Any, arg_typs: Any = None
    ) -> Any:
        self.flags.enable_ssa = False  # as run_untyped_passes sets it, hit or miss
        key = _untyped_key(self)
        known = _untyped.setdefault(function, {})
        if key not in known:
            known[key] = self.run_untyped_passes(function)
        freevars = function.__code__.co_freevars
        return self.inline_ir(caller_ir, block, i, known[key], freevars, arg_typs=arg_typs)

    inline_function_reusing_ir.__wrapped__ = inline_function  # type: ignore[attr-defined]
    return inline_function_reusing_ir


def install() -> None:
    """Patch numba's inliner as the module docstring says (idempotent; a numba without these
    internals is left as it is)."""
    worker = getattr(inline_closurecall, "InlineWorker", None)
    inline_ir = getattr(worker, "inline_ir", None)
    if inline_ir is None or getattr(inline_closurecall, "copy", None) is not copy:
        return
    global _SECOND_COPY_UNUSED
    _SECOND_COPY_UNUSED = _drops_second_copy()
    worker.inline_ir = _sharing_scopes(inline_ir)
    inline_closurecall.copy = _ScopeSharingCopy()
    if _SECOND_COPY_UNUSED:  # (the same source check: inline_function as written against)
        worker.inline_function = _reusing_untyped_ir(worker.inline_function)
