"""Casting ballots over HTTP under gunicorn on PostgreSQL, and closing a vote of 50,000 ballots.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        /work/main/.venv/bin/python bench/vote.py [--members 3000] [--proposals 30] [--workers 4]
        [--worker-class sync] [--threads 4] [--clients 8] [--duplicates 300] [--double 100]
        [--close-ballots 50000] [--skip-http] [--skip-close] [--profile-close] [--production-hash] [--py-spy FILE] [--lock-hold]

Part 1, casting (PostgreSQL only). A new database is created next to BENCH_DATABASE_URL
(or TEST_DATABASE_URL) and dropped afterwards; every migration is applied; the signing
key is made with `flask --app govern audit keygen`. Then --members members with one
account each are inserted in bulk (one precomputed password hash for all), a budget
round with --proposals proposals is set up and moved to voting through the services
(so the vote opens as in production: frozen electorate, record entry, checkpoint).
The app runs under gunicorn (GOVERN_ENV=production, SECRET_KEY, DATABASE_URL,
GOVERN_SIGNING_KEY; bound to 127.0.0.1 on a free port).

- Warm-up, not timed: every member signs in through the real form (GET /sign-in for
  the CSRF token, POST /sign-in) and fetches its ballot page (the CSRF token it will
  post). Sessions are cookies, kept per member.
- Timed: --clients threads post every member's ranked ballot once (POST
  /votes/<id>/ballot, step=confirm, rank-p<id>=1..k, up to the round's 5 ranks), as
  fast as the server answers, keep-alive connections on loopback. Printed: ballots/s,
  and latency p50/p95/p99/max of the confirm POST (client side, so it includes the
  queueing in gunicorn). Target on this 2-core machine: >= 300 ballots/s, p99 < 250 ms.
  Also printed: CPU per ballot of gunicorn's workers, of PostgreSQL's backends and of
  this client (/proc; the machine is shared, CPU time is fairer than wall time), and
  the record's own ceiling: bench/audit.py's appends/s with as many writers as
  gunicorn has threads, on a second new database of the same server (every cast
  appends one entry, and appends are serialized through their COMMIT).
- Duplicates: --duplicates members who have voted post again (409, nothing written);
  --double members kept aside post twice at the same moment from the same session on
  two connections (a double click): one 303 and one 409 each.
- Checks in the database afterwards: ballots = participations = "participation.recorded"
  entries = 303 answers; every participation is a distinct member; nothing changed
  during the duplicate phase; the record's chain verifies; closing the vote (in process)
  finds as many ballots as participations.

The precomputed hash uses cheap Argon2 parameters (t=1, 1 MiB) so that 3,000 real sign-ins
in the warm-up take seconds, not minutes; --production-hash uses the production cost
(signing in is not what is measured here, the hash's own parameters decide its cost).

Part 2, closing: a vote of --close-ballots ballots on PostgreSQL (when a URL is set) and
on SQLite for reference. Members, participations and secret ballots are inserted in
bulk (rankings of 1-5 of the --proposals proposals, popularity skewed, nearly all
distinct), the round and its vote are set up and opened through the services, then
``services.close_vote`` is timed in process (rewrite the box in tracker order, count
with Equal Shares and greedy for comparison, Merkle root, record, checkpoint, round
results). The same for an election (IRV, 10 candidates). Target: < 5 s for 50,000.
--profile-close prints the top of a cProfile of the budget close.

Exit code 1 only when a correctness check fails (a lost or doubled ballot, a duplicate
that was accepted or wrote something, a broken chain); missed targets are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import os
import pstats
import queue
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.support.database import dispose, fresh_database, migrated_app  # noqa: E402

PASSWORD = "een-goed-wachtwoord-42"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HOODS = ["bospolder", "spangen"]


# --- filling the database ----------------------------------------------------------------------


def _now(conn: Any) -> Any:
    return sa.func.now() if conn.dialect.name == "postgresql" else sa.text("CURRENT_TIMESTAMP")


def _bulk_members(conn: Any, tier_id: int, n: int, start: int, password_hash: str | None) -> list[tuple[int, int | None, str | None]]:
    """``n`` active members (and an account each when a hash is given): [(member id, account id, email)]."""
    from govern.membership.models import Account, Member
    from govern.security import new_session_token

    now = _now(conn)
    ids: list[int] = []
    for lo in range(0, n, 5000):
        rows = [
            {"kind": "person", "name": f"Stemmer {start + i}", "neighbourhood": HOODS[i % 2], "description": "",
             "status": "active", "tier_id": tier_id, "status_reason": "", "listed": True}
            for i in range(lo, min(n, lo + 5000))
        ]
        ids += list(conn.scalars(sa.insert(Member).values(applied_at=now).returning(Member.id), rows))
    if password_hash is None:
        return [(m, None, None) for m in ids]
    emails = [f"stemmer{start + i}@bench.example" for i in range(n)]
    accounts: list[int] = []
    for lo in range(0, n, 5000):
        rows = [
            {"member_id": m, "email": e, "password_hash": password_hash, "display_name": e.split("@")[0],
             "language": "nl", "disabled": False, "session_token": new_session_token()}
            for m, e in zip(ids[lo:lo + 5000], emails[lo:lo + 5000])
        ]
        accounts += list(conn.scalars(sa.insert(Account).values(created_at=now).returning(Account.id), rows))
    return list(zip(ids, accounts, emails))


def setup_budget_vote(app: Any, *, voters: int, proposals: int, password_hash: str | None, seed: int = 11) -> dict[str, Any]:
    """Tiers, a board account, proposers, ``voters`` members, a round with ``proposals`` proposals moved to voting."""
    from govern.budgeting import services as budgeting
    from govern.budgeting.models import Phase
    from govern.extensions import db
    from govern.membership.models import Account, Member, MemberKind, Role
    from govern.voting import services
    from tests.budgeting.factories import make_proposal, make_round, move_to
    from tests.support.factories import make_account, make_tiers

    rng = random.Random(seed)
    with app.test_request_context("/"):
        tiers = make_tiers()
        board = make_account(tiers, roles=[Role.BOARD], name="Bestuur")
        proposers = [make_account(tiers, kind=MemberKind.ORGANISATION, name=f"Initiatief {i}") for i in range(min(proposals, 10))]
        conn = db.session.connection()
        started = time.perf_counter()
        members = _bulk_members(conn, tiers["lid"].id, voters, 0, password_hash)
        if password_hash is not None:
            # Match accounts to members by the e-mail (RETURNING order of a bulk insert is not promised).
            rows = conn.execute(sa.select(Account.member_id, Account.id, Account.email).where(Account.email.like("%@bench.example")))
            members = sorted((m, a, e) for m, a, e in rows)
        else:
            members = sorted(members)
        db.session.commit()
        filled = time.perf_counter() - started
        costs = [rng.randrange(100_000, 2_500_000, 5_000) for _ in range(proposals)]
        round_ = make_round(board, tiers, phase=Phase.SUBMISSION, title="Wijkbudget Bench", budget_cents=sum(costs) // 3,
                            ranks=5, voter_tier_ids=[tiers["lid"].id])
        made = [
            make_proposal(round_, proposers[i % len(proposers)], title=f"Plan {i + 1}", neighbourhood=HOODS[i % 2],
                          lines=[("Alles", cost)])
            for i, cost in enumerate(costs)
        ]
        move_to(round_, board, Phase.REVIEW)
        for p in made:
            budgeting.review(p, by=board, eligible=True, reason="Haalbaar.")
        started = time.perf_counter()
        move_to(round_, board, Phase.VOTING)  # opens the vote: the electorate is frozen here
        opened = time.perf_counter() - started
        vote = services.budget_vote(round_)
        assert vote is not None and vote.is_open, "the budget vote did not open"
        info = {
            "vote": vote.id, "round": round_.id, "board": board.id, "keys": [o.key for o in vote.options],
            "members": members, "electorate": vote.electorate_count, "filled_s": filled, "opened_s": opened,
        }
        assert db.session.get(Member, members[0][0]) is not None and db.session.get(Account, board.id) is not None
        db.session.remove()
    return info


def ballot_for(rng: random.Random, keys: list[str], popularity: list[float], most: int = 5) -> list[str]:
    """1..most distinct keys, popular proposals first more often (a skewed, realistic spread)."""
    k = rng.randint(1, min(most, len(keys)))
    chosen: list[str] = []
    while len(chosen) < k:
        key = rng.choices(keys, popularity)[0]
        if key not in chosen:
            chosen.append(key)
    return chosen


# --- a tiny browser ----------------------------------------------------------------------------


class Browser:
    """One member's cookie jar (the Flask session cookie) over a connection the caller lends it."""

    def __init__(self, email: str, member_id: int) -> None:
        self.email = email
        self.member_id = member_id
        self.cookie = ""
        self.token = ""

    def request(self, conn: Connection, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, set_cookies, text = conn.send(method, path, body, headers)
        for value in set_cookies:
            name_value = value.split(";", 1)[0]
            if name_value.startswith("session="):
                self.cookie = name_value
        return status, text


class Connection:
    """A keep-alive HTTP/1.1 connection that reopens when the server closes it (sync workers do, every time)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> tuple[int, list[str], str]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, response.headers.get_all("Set-Cookie") or [], text

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_pool(clients: int, port: int, jobs: list[Any], work: Any) -> tuple[float, list[Any]]:
    """Run ``work(conn, job)`` for every job on ``clients`` threads (one connection each); wall time and results."""
    todo: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    for i, job in enumerate(jobs):
        todo.put((i, job))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        conn = Connection(port)
        barrier.wait()
        try:
            while True:
                try:
                    i, job = todo.get_nowait()
                except queue.Empty:
                    return
                results[i] = work(conn, job)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} client errors, first: {errors[0]!r}")
    return elapsed, results


# --- gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(url: str, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GOVERN_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=url,
        GOVERN_SIGNING_KEY=str(tmp / "signing.key"), GOVERN_INSTANCE=str(tmp), MAIL_BACKEND="outbox",
        MAIL_OUTBOX=str(tmp / "outbox"), PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("TEST_DATABASE_URL", None)
    return env


def start_gunicorn(env: dict[str, str], port: int, workers: int, worker_class: str, threads: int, log: Path,
                   config: Path | None = None) -> subprocess.Popen[bytes]:
    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--worker-class", worker_class,
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60"]
    if config is not None:
        command += ["--config", str(config)]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    command.append("govern:create_app()")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text()[-2000:]}")
        try:
            conn = Connection(port)
            status, _, _ = conn.send("GET", "/sign-in", None, {})
            conn.close()
            if status == 200:
                # every worker imports and builds the app on its first request: warm them all
                for _ in range(4 * workers):
                    c = Connection(port)
                    c.send("GET", "/sign-in", None, {})
                    c.close()
                return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own process group (start_new_session): the master and its workers
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- part 1: casting over HTTP -----------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int], which: tuple[int, ...] = (11, 12)) -> float:
    """User + system CPU time of these processes (Linux /proc); a process that is gone counts 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(fields[i]) for i in which)  # 11 utime, 12 stime
    return total / TICKS


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _backends(app: Any) -> list[int]:
    """PostgreSQL server processes connected to the bench's database (the app's connections)."""
    from govern.extensions import db

    with app.app_context():
        pids = list(db.session.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))
        db.session.remove()
    return pids


