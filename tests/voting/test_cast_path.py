"""The confirm step of a member's own ballot: few statements, the same rules and messages.

The ballot page's confirm step reads the vote, the member's weight in the frozen electorate,
whether it has voted and its own plans in one query (``services.cast_state``), keeps each
open vote's options per process (``BallotFacts``), and writes participation, ballot and the
record entry with Core statements. Everything that is not a plain, valid first ballot of the
account's own member goes the full way, with the full way's messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit.log import AuditEntry, record
from govern.extensions import db as _db
from govern.services import unit_of_work
from govern.voting import services
from govern.voting.models import Ballot, Participation, VoteStatus
from tests.conftest import audit_count, csrf_token
from tests.voting.factories import make_election, make_motion

SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run meanwhile (the test's own savepoints left out), flattened to one line each."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        flat = " ".join(statement.split())
        if not flat.upper().startswith(SAVEPOINTS):
            seen.append(flat)

    sa.event.listen(_db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", before)


def count(db: Any, model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def confirm(client: Any, vote: Any, member_id: int, **fields: str) -> Any:
    data = {"csrf_token": csrf_token(client, "/votes"), "member": str(member_id), "step": "confirm", **fields}
    return client.post(f"/votes/{vote.id}/ballot", data=data)


@pytest.fixture()
def voters(make_account: Any) -> list[Any]:
    return [make_account(tier="lid", name=f"Stemmer {i}") for i in range(3)]


def test_a_confirmed_ballot_takes_few_statements(db, client, auth, board, tiers, voters):
    election = make_election(board, tiers)
    services._FACTS.clear()
    auth.as_account(voters[0])
    assert confirm(client, election, voters[0].member_id, **{"rank-c2": "1"}).status_code == 303  # reads the options once
    auth.as_account(voters[1])
    url = f"/votes/{election.id}/ballot"
    data = {"csrf_token": csrf_token(client, "/votes"), "member": str(voters[1].member_id), "step": "confirm",
            "rank-c3": "1", "rank-c1": "2"}
    vote_id = election.id
    db.session.expunge_all()  # as in production: the request loads its own account
    with statements() as seen:
        response = client.post(url, data=data)
    assert response.status_code == 303
    # At most: the account, the vote with the member's state, participation and ballot (one
    # statement on PostgreSQL), the record's head and entry (one call on PostgreSQL). No options,
    # role grants or own plans on their own.
    assert len(seen) <= (4 if db.engine.dialect.name == "postgresql" else 6), "\n".join(s[:150] for s in seen)
    assert not [s for s in seen if "FROM vote_option" in s or "FROM role_grant" in s], seen
    assert sum("FROM proposal_party" in s for s in seen) <= 1, seen
    tables = ("participation", "ballot") if db.engine.dialect.name == "postgresql" else ("participation", "ballot", "audit_entry")
    for table in tables:  # PostgreSQL: participation and ballot in one statement, the entry inside govern_audit_append
        assert sum(f"INSERT INTO {table} " in s for s in seen) == 1, seen
    ballot = db.session.execute(sa.select(Ballot.ranking, Ballot.member_id, Ballot.cast_at).where(
        Ballot.vote_id == vote_id).order_by(Ballot.id.desc()).limit(1)).one()
    assert ballot == (["c3", "c1"], None, None)  # secret: no member, no time


def test_options_are_read_once_per_opened_vote(db, board, tiers, voters):
    election = make_election(board, tiers)
    vote_id, first_id, second_id = election.id, voters[0].member_id, voters[1].member_id
    services._FACTS.clear()
    with statements() as first:
        state = services.cast_state(vote_id, first_id)
    assert [o.key for o in state.facts.options] == ["c1", "c2", "c3", "c4"]
    assert sum("FROM vote_option" in s for s in first) == 1
    with statements() as second:
        again = services.cast_state(vote_id, second_id)
    assert again.facts is state.facts and len(second) == 1
    # Another opening (or another vote under a reused id) never matches the kept facts.
    db.session.execute(sa.text("UPDATE vote_item SET opened_at = :t WHERE id = :v"),
                       {"t": dt.datetime(2031, 1, 1), "v": vote_id})
    with statements() as third:
        services.cast_state(vote_id, first_id)
    assert sum("FROM vote_option" in s for s in third) == 1


def test_a_draft_is_not_kept(db, board, tiers, voters):
    draft = make_election(board, tiers, open_=False)
    services._FACTS.clear()
    state = services.cast_state(draft.id, voters[0].member_id)
    assert state is not None and state.status == VoteStatus.DRAFT and not state.can_vote
    assert services._FACTS == {}
    assert services.cast_state(999_999, voters[0].member_id) is None


def test_state_of_a_member(db, board, tiers, voters, make_account):
    motion = make_motion(board, tiers)
    outsider = make_account(tier="bewoner")
    services.cast_ballot(motion, by=voters[0], member_id=voters[0].member_id, ranking=["yes"])
    voted = services.cast_state(motion.id, voters[0].member_id)
    fresh = services.cast_state(motion.id, voters[1].member_id)
    outside = services.cast_state(motion.id, outsider.member_id)
    assert (voted.weight, voted.voted, voted.can_vote) == (1, True, False)
    assert (fresh.weight, fresh.voted, fresh.can_vote) == (1, False, True)
    assert (outside.weight, outside.voted, outside.can_vote) == (None, False, False)


def test_a_stale_state_still_ends_in_one_ballot_and_a_409(db, client, auth, board, tiers, voters, monkeypatch):
    """Another device was a moment faster: the state said "not voted", the constraint refuses."""
    motion = make_motion(board, tiers)
    voter = voters[0]
    services.cast_ballot(motion, by=voter, member_id=voter.member_id, ranking=["no"])
    real = services.cast_state
    monkeypatch.setattr(services, "cast_state", lambda v, m: dataclasses.replace(real(v, m), voted=False))
    before = audit_count(db)
    auth.as_account(voter)
    response = confirm(client, motion, voter.member_id, choice="yes")
    assert response.status_code == 409 and "already been cast" in response.get_data(as_text=True)
    assert count(db, Ballot, Ballot.vote_id == motion.id) == 1
    assert count(db, Participation, Participation.vote_id == motion.id) == 1
    assert audit_count(db) == before


def test_after_the_closing_time_the_full_path_refuses(db, client, auth, board, tiers, voters, monkeypatch):
    motion = make_motion(board, tiers, closes_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    monkeypatch.setattr(services, "utcnow", lambda: dt.datetime(2099, 1, 2, tzinfo=dt.UTC))
    auth.as_account(voters[0])
    response = confirm(client, motion, voters[0].member_id, choice="yes")
    assert response.status_code == 409 and "This vote is closed" in response.get_data(as_text=True)
    assert count(db, Ballot) == 0 and count(db, Participation) == 0


def test_the_service_checks_the_state_again(db, board, tiers, voters):
    """cast_own_ballot does not trust its caller: a state that says "voted", "not in the electorate"
    or "closed" is refused, and a ranking is checked against the vote."""
    from govern.services import ServiceError

    election = make_election(board, tiers)
    voter = voters[0]
    state = services.cast_state(election.id, voter.member_id)
    for changed, words in (({"voted": True}, "already been cast"), ({"weight": None}, "not on the list"),
                           ({"status": VoteStatus.CLOSED}, "closed")):
        with pytest.raises(ServiceError) as refused:
            services.cast_own_ballot(dataclasses.replace(state, **changed), by=voter, ranking=["c1"])
        assert words in str(refused.value.message)
    with pytest.raises(ServiceError):
        services.cast_own_ballot(state, by=voter, ranking=["c9"])
    assert count(db, Ballot) == 0 and count(db, Participation) == 0
    tracker = services.cast_own_ballot(state, by=voter, ranking=["c2", "c1"])
    stored = db.session.execute(sa.select(Ballot.tracker, Ballot.ranking)).one()
    assert stored == (tracker, ["c2", "c1"])


def test_roll_call_ballots_name_their_member_on_this_path_too(db, client, auth, board, tiers, voters):
    election = make_election(board, tiers, secret=False)
    auth.as_account(voters[0])
    assert confirm(client, election, voters[0].member_id, **{"rank-c4": "1"}).status_code == 303
    member_id, cast_at = db.session.execute(sa.select(Ballot.member_id, Ballot.cast_at)).one()
    assert member_id == voters[0].member_id and cast_at is not None


# --- the record: the lock comes last ---------------------------------------------------------


def test_record_writes_pending_changes_before_it_locks_the_head(db, board, tiers, make_account):
    """Everything else the transaction writes goes first, so the append lock is held only for the
    head read, the entry and the COMMIT."""
    from govern.membership.models import Member

    account = make_account(tier="lid", name="Eerst")

    @unit_of_work
    def rename_and_record() -> AuditEntry:
        account.member.name = "Daarna"
        return record("test.entry", actor=board, subject=f"member:{account.member_id}")

    with statements() as seen:
        entry = rename_and_record()
    update = next(i for i, s in enumerate(seen) if s.startswith("UPDATE member"))
    if db.engine.dialect.name == "postgresql":  # lock, head, entry: one call
        append = [i for i, s in enumerate(seen) if "govern_audit_append" in s]
        assert len(append) == 1 and update < append[0]
        assert not [s for s in seen if "FROM audit_entry" in s or "INSERT INTO audit_entry" in s], seen
    else:
        head = next(i for i, s in enumerate(seen) if "FROM audit_entry" in s and "ORDER BY audit_entry.seq DESC" in s)
        assert update < head
    stored = db.session.get(AuditEntry, entry.seq)
    assert (stored.hash, stored.body, stored.prev) == (entry.hash, entry.body, entry.prev)
    assert db.session.get(Member, account.member_id).name == "Daarna"
