import numpy as np
import pytest

from attndyn import Job, LandscapeSpec, UserError
from attndyn.model.job import check_x0, load_x0, x0_digest

SPEC = LandscapeSpec(wq=(1, 0, 0, 1), wv=(1, 0, 0, 1), width=4, height=3, n_points=5)


def unit(shape, seed=0):
    points = np.random.default_rng(seed).standard_normal((*shape, 2))
    return points / np.linalg.norm(points, axis=-1, keepdims=True)


@pytest.mark.parametrize("shape", [(5,), (5, 3), (2, 5, 2), (1, 1, 1, 5, 2), (0, 2)])
def test_wrong_shapes_are_refused(shape):
    with pytest.raises(UserError, match=r"allowed shapes are \(n, 2\) or \(H, W, n, 2\)"):
        check_x0(np.ones(shape), normalize=False)


def test_rows_that_are_not_unit_are_refused_or_normalised():
    x0 = unit((5,))
    x0[3] *= 1.5
    with pytest.raises(UserError, match=r"row \(3,\) has norm 1.5.*--normalize-x0"):
        check_x0(x0, normalize=False)
    fixed = check_x0(x0, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(fixed, axis=-1), 1.0, rtol=1e-15)


def test_zero_and_non_finite_rows_are_refused_even_when_normalising():
    x0 = unit((5,))
    x0[2] = 0
    with pytest.raises(UserError, match=r"row \(2,\) is zero"):
        check_x0(x0, normalize=True)
    x0[2] = np.nan
    with pytest.raises(UserError, match="non-finite"):
        check_x0(x0, normalize=True)


