"""Audit figures: appends per second on SQLite and PostgreSQL, then the verifier's pure work.

    .venv/bin/python bench/audit.py [--appends 2000] [--workers 8] [--entries 1000000]

Appends: each append is its own transaction (BEGIN IMMEDIATE on SQLite, an advisory
lock on PostgreSQL), as in the application. To show that appends are limited by
commits and not by our code, the same number of plain INSERT+COMMIT transactions
into a table without hashing, triggers or locks is timed in the same run, and the
ratio is printed. PostgreSQL runs when BENCH_DATABASE_URL (or TEST_DATABASE_URL)
names a server; a fresh database is created and dropped there.

Then bench/audit_pure.py runs: raw SHA-256 chaining of 1,000,000 bodies vs the
verifier's replay + Merkle root, and the Merkle root of 1,000,000 leaves.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402


def _appends(engine: sa.Engine, total: int, workers: int) -> float:
    from govern.audit.log import record
    from govern.db import begin_write

    per = total // workers
    barrier = threading.Barrier(workers)

    def work(w: int) -> None:
        barrier.wait()
        for n in range(per):
            with Session(engine) as session:
                begin_write(session)
                record("bench.append", actor="system", data={"w": w, "n": n}, session=session)
                session.commit()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per * workers / (time.perf_counter() - start)


def _plain_commits(engine: sa.Engine, total: int, workers: int) -> float:
    """The floor: one tiny INSERT and a COMMIT per transaction, same concurrency, no hashing."""
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_plain (n INTEGER, body TEXT)"))
    per = total // workers
    barrier = threading.Barrier(workers)

    def work(_: int) -> None:
        barrier.wait()
        for _n in range(per):
            with Session(engine) as session:
                from govern.db import begin_write

                begin_write(session)
                session.execute(sa.text("INSERT INTO bench_plain (n, body) VALUES (:n, :b)"), {"n": _n, "b": "x" * 200})
                session.commit()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per * workers / (time.perf_counter() - start)


def _run(label: str, url: str, total: int, workers: int, tmp: Path) -> None:
    from tests.support.database import dispose, fresh_database, migrated_app

    with fresh_database(url, tmp) as db_url:
        app = migrated_app(db_url, tmp)
        try:
            with app.app_context():
                from govern.extensions import db

                engine = db.engine
                for w in (1, workers):
                    ours = _appends(engine, total, w)
                    floor = _plain_commits(engine, total, w)
                    print(
                        f"{label:<10} {w:>2} writer(s): {ours:8.0f} appends/s   plain INSERT+COMMIT {floor:8.0f}/s   "
                        f"ratio {floor / ours:4.2f}x"
                    )
        finally:
            dispose(app)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _run("SQLite", "sqlite:///unused.db", args.appends, args.workers, Path(tmp))
        pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if pg:
            _run("PostgreSQL", pg, args.appends, args.workers, Path(tmp))
        else:
            print("PostgreSQL: set BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to include it")
    print()
    import audit_pure  # noqa: E402  (bench/ is on sys.path when run as a script)

    audit_pure.main(["--entries", str(args.entries)])


if __name__ == "__main__":
    main()