def _machine_cpu() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot (/proc/stat; iowait counts as idle)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / TICKS, idle / TICKS


class CpuMeter:
    """CPU seconds spent by gunicorn's workers, by PostgreSQL's backends for our database, and by this client."""

    def __init__(self, app: Any, master: int) -> None:
        self.app, self.master = app, master

    def __enter__(self) -> "CpuMeter":
        self.workers = _children(self.master)
        self.db_start = {pid: _cpu_seconds([pid]) for pid in _backends(self.app)}
        self.start = (_cpu_seconds(self.workers), time.process_time())
        self.app_sys_start = _cpu_seconds(self.workers, (12,))
        self.machine_start = _machine_cpu()
        return self

    def __exit__(self, *exc: Any) -> None:
        busy, idle = (b - a for a, b in zip(self.machine_start, _machine_cpu()))
        #: Every process's CPU on the machine (kernel and interrupts too), and the idle time left.
        self.machine_busy_s, self.machine_idle_s = busy, idle
        self.app_s = _cpu_seconds(self.workers) - self.start[0]
        #: The workers' time in the kernel (sockets: the client's connections, PostgreSQL), part of app_s.
        self.app_sys_s = _cpu_seconds(self.workers, (12,)) - self.app_sys_start
        self.client_s = time.process_time() - self.start[1]
        # A backend that started during the run counts whole; one that ended during it is missed (pools keep them).
        self.db_s = sum(_cpu_seconds([pid]) - self.db_start.get(pid, 0.0) for pid in _backends(self.app))


