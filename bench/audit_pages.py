"""The record's pages at a million entries: list, filters, one entry with its inclusion proof.

    .venv/bin/python bench/audit_pages.py [--entries 1000000] [--repeat 20]

Fills a fresh database (SQLite file; and PostgreSQL when BENCH_DATABASE_URL or
TEST_DATABASE_URL is set — a new database is created and dropped) with N valid,
chained entries, signs a checkpoint (which also stores the 1,024-leaf chunk roots),
then times each page through the app (Flask test client, as a visitor who sees the
public entries) and prints p50/p95 and the number of SQL statements per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

TYPES = ("member.approved", "proposal.submitted", "round.phase_changed", "comment.posted", "tier.updated")


def fill(engine: sa.Engine, n: int) -> None:
    from govern.audit.chain import entry_body
    from govern.audit.log import GENESIS_PREV, leaf_hash

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    prev = GENESIS_PREV
    batch: list[dict] = []
    insert = sa.text(
        "INSERT INTO audit_entry (seq, body, hash, prev, ts, actor, type, subject) "
        "VALUES (:seq, :body, :hash, :prev, :ts, :actor, :type, :subject)"
    )
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            moment = start + dt.timedelta(seconds=seq * 20)
            kind = TYPES[seq % len(TYPES)]
            actor, subject = f"account:{seq % 997 + 1}", f"{kind.split('.')[0]}:{seq % 5003 + 1}"
            body = entry_body(
                seq=seq, prev=prev, ts=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), type=kind, actor=actor,
                subject=subject, data={"n": seq},
            )
            h = leaf_hash(body)
            batch.append({"seq": seq, "body": body, "hash": h, "prev": prev, "ts": moment.replace(tzinfo=None),
                          "actor": actor, "type": kind, "subject": subject})
            prev = h
            if len(batch) == 5000:
                conn.execute(insert, batch)
                batch = []
        if batch:
            conn.execute(insert, batch)
    print(f"  filled {n:,} entries in {time.perf_counter() - t0:.1f} s")


def run(label: str, url: str, n: int, repeat: int, tmp: Path) -> None:
    from tests.support.database import dispose, fresh_database, migrated_app

    with fresh_database(url, tmp) as db_url:
        app = migrated_app(db_url, tmp)
        try:
            with app.app_context():
                from govern.audit import checkpoints
                from govern.extensions import db

                fill(db.engine, n)
                checkpoints.create_key()
                with app.test_request_context("/"):
                    t0 = time.perf_counter()
                    checkpoints.make_checkpoint(reason="bench")
                    print(f"  first checkpoint over {n:,} entries (root + chunk roots): {time.perf_counter() - t0:.1f} s")
                statements = []
                sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
            pages = {
                "list, newest": "/audit",
                "list, page 2000": f"/audit?before={n - 50 * 2000}",
                "filter by type prefix": "/audit?type=proposal.",
                "filter by one type": "/audit?type=round.phase_changed",
                "filter by subject": "/audit?subject=proposal:42",
                "filter by actor": "/audit?actor=account:7",
                "filter by dates": "/audit?from=2026-03-01&until=2026-03-02",
                "entry + proof (old)": "/audit/12346",
                "entry + proof (recent)": f"/audit/{n - (n % 5) - 4}",
            }
            client = app.test_client()
            print(f"  {'page':<24} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5}")
            for name, path in pages.items():
                times = []
                for _ in range(repeat):
                    statements.clear()
                    t0 = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                times.sort()
                p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
                print(f"  {name:<24} {statistics.median(times):8.1f} {p95:8.1f} {len(statements):5d}")
        finally:
            dispose(app)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgresql-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sqlite").mkdir()
        if not args.postgresql_only:
            print(f"SQLite, {args.entries:,} entries")
            run("SQLite", "sqlite:///unused.db", args.entries, args.repeat, Path(tmp) / "sqlite")
        pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if pg:
            print(f"PostgreSQL, {args.entries:,} entries")
            (Path(tmp) / "pg").mkdir()
            run("PostgreSQL", pg, args.entries, args.repeat, Path(tmp) / "pg")


if __name__ == "__main__":
    main()
