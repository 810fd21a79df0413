"""One member, one ballot, under real concurrency (ARCHITECTURE.md, invariant 3).

Each test races real threads, each with its own app context, session and database
connection, on a fresh migrated database (SQLite file, or a new PostgreSQL database
when TEST_DATABASE_URL names one). In one race, released together by a barrier:

- the two delegates of one member organisation fire ``CASTS`` casts between them;
- one person's account fires ``CASTS`` casts "from several devices";
- a few other members cast once each, so that the refusals cannot hide a lost ballot.

Afterwards: exactly one participation and one ballot per member, exactly one success
per member and a clear "already" refusal (ServiceError, or 409 over HTTP) for every
other attempt, the stored ballot is the winner's, the record's chain verifies, and
closing the vote finds as many ballots as participations.

The service-level race goes through ``services.cast_ballot``; the HTTP race goes
through the real ballot endpoint (sign-in form, CSRF token from the ballot page,
``step=confirm``), with one Flask test client per device. On PostgreSQL one more
test holds every attempt until all have passed the Python check, so the unique
constraint alone decides (on SQLite ``BEGIN IMMEDIATE`` serializes the casts, so
that interleaving cannot happen there).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.database import dispose, fresh_database, migrated_app

DIALECT = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"
only_postgresql = pytest.mark.skipif(DIALECT != "postgresql", reason="a PostgreSQL interleaving; runs when TEST_DATABASE_URL is set")

#: Concurrent casts fired for each member under attack (the organisation's two delegates share them).
CASTS = 8
#: Members who cast once each in the same race.
SINGLES = 4
#: No wait in these tests should come near this; a broken race fails instead of hanging.
TIMEOUT = 15
ALREADY = "already"

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _english_messages() -> None:
    """These tests run their own app on their own database (accounts in English), not the session's app."""


@dataclass
class World:
    app: Any
    board: int
    delegates: tuple[int, int]  # two accounts of one organisation
    organisation: int  # its member id
    person: int  # an account used from several devices
    person_member: int
    singles: list[tuple[int, int]]  # (account id, member id)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("concurrency")
    with fresh_database(database_url, tmp) as url:
        # Enough connections for every thread at once (the default pool holds 5 + 10).
        app = migrated_app(url, tmp, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4 * CASTS, "max_overflow": 0, "pool_timeout": TIMEOUT})
        try:
            from govern.audit.checkpoints import create_key
            from govern.extensions import db
            from govern.membership.models import MemberKind, Role
            from tests.support.factories import make_account, make_tiers

            with app.app_context():
                create_key()
                tiers = make_tiers()
                board = make_account(tiers, roles=[Role.BOARD], language="en")
                first = make_account(tiers, kind=MemberKind.ORGANISATION, name="Buurthuis De Fabriek", language="en")
                second = make_account(tiers, member=first.member, language="en")
                person = make_account(tiers, language="en")
                singles = [make_account(tiers, language="en") for _ in range(SINGLES)]
                built = World(
                    app=app, board=board.id, delegates=(first.id, second.id), organisation=first.member_id,
                    person=person.id, person_member=person.member_id,
                    singles=[(a.id, a.member_id) for a in singles],
                )
                db.session.remove()
            yield built
        finally:
            dispose(app)


# --- helpers ---------------------------------------------------------------------------------


def _open(world: World, kind: str) -> int:
    """A motion (secret) or a ranked election (roll call, so ballots name their member) opened through the services."""
    from govern.extensions import db
    from govern.membership.models import Account
    from govern.voting import services
    from govern.voting.models import VoteKind

    with world.app.test_request_context("/"):
        board = db.session.get(Account, world.board)
        if kind == "motion":
            vote = services.create_vote(by=board, kind=VoteKind.MOTION, title="Het reglement wordt aangepast")
        else:
            vote = services.create_vote(
                by=board, kind=VoteKind.ELECTION, title="Verkiezing bestuur", secret=False,
                candidates=[("Anouk", ""), ("Bilal", ""), ("Chantal", ""), ("Daan", "")],
            )
        services.open_vote(vote, by=board)
        vote_id = vote.id
        db.session.remove()
    return vote_id


def _ranking(kind: str, n: int) -> list[str]:
    """A different ballot per attempt, so the ballot in the box shows whose attempt won."""
    if kind == "motion":
        return [("yes", "no", "abstain")[n % 3]]
    keys = ["c1", "c2", "c3", "c4"]
    start = n % 4
    return keys[start:] + keys[:start]


@dataclass
class Attempt:
    account: int
    member: int
    ranking: list[str]
    ok: bool = False
    detail: str = ""


def _attempts(world: World, kind: str) -> list[Attempt]:
    attempts: list[Attempt] = []
    n = 0
    for i in range(CASTS):  # two delegates of one organisation, alternating
        attempts.append(Attempt(world.delegates[i % 2], world.organisation, _ranking(kind, n)))
        n += 1
    for _ in range(CASTS):  # one account on several devices
        attempts.append(Attempt(world.person, world.person_member, _ranking(kind, n)))
        n += 1
    for account, member in world.singles:
        attempts.append(Attempt(account, member, _ranking(kind, n)))
        n += 1
    return attempts


