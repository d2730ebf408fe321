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
"""

from __future__ import annotations

import copy
import threading
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
        scope = value.scope
        if id(scope) not in scopes:
            scopes[id(scope)] = (scope, copy.deepcopy(scope))  # (kept alive: ids stay unique)
        return copy.deepcopy(value, {id(scope): scopes[id(scope)][1]})


def _sharing_scopes(inline_ir: Callable[..., Any]) -> Callable[..., Any]:
    def inline_ir_sharing_scopes(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_state, "scopes", None)
        _state.scopes = {}
        try:
            return inline_ir(*args, **kwargs)
        finally:
            _state.scopes = outer

    inline_ir_sharing_scopes.__wrapped__ = inline_ir  # type: ignore[attr-defined]
    return inline_ir_sharing_scopes


def install() -> None:
    """Patch numba's inliner as the module docstring says (idempotent; a numba without these
    internals is left as it is)."""
    worker = getattr(inline_closurecall, "InlineWorker", None)
    inline_ir = getattr(worker, "inline_ir", None)
    if inline_ir is None or getattr(inline_closurecall, "copy", None) is not copy:
        return
    worker.inline_ir = _sharing_scopes(inline_ir)
    inline_closurecall.copy = _ScopeSharingCopy()
