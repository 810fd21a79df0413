"""Canonical bytes of an audit entry body.

The subset of JSON we allow (objects with string keys, arrays, strings, integers
within ±(2^53−1), true, false, null; no floats) serializes with sorted keys and
compact separators to exactly the bytes RFC 8785 (JCS) gives for it, so any JCS
implementation can check our hashes. Values outside the subset are refused
rather than silently rounded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonical(ValueError):
    """The value cannot be put on the record as it is (a float, a huge integer, a bad key)."""


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise NotCanonical(f"{path}: integer {value} is outside ±(2^53−1)")
        return
    if isinstance(value, float):
        raise NotCanonical(f"{path}: floats are not allowed on the record ({value!r}); use integers")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{path}: object key {key!r} is not a string")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    raise NotCanonical(f"{path}: {type(value).__name__} cannot be put on the record")


def encode(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value``; raises :class:`NotCanonical` outside the subset."""
    _check(value, "$")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def decode(data: bytes) -> Any:
    """Parse canonical bytes, refusing anything :func:`encode` would not have produced."""
    value = json.loads(data.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    if encode(value) != data:
        raise NotCanonical("bytes are valid JSON but not in canonical form")
    return value


def _no_float(text: str) -> Any:
    raise NotCanonical(f"floats are not allowed on the record ({text})")
