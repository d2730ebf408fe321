"""The engine registry (attndyn.engines): a table of engines, and get_engine's choices."""

import pytest

from attndyn.engines import DEVICES, ENGINES, engine_names, get_engine
from attndyn.model.errors import UserError


def test_the_table_names_every_engine_and_the_devices_it_runs_on():
    assert engine_names() == ("auto", "numpy", "numba", "torch", "cuda")
    assert tuple(ENGINES) == engine_names()[1:]
    for entry in ENGINES.values():
        assert entry.summary and set(entry.devices) <= set(DEVICES) - {"auto"}
        assert entry.wrong_device or set(entry.devices) == {"cpu", "cuda"}
    assert ENGINES["cuda"].devices == ("cuda",) and ENGINES["numba"].devices == ("cpu",)


def test_auto_is_the_numba_engine_on_the_cpu():
    assert get_engine("auto").name == "numba"
    assert get_engine("auto", "cpu").name == "numba"
    assert get_engine("numpy", "cpu").name == "numpy"


@pytest.mark.parametrize(
    ("name", "device", "message"),
    [
        (
            "numba",
            "cuda",
            "engine 'numba' runs on the CPU only; for --device cuda use --engine "
            "cuda or --engine torch",
        ),
        (
            "numpy",
            "cuda",
            "engine 'numpy' runs on the CPU only; for --device cuda use --engine "
            "cuda or --engine torch",
        ),
        ("cuda", "cpu", "engine 'cuda' runs on --device cuda only; for the CPU use numba"),
        ("numba", "tpu", "device 'tpu' is unknown; choose one of auto, cpu, cuda"),
        ("jax", "auto", "engine 'jax' is unknown; choose one of auto, numpy, numba, torch, cuda"),
    ],
)
def test_wrong_choices_are_one_line_user_errors(name, device, message):
    with pytest.raises(UserError) as error:
        get_engine(name, device)
    assert str(error.value) == message
