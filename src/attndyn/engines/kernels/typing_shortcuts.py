"""numba's type inference, the same answers with less work: three shortcuts for a cold compile.

A cold compile of the kernels spends most of its time in numba's Python code, and cProfile of
one (benchmarks/LOG.md, 2026-12-06) found three places where that code works for nothing:

- **Operators on scalars.** numba types ``a + b`` by trying every template registered for
  ``operator.add``; NumPy's (``npydecl.NumpyRulesArrayOperator``) searches the ufunc's loops
  for the operands' types, and only then refuses because no operand is an array. The kernels
  are nearly all scalar arithmetic, so that search ran about 12,800 times. Here the template
  refuses first when no operand (an optional one by its type) is an array: the answer it
  gave in the end, with none of the search.
- **Target options compared.** Each call of an ``@overload`` function looks its
  implementation up under the current target options, whose hash and comparison build a dict
  of all of them through a property per option (``TargetConfig.values``), about 60,000 times.
  Here two option sets with the same stored values are equal without that, the hash is
  computed as numba computes it (from the sorted option names: ``sorted`` of a dict sorts
  its keys) once per class, and ``values`` reads the stored values directly: the same
  answers.
- **Highlighted error text.** Each template that does not match records a message, and
  numba's colour scheme wraps ``sys.stdout`` and ``sys.stderr`` in colorama and unwraps them
  for every highlighted piece of it (about 25,000 times). Here the same text is built
  without the wrapping, which has no part in it.

:func:`install` (called by :func:`~attndyn.engines.kernels.caching.load_kernel` before the
first compile of a process, as :mod:`~attndyn.engines.kernels.inlining` is) makes the three
changes; each leaves numba as it is when numba no longer has what it replaces (a later
version). numba compiles the same code with them: the kernels' fields are byte for byte those
compiled without them (tests, and seven golden jobs in benchmarks/LOG.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba.core import errors, targetconfig, types
from numba.core.typing import npydecl


def _refusing_scalars(generic: Callable[..., Any]) -> Callable[..., Any]:
    """NumPy's operator template ``generic``, returning None at once when no argument (an
    optional one by the type it holds) is an array, as the template does after its search."""

    def generic_for_arrays(self: Any, args: tuple[Any, ...], kws: dict[str, Any]) -> Any:
        for arg in args:
            if isinstance(arg, types.Optional):
                arg = arg.type
            if isinstance(arg, types.ArrayCompatible):
                return generic(self, args, kws)
        return None

    generic_for_arrays.__wrapped__ = generic  # type: ignore[attr-defined]
    return generic_for_arrays


def _equal_when_stored_alike(eq: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``TargetConfig.__eq__``, true at once for two option sets of one class whose stored
    values are equal (every option then has the same value in both)."""

    def __eq__(self: Any, other: Any) -> Any:
        if type(self) is type(other) and self._values == other._values:
            return True
        return eq(self, other)

    __eq__.__wrapped__ = eq  # type: ignore[attr-defined]
    return __eq__


def _hash(self: Any) -> int:
    """``TargetConfig.__hash__``: numba's ``hash(tuple(sorted(self.values())))``, where sorting
    the dict sorts its keys, the class's option names; computed once per class."""
    cls = type(self)
    cached = cls.__dict__.get("_attndyn_hash")
    if cached is None:
        cached = hash(tuple(sorted(cls.options)))
        cls._attndyn_hash = cached
    return cached


def _values(self: Any) -> dict[str, Any]:
    """``TargetConfig.values``: each option's value, set or default, read directly (numba's
    reads each through its property, which returns exactly this)."""
    stored = self._values
    return {name: stored.get(name, option.default) for name, option in self.options.items()}


_BRIGHT = getattr(getattr(errors, "Style", None), "BRIGHT", "")
_RESET = getattr(getattr(errors, "Style", None), "RESET_ALL", "")


def _markup_without_wrapping(self: Any, msg: str, color: Any = None, style: Any = _BRIGHT) -> str:
    """numba's ``HighlightColorScheme._markup``: the colour and style codes, the message and
    the reset code, as that method joins them, without wrapping and unwrapping the standard
    streams in colorama around the joining."""
    features = (color or "") + (style or "")
    joined = features.encode("utf-8") + msg.encode("utf-8") + _RESET.encode("utf-8")
    return joined.decode("utf-8")


# What install replaced, by (class, attribute): numba's own, for comparison.
replaced: dict[tuple[type, str], Any] = {}


def _replace(owner: type, name: str, value: Any) -> None:
    """owner.name = value, the first replacement of each remembered in :data:`replaced`."""
    replaced.setdefault((owner, name), owner.__dict__[name])
    setattr(owner, name, value)


def install() -> None:
    """Make the three changes of the module docstring (idempotent; each one only where numba
    has what it replaces)."""
    operator_template = getattr(npydecl, "NumpyRulesArrayOperator", None)
    if operator_template is not None and "generic" in operator_template.__dict__:
        generic = replaced.get((operator_template, "generic"), operator_template.generic)
        _replace(operator_template, "generic", _refusing_scalars(generic))
    config = getattr(targetconfig, "TargetConfig", None)
    if config is not None and {"values", "__eq__", "__hash__"} <= set(config.__dict__):
        _replace(config, "values", _values)
        _replace(config, "__hash__", _hash)
        eq = replaced.get((config, "__eq__"), config.__eq__)
        _replace(config, "__eq__", _equal_when_stored_alike(eq))
    scheme = getattr(errors, "HighlightColorScheme", None)
    if scheme is not None and "_markup" in scheme.__dict__ and _RESET:
        _replace(scheme, "_markup", _markup_without_wrapping)