def append_ceiling(base: str, tmp: Path, writers: int, appends: int = 1600) -> tuple[float, float]:
    """bench/audit.py's appends/s and plain INSERT+COMMIT/s with ``writers`` threads on a new database of the same server."""
    sys.path.insert(0, str(ROOT / "bench"))
    from audit import _appends, _plain_commits  # type: ignore[import-not-found]

    (tmp / "ceiling").mkdir(exist_ok=True)
    with fresh_database(base, tmp / "ceiling") as url:
        app = migrated_app(url, tmp / "ceiling")
        try:
            with app.app_context():
                from govern.extensions import db

                return _appends(db.engine, appends, writers), _plain_commits(db.engine, appends, writers)
        finally:
            dispose(app)


def _start_py_spy(out: str | None, master: int) -> subprocess.Popen[bytes] | None:
    """Sample gunicorn's workers with py-spy (collapsed stacks) while the timed casts run, if asked."""
    if not out:
        return None
    spy = subprocess.Popen([str(ROOT / ".venv/bin/py-spy"), "record", "--pid", str(master), "--subprocesses", "--nonblocking",
                            "--rate", "250", "--format", "raw", "--output", out],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches to every worker before the first cast
    return spy


def _stop_py_spy(spy: subprocess.Popen[bytes] | None, out: str | None) -> None:
    if spy is None:
        return
    spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
    spy.wait(30)
    print(f"py-spy samples of the workers during the casts: {out}")


def _report_lock_hold(folder: Path, window: tuple[float, float]) -> None:
    """What bench/lockhold.py saw during the timed casts: waits for the append lock and how long it was held."""
    import json

    rows = [r for f in folder.glob("*.json") for r in json.loads(f.read_text()) if window[0] <= r[0] <= window[1]]
    if not rows:
        print("lock hold: no appends seen in the timed window (is the workers' log clean?)")
        return
    wait = sorted(1000 * (got - sent) for sent, got, _, _ in rows)
    hold = sorted(1000 * (done - got) for _, got, _, done in rows)
    commit = sorted(1000 * (done - sent_commit) for _, _, sent_commit, done in rows)
    span = window[1] - window[0]
    mean = sum(hold) / len(hold)
    print(f"lock hold ({len(rows)} appends in the timed casts): held p50 {percentile(hold, 50):.2f} ms, p99 "
          f"{percentile(hold, 99):.2f} ms, mean {mean:.2f} ms (COMMIT alone p50 {percentile(commit, 50):.2f} ms, p99 "
          f"{percentile(commit, 99):.2f} ms); waited for it p50 {percentile(wait, 50):.2f} ms, p99 {percentile(wait, 99):.2f} ms; "
          f"the lock was held {100 * sum(hold) / 1000 / span:.0f}% of the time: at this hold, at most {1000 / mean:.0f} appends/s")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values))) - 1))
    return sorted_values[index]


