"""Page timings of budget rounds and proposals, on a fresh database with 5,000 proposals and 50,000 comments.

    /work/main/.venv/bin/python bench/pages.py [--proposals 5000] [--comments 50000] [--requests 200]

Builds a new database with every migration (a SQLite file in a temporary directory;
with BENCH_DATABASE_URL or TEST_DATABASE_URL set, a new PostgreSQL database next to
that one, dropped afterwards — the tables of `test` are never touched), fills it in
bulk (rows, not services: the record is not what is measured here), then requests
each page in-process through Flask's test client and prints, per page, the median
and 95th percentile in milliseconds and the number of SQL statements it ran (counted
with a before_cursor_execute listener), and the CPU time the request took in this
thread (a fairer figure than wall time when the machine is shared). Target: p95 under 50 ms, and a number of
statements that does not depend on the number of proposals or comments.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from tests.support.database import dispose, fresh_database, migrated_app  # noqa: E402

WORDS = (
    "buurt speeltuin moestuin taalcafé bankjes groen fiets ouderen kinderen jongeren koken muziek "
    "plein straat school bibliotheek sport wandeling verhalen geveltuin repair hulp feest water bomen"
).split()
HOODS = ["bospolder", "tussendijken", "spangen", "nieuwe-westen", "middelland", "oud-mathenesse", "witte-dorp", "schiemond"]


def fill(app: Any, n_proposals: int, n_comments: int, seed: int = 7) -> dict[str, Any]:
    from govern.budgeting import services
    from govern.budgeting.models import CATEGORIES, BudgetLine, Phase, Proposal, ProposalParty, ProposalVersion
    from govern.extensions import db
    from govern.membership.models import Account, Member, Role, RoleGrant
    from govern.security import new_session_token
    from tests.support.factories import make_tiers

    rng = random.Random(seed)
    with app.test_request_context("/"):
        tiers = make_tiers()
        conn = db.session.connection()
        now = sa.func.now() if db.engine.dialect.name == "postgresql" else sa.text("CURRENT_TIMESTAMP")
        members = [
            {"kind": "organisation" if i % 4 == 0 else "person", "name": f"Lid {i}", "neighbourhood": HOODS[i % len(HOODS)],
             "description": "", "status": "active", "tier_id": tiers["lid" if i % 2 else "deelnemer"].id, "status_reason": "",
             "listed": True}
            for i in range(300)
        ]
        conn.execute(sa.insert(Member).values(applied_at=now), members)
        member_ids = list(conn.scalars(sa.select(Member.id).order_by(Member.id)))
        conn.execute(
            sa.insert(Account).values(created_at=now),
            [{"member_id": m, "email": f"lid{m}@bench.example", "password_hash": "x", "display_name": f"Lid {m}",
              "language": "nl", "disabled": False, "session_token": new_session_token()} for m in member_ids],
        )
        account_ids = list(conn.scalars(sa.select(Account.id).order_by(Account.id)))
        conn.execute(sa.insert(RoleGrant).values(granted_at=now), [{"account_id": account_ids[0], "role": Role.BOARD.value}])
        db.session.commit()
        board = db.session.get(Account, account_ids[0])
        round_ = services.create_round(
            by=board, title="Wijkbudget Bench", description="Voor de **buurt**.", budget_cents=500_000_000, neighbourhoods=HOODS,
            ranks=5, counting_rule="mes", support_enabled=True, support_threshold=3,
            proposer_tier_ids=[tiers["lid"].id, tiers["deelnemer"].id], voter_tier_ids=[tiers["lid"].id, tiers["deelnemer"].id],
        )
        services.advance_phase(round_, by=board, to=Phase.SUBMISSION)
        conn = db.session.connection()
        statuses = ["submitted", "eligible", "eligible", "not_eligible", "withdrawn"]
        rows = []
        for i in range(n_proposals):
            title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {i}"
            cost = rng.randrange(50_000, 5_000_000, 50)
            rows.append({
                "round_id": round_.id, "title": title, "summary": " ".join(rng.choices(WORDS, k=18)),
                "description": "We willen **samen** iets doen.", "description_html": "<p>We willen <strong>samen</strong> iets doen.</p>",
                "neighbourhood": rng.choice(HOODS), "category": rng.choice(CATEGORIES), "status": rng.choice(statuses),
                "requested_cents": cost, "cost_cents": cost, "member_id": rng.choice(member_ids), "created_by_id": account_ids[0],
                "version": 1, "review_reason": "", "cost_reason": "", "endorsements": rng.randrange(0, 40),
                "has_image": False, "image_alt": "", "search_text": "",
            })
        for row in rows:
            row["search_text"] = services.search_text(f"{row['title']} {row['summary']}")
        for start in range(0, len(rows), 1000):
            conn.execute(sa.insert(Proposal).values(created_at=now, submitted_at=now), rows[start:start + 1000])
        proposals = list(conn.execute(sa.select(Proposal.id, Proposal.member_id, Proposal.title, Proposal.summary,
                                                Proposal.requested_cents, Proposal.neighbourhood, Proposal.category)))
        conn.execute(sa.insert(BudgetLine), [{"proposal_id": p.id, "position": 0, "description": "Alles", "amount_cents": p.requested_cents} for p in proposals])
        conn.execute(sa.insert(ProposalParty).values(created_at=now), [{"proposal_id": p.id, "member_id": p.member_id, "party": "proposer", "note": ""} for p in proposals])
        conn.execute(sa.insert(ProposalVersion).values(created_at=now), [
            {"proposal_id": p.id, "number": 1, "title": p.title, "summary": p.summary, "description": "We willen **samen** iets doen.",
             "neighbourhood": p.neighbourhood, "category": p.category, "lines": f"{p.requested_cents}\tAlles",
             "requested_cents": p.requested_cents, "account_id": account_ids[0]} for p in proposals])
        try:
            from govern.deliberation.models import Comment, CommentRevision, Thread
        except ImportError:
            print("deliberation is not installed: no comments", file=sys.stderr)
        else:
            conn.execute(sa.insert(Thread).values(created_at=now), [{"subject": f"proposal:{p.id}"} for p in proposals])
            threads = list(conn.scalars(sa.select(Thread.id).order_by(Thread.id)))
            stances = ["for", "against", "question", "idea"]
            comments = [{"thread_id": threads[i % len(threads)], "parent_id": None, "author_id": rng.choice(account_ids),
                         "stance": rng.choice(stances), "body": " ".join(rng.choices(WORDS, k=25)), "revision": 1, "hidden_reason": ""}
                        for i in range(n_comments)]
            for start in range(0, len(comments), 5000):
                conn.execute(sa.insert(Comment).values(created_at=now), comments[start:start + 5000])
            conn.execute(
                sa.insert(CommentRevision).from_select(
                    ["comment_id", "number", "stance", "body", "created_at"],
                    sa.select(Comment.id, sa.literal(1), Comment.stance, Comment.body, Comment.created_at),
                )
            )
        db.session.commit()
        return {"round": round_.id, "proposals": [p.id for p in proposals], "member": account_ids[1]}


def measure(app: Any, pages: list[tuple[str, Any]], requests: int, signed_in: int | None) -> list[tuple[str, float, float, int]]:
    from govern.extensions import db
    from govern.membership.models import Account

    results = []
    with app.app_context():
        engine = db.engine
        account = db.session.get(Account, signed_in) if signed_in else None
        key = account.get_id() if account else None
        db.session.remove()
    count = [0]

    def listen(*args: Any) -> None:
        count[0] += 1

    for name, url_for in pages:
        client = app.test_client()
        if key:
            with client.session_transaction() as session:
                session["_user_id"] = key
                session["_fresh"] = True
        for i in range(5):  # warm up
            client.get(url_for(i))
        times, cpu, counts = [], [], []
        sa.event.listen(engine, "before_cursor_execute", listen)
        try:
            for i in range(requests):
                count[0] = 0
                start, start_cpu = time.perf_counter(), time.thread_time()
                response = client.get(url_for(i))
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.thread_time() - start_cpu) * 1000)
                assert response.status_code == 200, (name, url_for(i), response.status_code)
                counts.append(count[0])
        finally:
            sa.event.remove(engine, "before_cursor_execute", listen)
        results.append((name, *_percentiles(times), *_percentiles(cpu), max(counts)))
    return results


def _percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--comments", type=int, default=50000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or "sqlite:///bench.db"
    with tempfile.TemporaryDirectory() as tmp, fresh_database(base, Path(tmp)) as url:
        app = migrated_app(url, Path(tmp))
        try:
            started = time.perf_counter()
            ids = fill(app, args.proposals, args.comments)
            kind = sa.engine.make_url(url).get_backend_name()
            print(f"{kind}: {args.proposals} proposals, {args.comments} comments, filled in {time.perf_counter() - started:.1f} s")
            r = ids["round"]
            rng = random.Random(3)
            sample = [rng.choice(ids["proposals"]) for _ in range(args.requests + 5)]
            pages: list[tuple[str, Any]] = [
                ("rounds", lambda i: "/rounds"),
                ("round", lambda i: f"/rounds/{r}"),
                ("proposals, page 1", lambda i: f"/rounds/{r}/proposals"),
                ("proposals, page 100", lambda i: f"/rounds/{r}/proposals?page=100"),
                ("proposals, search", lambda i: f"/rounds/{r}/proposals?q={WORDS[i % len(WORDS)]}"),
                ("proposals, filters + sort", lambda i: f"/rounds/{r}/proposals?neighbourhood={HOODS[i % 8]}&category=green&min=1.000&max=30.000&sort=cost_high"),
                ("proposals, most support", lambda i: f"/rounds/{r}/proposals?sort=support&status=eligible"),
                ("proposal (10 comments)", lambda i: f"/proposals/{sample[i]}"),
                ("proposal version 1", lambda i: f"/proposals/{sample[i]}/versions/1"),
            ]
            rows = [("anonymous", *row) for row in measure(app, pages, args.requests, None)]
            member_pages = [p for p in pages if p[0] in ("round", "proposals, page 1", "proposal (10 comments)")]
            rows += [("member", *row) for row in measure(app, member_pages, args.requests, ids["member"])]
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            print(f"load average {load:.1f} on {os.cpu_count()} CPUs; 'cpu' is this thread's CPU time (the app and SQLite,")
            print("not PostgreSQL's own work), which waiting for a busy machine does not inflate.")
            print(f"{'visitor':<10} {'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8} {'queries':>8}")
            for who, name, p50, p95, c50, c95, n in rows:
                flag = "" if p95 < 50 else "  over 50 ms"
                print(f"{who:<10} {name:<28} {p50:>8.1f} {p95:>8.1f} {c50:>8.1f} {c95:>8.1f} {n:>8}{flag}")
        finally:
            dispose(app)


if __name__ == "__main__":
    main()