def test_load_x0_reports_missing_and_foreign_files(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_x0(tmp_path / "none.npy", normalize=False)
    (tmp_path / "text.npy").write_text("hello")
    with pytest.raises(UserError, match=r"not a readable \.npy"):
        load_x0(tmp_path / "text.npy", normalize=False)


def test_per_pixel_x0_is_indexed_row_then_column():
    x0 = unit((3, 4, 5))
    job = Job.with_x0(SPEC, x0)
    assert job.spec.init == "file" and job.spec.x0_per_pixel
    np.testing.assert_array_equal(
        job.initial_points(np.array([2]), np.array([1])), x0[2:3, 1].astype(np.float32)
    )


def test_x0_must_match_the_recorded_digest_and_shape():
    x0 = unit((5,))
    job = Job.with_x0(SPEC, x0)
    assert job.spec.x0_sha256 == x0_digest(x0)
    with pytest.raises(UserError, match="does not match the sha256"):
        Job(job.spec, unit((5,), seed=1))


def test_shared_init_gives_every_pixel_the_same_points():
    job = Job(LandscapeSpec(**{**SPEC.__dict__, "init": "shared"}))
    points = job.initial_points(np.array([0, 2]), np.array([3, 1]))
    np.testing.assert_array_equal(points[0], points[1])


def test_x0_is_checked_and_hashed_once(monkeypatch):
    # load_x0 (or check_x0) checks; Job.with_x0 and the jobs of other samples reuse that
    # check and hash the array once.
    import attndyn.model.job as job_module

    x0 = unit((3, 4, 5))
    checked = check_x0(x0, normalize=False)
    assert checked is not x0 and not checked.flags.writeable  # read-only: stays checked
    assert check_x0(checked, normalize=False) is checked
    hashes = []
    real = job_module.hashlib.sha256
    monkeypatch.setattr(job_module.hashlib, "sha256", lambda data: hashes.append(1) or real(data))
    job = Job.with_x0(SPEC, checked)
    for sample in (1, 2, 3):
        assert job.for_sample(sample).x0 is checked
    assert len(hashes) == 1
    assert job.spec.x0_sha256 == x0_digest(x0)  # an unchecked copy is hashed anew
    assert len(hashes) == 2


def test_normalizing_a_checked_array_normalizes_it():
    x0 = unit((5,))
    x0[1] *= 1 + 5e-6  # within the tolerance: accepted as it is
    checked = check_x0(x0, normalize=False)
    assert checked[1, 0] == x0[1, 0]
    normalized = check_x0(checked, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(normalized, axis=-1), 1.0, rtol=1e-15)


def test_a_job_names_where_its_points_come_from():
    from attndyn.model.job import PointMode

    shared = Job(LandscapeSpec(**{**SPEC.__dict__, "init": "shared"})).for_sample(2)
    assert shared.point_mode is PointMode.SHARED
    np.testing.assert_array_equal(
        shared.shared_configuration(), shared.initial_points(np.array([1]), np.array([2]))[0]
    )
    assert Job(SPEC).point_mode is PointMode.INDEPENDENT
    with pytest.raises(ValueError, match="independent has no shared points"):
        Job(SPEC).shared_configuration()
    one = unit((5,))
    from_file = Job.with_x0(SPEC, one)
    assert from_file.point_mode is PointMode.SHARED
    np.testing.assert_array_equal(from_file.shared_configuration(), one.astype(np.float32))
    assert Job.with_x0(SPEC, unit((3, 4, 5))).point_mode is PointMode.PER_PIXEL


# -- the grid: the spec's own, or a tile of the quadtree over it ---------------------------
from dataclasses import replace  # noqa: E402
from fractions import Fraction  # noqa: E402

from attndyn.model.initial import pixel_points  # noqa: E402
from attndyn.model.tiles import ROOT, TileAddress, tile_seed  # noqa: E402


def test_the_root_tile_is_the_specs_own_grid():
    spec = replace(SPEC, seed=77)
    job = Job(spec, address=ROOT)
    assert job.address is None and job == Job(spec)
    np.testing.assert_array_equal(job.x_values(), spec.x_values())
    np.testing.assert_array_equal(job.y_values(), spec.y_values())
    assert job.points_seed == 77


def test_a_tiles_values_are_its_exact_pixel_centres():
    # x: -8..8 over 4 pixels, so pixel width p = 16/3 and the base tile starts at -8 - p/2;
    # y: 1..2 over 3 pixels, p = 1/2, from 3/4. Tile (2, 1, 3): columns 4..7, rows 9..11 of
    # zoom 2, where a pixel is p / 4 wide.
    spec = replace(SPEC, y_range=(1.0, 2.0), dtype="float64")
    job = Job(spec, address=TileAddress(2, 1, 3))
    px, py = Fraction(16, 3), Fraction(1, 2)
    x = [float(-8 - px / 2 + (u + Fraction(1, 2)) * px / 4) for u in range(4, 8)]
    y = [float(1 - py / 2 + (v + Fraction(1, 2)) * py / 4) for v in range(9, 12)]
    np.testing.assert_array_equal(job.x_values(), x)
    np.testing.assert_array_equal(job.y_values(), y)
    assert job.x_values().dtype == np.float64
    assert Job(replace(spec, dtype="float32"), address=job.address).x_values().dtype == np.float32


def test_a_tiles_independent_points_follow_its_seed_inside_the_tile():
    address = TileAddress(5, -3, 17)
    job = Job(replace(SPEC, seed=12345), sample=1, address=address)
    assert job.points_seed == tile_seed(12345, address) != 12345
    rows, cols = np.array([0, 2, 1]), np.array([3, 0, 1])
    expected = pixel_points(tile_seed(12345, address), rows, cols, 5, sample=1)
    np.testing.assert_array_equal(job.initial_points(rows, cols), expected)
    assert job.for_sample(2).address == address  # samples keep the tile
    shared = Job(replace(SPEC, init="shared", seed=12345), address=address)
    np.testing.assert_array_equal(  # one configuration for the whole plane
        shared.initial_points(rows, cols), Job(shared.spec).initial_points(rows, cols)
    )


def test_a_tile_deeper_than_the_precision_is_refused_in_one_line():
    # The top-right tile's pixels lie near 10.7, where a float32 ulp is 2**-20 ~ 9.5e-7: at
    # zoom 24 pixels (16/3) / 2**24 ~ 3.2e-7 apart collide.
    deep = TileAddress(24, 2**24 - 1, 2**24 - 1)
    with pytest.raises(UserError, match=r"too deep for float32.*use float64") as caught:
        Job(SPEC, address=deep)
    assert "\n" not in str(caught.value)
    Job(replace(SPEC, dtype="float64"), address=deep)  # float64 still resolves it
    # float64's ulp there is 2**-49 ~ 1.8e-15; at zoom 52 pixels are ~1.2e-15 apart.
    deeper = TileAddress(52, 2**52 - 1, 2**52 - 1)
    with pytest.raises(UserError, match=r"too deep for float64.*float64's limit"):
        Job(replace(SPEC, dtype="float64"), address=deeper)


def test_per_pixel_points_cover_the_specs_grid_only():
    x0 = unit((3, 4, 5))
    job = Job.with_x0(SPEC, x0)
    with pytest.raises(UserError, match="per-pixel x0 points cover the spec's own grid only"):
        job.for_tile(TileAddress(1, 0, 0))
