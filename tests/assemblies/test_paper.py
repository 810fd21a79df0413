"""Paper ballots: marking paper voters, double entry by two tellers, mismatches, acceptance."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from govern.assemblies import services
from govern.audit.log import AuditEntry
from govern.services import ServiceError
from govern.voting import paper
from govern.voting import services as voting
from govern.voting.models import Ballot, Channel, PaperSlip, Participation


def open_meeting(board: Any, assembly: Any, make_account: Any, *, n: int = 3, kind: str = "motion", secret: bool = True) -> tuple[Any, list[Any]]:
    members = [make_account(name=f"Lid {i}") for i in range(n)]
    extra = {"candidates": [("Anouk", ""), ("Bilal", ""), ("Chantal", "")]} if kind == "election" else {}
    vote = services.add_vote(assembly.agenda[1], by=board, kind=kind, title="Stemming", secret=secret, **extra)
    services.open_assembly(assembly, by=board)
    for account in members:
        services.check_in(assembly, by=account)
    voting.open_vote(vote, by=board)
    return vote, members


def test_marking_paper_voters(db, board, assembly, make_account, teller):
    vote, members = open_meeting(board, assembly, make_account)
    with pytest.raises(ServiceError):
        paper.mark_voter(vote, by=members[0], member_id=members[1].member_id)  # not a teller
    participation = paper.mark_voter(vote, by=teller, member_id=members[0].member_id)
    assert participation.channel == Channel.PAPER and participation.account_id == teller.id
    with pytest.raises(ServiceError) as error:
        paper.mark_voter(vote, by=teller, member_id=members[0].member_id)
    assert "has already voted" in str(error.value.message)
    # Voted online already: refused on paper.
    voting.cast_ballot(vote, by=members[1], member_id=members[1].member_id, ranking=["yes"])
    with pytest.raises(ServiceError):
        paper.mark_voter(vote, by=teller, member_id=members[1].member_id)
    # Not checked in (the board member): refused.
    with pytest.raises(ServiceError) as error:
        paper.mark_voter(vote, by=teller, member_id=board.member_id)
    assert "not checked in" in str(error.value.message)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.type == "participation.recorded").order_by(AuditEntry.seq)
    ).first()
    assert entry.data == {"member": members[0].member_id, "channel": "paper"}


def test_a_represented_member_votes_on_paper_through_its_holder(db, board, make_account, teller):
    from tests.assemblies.factories import make_assembly

    assembly = make_assembly(board)
    holder, grantor = make_account(), make_account()
    services.give_proxy(assembly, by=grantor, holder_id=holder.member_id)
    vote = services.add_vote(assembly.agenda[0], by=board, kind="motion", title="Stemming")
    services.open_assembly(assembly, by=board)
    services.check_in(assembly, by=holder)
    voting.open_vote(vote, by=board)
    paper.mark_voter(vote, by=teller, member_id=grantor.member_id)
    assert paper.status(vote).voters == 1


def test_double_entry_with_a_mismatch_then_fixed_then_accepted(db, board, assembly, make_account, teller, teller2):
    vote, members = open_meeting(board, assembly, make_account)
    for account in members:
        paper.mark_voter(vote, by=teller, member_id=account.member_id)
    slips = {1: "yes", 2: "no", 3: "yes"}
    for number, choice in slips.items():
        paper.enter_slip(vote, by=teller, number=number, choice=choice)
    # Teller 2 misreads slip 2.
    for number, choice in {**slips, 2: "abstain"}.items():
        paper.enter_slip(vote, by=teller2, number=str(number), choice=choice)
    found = paper.status(vote)
    assert (found.slips, found.matched, found.mismatches, found.voters) == (3, 2, 1, 3)
    assert [r.state for r in found.rows] == ["ok", "mismatch", "ok"]
    assert "differ: 2" in str(found.problems[0])
    with pytest.raises(ServiceError):
        paper.accept(vote, by=teller)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
    # Teller 2 looks again and corrects their own entry.
    corrected = paper.enter_slip(vote, by=teller2, number=2, choice="no")
    assert corrected.ranking == ["no"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperSlip)) == 6
    found = paper.status(vote)
    assert found.ready and found.slip_weight == found.voters_weight == 3
    assert paper.accept(vote, by=teller2) == 3
    ballots = list(db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == vote.id)))
    assert sorted(b.ranking[0] for b in ballots) == ["no", "yes", "yes"]
    assert all(b.member_id is None and b.cast_at is None for b in ballots)  # secret: no member, no time
    assert all(s.accepted for s in db.session.scalars(sa.select(PaperSlip)))
    with pytest.raises(ServiceError):  # accepted slips can no longer change
        paper.enter_slip(vote, by=teller, number=1, choice="no")
    with pytest.raises(ServiceError):
        paper.accept(vote, by=teller)
    types = [e.type for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject == vote.subject))]
    assert types.count("paper.slip_entered") == 6 and types.count("paper.slip_corrected") == 1 and "paper.accepted" in types
    accepted = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.type == "paper.accepted")).one()
    assert accepted.data["ballots"] == 3 and accepted.data["numbers"] == [1, 2, 3]
    # No slip content on the record while the result is hidden.
    assert all("yes" not in str(e.data) for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.type.startswith("paper."))))
    voting.close_vote(vote, by=board)
    assert vote.winners == ["yes"] and vote.ballot_count == 3


def test_acceptance_needs_two_tellers_and_equal_counts(db, board, assembly, make_account, teller, teller2):
    vote, members = open_meeting(board, assembly, make_account)
    paper.mark_voter(vote, by=teller, member_id=members[0].member_id)
    paper.enter_slip(vote, by=teller, number=1, choice="yes")
    found = paper.status(vote)
    assert [r.state for r in found.rows] == ["second"] and not found.ready
    with pytest.raises(ServiceError) as error:
        paper.accept(vote, by=teller)
    assert "second teller" in str(error.value.message)
    paper.enter_slip(vote, by=teller2, number=1, choice="yes")
    paper.enter_slip(vote, by=teller, number=2, choice="no")
    paper.enter_slip(vote, by=teller2, number=2, choice="no")
    with pytest.raises(ServiceError) as error:  # 2 slips, 1 paper voter
        paper.accept(vote, by=teller)
    assert "2 slips but 1 members voted on paper" in str(error.value.message)
    paper.mark_voter(vote, by=teller, member_id=members[1].member_id)
    assert paper.accept(vote, by=teller) == 2
    # Closing needs every paper participation turned into a ballot: it is.
    voting.close_vote(vote, by=board)


def test_slips_are_validated_like_online_ballots(db, board, assembly, make_account, teller):
    vote, _ = open_meeting(board, assembly, make_account, kind="election")
    with pytest.raises(ServiceError) as error:
        paper.enter_slip(vote, by=teller, number=1, ranks={"c1": "1", "c2": "1"})
    assert error.value.field == "c2"
    with pytest.raises(ServiceError):
        paper.enter_slip(vote, by=teller, number=1, ranks={"c1": "2"})  # a gap
    with pytest.raises(ServiceError) as error:
        paper.enter_slip(vote, by=teller, number="nul", ranks={"c1": "1"})
    assert error.value.field == "number"
    with pytest.raises(ServiceError) as error:
        paper.enter_slip(vote, by=teller, number=1, ranks={"c1": "1"}, weight=7)
    assert error.value.field == "weight"
    slip = paper.enter_slip(vote, by=teller, number=1, ranks={"c1": "2", "c2": "1", "c3": ""})
    assert slip.ranking == ["c2", "c1"] and slip.weight == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperSlip)) == 1


def test_paper_only_for_open_secret_assembly_votes(db, board, assembly, make_account, teller):
    vote, members = open_meeting(board, assembly, make_account, secret=False)
    with pytest.raises(ServiceError) as error:
        paper.mark_voter(vote, by=teller, member_id=members[0].member_id)
    assert "only for secret votes" in str(error.value.message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation)) == 0
