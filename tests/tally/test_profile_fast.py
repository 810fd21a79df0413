"""Profile.from_orders on many orders: the numpy merge must build exactly the profile the
Python path builds (same ballots in order of first appearance, same weights, same errors),
and the counts on it must give the same bytes."""

import importlib
import random

import numpy as np
import pytest

from govern.tally import Profile, ProfileError, TieBreak, irv, stv_scottish

profile_module = importlib.import_module("govern.tally.profile")
irv_module = importlib.import_module("govern.tally.irv")


def _names(n):
    return [f"c{i}" for i in range(n)]


def _python(monkeypatch, names, orders, **kw):
    """The profile as the pure-Python path builds it."""
    with monkeypatch.context() as m:
        m.setattr(profile_module, "MATRIX_MIN_BALLOTS", 10**12)
        return Profile.from_orders(names, orders, **kw)


def _numpy(monkeypatch, names, orders, threshold=1, **kw):
    with monkeypatch.context() as m:
        m.setattr(profile_module, "MATRIX_MIN_BALLOTS", threshold)
        return Profile.from_orders(names, orders, **kw)


def _orders(rng, n, count, *, pool=None, empty=True):
    if pool is not None:
        base = [rng.sample(range(n), n)[: rng.randint(0 if empty else 1, n)] for _ in range(pool)]
        return [list(rng.choice(base)) for _ in range(count)]
    return [rng.sample(range(n), n)[: rng.randint(0 if empty else 1, n)] for _ in range(count)]


def _expected_matrix(profile):
    n = len(profile.candidates)
    orders = profile.strict_orders()
    width = max(map(len, orders)) + 1
    return np.array([list(o) + [n] * (width - len(o)) for o in orders])


def _same(a, b):
    assert a == b and hash(a) == hash(b)
    assert list(a.ballots) == list(b.ballots) and a.weights == b.weights
    assert a.strict_orders() == b.strict_orders()
    assert a.total_weight == b.total_weight and a.digest() == b.digest()


@pytest.mark.parametrize("n", [1, 2, 5, 20, 31, 32, 40, 63, 64, 100, 126, 127, 200, 255])
def test_numpy_merge_builds_the_python_profile(monkeypatch, n):
    rng = random.Random(n)
    for pool in (None, 30, 400):
        orders = _orders(rng, n, 2500 if n <= 40 else 600, pool=pool)
        slow = _python(monkeypatch, _names(n), orders, seats=1)
        fast = _numpy(monkeypatch, _names(n), orders, seats=1)
        _same(fast, slow)
        matrix = fast.order_matrix()
        assert matrix is not None and not matrix.flags.writeable
        assert matrix.dtype == (np.int8 if n < 127 else np.int16)
        assert (matrix == _expected_matrix(slow)).all()
        assert list(fast.weight_array()) == list(slow.weights)
        assert irv(fast).to_json() == irv(slow).to_json()
        if n <= 40:
            assert stv_scottish(fast).to_json() == stv_scottish(slow).to_json()


def test_few_distinct_orders_make_a_small_profile_as_before(monkeypatch):
    rng = random.Random(2)
    orders = _orders(rng, 6, 5000, pool=50)
    slow = _python(monkeypatch, _names(6), orders)
    fast = _numpy(monkeypatch, _names(6), orders, threshold=2000)  # 5000 orders, < 2000 distinct
    _same(fast, slow)
    assert fast.order_matrix() is None and fast.__dict__["_orders"] == slow.__dict__["_orders"]
    assert type(fast.ballots) is tuple


def test_hash_collisions_cost_time_not_correctness(monkeypatch):
    rng = random.Random(3)
    orders = _orders(rng, 7, 4000, pool=1500)
    slow = _python(monkeypatch, _names(7), orders)
    for collide in (lambda words: np.zeros(len(words), dtype=np.uint64),
                    lambda words: (words[:, 0] & np.uint64(3)) << np.uint64(62),
                    lambda words: words[:, 0] * np.uint64(0x9E3779B97F4A7C15)):
        monkeypatch.setattr(profile_module, "_row_hashes", collide)
        fast = _numpy(monkeypatch, _names(7), orders)
        _same(fast, slow)
        assert irv(fast).to_json() == irv(slow).to_json()


