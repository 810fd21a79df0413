"""Our canonical bytes are RFC 8785 (JCS) bytes on the allowed subset, and nothing else gets in."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.audit.canonical import MAX_SAFE_INTEGER, NotCanonical, decode, encode, is_canonical

safe_ints = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
# Any Unicode scalar value (no lone surrogates: they have no UTF-8 form).
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
values = st.recursive(
    st.none() | st.booleans() | safe_ints | texts,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=250, deadline=None)
@given(values)
def test_same_bytes_as_rfc8785(value):
    data = encode(value)
    assert data == rfc8785.dumps(value)
    assert decode(data) == value
    assert is_canonical(data)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(texts, safe_ints, min_size=2, max_size=6))
def test_any_other_key_order_is_refused(obj):
    data = encode(obj)
    shuffled = json.dumps(dict(reversed(list(json.loads(data).items()))), ensure_ascii=False, separators=(",", ":"))
    if shuffled.encode() != data:
        assert not is_canonical(shuffled.encode())


def test_keys_sort_by_utf16_code_units_not_code_points():
    # U+FFFF sorts after U+1F600 in UTF-16 (0xD83D < 0xFFFF) but before it by code point.
    value = {"\uffff": 1, "\U0001f600": 2}
    assert encode(value) == rfc8785.dumps(value)
    assert encode(value).startswith('{"\U0001f600"'.encode())


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        0.0,
        float("nan"),
        float("inf"),
        -float("inf"),
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        2**64,
        {1: "x"},
        {("a",): 1},
        {"a": [1, 2.0]},
        {"a": {"b": float("nan")}},
        b"bytes",
        {"a": {1, 2}},
        "\ud800",
    ],
)
def test_values_outside_the_subset_are_refused(value):
    with pytest.raises(NotCanonical):
        encode(value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_every_float_is_refused(x):
    with pytest.raises(NotCanonical):
        encode({"x": x})


@given(st.integers(min_value=MAX_SAFE_INTEGER + 1) | st.integers(max_value=-MAX_SAFE_INTEGER - 1))
def test_every_unsafe_integer_is_refused(i):
    with pytest.raises(NotCanonical):
        encode([i])


def test_safe_integer_bounds_are_allowed():
    assert encode([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',
        b'{"b":1,"a":2}',
        b'{"a":1,"a":1}',
        b'{"a":1.0}',
        b'{"a":1e2}',
        b'{"a":-0}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":9007199254740992}',
        b'{"a":"\\u0041"}',
        b'{"a":"\\/"}',
        b'{"a":"\\u00e9"}',
        b'{"a":"\\u001F"}',
        b'{"a":"\\ud800"}',
        b'{"a":1}\n',
        b"\xef\xbb\xbf{}",
        b'{"a":"\xff"}',
        b'{"a":"\xed\xa0\x80"}',
        b"",
        b"[1,]",
    ],
)
def test_non_canonical_bytes_are_refused(data):
    with pytest.raises(NotCanonical):
        decode(data)