def counts(app: Any, vote_id: int) -> dict[str, int]:
    from govern.audit.log import AuditEntry
    from govern.extensions import db
    from govern.voting.models import Ballot, Participation

    with app.app_context():
        s = db.session
        result = {
            "participations": s.scalar(sa.select(sa.func.count()).select_from(Participation).where(Participation.vote_id == vote_id)),
            "members": s.scalar(sa.select(sa.func.count(sa.distinct(Participation.member_id))).where(Participation.vote_id == vote_id)),
            "ballots": s.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id)),
            "trackers": s.scalar(sa.select(sa.func.count(sa.distinct(Ballot.tracker))).where(Ballot.vote_id == vote_id)),
            "recorded": s.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
                AuditEntry.subject == f"vote:{vote_id}", AuditEntry.type == "participation.recorded")),
            "entries": s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        }
        db.session.remove()
    return result


def http_part(base: str, args: argparse.Namespace, tmp: Path) -> bool:
    from argon2 import PasswordHasher

    from config import Config

    ok = True
    with fresh_database(base, tmp) as url:
        env = production_env(url, tmp)
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "govern", "audit", "keygen"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        app = migrated_app(url, tmp)
        try:
            hasher = (PasswordHasher(Config.ARGON2_TIME_COST, Config.ARGON2_MEMORY_COST, Config.ARGON2_PARALLELISM)
                      if args.production_hash else PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
            started = time.perf_counter()
            n_members = args.members + args.double
            info = setup_budget_vote(app, voters=n_members, proposals=args.proposals, password_hash=hasher.hash(PASSWORD))
            vote_id, keys = info["vote"], info["keys"]
            print(f"PostgreSQL: {n_members} members with accounts inserted in {info['filled_s']:.1f} s; budget vote of "
                  f"{len(keys)} proposals opened through the services in {info['opened_s']:.2f} s "
                  f"(electorate {info['electorate']}); set-up {time.perf_counter() - started:.1f} s")
            app_counts = counts(app, vote_id)
            writers = min(args.clients, args.workers * (args.threads if args.worker_class == "gthread" else 1))
            ceiling = append_ceiling(base, tmp, writers)
            print(f"the record alone, {writers} writers on this server: {ceiling[0]:.0f} audit appends/s "
                  f"(each holds the append lock through its COMMIT); plain INSERT+COMMIT {ceiling[1]:.0f}/s")
            port = free_port()
            log = tmp / "gunicorn.log"
            config = None
            if args.lock_hold:
                env["LOCKHOLD_DIR"] = str(tmp / "lockhold")
                (tmp / "lockhold").mkdir()
                config = ROOT / "bench" / "lockhold.py"
            process = start_gunicorn(env, port, args.workers, args.worker_class, args.threads, log, config)
            window = (0.0, 0.0)
            try:
                label = f"gunicorn {args.workers} {args.worker_class} workers" + (
                    f" x {args.threads} threads" if args.worker_class == "gthread" else "")
                print(f"{label} on 127.0.0.1:{port} (GOVERN_ENV=production); {args.clients} client threads, keep-alive")
                browsers = [Browser(email, member) for member, _, email in info["members"]]
                voters, double = browsers[: args.members], browsers[args.members:]

                def warm(conn: Connection, b: Browser) -> None:
                    status, text = b.request(conn, "GET", "/sign-in")
                    assert status == 200, status
                    token = TOKEN.search(text).group(1)  # type: ignore[union-attr]
                    status, _ = b.request(conn, "POST", "/sign-in", {"csrf_token": token, "email": b.email, "password": PASSWORD})
                    assert status == 302, f"sign-in answered {status}"
                    status, text = b.request(conn, "GET", f"/votes/{vote_id}/ballot")
                    assert status == 200, f"ballot page answered {status}"
                    b.token = TOKEN.search(text).group(1)  # type: ignore[union-attr]

                elapsed, _ = run_pool(args.clients, port, browsers, warm)
                print(f"warm-up (not timed): {len(browsers)} sign-ins through the form + ballot pages, "
                      f"{3 * len(browsers) / elapsed:.0f} requests/s")

                rng = random.Random(5)
                popularity = [rng.paretovariate(1.5) for _ in keys]
                forms = {b.member_id: ballot_for(rng, keys, popularity) for b in browsers}

                def form_of(b: Browser) -> dict[str, str]:
                    data = {"csrf_token": b.token, "member": str(b.member_id), "step": "confirm"}
                    data.update({f"rank-{key}": str(n) for n, key in enumerate(forms[b.member_id], start=1)})
                    return data

                def cast(conn: Connection, b: Browser) -> tuple[int, float]:
                    data = form_of(b)
                    t = time.perf_counter()
                    status, _ = b.request(conn, "POST", f"/votes/{vote_id}/ballot", data)
                    return status, (time.perf_counter() - t) * 1000

                spy = _start_py_spy(args.py_spy, process.pid)
                try:
                    with CpuMeter(app, process.pid) as meter:
                        window = (time.monotonic(), 0.0)
                        elapsed, results = run_pool(args.clients, port, voters, cast)
                        window = (window[0], time.monotonic())
                finally:
                    _stop_py_spy(spy, args.py_spy)
                statuses: dict[int, int] = {}
                for status, _ in results:
                    statuses[status] = statuses.get(status, 0) + 1
                cast_ok = statuses.get(303, 0)
                latencies = sorted(ms for status, ms in results)
                rate = cast_ok / elapsed
                p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
                hit = rate >= 300 and p99 < 250
                print(f"cast: {len(voters)} ballots in {elapsed:.2f} s = {rate:.0f} ballots/s   latency p50 {p50:.1f} ms  "
                      f"p95 {p95:.1f} ms  p99 {p99:.1f} ms  max {latencies[-1]:.1f} ms   answers {dict(sorted(statuses.items()))}")
                print(f"      target >= 300 ballots/s and p99 < 250 ms: {'met' if hit else 'MISSED'} "
                      f"({rate / 300:.2f}x the rate, p99 at {p99 / 250:.2f}x the limit)")
                per = 1000 / max(cast_ok, 1)
                cpu_ms = (meter.app_s * per, meter.db_s * per, meter.client_s * per)
                print(f"      CPU per ballot: app (gunicorn workers) {cpu_ms[0]:.1f} ms ({meter.app_sys_s * per:.1f} in the kernel), PostgreSQL backends {cpu_ms[1]:.1f} ms, "
                      f"this client {cpu_ms[2]:.1f} ms; {os.cpu_count()} idle cores would allow at most "
                      f"{os.cpu_count() * 1000 / sum(cpu_ms):.0f} ballots/s on CPU alone")
                other = meter.machine_busy_s * per - sum(cpu_ms)
                print(f"      the whole machine meanwhile: {meter.machine_busy_s * per:.1f} ms busy per ballot ({other:.1f} ms "
                      f"outside the three above: kernel, interrupts, PostgreSQL's own processes, other work on the machine), "
                      f"{100 * meter.machine_idle_s / max(meter.machine_idle_s + meter.machine_busy_s, 1e-9):.0f}% idle")
                print(f"      ballots/s against the record's serialized appends on this server ({ceiling[0]:.0f}/s): "
                      f"{rate / ceiling[0]:.2f}x; plain INSERT+COMMIT {ceiling[1]:.0f}/s")
                ok &= cast_ok == len(voters)  # the exit code is about correctness; a missed target is printed

                after_cast = counts(app, vote_id)
                # Members who voted post again: 409, and nothing is written.
                again = rng.sample(voters, min(args.duplicates, len(voters)))
                elapsed, results = run_pool(args.clients, port, again, cast)
                dup_statuses: dict[int, int] = {}
                for status, _ in results:
                    dup_statuses[status] = dup_statuses.get(status, 0) + 1
                after_dup = counts(app, vote_id)
                unchanged = after_dup == after_cast
                print(f"duplicates: {len(again)} second casts by members who voted -> {dict(sorted(dup_statuses.items()))}; "
                      f"tables and record unchanged: {'yes' if unchanged else 'NO'}")
                ok &= dup_statuses == {409: len(again)} and unchanged

                # A double click: the same session posts twice at once, on two connections.
                pairs = [b for b in double for _ in range(2)]
                lock = threading.Lock()
                pending: dict[int, threading.Barrier] = {}

                def double_cast(conn: Connection, b: Browser) -> tuple[int, float]:
                    with lock:
                        barrier = pending.setdefault(b.member_id, threading.Barrier(2))
                    barrier.wait(30)
                    return cast(conn, b)

                # Two clients per member so that both copies are in flight together.
                elapsed, results = run_pool(2, port, pairs, double_cast) if double else (0.0, [])
                pair_ok = all(sorted((results[2 * i][0], results[2 * i + 1][0])) == [303, 409] for i in range(len(double)))
                won = sum(1 for status, _ in results if status == 303)
                print(f"double clicks: {len(double)} members posted twice at the same moment -> "
                      f"{won} x 303, {sum(1 for s, _ in results if s == 409)} x 409; one of each per member: "
                      f"{'yes' if pair_ok else 'NO'}")
                ok &= pair_ok
            finally:
                stop(process)
                if args.lock_hold:
                    _report_lock_hold(tmp / "lockhold", window)
                tail = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or "Error" in line]
                if tail:
                    print(f"gunicorn log has {len(tail)} error lines, e.g. {tail[0][:200]}")

            final = counts(app, vote_id)
            successes = cast_ok + won
            new_entries = final["entries"] - app_counts["entries"]
            same = final["ballots"] == final["participations"] == final["members"] == final["recorded"] == final["trackers"] == successes
            print(f"in the database: {final['ballots']} ballots, {final['participations']} participations of "
                  f"{final['members']} distinct members, {final['recorded']} participation entries, {successes} successful "
                  f"requests, {new_entries} new record entries: {'all equal, nothing lost or doubled' if same else 'MISMATCH'}")
            ok &= same and new_entries == successes
            ok &= _close_in_process(app, info, final["ballots"])
        finally:
            dispose(app)
    return ok


