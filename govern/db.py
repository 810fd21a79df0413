"""Declarative base, shared column types and the write-transaction helper."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A moment in time, stored as naive UTC on every database and read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


def str_enum(enum_class: type, length: int = 20) -> sa.Enum:
    """Store a StrEnum by its value ("pending"), as text with no database enum type."""
    return sa.Enum(enum_class, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
bool_false = Annotated[bool, mapped_column(default=False, server_default=sa.false(), nullable=False)]
bool_true = Annotated[bool, mapped_column(default=True, server_default=sa.true(), nullable=False)]


def install_sqlite_pragmas(engine: sa.Engine) -> None:
    """WAL, a busy timeout, recursive triggers, foreign keys, and our own BEGIN.

    pysqlite's own transaction handling issues a deferred BEGIN lazily; we turn it
    off and emit BEGIN ourselves so that a write transaction can ask for
    ``BEGIN IMMEDIATE`` (see :func:`begin_write`). Without it, two writers that
    both read first fail with "database is locked" instead of waiting.
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA recursive_triggers=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("govern_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def begin_write(session: Any) -> None:
    """Start the session's transaction as a write transaction, if it has not started yet.

    On SQLite this is ``BEGIN IMMEDIATE``: writers queue on the busy timeout at the
    start instead of failing half-way. On PostgreSQL it changes nothing: audit
    appends take an advisory lock at the moment they append.
    A transaction already begun (a test's outer transaction, or a request that
    began with a write) is used as it is.
    """
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.connection(execution_options={"govern_write": True})
