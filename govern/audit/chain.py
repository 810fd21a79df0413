"""The hash chain of audit entries: building entry bodies and replaying them.

An entry body is the canonical JSON (see :mod:`govern.audit.canonical`) of::

    {"v": 1, "seq": 1, 2, 3 … (gap-free), "prev": hex hash of the previous entry ("0"*64 for seq 1),
     "ts": "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC), "actor": "account:7" or null,
     "type": "member.approved", "subject": "member:12" or null, "data": {...}}

and the entry's hash is its Merkle leaf hash, SHA-256(0x00 ‖ body).

:func:`replay` checks a sequence of bodies and returns their hashes, or raises
:class:`ChainError` naming the first bad seq. It is the verifier's inner loop, so
it has a fast path: bodies are checked a chunk at a time against a regular
grammar that only admits canonical bytes (ASCII keys without escapes, strings
without escapes, safe integers, scalars and flat arrays, up to
:data:`FAST_MAX_KEYS` data keys), with key order, seq and prev compared for the
whole chunk at once. Anything the grammar does not cover — nested data, escaped
characters, big numbers, and every malformed body — goes through the full parser
and re-encoder, which gives the same verdict and the reason. Long records are
split among worker processes when the caller asks (see :func:`replay`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import canonical
from .merkle import fork_map, leaf_hash, leaf_hashes, shared

#: The ``prev`` of the first entry.
GENESIS_PREV = "0" * 64
ENTRY_VERSION = 1
ENTRY_KEYS = frozenset({"v", "seq", "prev", "ts", "actor", "type", "subject", "data"})
TS_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
#: Data objects with more keys than this take the (correct, slower) full parse.
FAST_MAX_KEYS = 8
#: Bodies checked together on the fast path.
CHUNK = 1024


class ChainError(ValueError):
    """The chain breaks at ``seq`` (the position in the record, counting from 1)."""

    def __init__(self, seq: int, reason: str, code: str = "other") -> None:
        super().__init__(f"entry {seq}: {reason}")
        self.seq = seq
        self.reason = reason
        #: What kind of break: "prev", "seq", "canonical", "fields", "other" (for translated reports).
        self.code = code


@dataclass(frozen=True)
class Entry:
    v: int
    seq: int
    prev: str
    ts: str
    actor: str | None
    type: str
    subject: str | None
    data: dict[str, Any]


def format_ts(moment: datetime) -> str:
    """The ``ts`` of an entry: UTC, microseconds, a trailing Z."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_body(
    *,
    seq: int,
    prev: str,
    ts: str,
    type: str,
    actor: str | None = None,
    subject: str | None = None,
    data: dict[str, Any] | None = None,
) -> bytes:
    """The canonical body of an entry (what ``record()`` stores and hashes)."""
    value = {
        "v": ENTRY_VERSION,
        "seq": seq,
        "prev": prev,
        "ts": ts,
        "actor": actor,
        "type": type,
        "subject": subject,
        "data": {} if data is None else data,
    }
    problem = _field_problem(value)
    if problem:
        raise ValueError(problem)
    return canonical.encode(value)


