"""The byte-bounded LRU cache."""

from __future__ import annotations

import numpy as np

from attndyn.explorer.cache import ByteCache, fields_bytes
from attndyn.model.fields import Fields


def test_total_stays_within_the_budget_and_the_oldest_goes_first():
    cache: ByteCache[bytes] = ByteCache(10, len)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recent
    cache.put("c", b"1234")  # 12 bytes: b, the least recently used, goes
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.bytes == 8 <= cache.max_bytes


def test_an_entry_larger_than_the_budget_is_not_kept():
    cache: ByteCache[bytes] = ByteCache(3, len)
    cache.put("big", b"1234")
    assert len(cache) == 0 and cache.bytes == 0


def test_replacing_an_entry_counts_its_new_size():
    cache: ByteCache[bytes] = ByteCache(10, len)
    cache.put("a", b"12345678")
    cache.put("a", b"12")
    assert cache.bytes == 2


def test_fields_bytes_counts_every_array():
    fields = Fields.empty(4, 8)
    assert fields_bytes(fields) == 4 * 8 * (4 + 1 + 4 + 2)
    fields.probability = np.zeros((4, 8), np.float32)
    assert fields_bytes(fields) == 4 * 8 * (4 + 1 + 4 + 2 + 4)