def _run_together(jobs: list[Callable[[threading.Barrier], None]]) -> None:
    """Start one thread per job; each waits on the shared barrier right before its cast."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[threading.Barrier], None]) -> None:
        try:
            job(barrier)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 2)
    assert not any(t.is_alive() for t in threads), "a cast hung"
    assert not errors, errors[:3]


def _check_outcome(world: World, vote_id: int, attempts: list[Attempt]) -> None:
    """Exactly one success per member, clear refusals, one participation and ballot each, a sound record; then close."""
    from govern.audit.log import AuditEntry, verify_chain
    from govern.extensions import db
    from govern.membership.models import Account
    from govern.voting import services
    from govern.voting.models import Ballot, Participation, VoteItem

    members = sorted({a.member for a in attempts})
    for member in members:
        mine = [a for a in attempts if a.member == member]
        wins = [a for a in mine if a.ok]
        assert len(wins) == 1, (member, [(a.ok, a.detail) for a in mine])
        for lost in mine:
            if not lost.ok:
                assert ALREADY in lost.detail, lost.detail

    with world.app.test_request_context("/"):
        vote = db.session.get(VoteItem, vote_id)
        participations = list(db.session.execute(
            sa.select(Participation.member_id, Participation.account_id).where(Participation.vote_id == vote_id)
        ))
        by_member: dict[int, list[int | None]] = {}
        for member_id, account_id in participations:
            by_member.setdefault(member_id, []).append(account_id)
        assert sorted(by_member) == members and all(len(v) == 1 for v in by_member.values()), by_member
        ballots = list(db.session.execute(
            sa.select(Ballot.tracker, Ballot.ranking, Ballot.member_id).where(Ballot.vote_id == vote_id)
        ))
        assert len(ballots) == len(members)
        assert len({t for t, _, _ in ballots}) == len(ballots)
        for member in members:
            win = next(a for a in attempts if a.member == member and a.ok)
            assert by_member[member] == [win.account]  # the participation names the account that won
            if vote.secret:
                assert win.detail in {t for t, _, _ in ballots}  # the tracker handed out is in the box
                assert next(r for t, r, _ in ballots if t == win.detail) == win.ranking
            else:
                assert [r for _, r, m in ballots if m == member] == [win.ranking]
        recorded = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.subject == f"vote:{vote_id}", AuditEntry.type == "participation.recorded"))
        assert recorded == len(members)  # refused attempts left nothing on the record
        checked, bad, reason = verify_chain(db.session)
        assert bad is None, reason

        services.close_vote(vote, by=db.session.get(Account, world.board))
        vote = db.session.get(VoteItem, vote_id)
        assert vote.participation_count == vote.ballot_count == len(members)
        assert verify_chain(db.session)[1] is None
        db.session.remove()


# --- through the services --------------------------------------------------------------------


def _service_job(world: World, vote_id: int, attempt: Attempt) -> Callable[[threading.Barrier], None]:
    def job(barrier: threading.Barrier) -> None:
        from flask_babel import force_locale

        from govern.extensions import db
        from govern.membership.models import Account
        from govern.services import ServiceError
        from govern.voting import services
        from govern.voting.models import VoteItem

        with world.app.test_request_context("/"):
            account = db.session.get(Account, attempt.account)
            vote = db.session.get(VoteItem, vote_id)
            _ = vote.options, account.member  # loaded before the start, like a request that got this far
            db.session.rollback()  # the cast's transaction starts fresh, at the same moment as the others
            barrier.wait(TIMEOUT)
            try:
                attempt.detail = services.cast_ballot(vote, by=account, member_id=attempt.member, ranking=attempt.ranking)
                attempt.ok = True
            except ServiceError as error:
                with force_locale("en"):
                    attempt.detail = str(error.message)
            db.session.remove()

    return job


@pytest.mark.parametrize("kind", ["motion", "election"])
def test_concurrent_casts_through_the_services_leave_one_ballot_per_member(world: World, kind: str) -> None:
    vote_id = _open(world, kind)
    attempts = _attempts(world, kind)
    _run_together([_service_job(world, vote_id, a) for a in attempts])
    _check_outcome(world, vote_id, attempts)


# --- through the ballot page -----------------------------------------------------------------

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in_device(world: World, account_id: int, vote_id: int) -> tuple[Any, str]:
    """A separate browser: signed in through the form, with the ballot page's CSRF token."""
    from govern.extensions import db
    from govern.membership.models import Account
    from tests.support.factories import PASSWORD

    with world.app.app_context():
        email = db.session.get(Account, account_id).email
        db.session.remove()
    client = world.app.test_client()
    token = TOKEN.search(client.get("/sign-in").get_data(as_text=True)).group(1)
    signed = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert signed.status_code == 302, signed.status_code
    page = client.get(f"/votes/{vote_id}/ballot")
    assert page.status_code == 200, page.status_code
    return client, TOKEN.search(page.get_data(as_text=True)).group(1)