def _close_in_process(app: Any, info: dict[str, Any], expected: int) -> bool:
    from govern.audit.log import verify_chain
    from govern.extensions import db
    from govern.membership.models import Account
    from govern.voting import services
    from govern.voting.models import VoteItem

    with app.test_request_context("/"):
        checked, bad, reason = verify_chain(db.session)
        vote = db.session.get(VoteItem, info["vote"])
        started = time.perf_counter()
        services.close_vote(vote, by=db.session.get(Account, info["board"]))
        took = time.perf_counter() - started
        vote = db.session.get(VoteItem, info["vote"])
        good = bad is None and vote.participation_count == vote.ballot_count == expected
        print(f"record: {checked} entries, chain {'verifies' if bad is None else 'BROKEN at ' + str(bad) + ': ' + reason}; "
              f"close_vote: participation_count {vote.participation_count} = ballot_count {vote.ballot_count} "
              f"({took:.2f} s; winners: {len(vote.winners or [])} proposals funded)")
        db.session.remove()
    return good


# --- part 2: closing a vote of 50,000 ballots --------------------------------------------------


def _fill_box(app: Any, vote_id: int, members: list[int], rankings: list[list[str]]) -> float:
    """Participations and secret ballots straight into the tables, as if every member had cast."""
    from govern.extensions import db
    from govern.voting.models import Ballot, Participation
    from govern.voting.services import new_tracker

    started = time.perf_counter()
    with app.app_context():
        conn = db.session.connection()
        now = _now(conn)
        trackers: set[str] = set()
        while len(trackers) < len(members):
            trackers.add(new_tracker())
        for lo in range(0, len(members), 10_000):
            conn.execute(sa.insert(Participation).values(created_at=now), [
                {"vote_id": vote_id, "member_id": m, "channel": "online", "account_id": None} for m in members[lo:lo + 10_000]
            ])
        ballots = [{"vote_id": vote_id, "tracker": t, "ranking": r, "weight": 1} for t, r in zip(trackers, rankings)]
        for lo in range(0, len(ballots), 10_000):
            conn.execute(sa.insert(Ballot), ballots[lo:lo + 10_000])
        db.session.commit()
        db.session.remove()
    return time.perf_counter() - started


