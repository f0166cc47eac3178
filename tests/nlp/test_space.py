"""The vectorised hash table behind the serving feature lookup."""

from __future__ import annotations

import numpy as np

from nlp.models.space import IntTable


def test_int_table_finds_every_key_in_any_input_order() -> None:
    rng = np.random.RandomState(0)
    keys = np.unique(rng.randint(1, 1 << 62, 20_000, dtype=np.int64))
    values = rng.permutation(len(keys)).astype(np.int64)
    absent = np.setdiff1d(rng.randint(1, 1 << 62, 5_000, dtype=np.int64), keys)
    order = IntTable.order(keys)
    for ks, vs in ((keys, values), (keys[order], values[order]), (keys[::-1], values[::-1])):
        table = IntTable(ks, vs)
        np.testing.assert_array_equal(table.get(keys), values)
        assert (table.get(absent) == -1).all()


def test_int_table_keys_crowding_the_last_slots_wrap_around() -> None:
    rng = np.random.RandomState(1)
    pool = np.unique(rng.randint(1, 1 << 62, 200_000, dtype=np.int64))
    n = 12
    size = len(IntTable(pool[:n], np.arange(n, dtype=np.int64)).keys)  # the table size for n keys
    homes = IntTable._slots(pool, int(size).bit_length() - 1)
    crowd = pool[homes == size - 1][:n]  # all want the very last slot
    assert len(crowd) == n
    table = IntTable(crowd, np.arange(n, dtype=np.int64))
    np.testing.assert_array_equal(table.get(crowd), np.arange(n))
    assert table.keys[0] != -1  # some of them wrapped to the start
