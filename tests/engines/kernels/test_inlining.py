"""The inliner's copies: one scope copy per inlining, shared by the blocks that shared it."""

import copy

import numpy as np
from numba import njit
from numba.core import inline_closurecall, ir

from attndyn.engines.kernels import inlining


def _blocks():
    """Two IR blocks sharing one scope, as the blocks of one function do."""
    loc = ir.Loc("test", 1)
    scope = ir.Scope(None, loc)
    blocks = []
    for name in ("a", "b"):
        block = ir.Block(scope, loc)
        block.append(ir.Assign(ir.Const(1, loc), scope.redefine(name, loc), loc))
        blocks.append(block)
    return scope, blocks


def test_within_one_inlining_the_blocks_share_one_copy_of_their_scope():
    scope, blocks = _blocks()
    sharing = inlining._ScopeSharingCopy()
    worker = inlining._sharing_scopes(lambda: [sharing.deepcopy(b) for b in blocks])
    first, second = worker()
    assert first.scope is second.scope  # one copy, as in the function copied
    assert first.scope is not scope  # a copy, not the original
    assert first.body[0].target.scope is first.scope
    assert sorted(first.scope.localvars._con) == sorted(scope.localvars._con)
    again = worker()  # another inlining: copies of its own
    assert again[0].scope is not first.scope


def test_outside_an_inlining_deepcopy_is_copys():
    _, blocks = _blocks()
    sharing = inlining._ScopeSharingCopy()
    first, second = (sharing.deepcopy(b) for b in blocks)
    assert first.scope is not second.scope  # copy.deepcopy's own behaviour: a memo per call
    assert sharing.deepcopy([1, [2]]) == copy.deepcopy([1, [2]])


def test_install_is_in_place_and_idempotent():
    inlining.install()
    inlining.install()
    patched = inline_closurecall.InlineWorker.inline_ir
    assert isinstance(inline_closurecall.copy, inlining._ScopeSharingCopy)
    assert not hasattr(patched.__wrapped__, "__wrapped__")  # wrapped once


@njit(inline="always")
def _collatz_steps(x):
    steps = 0
    while x != 1:
        x = x // 2 if x % 2 == 0 else 3 * x + 1
        steps += 1
    return steps


@njit
def _twice(x, y):
    return _collatz_steps(x) + 10 * _collatz_steps(y)


def test_functions_inlined_twice_compute_what_they_say():
    def collatz(x):  # plain Python transcription
        steps = 0
        while x != 1:
            x = x // 2 if x % 2 == 0 else 3 * x + 1
            steps += 1
        return steps

    for x, y in [(1, 1), (6, 7), (27, 97)]:
        assert _twice(np.int64(x), np.int64(y)) == collatz(x) + 10 * collatz(y)
    assert collatz(27) == 111  # the known record below 100


def test_numbas_inliner_is_the_one_this_module_was_written_against():
    # Both callers of inline_ir drop its second, unmutated copy: that copy is skipped and the
    # callee's untyped IR reused. A numba whose source differs gets neither.
    assert inlining._drops_second_copy()
    assert inlining._SECOND_COPY_UNUSED
    assert hasattr(inline_closurecall.InlineWorker.inline_function, "__wrapped__")


def test_the_second_copy_within_an_inlining_is_the_first():
    _, blocks = _blocks()
    sharing = inlining._ScopeSharingCopy()

    def inline_ir():  # as inline_ir copies: the callee's blocks, then the copies again
        first = [sharing.deepcopy(b) for b in blocks]
        second = [sharing.deepcopy(b) for b in first]
        return first, second

    first, second = inlining._sharing_scopes(inline_ir)()
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert all(a is not b for a, b in zip(first, blocks, strict=True))
    again, _ = inlining._sharing_scopes(inline_ir)()  # another inlining copies afresh
    assert all(a is not b for a, b in zip(again, first, strict=True))


@njit(inline="always")
def _offset(x):
    y = x + 1
    return y * 2


@njit
def _three_sites(x):
    return _offset(x) + 10 * _offset(x + 1) + 100 * _offset(x + 2)


def test_a_function_inlined_at_three_sites_is_translated_once_and_computes_what_it_says():
    inlining.install()
    untyped = inlining._untyped.get(_offset.py_func, {})
    before = len(untyped)
    assert _three_sites(np.int64(5)) == 12 + 10 * 14 + 100 * 16  # 2(x + 1) at 5, 6 and 7
    assert len(inlining._untyped[_offset.py_func]) == before + 1  # one untyped IR, 3 sites
