"""Where one cast's time goes: the ballot POST (step=confirm) in process, through the Flask test client.

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/castspeed \\
        .venv/bin/python bench/cast_profile.py [--members 400] [--profile] [--top 40] [--sql]

A new PostgreSQL database is made next to the URL (dropped afterwards), a budget vote is
opened as in bench/vote.py, every member is signed in by putting the account in its
session (no password hashing) and fetches its ballot page for the CSRF token (not timed).
Then each member's confirm POST is timed one after the other (no concurrency: this is the
cost of one cast, not a load test): wall time and this process's CPU time per cast, the
SQL statements per cast with their time on the wire, and optionally a cProfile of all the
casts (--profile, timed by this process's CPU clock) by own and cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

from tests.support.database import dispose, fresh_database, migrated_app  # noqa: E402
from vote import ballot_for, setup_budget_vote  # type: ignore[import-not-found]  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Statements:
    """Counts SQL statements and their time (cursor execute to result) while ``on``."""

    def __init__(self, engine: Any) -> None:
        self.on = False
        self.count = 0
        self.seconds = 0.0
        self.kinds: Counter[str] = Counter()
        self._start: float = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        sa.event.listen(engine, "commit", self._commit)

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if self.on:
            self._start = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if self.on:
            self.seconds += time.perf_counter() - self._start
            self.count += 1
            self.kinds[" ".join(statement.split())[:110]] += 1

    def _commit(self, conn: Any) -> None:
        if self.on:
            self.count += 1
            self.kinds["COMMIT"] += 1


class Wire:
    """Counts the commands libpq sends (psycopg's Python implementation, patched) while ``on``."""

    def __init__(self) -> None:
        from psycopg.pq import pq_ctypes

        self.on = False
        self.kinds: Counter[str] = Counter()
        for name in ("exec_", "exec_params", "exec_prepared", "send_query", "send_query_params", "send_query_prepared",
                     "send_prepare"):
            self._wrap(pq_ctypes.PGconn, name)

    def _wrap(self, cls: Any, name: str) -> None:
        original = getattr(cls, name)
        wire = self

        def wrapped(pgconn: Any, *args: Any, **kwargs: Any) -> Any:
            if wire.on:
                text = args[0] if args and isinstance(args[0], (bytes, str)) else (args[1] if len(args) > 1 else b"")
                text = text.decode() if isinstance(text, bytes) else str(text)
                wire.kinds[f"{name}: {' '.join(text.split())[:90]}"] += 1
            return original(pgconn, *args, **kwargs)

        setattr(cls, name, wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--proposals", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="list the statements of the casts")
    parser.add_argument("--wire", action="store_true", help="count what libpq sends per cast (BEGIN, pings and "
                        "prepares included); uses psycopg's slower Python implementation")
    args = parser.parse_args()
    if args.wire:
        os.environ["PSYCOPG_IMPL"] = "python"  # before psycopg is imported
    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("BENCH_DATABASE_URL")
    if not base:
        sys.exit("set TEST_DATABASE_URL to a PostgreSQL URL")
    print(f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with fresh_database(base, tmp) as url:
            app = migrated_app(url, tmp)
            try:
                with app.app_context():
                    from govern.audit.checkpoints import create_key

                    create_key()
                info = setup_budget_vote(app, voters=args.members, proposals=args.proposals, password_hash="x")
                run(app, info, args)
            finally:
                dispose(app)


def run(app: Any, info: dict[str, Any], args: argparse.Namespace) -> None:
    from govern.extensions import db
    from govern.membership.models import Account

    vote_id, keys = info["vote"], info["keys"]
    rng = random.Random(5)
    popularity = [rng.paretovariate(1.5) for _ in keys]
    clients = []
    with app.app_context():
        tokens = dict(db.session.execute(sa.select(Account.id, Account.session_token)).all())
        db.session.remove()
    for member_id, account_id, _ in info["members"]:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{account_id}:{tokens[account_id]}"
            session["_fresh"] = True
        html = client.get(f"/votes/{vote_id}/ballot").get_data(as_text=True)
        token = TOKEN.search(html).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": token, "member": str(member_id), "step": "confirm"}
        form.update({f"rank-{k}": str(n) for n, k in enumerate(ballot_for(rng, keys, popularity), start=1)})
        clients.append((client, form))
    with app.app_context():
        stats = Statements(db.engine)
    wire = Wire() if args.wire else None
    # A few casts first, untimed: the first request of a kind compiles statements and templates.
    warm = 10
    for client, form in clients[:warm]:
        assert client.post(f"/votes/{vote_id}/ballot", data=form).status_code == 303
    # CPU time, not wall time: waiting for PostgreSQL costs the app nothing under load.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    timed = clients[warm:]
    stats.on = True
    if wire:
        wire.on = True
    wall, cpu = time.perf_counter(), time.process_time()
    chunks: list[float] = []  # CPU ms per cast in chunks of 50: the machine is shared, the least loaded chunk is the fairest
    if profiler:
        profiler.enable()
    chunk = time.process_time()
    for i, (client, form) in enumerate(timed, start=1):
        response = client.post(f"/votes/{vote_id}/ballot", data=form)
        assert response.status_code == 303, response.status_code
        if i % 50 == 0:
            chunks.append(1000 * (time.process_time() - chunk) / 50)
            chunk = time.process_time()
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stats.on = False
    if wire:
        wire.on = False
    n = len(timed)
    best = f", best 50 {min(chunks):.2f} ms/cast" if chunks else ""
    print(f"{n} casts one after the other: wall {1000 * wall / n:.2f} ms/cast, CPU here {1000 * cpu / n:.2f} ms/cast{best}, "
          f"{stats.count / n:.1f} statements/cast (COMMIT included), {1000 * stats.seconds / n:.2f} ms/cast in cursor.execute"
          + ("  [cProfile on: times inflated]" if profiler else ""))
    if wire:
        print(f"  libpq messages per cast (each one a round trip, apart from prepares): {sum(wire.kinds.values()) / n:.1f}")
        for text, count in wire.kinds.most_common():
            print(f"  {count / n:5.2f} x  {text}")
    if args.sql:
        for statement, count in stats.kinds.most_common():
            print(f"  {count / n:5.2f} x  {statement}")
    if profiler:
        print("--- by own time ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.top)
        print("--- by cumulative time ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
