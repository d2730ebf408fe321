import numpy as np

from attndyn.model.rng import open_unit_interval, philox4x32, seed_key

from helpers import PHILOX_KNOWN_ANSWERS as KAT


def test_philox_known_answers():
    for counter, key, expected in KAT:
        out = philox4x32(np.array(counter, dtype=np.uint64).reshape(4, 1), key)
        assert out.dtype == np.uint32
        assert tuple(int(v) for v in out[:, 0]) == expected


def test_philox_is_elementwise_over_counters():
    counters = np.array([c for c, _, _ in KAT[:1]] * 3 + [KAT[2][0]], dtype=np.uint64).T
    batch = philox4x32(counters, KAT[2][1])
    for index in range(counters.shape[1]):
        single = philox4x32(counters[:, index : index + 1], KAT[2][1])
        np.testing.assert_array_equal(batch[:, index], single[:, 0])


def test_seed_key_splits_low_and_high_words():
    assert seed_key(0x123456789ABCDEF0) == (0x9ABCDEF0, 0x12345678)
    assert seed_key(7) == (7, 0)


def test_uniforms_are_strictly_inside_the_unit_interval():
    words = np.array([0, 1, 2**31, 2**32 - 1], dtype=np.uint32)
    u = open_unit_interval(words)
    assert (u > 0).all() and (u < 1).all()
    assert u[0] == 0.5 / 2**32
