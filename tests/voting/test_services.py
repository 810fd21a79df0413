"""Vote services: frozen electorate, one ballot per member, secret ballots, counting and the record."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit import canonical, merkle
from govern.audit.checkpoints import AuditCheckpoint
from govern.audit.log import AuditEntry, verify_chain
from govern.budgeting.models import Phase, ProposalStatus
from govern.membership import services as membership
from govern.membership.models import MemberStatus
from govern.services import ServiceError
from govern.tally.rules import recount
from govern.voting import services
from govern.voting.models import Ballot, Channel, Elector, Participation, VoteKind, VoteStatus
from tests.budgeting.factories import make_proposal, make_round, move_to
from tests.conftest import audit_count
from tests.voting.factories import make_election, make_motion


def entries(db: Any, vote: Any, type_: str) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.subject == vote.subject, AuditEntry.type == type_).order_by(AuditEntry.seq)
    ))


def checkpoint_sizes(db: Any) -> list[int]:
    return list(db.session.scalars(sa.select(AuditCheckpoint.size).order_by(AuditCheckpoint.size)))


# --- creating and opening ------------------------------------------------------------------


def test_bad_settings_are_refused_and_nothing_is_written(db, board, tiers):
    before = audit_count(db)
    cases = [
        dict(kind=VoteKind.MOTION, title=" "),
        dict(kind=VoteKind.MOTION, title="x", quorum="half"),
        dict(kind=VoteKind.MOTION, title="x", quorum="3/2"),
        dict(kind=VoteKind.MOTION, title="x", rule="irv"),
        dict(kind=VoteKind.ELECTION, title="x", candidates=[("A", "")]),
        dict(kind=VoteKind.ELECTION, title="x", seats=2, candidates=[("A", ""), ("B", "")]),
        dict(kind=VoteKind.ELECTION, title="x", candidates=[("A", ""), ("a", "")]),
        dict(kind=VoteKind.MOTION, title="x", tier_weights={999999: 1}),
        dict(kind=VoteKind.MOTION, title="x", tier_weights={tiers["lid"].id: 0}),
    ]
    for values in cases:
        with pytest.raises(ServiceError):
            services.create_vote(by=board, **values)
    assert audit_count(db) == before


def test_opening_freezes_the_electorate_and_records_its_digest(db, board, tiers, make_account):
    voter = make_account(tier="lid")
    make_account(tier="bewoner")  # cannot vote at assemblies
    vote = make_motion(board, tiers)
    rows = services.frozen_electorate(vote)
    assert (voter.member_id, 1) in rows and all(w == 1 for _, w in rows)
    opened = entries(db, vote, "vote.opened")[0]
    assert opened.data["electorate_digest"] == services.electorate_digest(vote.id, rows) == vote.electorate_digest
    assert opened.data["electorate_count"] == len(rows) == vote.electorate_count
    assert opened.data["params"]["tie_break"] == vote.tie_break_seed
    assert checkpoint_sizes(db)[-1] == opened.seq  # signed right after opening

    latecomer = make_account(tier="lid")  # joins after opening: not in the electorate
    assert latecomer.member_id not in dict(services.frozen_electorate(vote))
    with pytest.raises(ServiceError, match="not on the list of voters"):
        services.cast_ballot(vote, by=latecomer, member_id=latecomer.member_id, ranking=["yes"])
    membership.change_tier(voter.member, by=board, tier_id=tiers["vriend"].id, reason="Verhuisd")  # later change: still votes
    services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["yes"])
    assert services.turnout(vote) == 1


def test_nobody_to_vote_refuses_to_open(db, board, tiers):
    vote = services.create_vote(by=board, kind=VoteKind.MOTION, title="x", tier_weights={tiers["vriend"].id: 1})
    with pytest.raises(ServiceError, match="Nobody may vote"):
        services.open_vote(vote, by=board)
    assert vote.status == VoteStatus.DRAFT and not db.session.scalars(sa.select(Elector)).all()


# --- casting -------------------------------------------------------------------------------


def test_one_member_one_ballot_even_with_two_delegates(db, board, tiers, make_account):
    first = make_account(tier="lid", kind="organisation", name="Buurthuis De Fabriek")
    second = make_account(tier="lid", member=first.member)
    vote = make_motion(board, tiers)
    tracker = services.cast_ballot(vote, by=first, member_id=first.member_id, ranking=["yes"])
    assert len(tracker) == 19 and tracker.count("-") == 3
    before = audit_count(db)
    with pytest.raises(ServiceError, match="already been cast"):
        services.cast_ballot(vote, by=second, member_id=second.member_id, ranking=["no"])
    assert audit_count(db) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)) == 1


def test_the_unique_constraint_catches_a_race_the_check_missed(db, board, tiers, make_account, monkeypatch):
    voter = make_account(tier="lid")
    vote = make_motion(board, tiers)
    services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["yes"])
    real = services._weight_and_voted
    # as if the other request had not committed yet when this one looked
    monkeypatch.setattr(services, "_weight_and_voted", lambda vote, member_id: (real(vote, member_id)[0], False))
    with pytest.raises(ServiceError, match="already been cast"):
        services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["no"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)) == 1


def test_secret_ballots_hold_no_member_and_no_time(db, board, tiers, make_account):
    voter = make_account(tier="lid")
    vote = make_motion(board, tiers)
    services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["no"])
    ballot = db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == vote.id)).one()
    assert ballot.member_id is None and ballot.cast_at is None
    entry = entries(db, vote, "participation.recorded")[0]
    assert entry.data == {"member": voter.member_id, "channel": "online"}  # who voted, not how
    assert "no" not in json.dumps(entry.data)


def test_roll_call_ballots_name_their_member(db, board, tiers, make_account):
    voter = make_account(tier="lid")
    vote = make_motion(board, tiers, secret=False)
    services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["yes"])
    ballot = db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == vote.id)).one()
    assert ballot.member_id == voter.member_id and ballot.cast_at is not None


def test_ranked_input_is_checked_with_clear_messages(db, board, tiers):
    vote = make_election(board, tiers)
    assert services.parse_ranks(vote, None, {"c1": "2", "c2": "1", "c3": "", "c4": ""}) == ["c2", "c1"]
    cases = {
        "gave number 1 to two": {"c1": "1", "c2": "1"},
        "skipped number 2": {"c1": "1", "c2": "3"},
        "not chosen anything": {"c1": "", "c2": ""},
        "from 1 to 4": {"c1": "9"},
        "not on it": {"c9": "1"},
    }
    for message, ranks in cases.items():
        with pytest.raises(ServiceError, match=message):
            services.parse_ranks(vote, None, ranks)
    with pytest.raises(ServiceError, match="twice"):
        services.check_ranking(vote, None, ["c1", "c1"])


def test_closed_votes_refuse_ballots(db, board, tiers, make_account):
    voter = make_account(tier="lid")
    vote = make_motion(board, tiers)
    services.close_vote(vote, by=board)
    with pytest.raises(ServiceError, match="closed"):
        services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["yes"])


# --- closing -------------------------------------------------------------------------------


def _cast_all(vote: Any, voters: list[Any], rankings: list[list[str]]) -> list[str]:
    return [services.cast_ballot(vote, by=v, member_id=v.member_id, ranking=r) for v, r in zip(voters, rankings)]


def test_closing_counts_records_and_checkpoints(db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(5)]
    vote = make_motion(board, tiers)
    trackers = _cast_all(vote, voters, [["yes"], ["yes"], ["no"], ["abstain"], ["yes"]])
    services.close_vote(vote, by=board)
    assert vote.status == VoteStatus.CLOSED and vote.winners == ["yes"] and vote.valid is True
    closed = entries(db, vote, "vote.closed")
    assert len(closed) == 1
    data = closed[0].data
    assert data["winners"] == ["yes"] and data["participation_count"] == data["ballot_count"] == 5
    assert data["ballots_digest"] == hashlib.sha256(vote.count_document).hexdigest()
    assert data["outcome_digest"] == hashlib.sha256(vote.outcome).hexdigest()
    assert data["engine"].startswith("govern-tally/") and data["params"]["threshold"] == "majority"
    # the recount of the stored document gives the stored outcome byte for byte
    assert recount(canonical.decode(vote.count_document)).to_json() == vote.outcome
    # the box is in tracker order now, and its root is the one on the record
    stored = list(db.session.scalars(sa.select(Ballot.tracker).where(Ballot.vote_id == vote.id).order_by(Ballot.id)))
    assert stored == sorted(trackers)
    assert data["ballot_box_root"] == merkle.root(services.box_leaves(vote.id)).hex() == vote.ballot_box_root
    assert checkpoint_sizes(db)[-1] == closed[0].seq
    verify_chain(db.session)


def test_receipt_proves_inclusion_in_the_recorded_box(db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(7)]
    vote = make_election(board, tiers)
    trackers = _cast_all(vote, voters, [["c1", "c2"], ["c2"], ["c3", "c1"], ["c1"], ["c4", "c2"], ["c2", "c1"], ["c1"]])
    assert services.receipt(vote, trackers[2]) is None  # not while open
    services.close_vote(vote, by=board)
    typed = trackers[2].lower().replace("-", " ")
    receipt = services.receipt(vote, typed)
    assert receipt is not None and receipt.ranking == ["c3", "c1"] and receipt.size == 7
    merkle.verify_inclusion(
        receipt.index, receipt.size, bytes.fromhex(receipt.leaf_hash), [bytes.fromhex(p) for p in receipt.proof],
        bytes.fromhex(entries(db, vote, "vote.closed")[0].data["ballot_box_root"]),
    )
    assert services.receipt(vote, "AAAA-BBBB-CCCC-DDDD") is None


def test_two_seat_stv_election(db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(9)]
    vote = make_election(board, tiers, seats=2)
    assert vote.rule == "stv-scottish"
    _cast_all(vote, voters, [["c1", "c2"]] * 4 + [["c2", "c1"]] * 2 + [["c3", "c4"]] * 3)
    services.close_vote(vote, by=board)
    assert vote.winners == ["c1", "c3"] or set(vote.winners) == {"c1", "c3"} or len(vote.winners) == 2
    outcome = services.outcome_dict(vote)
    assert outcome["params"]["seats"] == 2 and len(outcome["rounds"]) >= 1
    assert recount(canonical.decode(vote.count_document)).to_json() == vote.outcome


def test_results_stay_hidden_while_open(db, board, tiers, make_account):
    voter = make_account(tier="lid")
    vote = make_motion(board, tiers)
    services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["yes"])
    assert services.outcome_dict(vote) is None and services.running_tally(vote) is None
    visible = make_motion(board, tiers, results_hidden=False)
    services.cast_ballot(visible, by=voter, member_id=voter.member_id, ranking=["no"])
    assert services.running_tally(visible) == {"yes": 0, "no": 1, "abstain": 0}


def test_turnout_quorum_makes_a_vote_invalid(db, board, tiers, make_account):
    voters = [make_account(tier="lid") for _ in range(4)]
    vote = make_motion(board, tiers, quorum="1/2")
    total = vote.electorate_weight
    _cast_all(vote, voters[:1], [["yes"]])
    services.close_vote(vote, by=board)
    assert vote.valid is False and vote.quorum_result["met"] is False
    assert vote.quorum_result["needed"] == -(-total // 2)
    assert entries(db, vote, "vote.closed")[0].data["valid"] is False


def test_scheduled_votes_open_and_close_by_tick(db, board, tiers, make_account):
    import datetime as dt

    from govern.db import utcnow

    now = utcnow()
    voter = make_account(tier="lid")
    vote = make_motion(board, tiers, open_=False, opens_at=now - dt.timedelta(minutes=5),
                       closes_at=now + dt.timedelta(hours=1))
    assert services.tick(now) == ([vote.id], [])
    services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=["yes"])
    with pytest.raises(ServiceError, match="closed"):
        # past the closing time nobody can cast, even before the scheduler has run
        vote.closes_at = now - dt.timedelta(seconds=1)
        services.cast_ballot(vote, by=board, member_id=board.member_id, ranking=["yes"])
    db.session.rollback()
    assert services.tick(now + dt.timedelta(hours=2)) == ([], [vote.id])
    assert vote.status == VoteStatus.CLOSED and vote.winners == ["yes"]


# --- the budget round's vote ----------------------------------------------------------------


def test_budget_vote_from_opening_to_funded_proposals(db, board, tiers, make_account):
    proposer = make_account(tier="lid")
    voters = [make_account(tier="bewoner") for _ in range(6)]
    round_ = make_round(board, tiers, phase=Phase.SUBMISSION, budget_cents=300_000)
    cheap = make_proposal(round_, proposer, title="Bankjes", lines=[("Bankjes", 100_000)])
    dear = make_proposal(round_, proposer, title="Speeltuin", lines=[("Toestellen", 250_000)])
    from govern.budgeting import services as budgeting

    move_to(round_, board, Phase.REVIEW)
    for p in (cheap, dear):
        budgeting.review(p, by=board, eligible=True, reason="Haalbaar.")
    move_to(round_, board, Phase.VOTING)
    vote = services.budget_vote(round_)
    assert vote is not None and vote.is_open and [o.key for o in vote.options] == [f"p{cheap.id}", f"p{dear.id}"]
    # conflict of interest: the proposer cannot rank its own plans
    assert set(services.excluded_options(vote, proposer.member_id)) == {f"p{cheap.id}", f"p{dear.id}"}
    with pytest.raises(ServiceError, match="co-\\)proposed"):
        services.parse_ranks(vote, proposer.member_id, {f"p{cheap.id}": "1"})
    for v in voters[:4]:
        services.cast_ballot(vote, by=v, member_id=v.member_id, ranking=[f"p{dear.id}", f"p{cheap.id}"])
    for v in voters[4:]:
        services.cast_ballot(vote, by=v, member_id=v.member_id, ranking=[f"p{cheap.id}"])
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS)  # closes and counts the vote
    assert vote.status == VoteStatus.CLOSED and round_.phase == Phase.RESULTS
    # Equal Shares: six voters with € 500 each; the € 2.500 plan has four supporters (€ 2.000), so only the € 1.000 one
    assert vote.winners == [f"p{cheap.id}"]
    assert cheap.status == ProposalStatus.FUNDED and dear.status == ProposalStatus.NOT_FUNDED
    assert services.comparison_dict(vote)["rule"] == "greedy"
    assert recount(canonical.decode(vote.count_document)).to_json() == vote.outcome


# --- export and the standalone verifier -----------------------------------------------------


def test_export_carries_the_votes_and_the_verifier_recounts_them(db, board, tiers, make_account, tmp_path):
    from govern.audit.export import export_bundle
    from govern.audit.verify import verify_bundle

    voters = [make_account(tier="lid") for _ in range(5)]
    vote = make_election(board, tiers)
    _cast_all(vote, voters, [["c1"], ["c2", "c1"], ["c1", "c3"], ["c4"], ["c2"]])
    services.close_vote(vote, by=board)
    path = tmp_path / "bundle.zip"
    export_bundle(str(path))
    report = verify_bundle(path)
    assert report.ok, report.render()
    text = report.render()
    assert f"Vote {vote.id}" in text and "box" in text

    # a tampered ballot in the published box is found
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == f"votes/{vote.id}/vote.json":
                meta = canonical.decode(data)
                meta["box"][0]["ranking"] = ["c3"]
                data = canonical.encode(meta)
            dst.writestr(info, data)
    bad = verify_bundle(tampered)
    assert not bad.ok and any(f"votes/{vote.id}/vote.json" in (c.where or "") for c in bad.failures)


def test_left_over_money_never_funds_a_plan_nobody_chose(db, board, tiers, make_account):
    from govern.budgeting import services as budgeting

    proposer = make_account(tier="lid")
    voters = [make_account(tier="bewoner") for _ in range(3)]
    round_ = make_round(board, tiers, phase=Phase.SUBMISSION, budget_cents=1_000_000)
    liked = make_proposal(round_, proposer, title="Bankjes", lines=[("Bankjes", 100_000)])
    unloved = make_proposal(round_, proposer, title="Vlaggen", lines=[("Vlaggen", 50_000)])
    move_to(round_, board, Phase.REVIEW)
    for p in (liked, unloved):
        budgeting.review(p, by=board, eligible=True, reason="Haalbaar.")
    move_to(round_, board, Phase.VOTING)
    vote = services.budget_vote(round_)
    for v in voters:
        services.cast_ballot(vote, by=v, member_id=v.member_id, ranking=[f"p{liked.id}"])
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS)
    assert vote.winners == [f"p{liked.id}"] and unloved.status == ProposalStatus.NOT_FUNDED
    assert services.comparison_dict(vote)["winners"] == [f"p{liked.id}"]


def test_the_counting_document_is_encoded_canonically(db, board, tiers, make_account):
    # close_vote encodes the (large) counting document without canonical.encode's walk; same bytes
    voters = [make_account(tier="lid") for _ in range(4)]
    vote = make_election(board, tiers)
    _cast_all(vote, voters, [["c2", "c1"], ["c1"], ["c3", "c4", "c1"], ["c2", "c1"]])
    services.close_vote(vote, by=board)
    document = canonical.decode(vote.count_document)  # decode refuses non-canonical bytes
    assert canonical.encode(document) == canonical.encode_plain(document) == vote.count_document
    from govern.audit.bundle import box_leaf

    for tracker, ranking, weight in [("AB12-CD34", ["c1", "c2"], 3), ("Ü", [], 1), ("x", ["é\u2028"], 2**53 - 1)]:
        assert box_leaf(tracker, ranking, weight) == canonical.encode({"tracker": tracker, "ranking": ranking, "weight": weight})
