"""The audit log in the database: append-only, gap-free, serialized, in the caller's transaction."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from govern.audit.log import GENESIS_PREV, AuditEntry, record, verify_chain
from govern.db import begin_write
from govern.membership import services
from govern.membership.models import Member, MemberStatus
from govern.services import unit_of_work
from tests.support.database import dispose, fresh_database, migrated_app


DIALECT = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"
only_postgresql = pytest.mark.skipif(DIALECT != "postgresql", reason="a PostgreSQL feature; runs when TEST_DATABASE_URL is set")
only_sqlite = pytest.mark.skipif(DIALECT != "sqlite", reason="a SQLite path; the PostgreSQL run covers its own")


FORGED = {"body": b"{}", "ts": __import__("datetime").datetime(2026, 1, 1)}


def _refused(db: Any, statement: str, **params: Any) -> None:
    with pytest.raises(sa.exc.DatabaseError) as info:
        with db.session.begin_nested():
            db.session.execute(sa.text(statement), params)
    assert "append-only" in str(info.value) or "continue the head" in str(info.value)


def test_update_and_delete_are_refused_by_the_database(db: Any, board: Any) -> None:
    record("test.entry", actor=board, subject="member:1", data={"n": 1})
    record("test.entry", actor=board, subject="member:1", data={"n": 2})
    _refused(db, "UPDATE audit_entry SET type = 'forged' WHERE seq = 1")
    _refused(db, "DELETE FROM audit_entry WHERE seq = 2")
    _refused(db, "DELETE FROM audit_entry")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2


@only_postgresql
def test_truncate_is_refused_on_postgresql(db: Any, board: Any) -> None:
    record("test.entry", actor=board)
    _refused(db, "TRUNCATE audit_entry")


@only_postgresql
def test_triggers_fire_always_on_postgresql(db: Any) -> None:
    modes = dict(
        db.session.execute(
            sa.text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_entry'::regclass AND NOT tgisinternal")
        ).all()
    )
    assert modes == {"audit_entry_no_change": "A", "audit_entry_no_truncate": "A", "audit_entry_continues_head": "A"}


@only_sqlite
def test_insert_or_replace_is_refused_on_sqlite(db: Any, board: Any) -> None:
    entry = record("test.entry", actor=board)
    _refused(
        db,
        "INSERT OR REPLACE INTO audit_entry (seq, body, hash, prev, ts, actor, type, subject) "
        "VALUES (1, :body, :hash, :prev, :ts, 'system', 'forged', NULL)",
        **FORGED,
        hash="f" * 64,
        prev=GENESIS_PREV,
    )
    assert db.session.get(AuditEntry, 1).hash == entry.hash


@pytest.mark.parametrize(
    "seq, prev", [(5, None), (1, GENESIS_PREV), (2, "a" * 64)], ids=["gap", "duplicate-seq", "wrong-prev"]
)
def test_insert_must_continue_the_head(db: Any, board: Any, seq: int, prev: str | None) -> None:
    head = record("test.entry", actor=board)
    prev = prev or head.hash
    _refused(
        db,
        "INSERT INTO audit_entry (seq, body, hash, prev, ts, actor, type, subject) "
        "VALUES (:seq, :body, :hash, :prev, :ts, 'system', 'forged', NULL)",
        **FORGED,
        seq=seq,
        hash="e" * 64,
        prev=prev,
    )


def test_state_change_and_entry_roll_back_together(db: Any, tiers: Any, board: Any, make_account: Any) -> None:
    account = make_account(status=MemberStatus.PENDING)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    @unit_of_work
    def approve_then_fail(member: Member) -> None:
        services.approve(member, by=board)  # records, inside this unit of work
        raise RuntimeError("the service fails after recording")

    with pytest.raises(RuntimeError):
        approve_then_fail(account.member)
    db.session.expire_all()
    assert account.member.status == MemberStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_floats_and_huge_integers_are_refused_before_anything_is_written(db: Any, board: Any) -> None:
    from govern.audit.canonical import NotCanonical

    with pytest.raises(NotCanonical):
        record("test.entry", actor=board, data={"amount": 12.5})
    with pytest.raises(NotCanonical):
        record("test.entry", actor=board, data={"amount": 2**60})


def test_verify_names_the_first_bad_entry(db: Any, board: Any, app: Any) -> None:
    """Triggers guard against the application, not the database owner: an owner who
    disables them can rewrite a row, and the chain shows where."""
    for n in range(4):
        record("test.entry", actor=board, data={"n": n})
    assert verify_chain(db.session)[1] is None
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
    else:
        db.session.execute(sa.text("DROP TRIGGER audit_entry_no_update"))
    forged = db.session.get(AuditEntry, 3).body.replace(b'"n":2', b'"n":7')
    db.session.execute(sa.text("UPDATE audit_entry SET body = :b WHERE seq = 3"), {"b": forged})
    db.session.expire_all()
    checked, bad, reason = verify_chain(db.session)
    assert (checked, bad) == (2, 3) and "hash" in reason


def test_cli_verify_exit_codes(tmp_path: Any, database_url: str) -> None:
    with fresh_database(database_url, tmp_path) as url:
        app = migrated_app(url, tmp_path)
        try:
            runner = app.test_cli_runner()
            with app.app_context():
                from govern.extensions import db

                with app.test_request_context("/"):
                    services.create_tier(by=None, slug="lid", name_nl="Lid", name_en="Member", vote_weight=1)
                result = runner.invoke(args=["audit", "verify"])
                assert result.exit_code == 0 and "1 entries" in result.output
                engine = db.engine
                with engine.begin() as conn:
                    if engine.dialect.name == "postgresql":
                        conn.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
                    else:
                        conn.execute(sa.text("DROP TRIGGER audit_entry_no_update"))
                    conn.execute(sa.text("UPDATE audit_entry SET prev = :p WHERE seq = 1"), {"p": "1" * 64})
                result = runner.invoke(args=["audit", "verify"])
                assert result.exit_code == 1
                assert "entry 1" in result.output
        finally:
            dispose(app)


@pytest.mark.slow
def test_concurrent_appends_stay_contiguous(tmp_path: Any, database_url: str) -> None:
    """8 workers × 250 appends, each in its own transaction and connection: contiguous seq, no fork, none lost."""
    workers, per_worker = 8, 250
    with fresh_database(database_url, tmp_path) as url:
        app = migrated_app(url, tmp_path)
        try:
            with app.app_context():
                from govern.extensions import db

                engine = db.engine
            errors: list[BaseException] = []
            barrier = threading.Barrier(workers)

            def work(worker: int) -> None:
                try:
                    barrier.wait()
                    for n in range(per_worker):
                        with Session(engine) as session:
                            begin_write(session)
                            record("test.append", actor="system", data={"w": worker, "n": n}, session=session)
                            session.commit()
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors[:3]
            with Session(engine) as session:
                rows = session.execute(sa.select(AuditEntry.seq, AuditEntry.prev, AuditEntry.hash).order_by(AuditEntry.seq)).all()
                assert [r.seq for r in rows] == list(range(1, workers * per_worker + 1))
                assert len({r.prev for r in rows}) == len(rows)  # no two entries claim the same parent: no fork
                checked, bad, _ = verify_chain(session)
                assert (checked, bad) == (workers * per_worker, None)
                pairs = session.execute(sa.select(AuditEntry.body)).scalars().all()
                assert len(set(pairs)) == workers * per_worker
        finally:
            dispose(app)


def test_entry_times_never_go_backwards(db: Any, monkeypatch: Any) -> None:
    import datetime as dt

    from govern.audit import log

    later, earlier = dt.datetime(2026, 5, 1, 12, 0, 1, tzinfo=dt.UTC), dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    clock = iter([later, earlier])  # a second app server whose clock is a second behind
    monkeypatch.setattr(log, "utcnow", lambda: next(clock))
    a = record("test.entry")
    b = record("test.entry")
    assert b.ts == a.ts == later
    assert b"2026-05-01T12:00:01.000000Z" in b.body
