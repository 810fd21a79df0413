"""Paper ballots at a general meeting: who voted on paper, and what the slips say (double entry).

How it goes in the room:
1. A teller hands a member (or a proxy holder, for the member it represents) a slip
   and marks the member as having voted on paper: a ``Participation`` with channel
   paper. The unique constraint refuses a member who already voted, online or on paper.
2. The tellers collect the slips and write a number on each. Two different tellers
   each type in every slip, apart from each other. A teller may correct their own
   entry until the slips are accepted.
3. When every number has matching entries from at least two tellers, the number of
   slips equals the number of paper participations and their weights agree, a teller
   or the board accepts them: each slip becomes a ballot in the box.

Secrecy: a slip never names a member; for a secret vote its ballot carries no member
either. The record gets the slip numbers, never their content, so a hidden result
stays hidden until the vote closes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..assemblies import quorum
from ..audit import record
from ..extensions import db
from ..membership.models import Account, Member, Role
from ..services import ServiceError, unit_of_work
from . import services
from .models import Channel, Elector, PaperSlip, Participation, VoteItem, VoteKind, VoteStatus

TELLER_ROLES = (Role.TELLER, Role.BOARD)
MAX_SLIP_NUMBER = 100_000


def may_count(account: Any) -> bool:
    return bool(getattr(account, "is_authenticated", False) and account.has_role(*TELLER_ROLES))


def paper_possible(vote: VoteItem) -> bool:
    """Paper ballots are for secret votes held at a general meeting."""
    return vote.assembly_id is not None and vote.secret


def _check(vote: VoteItem, by: Account) -> None:
    if not may_count(by):
        raise ServiceError(_l("Only tellers and the board can handle paper ballots."))
    # Hold the vote's row (PostgreSQL: FOR UPDATE) and read its status afresh: two tellers
    # accepting at the same moment, or a teller and the chair closing, run one after the other.
    db.session.refresh(vote, ["status"], with_for_update=True)
    if not paper_possible(vote):
        raise ServiceError(_l("Paper ballots are only for secret votes at a general meeting."))
    if vote.status != VoteStatus.OPEN:
        raise ServiceError(_l("Paper ballots can be handled only while the vote is open."))


def slip_weights(vote: VoteItem) -> list[int]:
    """The weights a slip can have (one per kind of slip handed out), smallest first."""
    return sorted({t.weight for t in vote.tiers}) or [1]


# --- who voted on paper -------------------------------------------------------------------------------


@unit_of_work
def mark_voter(vote: VoteItem, *, by: Account, member_id: int | None) -> Participation:
    """A teller notes that ``member_id`` received a slip and voted on paper."""
    _check(vote, by)
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None:
        raise ServiceError(_l("Choose a member from the list."), "member")
    here = quorum.present_ids(vote.assembly_id)
    holder = quorum.live_proxies(vote.assembly_id).get(member.id)
    if member.id not in here and (holder is None or holder not in here):
        raise ServiceError(
            _l("%(name)s is not checked in and not represented by someone who is. Check them in first.", name=member.name),
            "member",
        )
    already = db.session.scalar(
        sa.select(Participation.channel).where(Participation.vote_id == vote.id, Participation.member_id == member.id)
    )
    if already is not None:
        raise ServiceError(_l("%(name)s has already voted. Each member votes once.", name=member.name), "member")
    return services.mark_participation(vote, by=by, member_id=member.id, channel=Channel.PAPER)


def paper_voters(vote: VoteItem) -> list[tuple[Participation, int]]:
    """Members who voted on paper, with their weight, in the order they were marked."""
    rows = db.session.execute(
        sa.select(Participation, Elector.weight)
        .join(Elector, sa.and_(Elector.vote_id == Participation.vote_id, Elector.member_id == Participation.member_id))
        .where(Participation.vote_id == vote.id, Participation.channel == Channel.PAPER)
        .order_by(Participation.id)
    )
    return [(p, w) for p, w in rows]


# --- the slips ----------------------------------------------------------------------------------------------


def _number(value: Any) -> int:
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() else None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SLIP_NUMBER:
        raise ServiceError(_l("Fill in the number written on the slip (a whole number from 1)."), "number")
    return value


def read_slip(vote: VoteItem, *, ranks: Mapping[str, str] | None = None, choice: str | None = None) -> list[str]:
    """What a slip says, validated as an online ballot is (no member: conflicts of interest do not apply)."""
    if vote.kind == VoteKind.MOTION:
        return services.parse_choice(vote, choice)
    return services.parse_ranks(vote, None, dict(ranks or {}))


@unit_of_work
def enter_slip(
    vote: VoteItem,
    *,
    by: Account,
    number: Any,
    ranks: Mapping[str, str] | None = None,
    choice: str | None = None,
    weight: Any = None,
) -> PaperSlip:
    """One teller's reading of one slip. Entering the same number again corrects the teller's own entry."""
    _check(vote, by)
    number = _number(number)
    weights = slip_weights(vote)
    if weight in (None, "") and len(weights) == 1:
        weight = weights[0]
    if isinstance(weight, str) and weight.strip().isdigit():
        weight = int(weight.strip())
    if weight not in weights:
        raise ServiceError(_l("Choose the weight printed on the slip."), "weight")
    ranking = read_slip(vote, ranks=ranks, choice=choice)
    entries = list(db.session.scalars(sa.select(PaperSlip).where(PaperSlip.vote_id == vote.id, PaperSlip.number == number)))
    if any(e.accepted for e in entries):
        raise ServiceError(_l("Slip %(n)d is already accepted and counted; it can no longer change.", n=number), "number")
    own = next((e for e in entries if e.teller_id == by.id), None)
    if own is not None:
        corrected = own.ranking != ranking or own.weight != weight
        own.ranking, own.weight = ranking, weight
        if corrected:
            record("paper.slip_corrected", actor=by, subject=vote.subject, data={"number": number})
        return own
    slip = PaperSlip(vote_id=vote.id, number=number, teller_id=by.id, ranking=ranking, weight=weight)
    try:
        with db.session.begin_nested():
            db.session.add(slip)
    except IntegrityError:
        raise ServiceError(_l("You have already entered slip %(n)d. Open it to correct it.", n=number), "number") from None
    record("paper.slip_entered", actor=by, subject=vote.subject, data={"number": number})
    return slip


def own_entry(vote: VoteItem, account: Account, number: int) -> PaperSlip | None:
    return db.session.scalar(
        sa.select(PaperSlip).where(PaperSlip.vote_id == vote.id, PaperSlip.number == number, PaperSlip.teller_id == account.id)
    )


@dataclass
class SlipRow:
    number: int
    entries: list[PaperSlip]
    #: "ok", "second" (needs an entry by another teller) or "mismatch".
    state: str
    accepted: bool

    @property
    def matched(self) -> bool:
        return self.state == "ok"

    @property
    def ranking(self) -> list[str]:
        return list(self.entries[0].ranking)

    @property
    def weight(self) -> int:
        return self.entries[0].weight


@dataclass
class PaperStatus:
    rows: list[SlipRow]
    voters: int
    voters_weight: int
    slip_weight: int
    problems: list[Any] = field(default_factory=list)

    @property
    def slips(self) -> int:
        return len(self.rows)

    @property
    def matched(self) -> int:
        return sum(1 for r in self.rows if r.matched)

    @property
    def mismatches(self) -> int:
        return sum(1 for r in self.rows if r.state == "mismatch")

    @property
    def waiting(self) -> int:
        """Slips (matched) not yet turned into ballots."""
        return sum(1 for r in self.rows if r.matched and not r.accepted)

    @property
    def ready(self) -> bool:
        return not self.problems and self.waiting > 0


def _row(number: int, entries: list[PaperSlip]) -> SlipRow:
    entries = sorted(entries, key=lambda e: (e.created_at, e.id))
    accepted = any(e.accepted for e in entries)
    tellers = {e.teller_id for e in entries}
    same = len({(tuple(e.ranking), e.weight) for e in entries}) == 1
    if not same:
        state = "mismatch"
    elif len(tellers) < 2:
        state = "second"
    else:
        state = "ok"
    return SlipRow(number=number, entries=entries, state=state, accepted=accepted)


def status(vote: VoteItem) -> PaperStatus:
    by_number: dict[int, list[PaperSlip]] = defaultdict(list)
    for slip in db.session.scalars(
        sa.select(PaperSlip).where(PaperSlip.vote_id == vote.id).order_by(PaperSlip.number, PaperSlip.id)
    ):
        by_number[slip.number].append(slip)
    rows = [_row(n, e) for n, e in sorted(by_number.items())]
    voters = paper_voters(vote)
    found = PaperStatus(
        rows=rows,
        voters=len(voters),
        voters_weight=sum(w for _, w in voters),
        slip_weight=sum(r.weight for r in rows if r.state != "mismatch"),
    )
    mismatched = [r.number for r in rows if r.state == "mismatch"]
    single = [r.number for r in rows if r.state == "second"]
    if mismatched:
        found.problems.append(
            _l("The entries of these slips differ: %(numbers)s. Look at the slip again and correct the wrong entry.",
               numbers=", ".join(map(str, mismatched)))
        )
    if single:
        found.problems.append(
            _l("These slips need an entry by a second teller: %(numbers)s.", numbers=", ".join(map(str, single)))
        )
    if len(rows) != len(voters):
        found.problems.append(
            _l("There are %(slips)d slips but %(voters)d members voted on paper. The numbers must be equal.",
               slips=len(rows), voters=len(voters))
        )
    elif not mismatched and found.slip_weight != found.voters_weight:
        found.problems.append(
            _l("The slips weigh %(slips)d together, but the members who voted on paper weigh %(voters)d.",
               slips=found.slip_weight, voters=found.voters_weight)
        )
    return found


@unit_of_work
def accept(vote: VoteItem, *, by: Account) -> int:
    """Turn every matched slip not yet accepted into a ballot. Returns how many ballots were added."""
    _check(vote, by)
    found = status(vote)
    if found.problems:
        raise ServiceError(found.problems[0])
    fresh = [r for r in found.rows if not r.accepted]
    if not fresh:
        raise ServiceError(_l("There are no new slips to accept."))
    for row in fresh:
        services.add_ballot(vote, row.ranking, row.weight)
        for entry in row.entries:
            entry.accepted = True
    db.session.flush()
    record(
        "paper.accepted",
        actor=by,
        subject=vote.subject,
        data={
            "numbers": [r.number for r in fresh],
            "ballots": len(fresh),
            "weight": sum(r.weight for r in fresh),
            "slips_total": found.slips,
            "paper_participations": found.voters,
        },
    )
    return len(fresh)
