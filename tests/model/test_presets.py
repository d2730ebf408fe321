import pytest

from attndyn import UserError
from attndyn.model.presets import builtin_presets, get_preset, load_presets

from appendix_a import APPENDIX_B


def test_the_seed_gallery_holds_the_appendix_b_matrices():
    presets = builtin_presets()
    assert next(iter(presets)) == "seed1-identity"
    identity = presets["seed1-identity"].spec()
    assert identity.wq == identity.wv == (1.0, 0.0, 0.0, 1.0)
    assert "W_Q = W_V = I" in presets["seed1-identity"].caption
    for seed, (wq, wv) in APPENDIX_B.items():
        spec = presets[f"art{seed}"].spec(init="shared")
        assert spec.wq == wq and spec.wv == wv and spec.seed == seed
        assert spec.init == "shared" and (spec.x_param, spec.y_param) == ("wk11", "wk00")


def test_user_files_add_and_replace_presets(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[dusk]\ncaption = "mine"\nwq = [0.5, 0, 0, 0.5]\nwv = [1, 2, 3, 4]\n'
        "steps = 40\nx_range = [-2, 2]\n"
        '[art1679700]\ncaption = "replaced"\nwq = [1, 0, 0, 1]\nwv = [1, 0, 0, 1]\n'
    )
    presets = load_presets([mine])
    spec = presets["dusk"].spec(width=8)
    assert (spec.steps, spec.x_range, spec.width) == (40, (-2.0, 2.0), 8)
    assert presets["art1679700"].caption == "replaced"
    assert "art5227590" in presets


def test_bad_presets_are_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[x]\nwq = [1, 0, 0, 1]\nwv = [1, 0, 0, 1]\ncolour = "red"\n')
    with pytest.raises(UserError, match=r"preset 'x' .* unknown keys \['colour'\]"):
        load_presets([bad])
    bad.write_text("[x\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_presets([bad])
    with pytest.raises(UserError, match="cannot read presets file"):
        load_presets([tmp_path / "none.toml"])
    with pytest.raises(UserError, match="preset 'nope' is unknown; choose one of seed1-identity"):
        get_preset("nope", builtin_presets())


def test_the_gallery_is_every_preset_in_every_init_at_one_size(tmp_path):
    from attndyn.model.errors import FieldError
    from attndyn.model.presets import gallery_pictures

    presets = builtin_presets()
    pictures = gallery_pictures(presets, (30, 20))
    assert [p.name for p in pictures[:2]] == ["seed1-identity-independent", "seed1-identity-shared"]
    assert len(pictures) == 2 * len(presets)
    one = pictures[3]
    assert one.spec == presets[one.preset.name].spec(width=30, height=20, init=one.init)
    chosen = gallery_pictures(presets, (8, 8), only=["art1679700"], inits=["shared"])
    assert [p.name for p in chosen] == ["art1679700-shared"]
    with pytest.raises(FieldError) as error:
        gallery_pictures(presets, (8, 8), inits=["both"])
    assert error.value.spelled(lambda n: "--" + n) == (
        "--init holds 'both'; choose from independent, shared"
    )


def test_a_bad_value_in_a_presets_file_names_the_preset(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[x]\nwq = [1, 0, 0, 1]\nwv = [1, 0, 0, 1]\nn_points = 0\n")
    with pytest.raises(UserError, match=r"^preset 'x' in '.*bad.toml': n_points 0 is too small"):
        load_presets([bad])
