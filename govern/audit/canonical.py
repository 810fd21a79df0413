"""Canonical bytes of an audit entry body.

The subset of JSON we allow (objects with string keys, arrays, strings, integers
within ±(2^53−1), true, false, null; no floats) serializes to exactly the bytes
RFC 8785 (JCS) gives for it, so any JCS implementation can check our hashes:
compact separators, UTF-8 without escaping non-ASCII, the short escapes JSON
requires and nothing else, and object keys sorted by their UTF-16 code units
(JCS's order; it differs from code-point order only when a key mixes characters
above U+FFFF with characters in U+E000..U+FFFF). Values outside the subset are
refused rather than silently rounded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1

# C-accelerated encoder; key order is arranged by _ordered() beforehand, because
# json's sort_keys sorts by code point, not by UTF-16 code unit as JCS does.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=False)


class NotCanonical(ValueError):
    """The value cannot be put on the record as it is (a float, a huge integer, a bad key)."""


def _utf16_key(item: tuple[str, Any]) -> bytes:
    return item[0].encode("utf-16-be", "surrogatepass")


def _ordered(value: Any, path: str) -> Any:
    """Check ``value`` is in the subset and return a copy whose objects are in JCS key order."""
    if value is None or value is True or value is False or isinstance(value, str):
        return value
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise NotCanonical(f"{path}: integer {value} is outside ±(2^53−1)")
        return int(value)  # an int subclass (an IntEnum) would otherwise print its own way
    if isinstance(value, float):
        raise NotCanonical(f"{path}: floats are not allowed on the record ({value!r}); use integers")
    if isinstance(value, Mapping):
        items = list(value.items())
        for key, _ in items:
            if not isinstance(key, str):
                raise NotCanonical(f"{path}: object key {key!r} is not a string")
        items.sort(key=_utf16_key)
        return {key: _ordered(item, f"{path}.{key}") for key, item in items}
    if isinstance(value, (list, tuple)):
        return [_ordered(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise NotCanonical(f"{path}: {type(value).__name__} cannot be put on the record")


def encode(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value``; raises :class:`NotCanonical` outside the subset."""
    text = _ENCODER.encode(_ordered(value, "$"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate such as "\ud800" has no UTF-8 form
        raise NotCanonical(f"text contains a lone surrogate ({exc.reason})") from None


_PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=True)


def encode_plain(value: Any) -> bytes:
    """:func:`encode` without the per-value walk, for large documents whose shape the caller
    guarantees: object keys ASCII (then JSON's key sort is JCS's), no floats, integers within
    ±(2^53−1). A vote's counting document (50,000 ballots) is encoded this way in a quarter of
    the time; the bytes are the same (a test compares them), and the verifier's
    :func:`decode` refuses any bytes that are not canonical."""
    return _PLAIN_ENCODER.encode(value).encode("utf-8")


def decode(data: bytes) -> Any:
    """Parse canonical bytes, refusing anything :func:`encode` would not have produced."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotCanonical(f"bytes are not valid UTF-8 (at byte {exc.start})") from None
    try:
        value = json.loads(text, parse_float=_no_float, parse_constant=_no_float, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise NotCanonical(f"not valid JSON: {exc.msg} at character {exc.pos}") from None
    if encode(value) != data:
        raise NotCanonical("bytes are valid JSON but not in canonical form")
    return value


def is_canonical(data: bytes) -> bool:
    """True when ``data`` is exactly the canonical encoding of some allowed value."""
    try:
        decode(data)
    except NotCanonical:
        return False
    return True


def _no_float(text: str) -> Any:
    raise NotCanonical(f"floats are not allowed on the record ({text})")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise NotCanonical(f"object key {key!r} appears twice")
            seen.add(key)
    return result
