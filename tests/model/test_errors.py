import pickle

from attndyn.model.errors import FieldError, UserError


def error():
    return FieldError(lambda n: f"{n('n_points')} 0 is too small; {n('x_param')} is fine")


def test_a_field_error_is_a_user_error_with_plain_names():
    assert isinstance(error(), UserError)
    assert str(error()) == "n_points 0 is too small; x_param is fine"


def test_front_ends_spell_the_names_their_way():
    assert error().spelled(str.upper) == "N_POINTS 0 is too small; X_PARAM is fine"
    renamed = error().renamed({"n_points": "points"})
    assert str(renamed) == "points 0 is too small; x_param is fine"
    assert renamed.spelled(lambda name: f"--{name}") == "--points 0 is too small; --x_param is fine"


def test_the_message_survives_pickling():
    again = pickle.loads(pickle.dumps(error()))
    assert isinstance(again, UserError) and str(again) == str(error())
