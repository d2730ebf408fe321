"""renamed_copy: one source, several compiles, each with its own callees and cache files."""

from numba import njit

from attndyn.engines.kernels.targets import renamed_copy


def _apply(x):
    return STEP(x) + 1  # noqa: F821 (bound by renamed_copy)


def test_renamed_copy_binds_its_callee_and_its_name():
    double = njit(lambda x: 2 * x)
    square = njit(lambda x: x * x)
    by_two = njit(renamed_copy(_apply, "apply_double", STEP=double))
    by_square = njit(renamed_copy(_apply, "apply_square", STEP=square))
    assert (by_two(5), by_square(5)) == (11, 26)  # 2*5 + 1, 5*5 + 1
    assert by_two.py_func.__qualname__ == "apply_double"
    assert by_square.py_func.__name__ == "apply_square"
    assert "STEP" not in globals()  # the module's own globals are untouched
