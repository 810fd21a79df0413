"""gunicorn configuration for ``bench/vote.py --lock-hold``: how long each worker holds the record's append lock.

Loaded with ``gunicorn -c bench/lockhold.py``; nothing in the app changes. After each worker
forks, listeners on every SQLAlchemy engine and session note, per transaction that appends
to the record, the statement that takes the lock (``SELECT pg_advisory_xact_lock`` or, since
the append is one call, ``govern_audit_append``):

- ``wait``: from sending that statement to its answer (queueing behind other appends; with
  ``govern_audit_append`` also the head read and INSERT, which run inside the database);
- ``hold``: from its answer to the end of the COMMIT (with the separate lock statement: the
  head read, the INSERT and the COMMIT; with ``govern_audit_append``: the way back to the
  worker and the COMMIT), including any time the worker was not on a CPU meanwhile;
- ``commit``: the COMMIT alone (sent → answered), part of ``hold``.

Times are ``time.monotonic()`` (one clock for every process on Linux), so the bench keeps
only the transactions inside its timed window. Each worker writes its list as JSON to
``$LOCKHOLD_DIR/<pid>.json`` when it exits. Sync workers run one request at a time, so one
pending transaction per process is enough bookkeeping.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

_rows: list[tuple[float, float, float, float]] = []  # (lock sent, lock answered, commit sent, commit answered)
_pending: dict[str, float] = {}
_LOCKS, _APPEND = "pg_advisory_xact_lock", "govern_audit_append"


def post_fork(server: Any, worker: Any) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    @sa.event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _LOCKS in statement or _APPEND in statement:
            _pending.clear()
            _pending["sent"] = time.monotonic()

    @sa.event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if (_LOCKS in statement or _APPEND in statement) and "sent" in _pending:
            _pending["got"] = time.monotonic()

    @sa.event.listens_for(Engine, "commit")
    def _commit(conn: Any) -> None:
        if "got" in _pending:
            _pending["commit"] = time.monotonic()

    @sa.event.listens_for(Session, "after_commit")
    def _committed(session: Any) -> None:
        if "commit" in _pending:
            _rows.append((_pending["sent"], _pending["got"], _pending["commit"], time.monotonic()))
        _pending.clear()

    @sa.event.listens_for(Session, "after_rollback")
    def _rolled_back(session: Any) -> None:
        _pending.clear()


def worker_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("LOCKHOLD_DIR")
    if folder:
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as f:
            json.dump(_rows, f)