def test_merge_rows_directly():
    rng = np.random.default_rng(5)
    for m in (1, 2, 3, 17, 1000):
        words = rng.integers(0, 3, size=(m, 2)).astype(np.uint64)
        firsts, counts = profile_module._merge_rows(words)
        seen = {}
        for i, row in enumerate(map(tuple, words.tolist())):
            seen.setdefault(row, [i, 0])[1] += 1
        assert firsts.tolist() == [f for f, _ in seen.values()]
        assert counts.tolist() == [c for _, c in seen.values()]


@pytest.mark.parametrize("bad", [[0, 0, 1], [1, 2, 1], [0, 5], [5], [-1, 2], [0.5, 1], [1.0], ["a"], "ab",
                                 [0, 300], [0] * 300, [1] * 1000, None, [None]])
def test_bad_orders_give_the_python_error(monkeypatch, bad):
    rng = random.Random(4)
    names = _names(5)
    for at in (0, 2500, 4999):
        orders = _orders(rng, 5, 5000)
        orders.insert(at, bad)
        try:
            slow = _python(monkeypatch, names, orders)
        except (ProfileError, TypeError) as exc:
            with pytest.raises(type(exc)) as fast:
                _numpy(monkeypatch, names, orders)
            # the Python path's own words (a large box names no order, as before)
            assert str(fast.value).split(":")[0] == str(exc).split(":")[0]
        else:  # e.g. [1.0] after [1]: merged into it, as the Python path does
            _same(_numpy(monkeypatch, names, orders), slow)


def test_other_kinds_of_rows_and_iterables(monkeypatch):
    rng = random.Random(6)
    orders = _orders(rng, 9, 3000)
    slow = _python(monkeypatch, _names(9), orders)
    for rows in (
        [tuple(o) for o in orders],
        (list(o) for o in orders),  # a generator, read once
        [np.array(o, dtype=np.int64) for o in orders],
        [bytes(o) for o in orders],
        [range(0) if not o else o for o in orders],
    ):
        fast = _numpy(monkeypatch, _names(9), rows)
        _same(fast, slow)
    # bools and numpy integers count as the indices they equal, as in the Python path
    mixed = [[bool(c) if c < 2 else np.int16(c) for c in o] for o in orders]
    _same(_numpy(monkeypatch, _names(9), mixed), slow)


def test_counts_do_not_depend_on_the_order_of_ballots(monkeypatch):
    rng = random.Random(7)
    orders = _orders(rng, 9, 6000, empty=False)
    a = _numpy(monkeypatch, _names(9), orders, threshold=2000)
    assert a.order_matrix() is not None
    rng.shuffle(orders)
    b = _numpy(monkeypatch, _names(9), orders, threshold=2000)
    assert a.digest() == b.digest()
    for tb in (TieBreak(), TieBreak("s")):
        assert irv(a, tie_break=tb).to_json() == irv(b, tie_break=tb).to_json()
        monkeypatch.setattr(irv_module, "NUMPY_MIN_BALLOTS", 10**12)
        assert irv(a, tie_break=tb).to_json() == irv(b, tie_break=tb).to_json()
        monkeypatch.undo()


def test_weights_and_withdrawn_still_take_their_paths(monkeypatch):
    rng = random.Random(8)
    orders = _orders(rng, 6, 3000)
    weights = [rng.randint(1, 4) for _ in orders]
    slow = _python(monkeypatch, _names(6), orders, weights=weights)
    fast = _numpy(monkeypatch, _names(6), orders, weights=weights)
    _same(fast, slow)
    assert fast.weight_array() is None
    assert irv(fast).to_json() == irv(slow).to_json()


def test_boxes_of_few_distinct_ballots_merge_alike_either_way(monkeypatch):
    monkeypatch.setattr(profile_module, "MERGE_SAMPLE", 2000)
    monkeypatch.setattr(profile_module, "MATRIX_MIN_BALLOTS", 100)
    rng = random.Random(9)
    for pool, dict_path in ((150, True), (50, True), (None, False)):
        orders = _orders(rng, 12, 20_000, pool=pool, empty=False)
        assert profile_module._few_distinct(orders) is dict_path
        usual = Profile.from_orders(_names(12), orders)
        with monkeypatch.context() as m:
            m.setattr(profile_module, "_few_distinct", lambda orders: False)
            forced = Profile.from_orders(_names(12), orders)
        _same(usual, forced)
        assert (usual.order_matrix() is None) is (forced.order_matrix() is None) is (pool == 50)
        if pool != 50:
            assert (usual.order_matrix() == forced.order_matrix()).all()
        assert irv(usual).to_json() == irv(forced).to_json()