def _http_job(world: World, vote_id: int, kind: str, attempt: Attempt) -> Callable[[threading.Barrier], None]:
    client, token = _signed_in_device(world, attempt.account, vote_id)
    form = {"csrf_token": token, "member": str(attempt.member), "step": "confirm"}
    if kind == "motion":
        form["choice"] = attempt.ranking[0]
    else:
        form.update({f"rank-{key}": str(n) for n, key in enumerate(attempt.ranking, start=1)})

    def job(barrier: threading.Barrier) -> None:
        barrier.wait(TIMEOUT)
        response = client.post(f"/votes/{vote_id}/ballot", data=form)
        if response.status_code == 303:
            attempt.ok = True
            done = client.get(response.headers["Location"]).get_data(as_text=True)
            trackers = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", done)
            attempt.detail = trackers[0] if trackers else ""
        else:
            assert response.status_code == 409, (response.status_code, response.get_data(as_text=True)[:2000])
            attempt.detail = response.get_data(as_text=True)

    return job


@pytest.mark.parametrize("kind", ["motion", "election"])
def test_concurrent_ballot_posts_leave_one_ballot_per_member(world: World, kind: str) -> None:
    vote_id = _open(world, kind)
    attempts = _attempts(world, kind)
    jobs = [_http_job(world, vote_id, kind, a) for a in attempts]  # sign-ins happen here, before the race
    _run_together(jobs)
    _check_outcome(world, vote_id, attempts)


# --- the database decides --------------------------------------------------------------------


@only_postgresql
def test_when_every_check_passes_the_unique_constraint_decides(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """All attempts pass the "has this member voted?" check before any inserts: only the constraint stops them."""
    from govern.voting import services

    vote_id = _open(world, "motion")
    attempts = [a for a in _attempts(world, "motion") if a.member in (world.organisation, world.person_member)]
    original = services._weight_and_voted
    gate = threading.Barrier(len(attempts))
    seen: list[bool] = []

    def voted_then_wait(vote: Any, member_id: int) -> tuple[int | None, bool]:
        weight, answer = original(vote, member_id)
        seen.append(answer)
        gate.wait(TIMEOUT)  # nobody inserts until everybody has checked
        return weight, answer

    monkeypatch.setattr(services, "_weight_and_voted", voted_then_wait)
    _run_together([_service_job(world, vote_id, a) for a in attempts])
    monkeypatch.setattr(services, "_weight_and_voted", original)
    assert seen == [False] * len(attempts)  # every refusal below came from the database
    _check_outcome(world, vote_id, attempts)


def test_a_refused_cast_writes_nothing(world: World) -> None:
    """A sequential second cast (the double click that arrives late) is refused and changes no table."""
    from flask_babel import force_locale

    from govern.audit.log import AuditEntry
    from govern.extensions import db
    from govern.membership.models import Account
    from govern.services import ServiceError
    from govern.voting import services
    from govern.voting.models import Ballot, Participation, VoteItem

    vote_id = _open(world, "motion")
    with world.app.test_request_context("/"):
        vote = db.session.get(VoteItem, vote_id)
        first, second = (db.session.get(Account, a) for a in world.delegates)
        services.cast_ballot(vote, by=first, member_id=world.organisation, ranking=["yes"])

        def counts() -> tuple[int, ...]:
            return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (AuditEntry, Participation, Ballot))

        before = counts()
        with force_locale("en"), pytest.raises(ServiceError, match=ALREADY):
            services.cast_ballot(vote, by=second, member_id=world.organisation, ranking=["no"])
        assert counts() == before
        db.session.remove()


@only_postgresql
@pytest.mark.parametrize("kind", ["motion", "election"])
def test_when_every_ballot_page_check_passes_the_unique_constraint_decides(
    world: World, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ballot page's confirm step reads the member's state in one query (services.cast_state);
    every post passes that read before any inserts, so only the constraint stops the repeats."""
    from govern.voting import services

    vote_id = _open(world, kind)
    attempts = [a for a in _attempts(world, kind) if a.member in (world.organisation, world.person_member)]
    jobs = [_http_job(world, vote_id, kind, a) for a in attempts]  # sign-ins happen here, before the gate is set
    original = services.cast_state
    gate = threading.Barrier(len(attempts))
    seen: list[bool] = []

    def state_then_wait(vote: int, member_id: int) -> Any:
        state = original(vote, member_id)
        seen.append(state.voted)
        gate.wait(TIMEOUT)  # nobody inserts until everybody has read "not voted"
        return state

    monkeypatch.setattr(services, "cast_state", state_then_wait)
    _run_together(jobs)
    monkeypatch.setattr(services, "cast_state", original)
    assert seen == [False] * len(attempts)  # every refusal came from the database
    _check_outcome(world, vote_id, attempts)
