"""The entry's body built from three canonical parts around prev, seq and ts, by the application
(SQLite) and by ``govern_audit_append`` (PostgreSQL), is byte for byte the canonical encoding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit import canonical
from govern.audit.log import (
    ENTRY_VERSION,
    AuditEntry,
    assemble,
    body_parts,
    format_ts,
    leaf_hash,
    record,
    verify_chain,
)

AWKWARD: list[tuple[str, str, str | None, dict[str, Any]]] = [
    ("system", "test.entry", None, {}),
    ("account:7", "participation.recorded", "vote:12", {"member": 31, "channel": "online"}),
    ("account:7", 'quote".and\\backslash', "member:1", {"text": 'a "b" \\ c\n\t\u0001', "n": -(2**53 - 1)}),
    ("système", "ünïcode.ëntry", "wijk:Delfshaven 🏘", {"naam": "Coöperatie €", "\ue000": 1, "\U0001f600": 2, "z": None}),
    ("system", "nested", "x", {"list": [1, [2, {"b": True, "a": False}]], "empty": {}, "s": ""}),
]


def _entry(seq: int, prev: str, ts: dt.datetime, actor: str, type: str, subject: str | None, data: Any) -> bytes:
    return canonical.encode({"v": ENTRY_VERSION, "seq": seq, "prev": prev, "ts": format_ts(ts), "actor": actor,
                             "type": type, "subject": subject, "data": data})


@pytest.mark.parametrize("actor, type, subject, data", AWKWARD)
def test_parts_around_prev_seq_and_ts_are_the_canonical_body(actor: str, type: str, subject: str | None, data: Any) -> None:
    ts = dt.datetime(2026, 11, 28, 9, 5, 7, 123, tzinfo=dt.UTC)
    for seq, prev in ((1, "0" * 64), (123_456_789, "ab" * 32)):
        built = assemble(body_parts(actor, type, subject, data), prev, seq, ts)
        assert built == _entry(seq, prev, ts, actor, type, subject, data)
        assert canonical.is_canonical(built)


def test_parts_refuse_what_the_record_refuses() -> None:
    with pytest.raises(canonical.NotCanonical):
        body_parts("system", "test.entry", None, {"amount": 12.5})


@pytest.mark.parametrize("actor, type, subject, data", AWKWARD)
def test_the_stored_entry_is_the_canonical_body(db: Any, actor: str, type: str, subject: str | None, data: Any) -> None:
    """On PostgreSQL the database completes and hashes the body; it must be what the verifier expects."""
    entry = record(type, actor=actor, subject=subject, data=data)
    stored = db.session.execute(sa.select(AuditEntry.__table__).where(AuditEntry.seq == entry.seq)).one()
    assert bytes(stored.body) == entry.body == _entry(entry.seq, entry.prev, entry.ts, actor, type, subject, data)
    assert stored.hash == entry.hash == leaf_hash(entry.body)
    assert (stored.prev, stored.actor, stored.type, stored.subject) == (entry.prev, actor, type, subject)
    assert stored.ts == entry.ts
    assert verify_chain(db.session)[1] is None


def test_a_chain_of_appends_links_up(db: Any) -> None:
    entries = [record("test.entry", data={"n": n}) for n in range(5)]
    for before, after in zip(entries, entries[1:]):
        assert after.seq == before.seq + 1 and after.prev == before.hash and after.ts >= before.ts
    assert verify_chain(db.session)[1] is None
