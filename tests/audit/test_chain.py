"""Replaying the hash chain: every kind of break is named at its first bad seq; the fast path agrees with the full parse."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.audit import chain, canonical
from govern.audit.chain import GENESIS_PREV, ChainError, entry_body, replay
from govern.audit.merkle import leaf_hash


def make_chain(datas, *, start=1, prev=GENESIS_PREV):
    bodies = []
    for i, data in enumerate(datas, start=start):
        body = entry_body(
            seq=i, prev=prev, ts=f"2026-11-27T12:{i % 60:02d}:00.{i:06d}Z", actor=f"account:{i % 5}",
            type="member.approved", subject=f"member:{i}", data=data,
        )
        bodies.append(body)
        prev = leaf_hash(body).hex()
    return bodies


ODD_DATA = [
    {},
    {"note": 'she said "yes"\n'},  # escapes: full parse
    {"naam": "Zeeheldenbuurt café"},  # non-ASCII value: fast path
    {"café": 1},  # non-ASCII key: full parse
    {"params": {"seats": 3}, "winners": ["a", "b"]},  # nested object: full parse
    {"big": 2**53 - 1, "neg": -(2**53 - 1), "zero": 0},  # 16-digit numbers: full parse
    {f"k{i:02d}": i for i in range(12)},  # more keys than the fast grammar takes
    {"list": [], "flag": True, "none": None, "t": False},
    {"": "empty key", "a": "x,\"y\":1"},
]


def test_replay_returns_entry_hashes():
    bodies = make_chain([{"i": i} for i in range(2500)] + ODD_DATA)
    assert replay(bodies) == [leaf_hash(b) for b in bodies]
    assert replay([]) == []


def test_replay_can_continue_from_a_known_entry():
    bodies = make_chain([{"i": i} for i in range(10)])
    hashes = replay(bodies)
    assert replay(bodies[4:], start_seq=5, prev=hashes[3].hex()) == hashes[4:]


def test_entry_body_is_canonical_and_refuses_bad_fields():
    body = make_chain([{"amount_cents": 1250}])[0]
    assert canonical.decode(body)["data"] == {"amount_cents": 1250}
    assert chain.parse_entry(body).seq == 1
    for bad in [dict(seq=0), dict(prev="abc"), dict(ts="2026-11-27 12:00:00"), dict(type="")]:
        args = dict(seq=1, prev=GENESIS_PREV, ts="2026-11-27T12:00:00.000000Z", type="x") | bad
        with pytest.raises(ValueError):
            entry_body(**args)
    with pytest.raises(canonical.NotCanonical):
        entry_body(seq=1, prev=GENESIS_PREV, ts="2026-11-27T12:00:00.000000Z", type="x", data={"x": 0.5})


def _break(bodies, position, fn):
    bodies = list(bodies)
    bodies[position - 1] = fn(bodies[position - 1])
    return bodies


def _reserialize(body, **changes):
    value = json.loads(body)
    value.update(changes)
    return canonical.encode(value)


def _edit(body, **data):
    value = json.loads(body)
    value["data"].update(data)
    return canonical.encode(value)


@pytest.mark.parametrize("n", [5, 3000])  # inside one fast chunk, and across chunks
def test_each_break_is_named_at_the_first_bad_seq(n):
    bodies = make_chain([{"i": i, "tier": "member"} for i in range(n)])
    k = n - 2
    cases = {
        "changed row": (_break(bodies, k, lambda b: _edit(b, tier="board")), k + 1, "prev does not match"),
        "deleted row": (bodies[: k - 1] + bodies[k:], k, "seq is"),
        "reordered": (bodies[: k - 1] + [bodies[k], bodies[k - 1]] + bodies[k + 1 :], k, "seq is"),
        "duplicated": (bodies[:k] + [bodies[k - 1]] + bodies[k:], k + 1, "seq is"),
        "spaces": (_break(bodies, k, lambda b: b.replace(b",", b", ", 1)), k, "not canonical"),
        "key order": (_break(bodies, k, lambda b: json.dumps(json.loads(b)).encode()), k, "not canonical"),
        "escaped letter": (_break(bodies, k, lambda b: b.replace(b"member", b"\\u006dember", 1)), k, "not canonical"),
        "float": (_break(bodies, k, lambda b: b.replace(b'"v":1}', b'"v":1.0}')), k, "floats"),
        "version": (_break(bodies, k, lambda b: _reserialize(b, v=2)), k, "version"),
        "bool seq": (_break(bodies, k, lambda b: _reserialize(b, seq=True)), k, "seq"),
        "missing field": (_break(bodies, k, lambda b: canonical.encode({x: y for x, y in json.loads(b).items() if x != "actor"})), k, "wrong fields"),
        "extra field": (_break(bodies, k, lambda b: _reserialize(b, extra=1)), k, "wrong fields"),
        "bad ts": (_break(bodies, k, lambda b: _reserialize(b, ts="yesterday")), k, "ts"),
        "not json": (_break(bodies, k, lambda b: b[:-1]), k, "not canonical"),
        "bad utf-8": (_break(bodies, k, lambda b: b.replace(b"member", b"memb\xffr", 1)), k, "UTF-8"),
        "newline": (_break(bodies, k, lambda b: b + b"\n"), k, "not canonical"),
        "first prev": (_break(bodies, 1, lambda b: _reserialize(b, prev="1" * 64)), 1, "prev"),
        "wrong first seq": (bodies[1:], 1, "seq is 2"),
    }
    for name, (broken, seq, reason) in cases.items():
        with pytest.raises(ChainError) as caught:
            replay(broken)
        assert caught.value.seq == seq, name
        assert reason in caught.value.reason, (name, caught.value.reason)


# Bytes a mutation may insert: JSON structure, escapes, digits, spaces, non-ASCII, controls.
_MUTATION_BYTES = list(b'"\\,:{}[]0159-.eE tfn\n\x00\x7f') + [0xC3, 0xA9, 0xFF, 0xED]


def _fast_accepts(body: bytes) -> bool:
    return chain._fast_chunk([body], 1, bytes(32)) is not None


def _slow_accepts(body: bytes) -> bool:
    try:
        chain._check_slow(body, 1, GENESIS_PREV)
    except ChainError:
        return False
    return True


json_scalars = st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(max_size=6)
data_objects = st.dictionaries(
    st.text(max_size=4),
    json_scalars | st.lists(json_scalars, max_size=3) | st.dictionaries(st.text(max_size=2), json_scalars, max_size=2),
    max_size=10,
)


@settings(max_examples=300, deadline=None)
@given(data_objects, st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(_MUTATION_BYTES), st.sampled_from("rid")), max_size=3))
def test_fast_path_never_accepts_what_the_full_parse_refuses(data, mutations):
    body = bytearray(make_chain([data])[0])
    assert _slow_accepts(bytes(body))
    for pos, byte, how in mutations:
        pos %= len(body)
        if how == "r":
            body[pos] = byte
        elif how == "i":
            body.insert(pos, byte)
        else:
            del body[pos]
    body = bytes(body)
    if _fast_accepts(body):
        assert _slow_accepts(body), body
    # And replay (whichever path it takes) agrees with the full parse.
    try:
        replay([body])
        accepted = True
    except ChainError:
        accepted = False
    assert accepted == _slow_accepts(body), body


def test_fast_path_takes_the_common_shapes():
    for data in [{"a": 1}, {"amount_cents": 1250, "round": "2027", "tags": ["x", 2, None]}, {"naam": "café"}]:
        assert _fast_accepts(make_chain([data])[0])


def test_replay_in_several_processes_gives_the_same_hashes_and_errors():
    bodies = make_chain([{"i": i} for i in range(9000)])
    hashes = replay(bodies, workers=1)
    assert replay(bodies, workers=3) == hashes
    step = 3072  # 9000 / 3 rounded up to whole chunks: segments start at 3072 and 6144
    for position in (3072, 3073, 6145):
        for broken in (
            _break(bodies, position, lambda b: _edit(b, i=-1)),
            bodies[: position - 1] + bodies[position:],
        ):
            with pytest.raises(ChainError) as one:
                replay(broken, workers=1)
            with pytest.raises(ChainError) as many:
                replay(broken, workers=3)
            assert (many.value.seq, many.value.reason) == (one.value.seq, one.value.reason), position
    assert step % chain.CHUNK == 0


def test_merkle_root_in_several_processes_is_the_same():
    from govern.audit.merkle import root

    hashes = replay(make_chain([{"i": i} for i in range(3000)]))
    for n in (1, 2, 3, 5, 1024, 1025, 2047, 3000):
        assert root(hashes[:n], workers=3) == root(hashes[:n], workers=1), n


def test_a_learned_shape_still_refuses_an_empty_type():
    # The replay compiles a faster pattern for each body shape it has checked once; that pattern
    # must refuse what the full parse refuses, e.g. an empty type, deep inside a known chunk.
    bodies = make_chain([{"a": i} for i in range(3000)])
    replay(bodies)  # the shape is learned
    broken = _break(bodies, 2000, lambda body: _reserialize(body, type=""))
    with pytest.raises(ChainError) as info:
        replay(broken)
    assert info.value.seq == 2000 and "type" in str(info.value)