def _time_close(app: Any, vote_id: int, board_id: int, profile: bool) -> tuple[float, Any]:
    from govern.extensions import db
    from govern.membership.models import Account
    from govern.voting import services
    from govern.voting.models import VoteItem

    with app.test_request_context("/"):
        vote = db.session.get(VoteItem, vote_id)
        board = db.session.get(Account, board_id)
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        services.close_vote(vote, by=board)
        if profiler:
            profiler.disable()
        took = time.perf_counter() - started
        cpu = time.process_time() - cpu
        vote = db.session.get(VoteItem, vote_id)
        assert vote.ballot_count == vote.participation_count, (vote.ballot_count, vote.participation_count)
        summary = (vote.ballot_count, len(vote.winners or []), cpu)
        db.session.remove()
    return took, (summary, profiler)


def close_part(base: str, label: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    from govern.extensions import db
    from govern.membership.models import Account
    from govern.voting import services
    from govern.voting.models import VoteKind

    n = args.close_ballots
    lines = []
    with fresh_database(base, tmp) as url:
        app = migrated_app(url, tmp)
        try:
            with app.app_context():
                from govern.audit.checkpoints import create_key

                create_key()
            started = time.perf_counter()
            info = setup_budget_vote(app, voters=n, proposals=args.proposals, password_hash=None)
            rng = random.Random(9)
            keys = info["keys"]
            popularity = [rng.paretovariate(1.5) for _ in keys]
            members = [m for m, _, _ in info["members"]]
            rankings = [ballot_for(rng, keys, popularity) for _ in members]
            distinct = len({tuple(r) for r in rankings})
            filled = _fill_box(app, info["vote"], members, rankings)
            print(f"{label}: {n} members, budget vote opened through the services in {info['opened_s']:.2f} s "
                  f"(electorate {info['electorate']}), {n} ballots ({distinct} distinct) inserted in {filled:.1f} s; "
                  f"set-up {time.perf_counter() - started:.1f} s")
            took, ((count, funded, cpu), profiler) = _time_close(app, info["vote"], info["board"], args.profile_close)
            lines.append(f"{label:<11} budget (MES + greedy), {len(keys)} proposals  {count:>7} ballots  close_vote {took:6.2f} s"
                         f" (cpu here {cpu:5.2f} s)"
                         f"   {'within' if took < 5 else 'OVER'} the 5 s target ({took / 5:.2f}x)   funded {funded}")
            print(lines[-1])
            if profiler:
                print(f"--- cProfile of close_vote ({label}), by cumulative time ---")
                pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(28)
                print("--- by own time ---")
                pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)

            # An election among the same members: IRV over 10 candidates.
            with app.test_request_context("/"):
                board = db.session.get(Account, info["board"])
                vote = services.create_vote(by=board, kind=VoteKind.ELECTION, title="Verkiezing bestuur",
                                            candidates=[(f"Kandidaat {i}", "") for i in range(1, 11)])
                services.open_vote(vote, by=board)
                election = vote.id
                db.session.remove()
            ckeys = [f"c{i}" for i in range(1, 11)]
            cpop = [rng.paretovariate(1.5) for _ in ckeys]
            _fill_box(app, election, members, [ballot_for(rng, ckeys, cpop, 10) for _ in members])
            took, ((count, _, cpu), _) = _time_close(app, election, info["board"], False)
            lines.append(f"{label:<11} election (IRV), 10 candidates         {count:>7} ballots  close_vote {took:6.2f} s"
                         f" (cpu here {cpu:5.2f} s)"
                         f"   {'within' if took < 5 else 'OVER'} the 5 s target ({took / 5:.2f}x)")
            print(lines[-1])
        finally:
            dispose(app)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--proposals", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duplicates", type=int, default=300)
    parser.add_argument("--double", type=int, default=100)
    parser.add_argument("--close-ballots", type=int, default=50_000)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-close", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--profile-close", action="store_true")
    parser.add_argument("--production-hash", action="store_true")
    parser.add_argument("--lock-hold", action="store_true", help="measure the append lock's waits and holds in the "
                        "workers during the timed casts (bench/lockhold.py as gunicorn's config)")
    parser.add_argument("--py-spy", metavar="FILE", help="sample the workers during the timed casts with py-spy "
                        "(pip install py-spy into .venv) and write collapsed stacks to FILE")
    args = parser.parse_args()
    pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (the client, gunicorn and PostgreSQL share them)")
    ok = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_http:
            if pg:
                (tmp / "http").mkdir()
                ok &= http_part(pg, args, tmp / "http")
            else:
                print("casting over HTTP: set BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
        if not args.skip_close:
            print()
            lines = []
            if pg:
                (tmp / "close-pg").mkdir()
                lines += close_part(pg, "PostgreSQL", args, tmp / "close-pg")
            if not args.skip_sqlite:
                (tmp / "close-sqlite").mkdir()
                lines += close_part("sqlite:///unused.db", "SQLite", args, tmp / "close-sqlite")
            print()
            print("\n".join(lines))
    print("correctness checks: " + ("all passed" if ok else "FAILED (see above)"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
