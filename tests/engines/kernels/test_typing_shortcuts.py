"""numba's type inference with the three shortcuts: the same answers as numba's own code."""

import operator

import numpy as np
import pytest
from numba import njit, types
from numba.core import errors, targetconfig
from numba.core.compiler import Flags
from numba.core.errors import TypingError
from numba.core.typing import npydecl

from attndyn.engines.kernels import typing_shortcuts

typing_shortcuts.install()


def _numbas(owner, name):
    return typing_shortcuts.replaced[(owner, name)]


def test_install_is_idempotent_and_remembers_numbas_own():
    template = npydecl.NumpyRulesArrayOperator
    first = template.generic
    typing_shortcuts.install()
    assert template.generic.__wrapped__ is first.__wrapped__  # wrapped once, not twice
    assert not hasattr(_numbas(template, "generic"), "__wrapped__")


def test_the_operator_template_refuses_scalars_without_searching_and_types_arrays():
    calls = []

    def searching(self, args, kws):
        calls.append(args)
        return "searched"

    generic = typing_shortcuts._refusing_scalars(searching)
    scalars = (types.float32, types.int64)
    assert generic(None, scalars, {}) is None and calls == []
    array = types.Array(types.float32, 1, "C")
    assert generic(None, (types.float32, array), {}) == "searched"
    assert generic(None, (types.Optional(array), types.float32), {}) == "searched"
    assert len(calls) == 2


@pytest.mark.parametrize("op", [operator.add, operator.mul, operator.lt, operator.truediv])
def test_the_operator_template_answers_as_numbas_on_scalars_and_arrays(op):
    # numba's own template, found the answer after its search: None for scalars, a signature
    # for arrays. The patched one: the same.
    from numba.core.registry import cpu_target

    context = cpu_target.typing_context
    context.refresh()
    cls = type("Template", (npydecl.NumpyRulesArrayOperator,), {"key": op})
    template = cls(context)
    own = _numbas(npydecl.NumpyRulesArrayOperator, "generic")
    array = types.Array(types.float64, 2, "C")
    for args in [(types.float32, types.float32), (types.int64, types.float64), (array, types.int64),
                 (types.float32, array), (types.Optional(types.float64), types.int32)]:  # fmt: skip
        assert template.generic(args, {}) == own(template, args, {})


def test_target_options_compare_and_hash_as_numbas():
    own_eq = _numbas(targetconfig.TargetConfig, "__eq__")
    own_hash = _numbas(targetconfig.TargetConfig, "__hash__")
    own_values = _numbas(targetconfig.TargetConfig, "values")
    plain, nrt, nrt_too, default_set = Flags(), Flags(), Flags(), Flags()
    nrt.nrt = True
    nrt_too.nrt = True
    default_set.nrt = False  # the default, set explicitly: equal to unset
    for a in (plain, nrt, nrt_too, default_set):
        assert a.values() == own_values(a)
        assert hash(a) == own_hash(a)
        for b in (plain, nrt, nrt_too, default_set):
            assert (a == b) == own_eq(a, b)
    assert nrt == nrt_too and plain == default_set and plain != nrt


@pytest.mark.skipif(
    not hasattr(errors, "HighlightColorScheme"), reason="numba highlights only with colorama"
)
def test_highlighted_text_is_numbas():
    scheme = errors.HighlightColorScheme(errors.themes["dark_bg"])
    own = _numbas(errors.HighlightColorScheme, "_markup")
    for message in ("No implementation", "ünïcode: ∑", ""):
        for method in ("code", "errmsg", "filename", "indicate", "highlight", "reset"):
            color = getattr(scheme, "_" + method)
            assert getattr(scheme, method)(message) == own(scheme, message, color)
        assert scheme._markup(message, None, None) == own(scheme, message, None, None)


def test_functions_compile_and_fail_to_type_as_before():
    @njit
    def mixed(x, a):
        return (x + 1.5) * 2 - a * x, a < x

    scaled, below = mixed(2.0, np.arange(3.0))
    np.testing.assert_array_equal(scaled, [7.0, 5.0, 3.0])
    np.testing.assert_array_equal(below, [True, True, False])

    @njit
    def bad(x):
        return x + "text"

    with pytest.raises(TypingError, match="add"):
        bad(1.0)
