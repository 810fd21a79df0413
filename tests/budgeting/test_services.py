"""Budget round and proposal operations: every transition changes state and writes its entry, or neither."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit.log import AuditEntry, verify_chain
from govern.budgeting import services
from govern.budgeting.models import (
    BudgetRound,
    Endorsement,
    Party,
    Phase,
    Proposal,
    ProposalImage,
    ProposalReview,
    ProposalStatus,
    ProposalVersion,
)
from govern.membership.models import MemberStatus
from govern.services import ServiceError
from tests.budgeting.factories import BUDGET, make_proposal, make_round, move_to, proposal_input
from tests.conftest import audit_count


def entries(db: Any, subject: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.seq)))


def last(db: Any) -> AuditEntry:
    return db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))


def counts(db: Any) -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (BudgetRound, Proposal, ProposalVersion, ProposalReview, ProposalImage, Endorsement, AuditEntry)
    )


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(out, "PNG")
    return out.getvalue()


# --- rounds ----------------------------------------------------------------------------------


def test_create_round_is_on_the_record(db, board, tiers):
    round_ = make_round(board, tiers, phase=Phase.PREPARATION)
    entry = last(db)
    assert (entry.type, entry.subject) == ("round.created", f"round:{round_.id}")
    assert entry.data["budget_cents"] == BUDGET
    assert entry.data["proposer_tiers"] == sorted([tiers["lid"].id, tiers["deelnemer"].id])
    assert round_.phase == Phase.PREPARATION and round_.tie_break_seed is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": "  "}, "title"),
        ({"budget_cents": 0}, "budget"),
        ({"budget_cents": None}, "budget"),
        ({"neighbourhoods": []}, "neighbourhoods"),
        ({"neighbourhoods": ["amsterdam"]}, "neighbourhoods"),
        ({"ranks": 0}, "ranks"),
        ({"counting_rule": "borda"}, "counting_rule"),
        ({"support_threshold": -1}, "support_threshold"),
        ({"proposer_tier_ids": []}, "proposer_tiers"),
        ({"voter_tier_ids": [999999]}, "voter_tiers"),
    ],
)
def test_bad_rounds_are_refused_and_write_nothing(db, board, tiers, change, field):
    before = counts(db)
    with pytest.raises(ServiceError) as info:
        make_round(board, tiers, **change)
    assert info.value.field == field
    assert counts(db) == before


def test_phase_dates_must_follow_each_other(db, board, tiers):
    import datetime as dt

    with pytest.raises(ServiceError) as info:
        make_round(board, tiers, review_opens=dt.date(2026, 1, 1))
    assert info.value.field == "dates"


def test_update_round_records_only_the_changes(db, board, tiers, round_):
    values = services.round_snapshot(round_)
    services.update_round(
        round_,
        by=board,
        title="Wijkbudget 2027",
        description=round_.description,
        budget_cents=round_.budget_cents,
        neighbourhoods=round_.neighbourhoods,
        ranks=3,
        counting_rule="greedy",
        support_enabled=False,
        support_threshold=0,
        proposer_tier_ids=values["proposer_tiers"],
        voter_tier_ids=values["voter_tiers"],
        **{k: getattr(round_, k) for k in services.ROUND_DATES},
    )
    entry = last(db)
    assert entry.type == "round.updated"
    assert entry.data == {"title": "Wijkbudget 2027", "ranks": 3, "counting_rule": "greedy"}


def test_each_phase_move_is_on_the_record_and_only_forward(db, board, tiers, proposer, reviewer):
    round_ = make_round(board, tiers, phase=Phase.PREPARATION)
    with pytest.raises(ServiceError):
        services.advance_phase(round_, by=board, to=Phase.REVIEW)  # skipping a phase
    services.advance_phase(round_, by=board, to=Phase.SUBMISSION)
    proposal = make_proposal(round_, proposer)
    services.advance_phase(round_, by=board, to=Phase.REVIEW)
    services.advance_phase(round_, by=board, to=Phase.DELIBERATION)
    # Voting cannot open while a proposal waits for its review.
    before = counts(db)
    with pytest.raises(ServiceError, match="wait"):
        services.advance_phase(round_, by=board, to=Phase.VOTING)
    assert counts(db) == before and round_.phase == Phase.DELIBERATION
    services.review(proposal, by=reviewer, eligible=True, reason="Kan zo.")
    services.advance_phase(round_, by=board, to=Phase.VOTING)
    assert round_.tie_break_seed and len(round_.tie_break_seed) == 32
    assert proposal.status == ProposalStatus.ON_BALLOT
    entry = [e for e in entries(db, f"round:{round_.id}") if e.type == "round.phase_changed"][-1]
    assert last(db).type == "vote.opened"  # entering voting opens the round's vote (tests/voting)
    assert entry.data == {
        "from": "deliberation",
        "to": "voting",
        "seed": round_.tie_break_seed,
        "ballot": [proposal.id],
        "rule": "mes",
        "ranks": 5,
    }
    for to in (Phase.RESULTS, Phase.IMPLEMENTATION, Phase.CLOSED):
        services.advance_phase(round_, by=board, to=to)
    moves = [e.data["to"] for e in entries(db, f"round:{round_.id}") if e.type == "round.phase_changed"]
    assert moves == ["submission", "review", "deliberation", "voting", "results", "implementation", "closed"]
    assert verify_chain(db.session)[1] is None


def test_voting_needs_an_eligible_proposal(db, board, tiers, round_):
    move_to(round_, board, Phase.DELIBERATION)
    with pytest.raises(ServiceError, match="no eligible"):
        services.advance_phase(round_, by=board, to=Phase.VOTING)
    assert round_.tie_break_seed is None


def test_ballot_settings_are_locked_once_voting_opens(db, board, tiers, round_, proposer, reviewer):
    proposal = make_proposal(round_, proposer)
    services.review(proposal, by=reviewer, eligible=True, reason="Goed plan.")
    move_to(round_, board, Phase.VOTING)
    snap = services.round_snapshot(round_)
    with pytest.raises(ServiceError, match="Voting has started"):
        services.update_round(
            round_,
            by=board,
            title=round_.title,
            description="",
            budget_cents=round_.budget_cents + 100,
            neighbourhoods=round_.neighbourhoods,
            ranks=round_.ranks,
            counting_rule=round_.counting_rule,
            support_enabled=False,
            support_threshold=0,
            proposer_tier_ids=snap["proposer_tiers"],
            voter_tier_ids=snap["voter_tiers"],
        )


# --- proposals: drafting and submitting --------------------------------------------------------


def test_draft_then_submit(db, round_, proposer):
    proposal = services.create_proposal(round_, by=proposer, values=proposal_input())
    assert proposal.status == ProposalStatus.DRAFT and proposal.version == 0
    assert proposal.requested_cents == proposal.cost_cents == 150_050
    assert proposal.member_ids() == {proposer.member_id}
    assert "<strong>tien bakken</strong>" in proposal.description_html
    entry = last(db)
    assert (entry.type, entry.subject) == ("proposal.created", f"proposal:{proposal.id}")
    assert entry.data == {"round": round_.id, "member": proposer.member_id, "requested_cents": 150_050}
    services.submit(proposal, by=proposer)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.version == 1 and proposal.submitted_at
    entry = last(db)
    assert entry.type == "proposal.submitted" and entry.data["version"] == 1
    # Names and e-mail addresses never go on the record.
    for e in entries(db, proposal.subject):
        assert "Voedseltuin" not in e.body.decode() and "@" not in e.body.decode()
    with pytest.raises(ServiceError, match="already submitted"):
        services.submit(proposal, by=proposer)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"summary": ""}, "summary"),
        ({"description": ""}, "description"),
        ({"description": "<script>alert('x')</script>"}, "description"),
        ({"description": "<img src=x onerror=alert(1)><iframe src='https://evil.example'></iframe>"}, "description"),
        ({"neighbourhood": "middelland"}, "neighbourhood"),  # not in this round
        ({"category": "weapons"}, "category"),
        ({"lines": []}, "lines"),
        ({"lines": [("", 1000)]}, "lines"),
        ({"lines": [("Iets", 0)]}, "lines"),
        ({"lines": [("Alles", BUDGET), ("Nog meer", 1)]}, "lines"),  # over the round's budget
    ],
)
def test_bad_proposals_are_refused_and_store_nothing(db, round_, proposer, change, field):
    before = counts(db)
    with pytest.raises(ServiceError) as info:
        services.create_proposal(round_, by=proposer, values=proposal_input(**change))
    assert info.value.field == field
    assert counts(db) == before


def test_a_script_is_sanitized_away(db, round_, proposer):
    proposal = make_proposal(
        round_, proposer, description="Goed plan <script>alert(1)</script> [klik](javascript:alert(1)) <b onclick='x'>vet</b>"
    )
    html = proposal.description_html
    assert "<script" not in html and "alert(1)</" not in html
    assert 'href="javascript' not in html and "onclick" not in html
    assert "<strong>vet</strong>" in html or "vet" in html
    assert "Goed plan" in html


def test_the_budget_may_equal_the_round_budget(db, round_, proposer):
    proposal = make_proposal(round_, proposer, lines=[("Alles", BUDGET)])
    assert proposal.cost_cents == BUDGET


def test_proposing_outside_the_submission_phase_is_refused(db, board, tiers, proposer):
    for phase in (Phase.PREPARATION, Phase.REVIEW):
        round_ = make_round(board, tiers, phase=phase)
        before = counts(db)
        with pytest.raises(ServiceError, match="submission phase is closed"):
            services.create_proposal(round_, by=proposer, values=proposal_input())
        assert counts(db) == before


def test_only_allowed_tiers_may_propose(db, round_, make_account):
    for tier in ("bewoner", "vriend"):
        account = make_account(tier=tier)
        with pytest.raises(ServiceError, match="cannot propose"):
            services.create_proposal(round_, by=account, values=proposal_input())
    suspended = make_account(tier="lid", status=MemberStatus.SUSPENDED)
    with pytest.raises(ServiceError, match="active members"):
        services.create_proposal(round_, by=suspended, values=proposal_input())


def test_a_file_that_is_not_an_image_is_refused(db, round_, proposer):
    before = counts(db)
    for data in (b"%PDF-1.4 not a picture", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", png()[:40]):
        with pytest.raises(ServiceError) as info:
            services.create_proposal(
                round_, by=proposer, values=proposal_input(), image=services.ImageUpload(data=data, alt="Een plein")
            )
        assert info.value.field == "image"
    assert counts(db) == before


def test_an_image_needs_alt_text_and_is_stored_re_encoded(db, round_, proposer):
    with pytest.raises(ServiceError) as info:
        services.create_proposal(round_, by=proposer, values=proposal_input(), image=services.ImageUpload(data=png(), alt=" "))
    assert info.value.field == "image_alt"
    proposal = services.create_proposal(
        round_, by=proposer, values=proposal_input(), image=services.ImageUpload(data=png((3000, 1500)), alt="Het plein")
    )
    image = db.session.get(ProposalImage, proposal.id)
    assert proposal.has_image and proposal.image_alt == "Het plein"
    assert (image.width, image.height) == (1600, 800) and image.content_type == "image/jpeg"


# --- editing, versions ----------------------------------------------------------------------------


def test_editing_a_draft_makes_no_version(db, round_, proposer):
    proposal = make_proposal(round_, proposer, submit=False)
    assert services.update_proposal(proposal, by=proposer, values=proposal_input(title="Nieuwe titel"))
    assert proposal.version == 0 and proposal.title == "Nieuwe titel"
    assert last(db).type == "proposal.edited" and "version" not in last(db).data


def test_every_edit_after_submission_is_a_new_version(db, round_, proposer):
    proposal = make_proposal(round_, proposer)
    assert not services.update_proposal(proposal, by=proposer, values=proposal_input())  # nothing changed
    services.update_proposal(proposal, by=proposer, values=proposal_input(lines=[("Houten bakken", 130_000)]))
    assert proposal.version == 2 and proposal.requested_cents == 130_000
    entry = last(db)
    assert entry.type == "proposal.edited" and entry.data == {"requested_cents": 130_000, "version": 2}
    numbers = db.session.scalars(
        sa.select(ProposalVersion.number).where(ProposalVersion.proposal_id == proposal.id).order_by(ProposalVersion.number)
    ).all()
    assert numbers == [1, 2]


def test_only_proposers_edit_and_not_after_review(db, round_, proposer, reviewer, make_account):
    proposal = make_proposal(round_, proposer)
    stranger = make_account(tier="lid")
    with pytest.raises(ServiceError, match="Only the proposers"):
        services.update_proposal(proposal, by=stranger, values=proposal_input(title="Gekaapt"))
    services.review(proposal, by=reviewer, eligible=True, reason="Haalbaar.")
    with pytest.raises(ServiceError, match="After the review"):
        services.update_proposal(proposal, by=proposer, values=proposal_input(title="Later"))


def test_a_co_proposer_may_edit_and_is_shown(db, round_, proposer, make_account):
    proposal = make_proposal(round_, proposer)
    partner = make_account(tier="bewoner", name="Buurvrouw")
    services.add_co_proposer(proposal, by=proposer, member_id=partner.member_id)
    assert last(db).data == {"member": partner.member_id}
    assert partner.member_id in proposal.member_ids(Party.CO_PROPOSER)
    with pytest.raises(ServiceError, match="already"):
        services.add_co_proposer(proposal, by=proposer, member_id=partner.member_id)
    with pytest.raises(ServiceError):
        services.add_co_proposer(proposal, by=proposer, member_id=999999)
    services.update_proposal(proposal, by=partner, values=proposal_input(title="Samen beter"))
    assert proposal.version == 2


# --- review ----------------------------------------------------------------------------------


def test_review_eligible_with_a_cost_change(db, round_, proposer, reviewer):
    proposal = make_proposal(round_, proposer)
    services.review(
        proposal, by=reviewer, eligible=True, reason="Haalbaar.", cost_cents=175_000, cost_reason="Hout is duurder geworden."
    )
    assert proposal.status == ProposalStatus.ELIGIBLE
    assert (proposal.requested_cents, proposal.cost_cents) == (150_050, 175_000) and proposal.cost_adjusted
    entry = last(db)
    assert entry.type == "proposal.reviewed"
    assert entry.data == {
        "from": "submitted",
        "eligible": True,
        "reason": "Haalbaar.",
        "cost_before": 150_050,
        "cost_after": 175_000,
        "cost_reason": "Hout is duurder geworden.",
    }


def test_review_not_eligible_with_a_public_reason(db, round_, proposer, reviewer):
    proposal = make_proposal(round_, proposer)
    services.review(proposal, by=reviewer, eligible=False, reason="Dit is geen gemeentegrond.")
    assert proposal.status == ProposalStatus.NOT_ELIGIBLE and proposal.review_reason == "Dit is geen gemeentegrond."
    # A second look before voting may change the decision.
    services.review(proposal, by=reviewer, eligible=True, reason="Toch wel: de eigenaar doet mee.")
    assert proposal.status == ProposalStatus.ELIGIBLE
    assert [e.data["eligible"] for e in entries(db, proposal.subject) if e.type == "proposal.reviewed"] == [False, True]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"reason": " "}, "reason"),
        ({"reason": "Ok", "cost_cents": 200_000}, "cost_reason"),
        ({"reason": "Ok", "cost_cents": 0, "cost_reason": "x"}, "cost"),
        ({"reason": "Ok", "cost_cents": BUDGET + 1, "cost_reason": "x"}, "cost"),
    ],
)
def test_bad_reviews_are_refused(db, round_, proposer, reviewer, kwargs, field):
    proposal = make_proposal(round_, proposer)
    before = counts(db)
    with pytest.raises(ServiceError) as info:
        services.review(proposal, by=reviewer, eligible=True, **kwargs)
    assert info.value.field == field
    assert counts(db) == before and proposal.status == ProposalStatus.SUBMITTED


def test_who_may_review(db, round_, proposer, board, make_account):
    proposal = make_proposal(round_, proposer)
    with pytest.raises(ServiceError, match="board and moderators"):
        services.review(proposal, by=make_account(tier="lid"), eligible=True, reason="Ja")
    with pytest.raises(ServiceError, match="involved"):
        services.review(proposal, by=_with_role(proposer), eligible=True, reason="Mijn eigen plan")
    services.review(proposal, by=board, eligible=True, reason="Ja")  # the board may
    assert proposal.status == ProposalStatus.ELIGIBLE


def _with_role(account: Any) -> Any:
    from govern.extensions import db
    from govern.membership.models import Role, RoleGrant

    account.role_grants.append(RoleGrant(role=Role.MODERATOR))
    db.session.commit()
    return account


def test_a_draft_cannot_be_reviewed(db, round_, proposer, reviewer):
    proposal = make_proposal(round_, proposer, submit=False)
    with pytest.raises(ServiceError, match="cannot be reviewed"):
        services.review(proposal, by=reviewer, eligible=True, reason="Ja")


# --- withdrawing --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["draft", "submitted", "eligible", "not_eligible"])
def test_withdraw_before_voting(db, round_, proposer, reviewer, stage):
    proposal = make_proposal(round_, proposer, submit=stage != "draft")
    if stage in ("eligible", "not_eligible"):
        services.review(proposal, by=reviewer, eligible=stage == "eligible", reason="Besluit")
    services.withdraw(proposal, by=proposer)
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert last(db).type == "proposal.withdrawn" and last(db).data == {"from": stage}


def test_no_withdrawing_once_voting_opens(db, board, round_, proposer, reviewer):
    proposal = make_proposal(round_, proposer)
    services.review(proposal, by=reviewer, eligible=True, reason="Goed")
    move_to(round_, board, Phase.VOTING)
    with pytest.raises(ServiceError, match="Voting has started"):
        services.withdraw(proposal, by=proposer)
    assert proposal.status == ProposalStatus.ON_BALLOT


# --- support, interest, results ----------------------------------------------------------------


def test_endorsements_and_the_support_threshold(db, board, tiers, proposer, reviewer, make_account):
    round_ = make_round(board, tiers, support_enabled=True, support_threshold=2)
    popular = make_proposal(round_, proposer, title="Populair")
    quiet = make_proposal(round_, proposer, title="Stil")
    fans = [make_account(tier="bewoner"), make_account(tier="lid")]
    for fan in fans:
        services.endorse(popular, by=fan)
    assert popular.endorsements == 2
    assert last(db).type == "proposal.endorsed" and last(db).data == {"member": fans[1].member_id, "count": 2}
    with pytest.raises(ServiceError, match="already support"):
        services.endorse(popular, by=fans[0])
    with pytest.raises(ServiceError, match="cannot support"):
        services.endorse(popular, by=make_account(tier="vriend"))
    services.endorse(quiet, by=fans[0])
    for p in (popular, quiet):
        services.review(p, by=reviewer, eligible=True, reason="Haalbaar")
    move_to(round_, board, Phase.VOTING)
    assert popular.status == ProposalStatus.ON_BALLOT
    assert quiet.status == ProposalStatus.ELIGIBLE  # did not reach the threshold
    assert [e for e in entries(db, f"round:{round_.id}") if e.type == "round.phase_changed"][-1].data["ballot"] == [popular.id]
    with pytest.raises(ServiceError, match="not open"):
        services.endorse(quiet, by=fans[1])


def test_endorsing_is_closed_without_a_support_phase(db, round_, proposer, make_account):
    proposal = make_proposal(round_, proposer)
    with pytest.raises(ServiceError, match="not open"):
        services.endorse(proposal, by=make_account(tier="lid"))


def test_declare_interest(db, round_, proposer, make_account):
    proposal = make_proposal(round_, proposer)
    neighbour = make_account(tier="bewoner")
    with pytest.raises(ServiceError) as info:
        services.declare_interest(proposal, by=neighbour, note=" ")
    assert info.value.field == "note"
    services.declare_interest(proposal, by=neighbour, note="Mijn zoon werkt bij de timmerman.")
    assert neighbour.member_id in proposal.member_ids(Party.INTEREST)
    assert last(db).data == {"member": neighbour.member_id}  # the note itself stays off the record
    with pytest.raises(ServiceError, match="already"):
        services.declare_interest(proposal, by=neighbour, note="Nog eens")


def test_results_funded_and_not_funded(db, board, round_, proposer, reviewer):
    a = make_proposal(round_, proposer, title="A")
    b = make_proposal(round_, proposer, title="B")
    for p in (a, b):
        services.review(p, by=reviewer, eligible=True, reason="Haalbaar")
    move_to(round_, board, Phase.VOTING)
    with pytest.raises(ServiceError, match="results phase"):
        services.record_results(round_, by=board, funded_ids=[a.id])
    # As the round's vote does when it closes (tests/voting: the count decides what is funded).
    services.advance_phase(round_, by=board, to=Phase.RESULTS, from_vote=True)
    with pytest.raises(ServiceError, match="on the ballot"):
        services.record_results(round_, by=board, funded_ids=[999999])
    services.record_results(round_, by=board, funded_ids=[a.id])
    assert (a.status, b.status) == (ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)
    assert [e.type for e in entries(db, a.subject)][-1] == "proposal.funded"
    assert [e.type for e in entries(db, b.subject)][-1] == "proposal.not_funded"
    results = entries(db, f"round:{round_.id}")[-1]
    assert results.type == "round.results_recorded" and results.data["funded"] == [a.id]
    # The funded proposal became a project with its cost as allocation, right after the results.
    assert last(db).type == "project.created" and last(db).seq == results.seq + 1
    assert last(db).data["proposal"] == a.id and last(db).data["allocation_cents"] == a.cost_cents
    with pytest.raises(ServiceError, match="already recorded"):
        services.record_results(round_, by=board, funded_ids=[a.id])


def test_status_changes_notify_the_proposers(db, round_, proposer, reviewer, make_account):
    pytest.importorskip("govern.deliberation.models")
    from govern.deliberation.models import Notification

    proposal = make_proposal(round_, proposer)
    partner = make_account(tier="lid")
    services.add_co_proposer(proposal, by=proposer, member_id=partner.member_id)
    services.review(proposal, by=reviewer, eligible=True, reason="Haalbaar")
    rows = db.session.scalars(sa.select(Notification).where(Notification.subject == proposal.subject)).all()
    by_account = {(n.account_id, n.params["status"]) for n in rows}
    assert (proposer.id, "submitted") in by_account
    assert (proposer.id, "eligible") in by_account and (partner.id, "eligible") in by_account


def test_a_failed_operation_writes_nothing(db, round_, proposer, monkeypatch):
    """The state change and its entry commit together: if recording fails, the proposal is not stored."""
    before = counts(db)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.create_proposal(round_, by=proposer, values=proposal_input())
    assert counts(db) == before