def _field_problem(value: Any) -> str | None:
    """What is wrong with a decoded body's fields, apart from its place in the chain."""
    if not isinstance(value, dict):
        return "the body is not a JSON object"
    if value.keys() != ENTRY_KEYS:
        missing = sorted(ENTRY_KEYS - value.keys())
        extra = sorted(value.keys() - ENTRY_KEYS)
        return f"wrong fields (missing {missing}, unexpected {extra})"
    v = value["v"]
    if v != ENTRY_VERSION or isinstance(v, bool):
        return f"unknown entry version {v!r}"
    seq = value["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return f"seq {seq!r} is not a positive integer"
    if not isinstance(value["prev"], str) or not re.fullmatch(r"[0-9a-f]{64}", value["prev"]):
        return "prev is not a 64-digit lowercase hex hash"
    if not isinstance(value["ts"], str) or not TS_RE.fullmatch(value["ts"]):
        return f"ts {value['ts']!r} is not of the form YYYY-MM-DDTHH:MM:SS.ffffffZ"
    for name in ("actor", "subject"):
        if value[name] is not None and not isinstance(value[name], str):
            return f"{name} must be a string or null"
    if not isinstance(value["type"], str) or not value["type"]:
        return "type must be a non-empty string"
    if not isinstance(value["data"], dict):
        return "data must be an object"
    return None


def parse_entry(body: bytes) -> Entry:
    """Decode one body, checking it is canonical and well formed (not its place in the chain)."""
    value = canonical.decode(body)
    problem = _field_problem(value)
    if problem:
        raise canonical.NotCanonical(problem)
    return Entry(**value)


def _check_slow(body: bytes, seq: int, prev: str) -> None:
    """The full check of one body; raises :class:`ChainError` with the reason."""
    try:
        value = canonical.decode(body)
    except canonical.NotCanonical as exc:
        raise ChainError(seq, f"the body is not canonical JSON ({exc})", "canonical") from None
    problem = _field_problem(value)
    if problem:
        raise ChainError(seq, problem, "fields")
    if value["seq"] != seq:
        raise ChainError(seq, f"seq is {value['seq']} where {seq} was expected (an entry is missing, added or moved)", "seq")
    if value["prev"] != prev:
        raise ChainError(seq, f"prev does not match the hash of entry {seq - 1} (an entry was changed, removed or moved)", "prev")


# -- the fast path ----------------------------------------------------------------------

_STR = rb'"[^"\\\x00-\x1f]*"'
_KEY = rb'("[^"\\\x00-\x1f\x80-\xff]*")'
_INT = rb"(?:0|-?[1-9][0-9]{0,14})"  # at most 15 digits: always within ±(2^53−1)
_SCALAR = rb"(?:" + _STR + rb"|" + _INT + rb"|true|false|null)"
# The same alternatives as _SCALAR | array, flattened (one branch point instead of two).
_VALUE = rb"(?:" + _STR + rb"|-?[1-9][0-9]{0,14}|0|true|false|null|\[(?:" + _SCALAR + rb"(?:," + _SCALAR + rb")*)?\])"


def _members(k: int) -> bytes:
    inner = b""
    for _ in range(k - 1):
        inner = rb"(?:," + _KEY + rb":" + _VALUE + inner + rb")?"
    return rb"(?:" + _KEY + rb":" + _VALUE + inner + rb")?"


_ENVELOPE = (
    rb'\{"actor":(?:null|' + _STR + rb'),"data":\{' + _members(FAST_MAX_KEYS) + rb'\}'
    rb',"prev":"(.{64})","seq":([1-9][0-9]{0,14}),"subject":(?:null|' + _STR + rb")"
    rb',"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"'
    rb',"type":"[^"\\\x00-\x1f]+","v":1\}'
)
# prev is captured loosely ("." is any byte but a newline): it is compared with the
# lowercase hex of the previous hash, so only 64 hex digits can pass, and cheaper to scan.
_FAST_LINES = re.compile(rb"(?m)^" + _ENVELOPE + rb"$")
_FAST_ONE = re.compile(_ENVELOPE)
_sorted_key_sets: set[tuple[bytes, ...]] = set()

# The learned path. The data keys of a log come in few combinations ("shapes"), one or a
# few per entry type. Once the general grammar above has seen a shape (and found its keys
# in order), it is written into a second grammar as literal keys, so a chunk whose shapes
# are all known is matched without capturing eight keys per body and comparing them.
# That grammar only admits what the general one admits with the keys in order, so it
# gives the same verdicts; a chunk it does not match (a new shape, or a break) takes the
# general grammar, which has the last word.
#
# It comes in two versions. Most chunks are "clean": plain ASCII without any control
# byte or backslash, and exactly n-1 newlines (one bytes.translate finds that out). In
# a clean chunk a string needs no byte check beyond "not a quote", which the regex
# engine scans several times faster than a character class; the other chunks take the
# strict version. (In the clean version a string could run over a newline, but each
# match starts at a line start and ends at a line end, so n matches in n lines are one
# match per line.)
#: At most this many shapes are written into the learned grammar (a log with more of them
#: still verifies; chunks with the others take the general grammar).
MAX_SHAPES = 64
_shapes: dict[tuple[bytes, ...], None] = {}
#: (clean-chunk grammar, strict grammar), or None before the first shape is learned.
_learned: tuple[re.Pattern[bytes], re.Pattern[bytes]] | None = None
_LOOSE_STR = rb'"[^"]*"'
# Every byte a clean chunk may not hold, the newline included (the count of the others is
# the length of what is left).
_UNCLEAN = bytes(range(0x20)) + b"\\" + bytes(range(0x80, 0x100))


def _value(string: bytes) -> bytes:
    scalar = rb"(?:" + string + rb"|" + _INT + rb"|true|false|null)"
    return rb"(?:" + string + rb"|-?[1-9][0-9]{0,14}|0|true|false|null|\[(?:" + scalar + rb"(?:," + scalar + rb")*)?\])"


def _shape_pattern(shapes: list[tuple[bytes, ...]], value: bytes, depth: int = 0) -> bytes:
    """The data members of any of ``shapes`` (key tuples sharing their first ``depth`` keys),
    as a trie, so that each step tries only the keys that can come next."""
    following: dict[bytes, list[tuple[bytes, ...]]] = {}
    ends = False
    for shape in shapes:
        if len(shape) == depth:
            ends = True
        else:
            following.setdefault(shape[depth], []).append(shape)
    alternatives = [
        (b"," if depth else b"") + re.escape(key) + b":" + value + _shape_pattern(more, value, depth + 1)
        for key, more in following.items()
    ]
    if ends:
        alternatives.append(b"")
    if alternatives == [b""]:
        return b""
    return b"(?:" + b"|".join(alternatives) + b")"


def _learned_grammar(string: bytes) -> re.Pattern[bytes]:
    # One group, prev and seq together: findall then gives bytes, not a tuple per body.
    return re.compile(
        rb"(?m)^"
        rb'\{"actor":(?:null|' + string + rb'),"data":\{' + _shape_pattern(list(_shapes), _value(string)) + rb'\}'
        rb',"prev":"(.{64}","seq":[1-9][0-9]{0,14}),"subject":(?:null|' + string + rb")"
        rb',"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"'
        rb',"type":' + string.replace(b']*"', b']+"') + rb',"v":1\}'
        rb"$"
    )


def _learn(shapes: Iterable[tuple[bytes, ...]]) -> None:
    """Add data-key shapes (each already checked to be in order) to the learned grammar."""
    global _learned
    new = [s for s in shapes if s not in _shapes]
    if not new or len(_shapes) >= MAX_SHAPES:
        return
    for s in new[: MAX_SHAPES - len(_shapes)]:
        _shapes[s] = None
    _learned = (_learned_grammar(_LOOSE_STR), _learned_grammar(_STR))


def _keys_sorted(keys: tuple[bytes, ...]) -> bool:
    """Data keys (captured with their quotes, b'' when absent) strictly increasing."""
    if keys in _sorted_key_sets:
        return True
    present = [k[1:-1] for k in keys if k]
    ok = all(a < b for a, b in zip(present, present[1:]))
    if ok and len(_sorted_key_sets) < 10_000:
        _sorted_key_sets.add(keys)
    return ok


def _fast_chunk(
    bodies: Sequence[bytes], first_seq: int, prev_hash: bytes, joined: bytes | None = None
) -> list[bytes] | None:
    """Hashes of the chunk if every body passes the fast grammar and links up; None to look closer.

    ``joined`` is ``b"\\n".join(bodies)`` when the caller has it already."""
    n = len(bodies)
    chunk = b"\n".join(bodies) if joined is None else joined
    learned = _learned
    if learned is not None and len(chunk.translate(None, _UNCLEAN)) == len(chunk) - (n - 1):
        found = learned[0].findall(chunk)  # a clean chunk (see _UNCLEAN)
    else:
        if chunk.count(b"\n") != n - 1:
            return None
        if not chunk.isascii():
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError:
                return None
        found = learned[1].findall(chunk) if learned is not None else ()
    if len(found) == n:
        hashes = leaf_hashes(bodies)
        # found[i] is b'<prev>","seq":<seq>' of body i, without a newline; compared all at
        # once, one newline after each, so that a piece can only equal its own.
        expected: list[str | None] = [None, '","seq":', None, "\n"] * n
        expected[0::4] = map(bytes.hex, [prev_hash, *hashes[:-1]])
        expected[2::4] = map(str, range(first_seq, first_seq + n))
        found.append(b"")
        if b"\n".join(found) != "".join(expected).encode("ascii"):  # type: ignore[arg-type]
            return None
        return hashes
    rows = _FAST_LINES.findall(chunk)
    if len(rows) != n:
        return None
    columns = list(zip(*rows))
    shapes = set(zip(*columns[:FAST_MAX_KEYS]))
    for keys in shapes:
        if not _keys_sorted(keys):
            return None
    expected_seqs = ",".join(map(str, range(first_seq, first_seq + n))).encode("ascii")
    if b",".join(columns[FAST_MAX_KEYS + 1]) != expected_seqs:
        return None
    hashes = leaf_hashes(bodies)
    expected_prevs = (prev_hash + b"".join(hashes[:-1])).hex().encode("ascii")
    if b"".join(columns[FAST_MAX_KEYS]) != expected_prevs:
        return None
    _learn(tuple(k for k in keys if k) for keys in shapes)
    return hashes


def _check_one(body: bytes, seq: int, prev: str) -> bytes:
    """Check one body at ``seq`` after an entry with hash ``prev``; return its hash."""
    m = _FAST_ONE.fullmatch(body)
    if m is not None and b"\n" not in body:
        groups = m.groups()
        try:
            body.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        if (
            utf8
            and _keys_sorted(groups[:FAST_MAX_KEYS])
            and groups[FAST_MAX_KEYS + 1] == str(seq).encode("ascii")
            and groups[FAST_MAX_KEYS] == prev.encode("ascii")
        ):
            return leaf_hash(body)
    _check_slow(body, seq, prev)
    return leaf_hash(body)


def _replay_batch(batch: Sequence[bytes], seq: int, prev_hash: bytes, joined: bytes | None = None) -> list[bytes]:
    """Hashes of up to :data:`CHUNK` bodies at ``seq`` after the entry with hash ``prev_hash``."""
    try:
        got = _fast_chunk(batch, seq, prev_hash, joined)
    except TypeError:  # something other than bytes in the batch: found below
        got = None
    if got is None:
        got = []
        p = prev_hash.hex()
        for i, body in enumerate(batch):
            if not isinstance(body, (bytes, bytearray)):
                raise ChainError(seq + i, f"the body is {type(body).__name__}, not bytes")
            h = _check_one(bytes(body), seq + i, p)
            got.append(h)
            p = h.hex()
    return got


def _replay_one_process(bodies: Sequence[bytes], seq: int, prev: str) -> list[bytes]:
    hashes: list[bytes] = []
    prev_hash = bytes.fromhex(prev)
    for lo in range(0, len(bodies), CHUNK):
        got = _replay_batch(bodies[lo : lo + CHUNK], seq, prev_hash)
        hashes.extend(got)
        seq += len(got)
        prev_hash = got[-1]
    return hashes


def _replay_segment(first: int, last: int, seq: int, prev: str) -> tuple[bytes, bool]:
    """A worker's share: chunks ``first``..``last`` of the shared (joined chunk, count) list.
    Returns the joined hashes, or (b"", True) when it found a break (or could not split a chunk)."""
    prev_hash, out = bytes.fromhex(prev), []
    try:
        for joined, count in shared()[first:last]:
            batch = joined.split(b"\n")
            if len(batch) != count:  # a body held a newline: let the main process look
                return b"", True
            got = _replay_batch(batch, seq, prev_hash, joined)
            out.extend(got)
            seq += count
            prev_hash = got[-1]
    except ChainError:
        return b"", True
    return b"".join(out), False


def _claimed_prev(body: bytes) -> str:
    """What an entry says its predecessor's hash is (a guess; the worker checks it)."""
    try:
        prev = json.loads(body)["prev"]
    except (ValueError, TypeError, KeyError):
        return GENESIS_PREV
    return prev if isinstance(prev, str) and re.fullmatch(r"[0-9a-f]{64}", prev) else GENESIS_PREV


def replay(
    bodies: Iterable[bytes], *, start_seq: int = 1, prev: str = GENESIS_PREV, workers: int = 1
) -> list[bytes]:
    """Check entry bodies in order and return their hashes; raise :class:`ChainError` at the first bad one.

    ``start_seq`` and ``prev`` let a caller continue a replay (or check a tail
    of the record against a known entry). With ``workers`` > 1 (the verifier
    passes :func:`govern.audit.merkle.auto_workers`) long records are split
    among forked worker processes; each worker starts from the
    ``prev`` its first entry claims, and the claims are checked here. When
    anything fails, the failing part is replayed again in this process, so the
    error is the same as a one-process replay would give.
    """
    if not isinstance(bodies, list):
        bodies = list(bodies)
    n, w = len(bodies), max(1, workers)
    if w == 1 or n < 2 * CHUNK * w:
        return _replay_one_process(bodies, start_seq, prev)
    # The workers get one joined bytes object per chunk rather than the bodies: reading a
    # million small objects in a forked child would copy their pages (reference counts).
    try:
        chunks = [(b"\n".join(bodies[lo : lo + CHUNK]), len(bodies[lo : lo + CHUNK])) for lo in range(0, n, CHUNK)]
    except TypeError:  # not all bytes: the one-process replay names the entry
        return _replay_one_process(bodies, start_seq, prev)
    per_worker = -(-len(chunks) // w)
    tasks = []
    for first in range(0, len(chunks), per_worker):
        lo = first * CHUNK
        claimed = prev if lo == 0 else _claimed_prev(bodies[lo])
        tasks.append((first, min(first + per_worker, len(chunks)), start_seq + lo, claimed))
    results = fork_map(_replay_segment, tasks, chunks)
    hashes: list[bytes] = []
    known_prev = prev
    for (first, last, seq, claimed), (blob, broken) in zip(tasks, results):
        if broken or claimed != known_prev:
            # Replaying from the last good entry raises exactly where a single process would.
            part = _replay_one_process(bodies[first * CHUNK : last * CHUNK], seq, known_prev)
        else:
            part = [blob[i : i + 32] for i in range(0, len(blob), 32)]
        hashes.extend(part)
        known_prev = part[-1].hex()
    return hashes
