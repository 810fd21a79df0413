"""The audit log table and ``record()``, the one writer of audit entries.

``record()`` appends in the caller's transaction: the state change and its entry
commit together or not at all. Appends are serialized so that ``seq`` stays
gap-free and ``prev`` always names the real head:
- PostgreSQL: ``pg_advisory_xact_lock`` taken right before reading the head, held
  until the transaction ends; under READ COMMITTED the head read after the lock
  sees every earlier commit (under REPEATABLE READ it would not; see ARCHITECTURE).
  Lock, head read, completing and hashing the body and the INSERT are one call of the
  database function ``govern_audit_append`` (a VOLATILE function: a new snapshot for
  each statement in it), so the lock is held for that call and the COMMIT only.
- SQLite: the transaction runs as ``BEGIN IMMEDIATE`` (:func:`govern.db.begin_write`),
  so only one writer at a time holds it.
The database itself refuses UPDATE and DELETE on the table and refuses an insert
that does not continue the head (triggers in the migration).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, utcnow
from ..extensions import db
from . import canonical

#: Key of the PostgreSQL advisory lock that serializes appends ("govern-audit").
ADVISORY_LOCK_KEY = 0x676F7665726E
GENESIS_PREV = "0" * 64
ENTRY_VERSION = 1


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    #: Gap-free sequence number, 1 for the first entry.
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: The exact canonical bytes that were hashed; the other columns are copies for searching.
    body: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    #: SHA-256(0x00 ‖ body), hex: the Merkle leaf hash, and the next entry's ``prev``.
    hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    #: The previous entry's hash (64 zeros for the first).
    prev: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: When it was appended (UTC), as in the body.
    ts: Mapped[dt.datetime] = mapped_column(nullable=False, index=True)
    #: Who did it: "account:<id>", or "system" for commands and schedulers.
    actor: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: What happened, dotted: "member.approved", "tier.created" ...
    type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: What it happened to: "member:12", "tier:3" ..., or None.
    subject: Mapped[str | None] = mapped_column(sa.String(64))

    # The record is read newest first, filtered by one of these: an index on (column, seq)
    # serves "WHERE column = x ORDER BY seq DESC LIMIT n" directly, even at millions of entries.
    # A whole type ("member.approved") uses its index; a prefix ("member.") walks the primary
    # key newest first, which is quick because prefixes name common kinds of entry.
    __table_args__ = (
        sa.Index("ix_audit_entry_actor_seq", "actor", "seq"),
        sa.Index("ix_audit_entry_subject_seq", "subject", "seq"),
        sa.Index("ix_audit_entry_type_seq", "type", "seq"),
    )

    @property
    def data(self) -> dict[str, Any]:
        return canonical.decode(self.body)["data"]

    @property
    def subject_kind(self) -> str | None:
        return self.subject.split(":", 1)[0] if self.subject else None


def leaf_hash(body: bytes) -> str:
    return hashlib.sha256(b"\x00" + body).hexdigest()


def format_ts(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _lock_head(session: Any) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"k": ADVISORY_LOCK_KEY})


_LOCK = sa.text("SELECT pg_advisory_xact_lock(:k)")


_HEAD = sa.select(AuditEntry.__table__.c.seq, AuditEntry.__table__.c.hash, AuditEntry.__table__.c.ts).order_by(
    AuditEntry.__table__.c.seq.desc()).limit(1)
_INSERT = sa.insert(AuditEntry.__table__)
#: PostgreSQL: lock, head read, the entry built and hashed around the parts, and its INSERT, in one
#: statement (the function comes with migration e5a9c0d4b871).
_APPEND = sa.text(
    "SELECT o_seq, o_prev, o_ts, o_body, o_hash FROM govern_audit_append("
    ":lock, :before_prev, :before_ts, :after_ts, :now, :actor, :type, :subject)"
).bindparams(
    sa.bindparam("lock", type_=sa.BigInteger()),
    sa.bindparam("before_prev", type_=sa.LargeBinary()),
    sa.bindparam("before_ts", type_=sa.LargeBinary()),
    sa.bindparam("after_ts", type_=sa.LargeBinary()),
    sa.bindparam("now", type_=UTCDateTime()),
    sa.bindparam("actor", type_=sa.String()),
    sa.bindparam("type", type_=sa.String()),
    sa.bindparam("subject", type_=sa.String()),
).columns(o_seq=sa.BigInteger(), o_prev=sa.String(), o_ts=UTCDateTime(), o_body=sa.LargeBinary(), o_hash=sa.String())


def body_parts(actor: str, type: str, subject: str | None, data: Mapping[str, Any]) -> tuple[bytes, bytes, bytes]:
    """The canonical body without its prev, seq and ts, in the three pieces that surround them.

    The body's keys in canonical order are actor, data, prev, seq, subject, ts, type, v, so
    ``body = before_prev + prev + '","seq":' + seq + before_ts + ts + after_ts`` (:func:`assemble`);
    a test checks this against :func:`canonical.encode` of the whole entry.
    """
    encode = canonical.encode
    return (
        b'{"actor":' + encode(actor) + b',"data":' + encode(data) + b',"prev":"',
        b',"subject":' + encode(subject) + b',"ts":"',
        b'","type":' + encode(type) + b',"v":' + encode(ENTRY_VERSION) + b"}",
    )


def assemble(parts: tuple[bytes, bytes, bytes], prev: str, seq: int, ts: dt.datetime) -> bytes:
    before_prev, before_ts, after_ts = parts
    return before_prev + f'{prev}","seq":{seq}'.encode() + before_ts + format_ts(ts).encode() + after_ts


def record(
    type: str,
    *,
    actor: Any = None,
    subject: str | None = None,
    data: Mapping[str, Any] | None = None,
    session: Any = None,
) -> AuditEntry:
    """Append one entry to the record, in the current transaction, and return it.

    ``actor`` is an account (anything with an ``id``), a string such as "system",
    or None for "system". ``data`` must be canonical JSON (no floats, no huge
    integers); it references members and accounts by id, never by name or e-mail.

    Whatever else the transaction has pending is flushed first, and the body is
    encoded (all but its prev, seq and ts) before the append lock is taken. On
    PostgreSQL one statement then locks, reads the head, completes, hashes and
    inserts the entry (``govern_audit_append``), so the lock is held for that
    statement and the COMMIT; on SQLite the application does the same steps inside
    its ``BEGIN IMMEDIATE``. The returned ``AuditEntry`` is not attached to the
    session (``db.session.get(AuditEntry, seq)`` reads it back).
    """
    session = session or db.session
    if actor is None:
        actor_ref = "system"
    elif isinstance(actor, str):
        actor_ref = actor
    else:
        actor_ref = f"account:{actor.id}"
    parts = body_parts(actor_ref, type, subject, dict(data or {}))  # refuses floats and the like before any write
    session.flush()
    # Times never go backwards along the record (several app servers may disagree by a few
    # milliseconds): a date range is then a range of sequence numbers.
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(_APPEND, {
            "lock": ADVISORY_LOCK_KEY, "before_prev": parts[0], "before_ts": parts[1], "after_ts": parts[2],
            "now": now, "actor": actor_ref, "type": type, "subject": subject,
        }).one()
        return AuditEntry(seq=row.o_seq, body=bytes(row.o_body), hash=row.o_hash, prev=row.o_prev, ts=row.o_ts,
                          actor=actor_ref, type=type, subject=subject)
    head = session.execute(_HEAD).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS_PREV)
    if head:
        now = max(now, head.ts)
    body = assemble(parts, prev, seq, now)
    values = {"seq": seq, "body": body, "hash": leaf_hash(body), "prev": prev, "ts": now, "actor": actor_ref,
              "type": type, "subject": subject}
    session.execute(_INSERT, values)
    return AuditEntry(**values)


def verify_chain(session: Any, batch: int = 5000) -> tuple[int, int | None, str]:
    """Replay the chain from the database.

    Returns (entries checked, first bad seq or None, reason).
    """
    expected_seq, prev = 1, GENESIS_PREV
    last = 0
    columns = (AuditEntry.seq, AuditEntry.body, AuditEntry.hash, AuditEntry.prev, AuditEntry.type, AuditEntry.subject, AuditEntry.actor)
    while True:
        # Plain rows, not entities: what the database holds now, never a cached object.
        rows = session.execute(sa.select(*columns).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            return expected_seq - 1, None, "ok"
        for row in rows:
            problem = _check_row(row, expected_seq, prev)
            if problem:
                return expected_seq - 1, row.seq, problem
            prev = row.hash
            expected_seq += 1
            last = row.seq


def _check_row(row: Any, expected_seq: int, prev: str) -> str | None:
    if row.seq != expected_seq:
        return f"expected entry {expected_seq}, found {row.seq} (an entry is missing or out of order)"
    try:
        body = canonical.decode(row.body)
    except (ValueError, canonical.NotCanonical) as exc:
        return f"the body is not canonical JSON: {exc}"
    if body.get("v") != ENTRY_VERSION or body.get("seq") != row.seq:
        return "the body's version or sequence number does not match"
    if body.get("prev") != prev or row.prev != prev:
        return "the link to the previous entry is broken"
    if leaf_hash(row.body) != row.hash:
        return "the stored hash does not match the body"
    if (body.get("type"), body.get("subject"), body.get("actor")) != (row.type, row.subject, row.actor):
        return "the searchable columns do not match the body"
    return None
