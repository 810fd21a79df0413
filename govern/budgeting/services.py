"""Budget round and proposal operations. Each validates, changes state, appends its audit entry and commits.

Audit subjects are "round:<id>" and "proposal:<id>"; the data names members and
accounts by id only. All amounts are integer cents.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..audit import record
from ..db import utcnow
from ..extensions import db
from ..membership.models import NEIGHBOURHOODS, Account, Member, MemberStatus, Role, Tier
from ..services import ServiceError, unit_of_work
from . import markdown
from .models import (
    CATEGORIES,
    COUNTING_RULES,
    BudgetLine,
    BudgetRound,
    Endorsement,
    Party,
    Phase,
    Proposal,
    ProposalImage,
    ProposalParty,
    ProposalReview,
    ProposalStatus,
    ProposalVersion,
)

#: Largest image we accept (bytes) and the longest side we keep (pixels).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 1600
REVIEWER_ROLES = (Role.BOARD, Role.MODERATOR)
#: Statuses a proposal can be withdrawn from (only before voting opens).
WITHDRAWABLE = (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.ELIGIBLE, ProposalStatus.NOT_ELIGIBLE)


# --- rounds -------------------------------------------------------------------------------

ROUND_DATES = (
    "submission_opens",
    "review_opens",
    "deliberation_opens",
    "voting_opens",
    "results_on",
    "implementation_starts",
)
#: What the record keeps of a round's settings.
ROUND_FIELDS = (
    "title",
    "budget_cents",
    "neighbourhoods",
    *ROUND_DATES,
    "ranks",
    "counting_rule",
    "support_enabled",
    "support_threshold",
)


def round_snapshot(round_: BudgetRound) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ROUND_FIELDS:
        value = getattr(round_, key)
        data[key] = value.isoformat() if isinstance(value, dt.date) else value
    data["proposer_tiers"] = sorted(t.id for t in round_.proposer_tiers)
    data["voter_tiers"] = sorted(t.id for t in round_.voter_tiers)
    return data


def _tiers(ids: Iterable[int], field: str) -> list[Tier]:
    ids = {i for i in ids if isinstance(i, int)}
    tiers = list(db.session.scalars(sa.select(Tier).where(Tier.id.in_(ids)))) if ids else []
    if not tiers or len(tiers) != len(ids):
        raise ServiceError(_l("Choose at least one level from the list."), field)
    return tiers


def _check_round(values: dict[str, Any]) -> dict[str, Any]:
    title = (values.get("title") or "").strip()
    if not title:
        raise ServiceError(_l("Fill in a title."), "title")
    if len(title) > 200:
        raise ServiceError(_l("Use at most %(max)d characters.", max=200), "title")
    budget = values.get("budget_cents")
    if not isinstance(budget, int) or budget <= 0:
        raise ServiceError(_l("Fill in the budget: an amount in euros, more than 0."), "budget")
    hoods = list(dict.fromkeys(values.get("neighbourhoods") or []))
    if not hoods or any(h not in NEIGHBOURHOODS for h in hoods):
        raise ServiceError(_l("Choose at least one neighbourhood."), "neighbourhoods")
    ranks = values.get("ranks")
    if not isinstance(ranks, int) or not 1 <= ranks <= 50:
        raise ServiceError(_l("Fill in a whole number from 1 to 50."), "ranks")
    if values.get("counting_rule") not in COUNTING_RULES:
        raise ServiceError(_l("Choose one of the counting rules."), "counting_rule")
    threshold = values.get("support_threshold") or 0
    if not isinstance(threshold, int) or threshold < 0:
        raise ServiceError(_l("Fill in a whole number, 0 or more."), "support_threshold")
    dates = [values.get(k) for k in ROUND_DATES]
    known = [d for d in dates if d is not None]
    if known != sorted(known):
        raise ServiceError(_l("The phases must follow each other: each date on or after the one before."), "dates")
    description = values.get("description") or ""
    return {
        "title": title,
        "budget_cents": budget,
        "neighbourhoods": hoods,
        "ranks": ranks,
        "counting_rule": values["counting_rule"],
        "support_enabled": bool(values.get("support_enabled")),
        "support_threshold": threshold,
        "description": description.strip(),
        "description_html": markdown.render(description),
        **{k: values.get(k) for k in ROUND_DATES},
    }


@unit_of_work
def create_round(*, by: Account | None, proposer_tier_ids: Iterable[int], voter_tier_ids: Iterable[int], **values: Any) -> BudgetRound:
    clean = _check_round(values)
    round_ = BudgetRound(**clean)
    round_.proposer_tiers = _tiers(proposer_tier_ids, "proposer_tiers")
    round_.voter_tiers = _tiers(voter_tier_ids, "voter_tiers")
    db.session.add(round_)
    db.session.flush()
    record("round.created", actor=by, subject=f"round:{round_.id}", data=round_snapshot(round_))
    return round_


@unit_of_work
def update_round(
    round_: BudgetRound, *, by: Account, proposer_tier_ids: Iterable[int], voter_tier_ids: Iterable[int], **values: Any
) -> None:
    clean = _check_round(values)
    before = round_snapshot(round_)
    old_description = round_.description
    if round_.settings_locked:
        locked = ("budget_cents", "ranks", "counting_rule", "support_enabled", "support_threshold")
        if any(clean[k] != getattr(round_, k) for k in locked) or set(voter_tier_ids) != {t.id for t in round_.voter_tiers}:
            raise ServiceError(_l("Voting has started: the budget, the voters and the ballot settings can no longer change."))
    for key, value in clean.items():
        setattr(round_, key, value)
    round_.proposer_tiers = _tiers(proposer_tier_ids, "proposer_tiers")
    round_.voter_tiers = _tiers(voter_tier_ids, "voter_tiers")
    after = round_snapshot(round_)
    changes = {k: after[k] for k in after if after[k] != before[k]}
    if clean["description"] != old_description:
        changes["description"] = True
    if changes:
        record("round.updated", actor=by, subject=f"round:{round_.id}", data=changes)


def waiting_for_review(round_: BudgetRound) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.SUBMITTED)
    )


@unit_of_work
def advance_phase(round_: BudgetRound, *, by: Account | None, to: Phase, from_vote: bool = False) -> None:
    """Move the round to its next phase. Opening the vote fixes the seed and the ballot.

    Entering voting opens the round's vote (govern.voting); entering results closes
    and counts it, and the count marks what is funded.
    """
    if to != round_.phase.next:
        raise ServiceError(_l("The round can only move on to its next phase."))
    if to == Phase.RESULTS and not from_vote:
        from ..voting import services as voting

        vote = voting.budget_vote(round_)
        if vote is not None and vote.is_open:
            voting.close_vote(vote, by=by)  # moves the round on (from_vote=True) and records the results
            return
    data: dict[str, Any] = {"from": round_.phase.value, "to": to.value}
    if to == Phase.VOTING:
        waiting = waiting_for_review(round_)
        if waiting:
            raise ServiceError(
                _l("%(n)d proposals still wait for the feasibility review. Review them before voting opens.", n=waiting)
            )
        round_.tie_break_seed = secrets.token_hex(16)
        ballot = _fill_ballot(round_)
        if not ballot:
            raise ServiceError(_l("There are no eligible proposals to put on the ballot."))
        data.update(seed=round_.tie_break_seed, ballot=ballot, rule=round_.counting_rule, ranks=round_.ranks)
    if to == Phase.RESULTS:
        on_ballot = _proposals(round_, ProposalStatus.ON_BALLOT)
        data["ballot"] = [p.id for p in on_ballot]
    round_.phase = to
    round_.phase_changed_at = utcnow()
    record("round.phase_changed", actor=by, subject=f"round:{round_.id}", data=data)
    if to == Phase.VOTING:
        from ..voting import services as voting

        voting.open_budget_vote(round_, by=by)


def _proposals(round_: BudgetRound, *statuses: ProposalStatus) -> list[Proposal]:
    return list(
        db.session.scalars(
            sa.select(Proposal).where(Proposal.round_id == round_.id, Proposal.status.in_(statuses)).order_by(Proposal.id)
        )
    )


def _fill_ballot(round_: BudgetRound) -> list[int]:
    threshold = round_.support_threshold if round_.support_enabled else 0
    ballot = []
    for proposal in _proposals(round_, ProposalStatus.ELIGIBLE):
        if proposal.endorsements >= threshold:
            proposal.status = ProposalStatus.ON_BALLOT
            ballot.append(proposal.id)
            _notify(proposal)
    return ballot


@unit_of_work
def record_results(round_: BudgetRound, *, by: Account | str | None, funded_ids: Sequence[int]) -> None:
    """Mark what the count funded (called with the tally's winners); everything else on the ballot is not funded."""
    if round_.phase != Phase.RESULTS:
        raise ServiceError(_l("Results can only be recorded in the results phase."))
    on_ballot = _proposals(round_, ProposalStatus.ON_BALLOT)
    if not on_ballot:
        raise ServiceError(_l("The results of this round are already recorded."))
    ids = {p.id for p in on_ballot}
    funded = set(funded_ids)
    if not funded <= ids:
        raise ServiceError(_l("Only proposals on the ballot can be funded."))
    total = sum(p.cost_cents for p in on_ballot if p.id in funded)
    if total > round_.budget_cents:
        raise ServiceError(_l("The funded proposals cost more than the budget."))
    for proposal in on_ballot:
        proposal.status = ProposalStatus.FUNDED if proposal.id in funded else ProposalStatus.NOT_FUNDED
        record(f"proposal.{proposal.status.value}", actor=by, subject=proposal.subject, data={"cost_cents": proposal.cost_cents})
        _notify(proposal)
    record(
        "round.results_recorded",
        actor=by,
        subject=f"round:{round_.id}",
        data={"funded": sorted(funded), "not_funded": sorted(ids - funded), "total_cents": total},
    )
    from ..finance.services import create_projects

    create_projects(round_, by=by)


# --- proposals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageUpload:
    data: bytes
    alt: str


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def check_image(data: bytes) -> CleanImage:
    """Decode the upload with Pillow; keep JPEG, PNG, WebP or GIF, re-encoded without metadata and not too large."""
    message = _l("This file is not a picture we can use. Choose a JPEG, PNG, WebP or GIF picture of at most 5 MB.")
    if not data or len(data) > MAX_IMAGE_BYTES:
        raise ServiceError(message, "image")
    try:
        import warnings

        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ("JPEG", "PNG", "WEBP", "GIF"):
                    raise ServiceError(message, "image")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
                has_alpha = image.mode in ("RGBA", "LA", "P")
                out = io.BytesIO()
                if has_alpha:
                    image.convert("RGBA").save(out, "PNG", optimize=True)
                    content_type = "image/png"
                else:
                    image.convert("RGB").save(out, "JPEG", quality=85)
                    content_type = "image/jpeg"
                return CleanImage(out.getvalue(), content_type, image.width, image.height)
    except ServiceError:
        raise
    except Exception:  # noqa: BLE001 - any decoding failure means: not a usable picture
        raise ServiceError(message, "image") from None


@dataclass
class ProposalInput:
    title: str
    summary: str
    description: str
    neighbourhood: str
    category: str
    #: (what it is for, amount in cents), in order
    lines: list[tuple[str, int]]


def _check_proposal(round_: BudgetRound, values: ProposalInput) -> tuple[ProposalInput, str]:
    title = (values.title or "").strip()
    if not title:
        raise ServiceError(_l("Give your proposal a title."), "title")
    if len(title) > 200:
        raise ServiceError(_l("Use at most %(max)d characters.", max=200), "title")
    summary = (values.summary or "").strip()
    if not summary:
        raise ServiceError(_l("Write a short summary: what do you want to do, and for whom?"), "summary")
    if len(summary) > 500:
        raise ServiceError(_l("Use at most %(max)d characters.", max=500), "summary")
    description = (values.description or "").strip()
    if not description:
        raise ServiceError(_l("Describe your plan."), "description")
    html = markdown.render(description)
    if not markdown.text_of(html):
        raise ServiceError(
            _l("Nothing is left of your description after we removed code that is not allowed (such as scripts). Write your plan in plain text."),
            "description",
        )
    if values.neighbourhood not in (round_.neighbourhoods or NEIGHBOURHOODS):
        raise ServiceError(_l("Choose a neighbourhood of this round from the list."), "neighbourhood")
    if values.category not in CATEGORIES:
        raise ServiceError(_l("Choose a category from the list."), "category")
    lines = [((d or "").strip(), a) for d, a in values.lines]
    if not lines:
        raise ServiceError(_l("Add at least one budget line: what the money is for, and how much."), "lines")
    for description_, amount in lines:
        if not description_ or not isinstance(amount, int) or amount <= 0:
            raise ServiceError(_l("Every budget line needs a description and an amount of more than € 0."), "lines")
        if len(description_) > 200:
            raise ServiceError(_l("Use at most %(max)d characters.", max=200), "lines")
    total = sum(a for _, a in lines)
    if total > round_.budget_cents:
        from ..i18n import money

        raise ServiceError(
            _l("Your budget (%(total)s) is more than the whole round's budget (%(budget)s).", total=money(total), budget=money(round_.budget_cents)),
            "lines",
        )
    clean = ProposalInput(title, summary, description, values.neighbourhood, values.category, lines)
    return clean, html


def search_text(text: str) -> str:
    """Lower case without accents ("Taalcafé" → "taalcafe"): what search compares, on any database."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _check_alt(image: ImageUpload | None) -> str:
    if image is None:
        return ""
    alt = (image.alt or "").strip()
    if not alt:
        raise ServiceError(_l("Describe the picture in a few words, for people who cannot see it."), "image_alt")
    if len(alt) > 300:
        raise ServiceError(_l("Use at most %(max)d characters.", max=300), "image_alt")
    return alt


def _apply(proposal: Proposal, clean: ProposalInput, html: str) -> None:
    proposal.title = clean.title
    proposal.summary = clean.summary
    proposal.description = clean.description
    proposal.description_html = html
    proposal.neighbourhood = clean.neighbourhood
    proposal.category = clean.category
    proposal.lines = [BudgetLine(position=i, description=d, amount_cents=a) for i, (d, a) in enumerate(clean.lines)]
    proposal.requested_cents = sum(a for _, a in clean.lines)
    proposal.search_text = search_text(f"{clean.title} {clean.summary}")
    # Before the review the cost is what the proposers ask; the review may change it.
    proposal.cost_cents = proposal.requested_cents


def _set_image(proposal: Proposal, clean: CleanImage | None, alt: str) -> None:
    if clean is None:
        return
    existing = db.session.get(ProposalImage, proposal.id)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    db.session.add(
        ProposalImage(proposal_id=proposal.id, content_type=clean.content_type, data=clean.data, width=clean.width, height=clean.height)
    )
    proposal.has_image = True
    proposal.image_alt = alt


def _active_member(account: Account) -> Member:
    member = account.member
    if member.status != MemberStatus.ACTIVE:
        raise ServiceError(_l("Only active members can do this."))
    return member


def may_propose(round_: BudgetRound, account: Account) -> bool:
    return account.is_authenticated and round_.may_propose(account.member)


@unit_of_work
def create_proposal(
    round_: BudgetRound, *, by: Account, values: ProposalInput, image: ImageUpload | None = None
) -> Proposal:
    """A member drafts a proposal. Drafts are seen only by the proposers until they submit."""
    if round_.phase != Phase.SUBMISSION:
        raise ServiceError(_l("This round does not take new proposals now: the submission phase is closed."))
    member = _active_member(by)
    if not round_.may_propose(member):
        raise ServiceError(_l("Your level of membership cannot propose in this round."))
    clean, html = _check_proposal(round_, values)
    alt = _check_alt(image)
    # Check the picture before anything is written: a bad file stores nothing.
    picture = check_image(image.data) if image is not None else None
    proposal = Proposal(round=round_, member=member, created_by_id=by.id, status=ProposalStatus.DRAFT)
    _apply(proposal, clean, html)
    proposal.parties = [ProposalParty(member=member, party=Party.PROPOSER)]
    db.session.add(proposal)
    db.session.flush()
    _set_image(proposal, picture, alt)
    record(
        "proposal.created",
        actor=by,
        subject=proposal.subject,
        data={"round": round_.id, "member": member.id, "requested_cents": proposal.requested_cents},
    )
    return proposal


def is_proposer(proposal: Proposal, account: Any) -> bool:
    return bool(
        account is not None
        and getattr(account, "is_authenticated", False)
        and account.member_id in proposal.member_ids(Party.PROPOSER, Party.CO_PROPOSER)
    )


def _require_proposer(proposal: Proposal, account: Account) -> None:
    if not is_proposer(proposal, account):
        raise ServiceError(_l("Only the proposers can do this."))
    _active_member(account)


def version_lines(lines: Sequence[tuple[str, int]]) -> str:
    return "\n".join(f"{a}\t{d}" for d, a in lines)


def _snapshot(proposal: Proposal, by: Account) -> ProposalVersion:
    proposal.version += 1
    version = ProposalVersion(
        proposal_id=proposal.id,
        number=proposal.version,
        title=proposal.title,
        summary=proposal.summary,
        description=proposal.description,
        neighbourhood=proposal.neighbourhood,
        category=proposal.category,
        lines=version_lines([(l.description, l.amount_cents) for l in proposal.lines]),
        requested_cents=proposal.requested_cents,
        account_id=by.id,
    )
    db.session.add(version)
    return version


@unit_of_work
def update_proposal(
    proposal: Proposal, *, by: Account, values: ProposalInput, image: ImageUpload | None = None, image_alt: str | None = None
) -> bool:
    """Change a draft, or a submitted proposal before its review (a new version). Returns whether anything changed."""
    _require_proposer(proposal, by)
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED):
        raise ServiceError(_l("After the review, the proposal can no longer change."))
    if not proposal.round.phase.before(Phase.VOTING):
        raise ServiceError(_l("Voting has started: the proposal can no longer change."))
    clean, html = _check_proposal(proposal.round, values)
    alt = _check_alt(image)
    picture = check_image(image.data) if image is not None else None
    before = _comparable(proposal)
    _apply(proposal, clean, html)
    changed = _comparable(proposal) != before
    if picture is not None:
        _set_image(proposal, picture, alt)
        changed = True
    elif proposal.has_image and image_alt is not None and image_alt.strip() != proposal.image_alt:
        proposal.image_alt = _check_alt(ImageUpload(data=b"", alt=image_alt))
        changed = True
    if not changed:
        return False
    proposal.updated_at = utcnow()
    data: dict[str, Any] = {"requested_cents": proposal.requested_cents}
    if proposal.status == ProposalStatus.SUBMITTED:
        data["version"] = _snapshot(proposal, by).number
    if image is not None:
        data["image"] = True
    record("proposal.edited", actor=by, subject=proposal.subject, data=data)
    return True


def _comparable(proposal: Proposal) -> tuple[Any, ...]:
    return (
        proposal.title,
        proposal.summary,
        proposal.description,
        proposal.neighbourhood,
        proposal.category,
        tuple((l.description, l.amount_cents) for l in proposal.lines),
    )


@unit_of_work
def submit(proposal: Proposal, *, by: Account) -> None:
    _require_proposer(proposal, by)
    if proposal.status != ProposalStatus.DRAFT:
        raise ServiceError(_l("This proposal is already submitted."))
    round_ = proposal.round
    if round_.phase != Phase.SUBMISSION:
        raise ServiceError(_l("This round does not take new proposals now: the submission phase is closed."))
    if not round_.may_propose(by.member):
        raise ServiceError(_l("Your level of membership cannot propose in this round."))
    proposal.status = ProposalStatus.SUBMITTED
    proposal.submitted_at = utcnow()
    version = _snapshot(proposal, by)
    record(
        "proposal.submitted",
        actor=by,
        subject=proposal.subject,
        data={"round": round_.id, "version": version.number, "requested_cents": proposal.requested_cents},
    )
    _notify(proposal)


@unit_of_work
def withdraw(proposal: Proposal, *, by: Account) -> None:
    _require_proposer(proposal, by)
    if proposal.status not in WITHDRAWABLE or not proposal.round.phase.before(Phase.VOTING):
        raise ServiceError(_l("Voting has started: the proposal can no longer be withdrawn."))
    before = proposal.status
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.updated_at = utcnow()
    record("proposal.withdrawn", actor=by, subject=proposal.subject, data={"from": before.value})
    _notify(proposal)


def may_review(proposal: Proposal, account: Any) -> bool:
    return bool(getattr(account, "is_authenticated", False) and account.has_role(*REVIEWER_ROLES))


@unit_of_work
def review(
    proposal: Proposal,
    *,
    by: Account,
    eligible: bool,
    reason: str,
    cost_cents: int | None = None,
    cost_reason: str = "",
) -> ProposalReview:
    """Feasibility review: eligible or not, with a public reason; the reviewer may change the cost, with a reason."""
    if not may_review(proposal, by):
        raise ServiceError(_l("Only the board and moderators review proposals."))
    if by.member_id in {p.member_id for p in proposal.parties}:
        raise ServiceError(_l("You are involved in this proposal, so someone else must review it."))
    if proposal.status not in (ProposalStatus.SUBMITTED, ProposalStatus.ELIGIBLE, ProposalStatus.NOT_ELIGIBLE):
        raise ServiceError(_l("This proposal cannot be reviewed now."))
    if not proposal.round.phase.before(Phase.VOTING):
        raise ServiceError(_l("Voting has started: the review can no longer change."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Give a reason. Everyone can read it on the proposal."), "reason")
    cost_before = proposal.cost_cents
    cost_after = cost_before if cost_cents is None else cost_cents
    cost_reason = (cost_reason or "").strip()
    if cost_after != cost_before:
        if not isinstance(cost_after, int) or cost_after <= 0:
            raise ServiceError(_l("Fill in an amount in euros, more than 0."), "cost")
        if cost_after > proposal.round.budget_cents:
            raise ServiceError(_l("The cost cannot be more than the round's budget."), "cost")
        if not cost_reason:
            raise ServiceError(_l("Explain why the cost changes. Everyone can read it on the proposal."), "cost_reason")
    else:
        cost_reason = proposal.cost_reason
    entry = ProposalReview(
        proposal_id=proposal.id,
        account_id=by.id,
        eligible=eligible,
        reason=reason,
        cost_before=cost_before,
        cost_after=cost_after,
        cost_reason=cost_reason if cost_after != cost_before else "",
    )
    db.session.add(entry)
    before = proposal.status
    proposal.status = ProposalStatus.ELIGIBLE if eligible else ProposalStatus.NOT_ELIGIBLE
    proposal.review_reason = reason
    proposal.cost_cents = cost_after
    proposal.cost_reason = cost_reason
    proposal.reviewed_at = utcnow()
    data: dict[str, Any] = {"from": before.value, "eligible": eligible, "reason": reason}
    if cost_after != cost_before:
        data.update(cost_before=cost_before, cost_after=cost_after, cost_reason=cost_reason)
    record("proposal.reviewed", actor=by, subject=proposal.subject, data=data)
    _notify(proposal, {"reason": reason})
    return entry


@unit_of_work
def add_co_proposer(proposal: Proposal, *, by: Account, member_id: int | None) -> None:
    _require_proposer(proposal, by)
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED):
        raise ServiceError(_l("After the review, the proposers can no longer change."))
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None or member.status != MemberStatus.ACTIVE:
        raise ServiceError(_l("Choose an active member from the list."), "member")
    if member.id in proposal.member_ids(Party.PROPOSER, Party.CO_PROPOSER):
        raise ServiceError(_l("This member already proposes this plan."), "member")
    proposal.parties.append(ProposalParty(member=member, party=Party.CO_PROPOSER))
    record("proposal.co_proposer_added", actor=by, subject=proposal.subject, data={"member": member.id})


@unit_of_work
def declare_interest(proposal: Proposal, *, by: Account, note: str) -> None:
    """A member says they have an interest in the proposal (work, family, money); it is shown on the proposal."""
    member = _active_member(by)
    if proposal.status == ProposalStatus.DRAFT:
        raise ServiceError(_l("This proposal is not public yet."))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_l("Say briefly what your interest is."), "note")
    if len(note) > 500:
        raise ServiceError(_l("Use at most %(max)d characters.", max=500), "note")
    if member.id in proposal.member_ids(Party.INTEREST):
        raise ServiceError(_l("You have already declared an interest in this proposal."), "note")
    proposal.parties.append(ProposalParty(member=member, party=Party.INTEREST, note=note))
    record("proposal.interest_declared", actor=by, subject=proposal.subject, data={"member": member.id})


def may_endorse(proposal: Proposal, account: Any) -> bool:
    return bool(
        getattr(account, "is_authenticated", False)
        and proposal.round.endorsing_open
        and proposal.round.may_vote(account.member)
        and proposal.status in (ProposalStatus.SUBMITTED, ProposalStatus.ELIGIBLE)
    )


@unit_of_work
def endorse(proposal: Proposal, *, by: Account) -> None:
    member = _active_member(by)
    if not proposal.round.endorsing_open:
        raise ServiceError(_l("Support for proposals is not open in this round now."))
    if not proposal.round.may_vote(member):
        raise ServiceError(_l("Your level of membership cannot support proposals in this round."))
    if proposal.status not in (ProposalStatus.SUBMITTED, ProposalStatus.ELIGIBLE):
        raise ServiceError(_l("This proposal cannot get support now."))
    exists = db.session.scalar(
        sa.select(Endorsement.id).where(Endorsement.proposal_id == proposal.id, Endorsement.member_id == member.id)
    )
    if exists is not None:
        raise ServiceError(_l("You already support this proposal."))
    db.session.add(Endorsement(proposal_id=proposal.id, member_id=member.id))
    # The unique constraint refuses a second endorsement that raced past the check above.
    db.session.flush()
    db.session.execute(
        sa.update(Proposal).where(Proposal.id == proposal.id).values(endorsements=Proposal.endorsements + 1)
    )
    db.session.refresh(proposal, ["endorsements"])
    record("proposal.endorsed", actor=by, subject=proposal.subject, data={"member": member.id, "count": proposal.endorsements})


def _notify(proposal: Proposal, params: dict[str, Any] | None = None) -> None:
    """Tell every proposing member of a status change (in-app, through deliberation's notifications)."""
    try:
        from ..deliberation.services import notify
    except ImportError:  # deliberation not installed yet: nothing to tell with
        return
    data = {"status": proposal.status.value, "title": proposal.title, **(params or {})}
    for member_id in sorted(proposal.member_ids(Party.PROPOSER, Party.CO_PROPOSER)):
        notify(member_id, "proposal_status", proposal.subject, data)
