import pytest

from attndyn import LandscapeSpec, UserError
from attndyn.engines.numpy_ref import NumpyReferenceEngine
from attndyn.rendering.estimate import estimate_cost, refuse_if_huge

IDENTITY = (1, 0, 0, 1)


def test_cost_grows_with_pixels_points_and_steps():
    engine = NumpyReferenceEngine()
    base = estimate_cost(LandscapeSpec(wq=IDENTITY, wv=IDENTITY, width=100, height=100), engine)
    wide = estimate_cost(LandscapeSpec(wq=IDENTITY, wv=IDENTITY, width=200, height=100), engine)
    longer = estimate_cost(
        LandscapeSpec(wq=IDENTITY, wv=IDENTITY, width=100, height=100, steps=200), engine
    )
    assert wide.seconds == pytest.approx(2 * base.seconds)
    assert longer.seconds == pytest.approx(2 * base.seconds)
    assert wide.bytes > base.bytes


def test_huge_jobs_are_refused_unless_forced():
    spec = LandscapeSpec(wq=IDENTITY, wv=IDENTITY, width=100_000, height=100_000)
    cost = estimate_cost(spec, NumpyReferenceEngine())
    with pytest.raises(UserError, match="pass --force"):
        refuse_if_huge(cost, force=False)
    refuse_if_huge(cost, force=True)
