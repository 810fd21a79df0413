"""Votes: create, open (freeze the electorate), cast, close (count and record), receipts.

What happens when, and what goes on the record:

- ``open_vote`` freezes the electorate (an ``Elector`` row per member who may vote,
  with its weight) and records its digest, the options, the rule, its parameters
  and the tie-break seed in one "vote.opened" entry; then a checkpoint is signed.
- ``cast_ballot`` writes the participation (who voted: unique per vote and member,
  so a race ends in exactly one ballot) and the ballot (a secret ballot carries no
  member and no time) and records a private "participation.recorded" entry without
  the ballot's content: the content is committed to at closing, by the box root.
- ``close_vote`` rewrites the box sorted by tracker, counts it with govern.tally,
  stores the outcome and records one "vote.closed" entry with the rule, parameters,
  engine version, the digests of the ballots and the outcome, the box root, the
  electorate digest, participation and ballot counts, winners and the quorum; then
  a checkpoint is signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..assemblies import quorum as quorum_rules
from ..assemblies.models import Assembly, AssemblyStatus
from ..audit import canonical, merkle
from ..audit.bundle import box_leaf
from ..audit.bundle import electorate_digest as bundle_electorate_digest
from ..audit.checkpoints import make_checkpoint
from ..audit.log import record
from ..budgeting.models import BudgetRound, Party, Phase, Proposal, ProposalParty, ProposalStatus
from ..db import UTCDateTime, utcnow
from ..extensions import db
from ..membership.models import Account, Member, MemberStatus, Tier
from ..services import ServiceError, unit_of_work
from ..tally import rules as tally_rules
from ..tally.formats import FormatError, profile_from_document
from ..tally.outcome import ParameterError
from .models import (
    MOTION_OPTIONS,
    RULES_BY_KIND,
    Ballot,
    Channel,
    Elector,
    Participation,
    VoteItem,
    VoteKind,
    VoteOption,
    VoteStatus,
    VoteTier,
)

#: Tracker codes: no 0/O, 1/I/L, so they can be read aloud and typed from paper.
TRACKER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKER_GROUPS = 4


def new_tracker() -> str:
    """A receipt code like ``K7QF-2M9X-RT4B-HW8C`` (80 bits of randomness)."""
    chars = "".join(secrets.choice(TRACKER_ALPHABET) for _ in range(4 * TRACKER_GROUPS))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def normalize_tracker(text: str) -> str:
    """What a voter typed → the stored form (case, spaces and dashes do not matter)."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _subject(vote: VoteItem) -> str:
    return f"vote:{vote.id}"


# --- creating ------------------------------------------------------------------------------


def _check_share(text: str | None, field: str = "quorum") -> str | None:
    if text is None or not text.strip():
        return None
    try:
        n, d = quorum_rules.fraction(text.strip())
    except ValueError:
        raise ServiceError(_l('Write the quorum as a share, for example 1/2 or 2/3.'), field) from None
    return f"{n}/{d}"


def _default_rule(kind: VoteKind, seats: int) -> str:
    if kind == VoteKind.MOTION:
        return "motion"
    if kind == VoteKind.ELECTION:
        return "irv" if seats == 1 else "stv-scottish"
    return "mes"


def _check_settings(
    kind: VoteKind, *, title: str, rule: str | None, seats: int, threshold: str, abstentions: str,
    ranks: int, opens_at: dt.datetime | None, closes_at: dt.datetime | None,
) -> str:
    if not title or not title.strip():
        raise ServiceError(_l("Give the vote a title."), "title")
    if len(title) > 200:
        raise ServiceError(_l("The title can be at most 200 characters."), "title")
    rule = rule or _default_rule(kind, seats)
    if rule not in RULES_BY_KIND[kind]:
        raise ServiceError(_l("This counting rule cannot be used for this kind of vote."), "rule")
    if seats < 1:
        raise ServiceError(_l("There must be at least one seat."), "seats")
    if kind == VoteKind.ELECTION and seats > 1 and rule not in ("stv-scottish", "stv-meek"):
        raise ServiceError(_l("An election for several seats is counted with STV."), "rule")
    if kind == VoteKind.ELECTION and seats == 1 and rule in ("stv-scottish", "stv-meek"):
        rule = "irv"
    if threshold not in ("majority", "two-thirds"):
        raise ServiceError(_l("Choose a majority or two thirds."), "threshold")
    if abstentions not in ("excluded", "counted"):
        raise ServiceError(_l("Choose how abstentions count."), "abstentions")
    if ranks < 0:
        raise ServiceError(_l("The number of ranks cannot be negative."), "ranks")
    if opens_at and closes_at and closes_at <= opens_at:
        raise ServiceError(_l("The vote must close after it opens."), "closes_at")
    return rule


def _set_tiers(vote: VoteItem, tier_weights: Mapping[int, int]) -> None:
    if not tier_weights:
        raise ServiceError(_l("Choose at least one tier that may vote."), "tiers")
    known = {t.id: t for t in db.session.scalars(sa.select(Tier).where(Tier.id.in_(list(tier_weights))))}
    if set(known) != set(tier_weights):
        raise ServiceError(_l("Choose tiers from the list."), "tiers")
    if any(type(w) is not int or w < 1 or w > 1000 for w in tier_weights.values()):
        raise ServiceError(_l("A weight is a whole number from 1 to 1000."), "tiers")
    vote.tiers = [VoteTier(tier_id=tid, weight=w) for tid, w in sorted(tier_weights.items())]


def _candidate_options(candidates: Sequence[tuple[str, str]]) -> list[VoteOption]:
    options = []
    seen: set[str] = set()
    for i, (label, note) in enumerate(candidates, start=1):
        label = (label or "").strip()
        if not label:
            continue
        if len(label) > 200:
            raise ServiceError(_l("A candidate's name can be at most 200 characters."), "candidates")
        if label.casefold() in seen:
            raise ServiceError(_l("%(name)s is on the list twice.", name=label), "candidates")
        seen.add(label.casefold())
        options.append(VoteOption(position=len(options), key=f"c{len(options) + 1}", label=label, note=(note or "").strip()))
    return options


def _motion_options() -> list[VoteOption]:
    labels = {"yes": "For", "no": "Against", "abstain": "Abstain"}
    return [VoteOption(position=i, key=k, label=labels[k]) for i, k in enumerate(MOTION_OPTIONS)]


@unit_of_work
def create_vote(
    *,
    by: Account | None,
    kind: VoteKind,
    title: str,
    description: str = "",
    secret: bool = True,
    results_hidden: bool = True,
    rule: str | None = None,
    seats: int = 1,
    threshold: str = "majority",
    abstentions: str = "excluded",
    quorum: str | None = None,
    ranks: int = 0,
    tier_weights: Mapping[int, int] | None = None,
    candidates: Sequence[tuple[str, str]] = (),
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    assembly_id: int | None = None,
    exclude_own: bool = True,
) -> VoteItem:
    """A draft vote (motion or election; budget votes come from their round)."""
    kind = VoteKind(kind)
    if kind == VoteKind.BUDGET:
        raise ServiceError(_l("A budget vote is opened from its budget round."))
    rule = _check_settings(kind, title=title, rule=rule, seats=seats, threshold=threshold, abstentions=abstentions,
                           ranks=ranks, opens_at=opens_at, closes_at=closes_at)
    if assembly_id is not None:
        assembly = db.session.get(Assembly, assembly_id)
        if assembly is None or assembly.status == AssemblyStatus.CLOSED:
            raise ServiceError(_l("Votes can only be added to an assembly that has not ended."))
    vote = VoteItem(
        kind=kind, title=title.strip(), description=(description or "").strip(), secret=secret,
        results_hidden=results_hidden, rule=rule, seats=seats, threshold=threshold, abstentions=abstentions,
        quorum=_check_share(quorum), ranks=ranks, opens_at=opens_at, closes_at=closes_at,
        assembly_id=assembly_id, exclude_own=exclude_own, created_by_id=by.id if by else None,
    )
    if kind == VoteKind.MOTION:
        vote.options = _motion_options()
    else:
        vote.options = _candidate_options(candidates)
        if len(vote.options) < 2:
            raise ServiceError(_l("An election needs at least two candidates."), "candidates")
        if seats >= len(vote.options):
            raise ServiceError(_l("There must be more candidates than seats."), "seats")
    if tier_weights is None:
        tier_weights = {t.id: max(t.vote_weight, 1) for t in db.session.scalars(
            sa.select(Tier).where(Tier.can_vote_assembly.is_(True), Tier.vote_weight > 0))}
    _set_tiers(vote, tier_weights)
    db.session.add(vote)
    db.session.flush()
    record("vote.created", actor=by, subject=_subject(vote), data=settings_snapshot(vote))
    return vote


def settings_snapshot(vote: VoteItem) -> dict[str, Any]:
    return {
        "kind": vote.kind.value,
        "title": vote.title,
        "secret": vote.secret,
        "results_hidden": vote.results_hidden,
        "rule": vote.rule,
        "seats": vote.seats,
        "threshold": vote.threshold,
        "abstentions": vote.abstentions,
        "quorum": vote.quorum,
        "ranks": vote.ranks,
        "exclude_own": vote.exclude_own,
        "assembly": vote.assembly_id,
        "round": vote.round_id,
        "opens_at": vote.opens_at.isoformat() if vote.opens_at else None,
        "closes_at": vote.closes_at.isoformat() if vote.closes_at else None,
        "options": [[o.key, o.label] for o in vote.options],
        "tiers": [[t.tier_id, t.weight] for t in vote.tiers],
    }


@unit_of_work
def update_vote(vote: VoteItem, *, by: Account | None, tier_weights: Mapping[int, int] | None = None,
                candidates: Sequence[tuple[str, str]] | None = None, **values: Any) -> None:
    """Change a draft vote (nothing can change once it is open)."""
    if vote.status != VoteStatus.DRAFT:
        raise ServiceError(_l("A vote cannot be changed once it is open."))
    merged = {k: getattr(vote, k) for k in ("title", "rule", "seats", "threshold", "abstentions", "ranks", "opens_at", "closes_at")}
    merged.update({k: v for k, v in values.items() if k in merged})
    merged["rule"] = _check_settings(vote.kind, **merged)
    for key in ("description", "secret", "results_hidden", "exclude_own"):
        if key in values:
            merged[key] = values[key] if key != "description" else (values[key] or "").strip()
    if "quorum" in values:
        merged["quorum"] = _check_share(values["quorum"])
    merged["title"] = merged["title"].strip()
    for key, value in merged.items():
        setattr(vote, key, value)
    if candidates is not None and vote.kind == VoteKind.ELECTION:
        options = _candidate_options(candidates)
        if len(options) < 2:
            raise ServiceError(_l("An election needs at least two candidates."), "candidates")
        vote.options.clear()
        db.session.flush()
        vote.options.extend(options)
    if vote.kind == VoteKind.ELECTION and vote.seats >= len(vote.options):
        raise ServiceError(_l("There must be more candidates than seats."), "seats")
    if tier_weights is not None:
        vote.tiers.clear()
        db.session.flush()
        _set_tiers(vote, tier_weights)
    db.session.flush()
    record("vote.updated", actor=by, subject=_subject(vote), data=settings_snapshot(vote))


# --- the budget round's vote -----------------------------------------------------------------


def budget_vote(round_: BudgetRound) -> VoteItem | None:
    return db.session.scalar(sa.select(VoteItem).where(VoteItem.round_id == round_.id).order_by(VoteItem.id.desc()).limit(1))


@unit_of_work
def open_budget_vote(round_: BudgetRound, *, by: Account | None) -> VoteItem:
    """Called when a round enters voting: the proposals on the ballot become the options."""
    proposals = list(db.session.scalars(
        sa.select(Proposal).where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.ON_BALLOT).order_by(Proposal.id)
    ))
    vote = VoteItem(
        kind=VoteKind.BUDGET, title=round_.title, description="", secret=True, results_hidden=True,
        rule=round_.counting_rule, ranks=round_.ranks, round_id=round_.id, exclude_own=True,
        created_by_id=by.id if by else None,
        options=[
            VoteOption(position=i, key=f"p{p.id}", label=p.title, note=p.summary, proposal_id=p.id,
                       cost_cents=p.cost_cents, neighbourhood=p.neighbourhood)
            for i, p in enumerate(proposals)
        ],
        tiers=[VoteTier(tier_id=t.id, weight=1) for t in round_.voter_tiers],
    )
    db.session.add(vote)
    db.session.flush()
    record("vote.created", actor=by, subject=_subject(vote), data=settings_snapshot(vote))
    open_vote(vote, by=by, seed=round_.tie_break_seed)
    return vote


# --- opening: the electorate is frozen -------------------------------------------------------


def _right_column(vote: VoteItem) -> Any:
    return Tier.can_vote_budget if vote.kind == VoteKind.BUDGET else Tier.can_vote_assembly


def electorate_rows(vote: VoteItem) -> list[tuple[int, int]]:
    """(member id, weight) of everyone who may vote now, sorted by member id."""
    weights = {t.tier_id: t.weight for t in vote.tiers}
    if not weights:
        return []
    rows = db.session.execute(
        sa.select(Member.id, Member.tier_id)
        .join(Tier, Member.tier_id == Tier.id)
        .where(Member.status == MemberStatus.ACTIVE, Member.tier_id.in_(list(weights)), _right_column(vote).is_(True))
        .order_by(Member.id)
    )
    return [(member_id, weights[tier_id]) for member_id, tier_id in rows]


def electorate_digest(vote_id: int, rows: Iterable[tuple[int, int]]) -> str:
    """SHA-256 of the canonical electorate (govern.audit.bundle.electorate_digest; the verifier recomputes it)."""
    return bundle_electorate_digest(vote_id, [[m, w] for m, w in rows])


def frozen_electorate(vote: VoteItem) -> list[tuple[int, int]]:
    return [tuple(r) for r in db.session.execute(  # type: ignore[misc]
        sa.select(Elector.member_id, Elector.weight).where(Elector.vote_id == vote.id).order_by(Elector.member_id)
    )]


def params_of(vote: VoteItem) -> dict[str, Any]:
    """The counting rule's parameters as recorded (the seed included)."""
    params: dict[str, Any] = {"tie_break": vote.tie_break_seed}
    if vote.kind == VoteKind.MOTION:
        params.update(threshold=vote.threshold, abstentions=vote.abstentions)
    elif vote.kind == VoteKind.ELECTION and vote.rule in ("stv-scottish", "stv-meek"):
        params["seats"] = vote.seats
    elif vote.kind == VoteKind.BUDGET:
        params["min_support"] = 1  # left-over money never funds a plan nobody voted for
        if vote.rule == "mes":
            # Equal Shares raises each voter's share one currency unit at a time (equalshares.net):
            # one euro, not one cent (a hundred times fewer recounts, the same outcome but for cents).
            params["increment"] = 100
    return params


@unit_of_work
def open_vote(vote: VoteItem, *, by: Account | None, seed: str | None = None) -> None:
    if vote.status != VoteStatus.DRAFT:
        raise ServiceError(_l("This vote is already open or closed."))
    if vote.assembly_id is not None:
        assembly = db.session.get(Assembly, vote.assembly_id)
        if assembly is None or assembly.status != AssemblyStatus.OPEN:
            raise ServiceError(_l("A vote at an assembly can only open while the assembly is open."))
    if len(vote.options) < (1 if vote.kind == VoteKind.BUDGET else 2):
        raise ServiceError(_l("A vote needs at least two options."))
    rows = electorate_rows(vote)
    if not rows:
        raise ServiceError(_l("Nobody may vote on this: no active member is in the chosen tiers."))
    vote.tie_break_seed = seed or secrets.token_hex(16)
    db.session.execute(sa.insert(Elector), [{"vote_id": vote.id, "member_id": m, "weight": w} for m, w in rows])
    vote.electorate_digest = electorate_digest(vote.id, rows)
    vote.electorate_count = len(rows)
    vote.electorate_weight = sum(w for _, w in rows)
    vote.status = VoteStatus.OPEN
    vote.opened_at = utcnow()
    record(
        "vote.opened",
        actor=by,
        subject=_subject(vote),
        data={
            **settings_snapshot(vote),
            "params": params_of(vote),
            "electorate_digest": vote.electorate_digest,
            "electorate_count": vote.electorate_count,
            "electorate_weight": vote.electorate_weight,
        },
    )
    make_checkpoint(by=by, reason="vote-opened")


# --- casting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voter:
    """A member the signed-in account may cast a ballot for, now."""

    member: Member
    weight: int
    via_proxy: bool
    voted: bool
    #: Why this member cannot vote now (None when it can).
    reason: Any = None

    @property
    def can_vote(self) -> bool:
        return self.reason is None and not self.voted


def _weight(vote: VoteItem, member_id: int) -> int | None:
    return db.session.scalar(sa.select(Elector.weight).where(Elector.vote_id == vote.id, Elector.member_id == member_id))


def _voted(vote: VoteItem, member_id: int) -> bool:
    return db.session.scalar(
        sa.select(Participation.id).where(Participation.vote_id == vote.id, Participation.member_id == member_id)
    ) is not None


def _weight_and_voted(vote: VoteItem, member_id: int) -> tuple[int | None, bool]:
    """The member's weight in the frozen electorate (None: not in it) and whether it has voted, in one query."""
    row = db.session.execute(
        sa.select(
            sa.select(Elector.weight).where(Elector.vote_id == vote.id, Elector.member_id == member_id).scalar_subquery(),
            sa.select(Participation.id).where(Participation.vote_id == vote.id, Participation.member_id == member_id)
            .limit(1).scalar_subquery(),
        )
    ).one()
    return row[0], row[1] is not None


def _closing_time_passed(vote: Any, now: dt.datetime | None = None) -> bool:
    return vote.closes_at is not None and (now or utcnow()) >= vote.closes_at


def voters_for(vote: VoteItem, account: Any) -> list[Voter]:
    """The members ``account`` may vote for: its own member and, at an assembly, the proxies it holds there."""
    if account is None or not getattr(account, "is_authenticated", False):
        return []
    member = account.member
    result = []
    weight, voted = _weight_and_voted(vote, member.id)
    reason = None
    if weight is None:
        reason = _l("You are not on the list of voters for this vote (it was fixed when the vote opened).")
    proxies: list[Member] = []
    if vote.assembly_id is not None:
        here = quorum_rules.present_ids(vote.assembly_id)
        if reason is None and member.id not in here:
            reason = _l("Check in at the assembly first; then you can vote.")
        if member.id in here:
            grantors = [g for g, h in quorum_rules.live_proxies(vote.assembly_id).items() if h == member.id and g not in here]
            proxies = list(db.session.scalars(sa.select(Member).where(Member.id.in_(grantors)).order_by(Member.name)))
    result.append(Voter(member=member, weight=weight or 0, via_proxy=False, voted=voted, reason=reason))
    for grantor in proxies:
        w = _weight(vote, grantor.id)
        result.append(Voter(
            member=grantor, weight=w or 0, via_proxy=True, voted=_voted(vote, grantor.id),
            reason=None if w is not None else _l("%(name)s is not on the list of voters for this vote.", name=grantor.name),
        ))
    return result


#: Proposal parties that may not rank their own plan.
OWN_PARTIES = (Party.PROPOSER, Party.CO_PROPOSER)


def excluded_options(vote: Any, member_id: int | None, own: Iterable[int] | None = None) -> dict[str, Any]:
    """Option key → why this member cannot rank it (conflict of interest).

    ``vote``: a VoteItem or its :class:`BallotFacts`; ``own``: the proposals the member
    (co-)proposed when already known (:func:`cast_state` reads them with everything else).
    """
    if member_id is None or vote.kind != VoteKind.BUDGET or not vote.exclude_own:
        return {}
    if own is None:
        own = db.session.scalars(
            sa.select(ProposalParty.proposal_id).where(
                ProposalParty.member_id == member_id, ProposalParty.party.in_(OWN_PARTIES)
            )
        )
    own = set(own)
    reason = _l("You cannot rank a plan that you (co-)proposed.")
    return {o.key: reason for o in vote.options if o.proposal_id in own}


def max_ranks(vote: Any) -> int:
    n = len(vote.options)
    return min(vote.ranks, n) if vote.ranks else n


def parse_ranks(
    vote: Any, member_id: int | None, ranks: Mapping[str, str], excluded: Mapping[str, Any] | None = None
) -> list[str]:
    """Form input {option key: "" or "1".."n"} → option keys in order of preference.

    ``vote``: a VoteItem or its :class:`BallotFacts`; ``excluded``: :func:`excluded_options`
    when the caller has it already.
    """
    keys = {o.key for o in vote.options}
    for key in ranks:
        if key not in keys:
            raise ServiceError(_l("The ballot names an option that is not on it. Reload the page and try again."))
    if excluded is None:
        excluded = excluded_options(vote, member_id)
    limit = max_ranks(vote)
    chosen: dict[int, str] = {}
    for option in vote.options:
        text = (ranks.get(option.key) or "").strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= limit:
            raise ServiceError(_l("Choose a number from 1 to %(n)d.", n=limit), option.key)
        if option.key in excluded:
            raise ServiceError(excluded[option.key], option.key)
        place = int(text)
        if place in chosen:
            raise ServiceError(_l("You gave number %(n)d to two options. Give each number only once.", n=place), option.key)
        chosen[place] = option.key
    if not chosen:
        raise ServiceError(_l("You have not chosen anything yet. Give your favourite number 1."))
    for place in range(1, max(chosen) + 1):
        if place not in chosen:
            raise ServiceError(
                _l("You skipped number %(n)d. Number your choices 1, 2, 3 … without gaps.", n=place),
                chosen[min(p for p in chosen if p > place)],
            )
    return [chosen[p] for p in sorted(chosen)]


def parse_choice(vote: Any, choice: str | None) -> list[str]:
    """A motion's choice → its ranking (one key)."""
    if choice not in MOTION_OPTIONS:
        raise ServiceError(_l("Choose yes, no or abstain."), "choice")
    return [choice]


def check_ranking(
    vote: Any, member_id: int | None, ranking: Sequence[str], excluded: Mapping[str, Any] | None = None
) -> list[str]:
    """Validate a ranking given as a list (the review step's hidden fields, an API)."""
    if vote.kind == VoteKind.MOTION:
        if len(ranking) != 1:
            raise ServiceError(_l("Choose yes, no or abstain."), "choice")
        return parse_choice(vote, ranking[0])
    if len(set(ranking)) != len(ranking):
        raise ServiceError(_l("The ballot names an option twice. Reload the page and try again."))
    return parse_ranks(vote, member_id, {key: str(i) for i, key in enumerate(ranking, start=1)}, excluded)


def add_ballot(vote: VoteItem, ranking: Sequence[str], weight: int, member_id: int | None = None) -> Ballot:
    """Put a ballot in the box (a secret ballot gets no member and no time)."""
    ballot = Ballot(vote_id=vote.id, tracker=new_tracker(), ranking=list(ranking), weight=weight)
    if not vote.secret:
        if member_id is None:
            raise ServiceError(_l("A roll-call ballot must name its member."))
        ballot.member_id = member_id
        ballot.cast_at = utcnow()
    db.session.add(ballot)
    return ballot


def _refuse_unless_open(vote: VoteItem) -> None:
    if vote.status != VoteStatus.OPEN or _closing_time_passed(vote):
        raise ServiceError(_l("This vote is closed; no more ballots can be cast."))


def _typed(statement: str, **types: Any) -> Any:
    return sa.text(statement).bindparams(*(sa.bindparam(name, type_=type_) for name, type_ in types.items()))


_PARTICIPATION_TYPES: dict[str, Any] = {
    "vote_id": sa.Integer(), "member_id": sa.Integer(), "channel": sa.String(), "account_id": sa.Integer(),
    "created_at": UTCDateTime(),
}

# Written out as text: SQLAlchemy does not cache the compiled form of its dialects' INSERT … ON
# CONFLICT constructs, and compiling them anew cost more CPU than the rest of the cast's statements.
#: INSERT … ON CONFLICT DO NOTHING RETURNING id (PostgreSQL and SQLite 3.35+).
_CLAIM = _typed(
    "INSERT INTO participation (vote_id, member_id, channel, account_id, created_at) "
    "VALUES (:vote_id, :member_id, :channel, :account_id, :created_at) ON CONFLICT DO NOTHING RETURNING id",
    **_PARTICIPATION_TYPES,
)
#: PostgreSQL: the participation and the ballot in one statement, the ballot only when the claim succeeded.
_CLAIM_AND_BALLOT = _typed(
    "WITH claim AS ("
    "INSERT INTO participation (vote_id, member_id, channel, account_id, created_at) "
    "VALUES (:vote_id, :member_id, :channel, :account_id, :created_at) ON CONFLICT DO NOTHING RETURNING id) "
    "INSERT INTO ballot (vote_id, tracker, ranking, weight, member_id, cast_at) "
    "SELECT CAST(:vote_id AS INTEGER), CAST(:tracker AS VARCHAR), CAST(:ranking AS JSON), CAST(:weight AS INTEGER), "
    "CAST(:ballot_member_id AS INTEGER), CAST(:cast_at AS TIMESTAMP WITHOUT TIME ZONE) FROM claim RETURNING id",
    **_PARTICIPATION_TYPES, tracker=sa.String(), ranking=sa.JSON(), weight=sa.Integer(), ballot_member_id=sa.Integer(),
    cast_at=UTCDateTime(),
)


def _claim_participation(vote_id: int, member_id: int, channel: Channel, account_id: int | None) -> bool:
    """Insert the participation row unless one exists: True when this call made it.

    One statement (INSERT … ON CONFLICT DO NOTHING RETURNING): the unique (vote, member)
    constraint decides a race, and the loser's transaction stays usable for its message.
    """
    values = {"vote_id": vote_id, "member_id": member_id, "channel": channel.value, "account_id": account_id,
              "created_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - other databases: a savepoint and the constraint
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(Participation).values(**values))
            return True
        except IntegrityError:
            return False
    return db.session.execute(_CLAIM, values).first() is not None


_INSERT_BALLOT = sa.insert(Ballot.__table__)


def _cast(
    vote_id: int, secret: bool, *, by: Account, member_id: int, name: str, weight: int, channel: Channel,
    ranking: Sequence[str],
) -> str:
    """The writes of a cast, all checks done: participation, ballot, then the record entry (its lock last).

    The participation's unique constraint decides whether this is the member's first ballot;
    on PostgreSQL the claim and the ballot go in one statement (the ballot is inserted only
    when the claim was), elsewhere one after the other.
    """
    tracker = new_tracker()
    ballot: dict[str, Any] = {"vote_id": vote_id, "tracker": tracker, "ranking": list(ranking), "weight": weight,
                              "member_id": None, "cast_at": None}
    if not secret:  # a roll call: the ballot names its member, on purpose
        ballot.update(member_id=member_id, cast_at=utcnow())
    if db.session.get_bind().dialect.name == "postgresql":
        values = {"vote_id": vote_id, "member_id": member_id, "channel": channel.value, "account_id": by.id,
                  "created_at": utcnow(), "tracker": tracker, "ranking": ballot["ranking"], "weight": weight,
                  "ballot_member_id": ballot["member_id"], "cast_at": ballot["cast_at"]}
        claimed = db.session.execute(_CLAIM_AND_BALLOT, values).first() is not None
    else:
        claimed = _claim_participation(vote_id, member_id, channel, by.id)
        if claimed:
            db.session.execute(_INSERT_BALLOT, ballot)
    if not claimed:
        # Another delegate or device of the same member was a moment faster: exactly one ballot stands.
        raise ServiceError(_l("A ballot for %(name)s has already been cast. Each member votes once.", name=name))
    record("participation.recorded", actor=by, subject=f"vote:{vote_id}", data={"member": member_id, "channel": channel.value})
    return tracker


@unit_of_work
def cast_ballot(
    vote: VoteItem, *, by: Account, member_id: int, ranking: Sequence[str], voters: Sequence[Voter] | None = None
) -> str:
    """Cast the ballot of ``member_id`` (the account's own member, or a proxy it holds). Returns the tracker.

    ``voters``: what :func:`voters_for` gave for ``by`` earlier in the same request (the
    ballot page checks it first); it saves asking again. The participation constraint
    still decides whether this ballot is the member's first.
    """
    _refuse_unless_open(vote)
    candidates = voters if voters is not None else voters_for(vote, by)
    voter = next((v for v in candidates if v.member.id == member_id), None)
    if voter is None:
        raise ServiceError(_l("You cannot vote for this member."), "member")
    if voter.reason is not None:
        raise ServiceError(voter.reason, "member")
    name = voter.member.name
    if voter.voted:
        raise ServiceError(_l("A ballot for %(name)s has already been cast. Each member votes once.", name=name))
    ranking = check_ranking(vote, member_id, ranking)
    channel = Channel.PROXY if voter.via_proxy else Channel.ONLINE
    return _cast(vote.id, vote.secret, by=by, member_id=member_id, name=name, weight=voter.weight, channel=channel,
                 ranking=ranking)


# --- casting one's own ballot in few statements --------------------------------------------------


class BallotOption(NamedTuple):
    key: str
    proposal_id: int | None


@dataclass(frozen=True)
class BallotFacts:
    """What a ballot is checked against that cannot change while the vote is open.

    ``update_vote`` refuses every change once a vote is open, and a vote opens once, so
    each process keeps these per vote, keyed by its id, opening time and tie-break seed
    (a different vote never matches, not even one that got a reused id). Duck-types as
    the vote for :func:`parse_ranks`, :func:`parse_choice`, :func:`check_ranking`,
    :func:`excluded_options` and :func:`max_ranks`.
    """

    id: int
    kind: VoteKind
    secret: bool
    ranks: int
    exclude_own: bool
    assembly_id: int | None
    closes_at: dt.datetime | None
    options: tuple[BallotOption, ...]

    @property
    def ranked(self) -> bool:
        return self.kind != VoteKind.MOTION


@dataclass(frozen=True)
class CastState:
    """One member's position on one vote, read in one query (:func:`cast_state`)."""

    facts: BallotFacts
    status: VoteStatus
    #: Weight in the frozen electorate; None: not in it.
    weight: int | None
    voted: bool
    #: Proposals the member (co-)proposed (excluded from its ranking on a budget ballot).
    own: frozenset[int]

    @property
    def open(self) -> bool:
        return self.status == VoteStatus.OPEN and not _closing_time_passed(self.facts)

    @property
    def can_vote(self) -> bool:
        """Open, the member is in the frozen electorate and has not voted, and no assembly is involved."""
        return self.open and self.weight is not None and not self.voted and self.facts.assembly_id is None

    def excluded(self, member_id: int) -> dict[str, Any]:
        return excluded_options(self.facts, member_id, self.own)


_FACTS: dict[tuple[int, Any, Any], BallotFacts] = {}
_FACTS_KEPT = 256


def _cast_state_statement() -> Any:
    v, e, p, pp = VoteItem.__table__, Elector.__table__, Participation.__table__, ProposalParty.__table__
    vote_id, member_id = sa.bindparam("vote_id", type_=sa.Integer), sa.bindparam("member_id", type_=sa.Integer)
    weight = sa.select(e.c.weight).where(e.c.vote_id == vote_id, e.c.member_id == member_id).scalar_subquery()
    voted = sa.select(p.c.id).where(p.c.vote_id == vote_id, p.c.member_id == member_id).limit(1).scalar_subquery()
    own = (
        sa.select(sa.func.aggregate_strings(sa.cast(pp.c.proposal_id, sa.String), ","))
        .where(pp.c.member_id == member_id, pp.c.party.in_([party.value for party in OWN_PARTIES]))
        .scalar_subquery()
    )
    return sa.select(
        v.c.status, v.c.opened_at, v.c.tie_break_seed, v.c.kind, v.c.secret, v.c.ranks, v.c.exclude_own,
        v.c.assembly_id, v.c.closes_at, weight.label("weight"), voted.label("voted"), own.label("own"),
    ).where(v.c.id == vote_id)


#: Built once: a statement object made per request costs more to build and key than to run.
_CAST_STATE = _cast_state_statement()
_BALLOT_OPTIONS = (
    sa.select(VoteOption.__table__.c.key, VoteOption.__table__.c.proposal_id)
    .where(VoteOption.__table__.c.vote_id == sa.bindparam("vote_id", type_=sa.Integer))
    .order_by(VoteOption.__table__.c.position, VoteOption.__table__.c.id)
)


def cast_state(vote_id: int, member_id: int) -> CastState | None:
    """The vote's status, the member's weight in the frozen electorate, whether it has voted and
    the proposals it (co-)proposed, in one query; the vote's options from this process's
    :class:`BallotFacts` (read once per vote). None when there is no such vote.

    Nothing is locked: the participation's unique constraint still decides a race.
    """
    row = db.session.execute(_CAST_STATE, {"vote_id": vote_id, "member_id": member_id}).first()
    if row is None:
        return None
    key = (vote_id, row.opened_at, row.tie_break_seed)
    facts = _FACTS.get(key) if row.opened_at is not None else None
    if facts is None:
        options = tuple(BallotOption(k, pid) for k, pid in db.session.execute(_BALLOT_OPTIONS, {"vote_id": vote_id}))
        facts = BallotFacts(
            id=vote_id, kind=VoteKind(row.kind), secret=bool(row.secret), ranks=row.ranks, exclude_own=bool(row.exclude_own),
            assembly_id=row.assembly_id, closes_at=row.closes_at, options=options,
        )
        if row.opened_at is not None and VoteStatus(row.status) != VoteStatus.DRAFT:
            if len(_FACTS) >= _FACTS_KEPT:
                _FACTS.clear()
            _FACTS[key] = facts
    own = frozenset(int(x) for x in row.own.split(",")) if row.own else frozenset()
    return CastState(facts=facts, status=VoteStatus(row.status), weight=row.weight, voted=row.voted is not None, own=own)


@unit_of_work
def cast_own_ballot(state: CastState, *, by: Account, ranking: Sequence[str]) -> str:
    """Cast the ballot of ``by``'s own member from a :func:`cast_state` read earlier in the
    request (the ballot page's confirm step). Returns the tracker.

    The same rules as :func:`cast_ballot`: open and before the closing time, in the frozen
    electorate, not voted yet (and the constraint decides a race), no plan of its own
    ranked. Votes at an assembly (presence, proxies) go through :func:`cast_ballot`.
    """
    facts, member_id = state.facts, by.member_id
    if not state.open:
        raise ServiceError(_l("This vote is closed; no more ballots can be cast."))
    if facts.assembly_id is not None:
        raise ServiceError(_l("You cannot vote for this member."), "member")
    if state.weight is None:
        raise ServiceError(_l("You are not on the list of voters for this vote (it was fixed when the vote opened)."), "member")
    name = by.member.name
    if state.voted:
        raise ServiceError(_l("A ballot for %(name)s has already been cast. Each member votes once.", name=name))
    ranking = check_ranking(facts, member_id, ranking, state.excluded(member_id))
    return _cast(facts.id, facts.secret, by=by, member_id=member_id, name=name, weight=state.weight,
                 channel=Channel.ONLINE, ranking=ranking)


def mark_participation(vote: VoteItem, *, by: Account, member_id: int, channel: Channel) -> Participation:
    """Record that a member took part outside the online ballot (paper). Raises when it already did."""
    if _weight(vote, member_id) is None:
        raise ServiceError(_l("This member is not on the list of voters for this vote."), "member")
    try:
        with db.session.begin_nested():
            participation = Participation(vote_id=vote.id, member_id=member_id, channel=channel, account_id=by.id)
            db.session.add(participation)
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_l("This member has already voted."), "member") from None
    record("participation.recorded", actor=by, subject=_subject(vote), data={"member": member_id, "channel": channel.value})
    return participation


# --- closing: count and record ---------------------------------------------------------------


def ballot_leaf(tracker: str, ranking: Sequence[str], weight: int) -> bytes:
    """The bytes of one ballot in the published box (the Merkle leaf is SHA256(0x00 ‖ these))."""
    return box_leaf(tracker, list(ranking), weight)


def _box_rows(vote_id: int) -> list[tuple[str, list[str], int, int | None]]:
    """(tracker, ranking, weight, member id) of every ballot, in tracker order (Core rows: no ORM objects)."""
    t = Ballot.__table__
    return [tuple(r) for r in db.session.connection().execute(  # type: ignore[misc]
        sa.select(t.c.tracker, t.c.ranking, t.c.weight, t.c.member_id).where(t.c.vote_id == vote_id).order_by(t.c.tracker)
    )]


def box_leaves(vote_id: int) -> list[bytes]:
    return [merkle.leaf_hash(ballot_leaf(t, r, w)) for t, r, w, _ in _box_rows(vote_id)]


_BOX_COLUMNS = "vote_id, tracker, ranking, weight, member_id, cast_at"


def _rewrite_box(vote: VoteItem) -> None:
    """Delete and re-insert the box in tracker order, so row order (and ids) no longer follow casting order.

    Done inside the database: PostgreSQL moves the rows in one statement; SQLite through a
    temporary table.
    """
    db.session.flush()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(
            f"WITH old AS (DELETE FROM ballot WHERE vote_id = :v RETURNING {_BOX_COLUMNS}) "
            f"INSERT INTO ballot ({_BOX_COLUMNS}) SELECT {_BOX_COLUMNS} FROM old ORDER BY tracker"
        ), {"v": vote.id})
    else:
        connection.execute(sa.text(f"CREATE TEMP TABLE box_rewrite AS SELECT {_BOX_COLUMNS} FROM ballot WHERE vote_id = :v"), {"v": vote.id})
        connection.execute(sa.text("DELETE FROM ballot WHERE vote_id = :v"), {"v": vote.id})
        connection.execute(sa.text(f"INSERT INTO ballot ({_BOX_COLUMNS}) SELECT {_BOX_COLUMNS} FROM box_rewrite ORDER BY tracker"))
        connection.execute(sa.text("DROP TABLE box_rewrite"))
    db.session.expire_all()


def count_document(vote: VoteItem, rows: Sequence[tuple[str, list[str], int, Any]]) -> dict[str, Any]:
    """The {"rule", "params", "profile"} document the verifier recounts (identical ballots merged)."""
    merged: dict[tuple[str, ...], int] = {}
    for _, ranking, weight, _ in rows:
        key = tuple(ranking)
        merged[key] = merged.get(key, 0) + weight
    profile: dict[str, Any] = {
        "format": "govern-profile",
        "version": 1,
        "candidates": [o.key for o in vote.options],
        "ballots": [{"ranking": list(k), "weight": w} for k, w in sorted(merged.items())],
    }
    if vote.kind == VoteKind.ELECTION:
        profile["seats"] = vote.seats
    if vote.kind == VoteKind.BUDGET:
        round_ = db.session.get(BudgetRound, vote.round_id)
        profile["costs"] = {o.key: int(o.cost_cents or 0) for o in vote.options}
        profile["budget"] = round_.budget_cents if round_ else 0
    return {"rule": vote.rule, "params": params_of(vote), "profile": profile}


def _quorum_result(vote: VoteItem, turnout_weight: int) -> dict[str, Any] | None:
    if vote.assembly_id is not None:
        assembly = db.session.get(Assembly, vote.assembly_id)
        share = vote.quorum or (assembly.quorum if assembly else None)
        if not share:
            return None
        found = quorum_rules.presence(vote.assembly_id, dict(frozen_electorate(vote)), share)
        return {"required": share, "basis": "present", "weight": found.weight, "electorate_weight": found.total,
                "needed": found.needed, "met": found.met}
    if not vote.quorum:
        return None
    total = vote.electorate_weight
    need = quorum_rules.needed(vote.quorum, total)
    return {"required": vote.quorum, "basis": "turnout", "weight": turnout_weight, "electorate_weight": total,
            "needed": need, "met": total > 0 and turnout_weight >= need}


@unit_of_work
def close_vote(vote: VoteItem, *, by: Account | None) -> None:
    """Count the box, store the outcome, record one "vote.closed" entry and sign a checkpoint."""
    if vote.status != VoteStatus.OPEN:
        raise ServiceError(_l("Only an open vote can be closed."))
    rows = _box_rows(vote.id)
    participations = db.session.scalar(
        sa.select(sa.func.count()).select_from(Participation).where(Participation.vote_id == vote.id)
    ) or 0
    if participations != len(rows):
        raise ServiceError(
            _l("%(p)d members took part but there are %(b)d ballots; accept the paper ballots first.", p=participations, b=len(rows))
        )
    _rewrite_box(vote)
    document = count_document(vote, rows)
    document_bytes = canonical.encode_plain(document)
    try:
        # What tally_rules.recount(document) does (and the verifier will do), with the profile built once.
        profile, extras = profile_from_document(document["profile"])
        costs, budget = extras.get("costs"), extras.get("budget")
        instance = tally_rules.pb_instance(profile, costs, budget) if vote.kind == VoteKind.BUDGET else None
        outcome = tally_rules.run(vote.rule, profile, document["params"], costs=costs, budget=budget, instance=instance)
    except (FormatError, ParameterError, ValueError) as exc:
        raise ServiceError(_l("The votes could not be counted: %(reason)s", reason=str(exc))) from None
    outcome_bytes = outcome.to_json()
    leaves = [merkle.leaf_hash(ballot_leaf(t, r, w)) for t, r, w, _ in rows]
    root = merkle.root(leaves).hex()
    quorum = _quorum_result(vote, sum(w for _, _, w, _ in rows))
    valid = quorum is None or bool(quorum["met"])
    vote.count_document = document_bytes
    vote.outcome = outcome_bytes
    vote.winners = list(outcome.winners)
    vote.valid = valid
    vote.quorum_result = quorum
    vote.ballot_box_root = root
    vote.participation_count = participations
    vote.ballot_count = len(rows)
    vote.status = VoteStatus.CLOSED
    vote.closed_at = utcnow()
    if vote.kind == VoteKind.BUDGET:
        greedy_params = {"tie_break": vote.tie_break_seed, "min_support": 1}
        vote.comparison = tally_rules.run(
            "greedy", profile, greedy_params, costs=costs, budget=budget, instance=instance
        ).to_json()
    entry = record(
        "vote.closed",
        actor=by,
        subject=_subject(vote),
        data={
            "rule": vote.rule,
            "params": document["params"],
            "engine": outcome.engine,
            "ballots_digest": hashlib.sha256(document_bytes).hexdigest(),
            "outcome_digest": hashlib.sha256(outcome_bytes).hexdigest(),
            "ballot_box_root": root,
            "electorate_digest": vote.electorate_digest,
            "participation_count": participations,
            "ballot_count": len(rows),
            "winners": list(outcome.winners),
            "valid": valid,
            "quorum": quorum,
        },
    )
    vote.closed_seq = entry.seq
    if vote.kind == VoteKind.BUDGET and vote.round_id is not None:
        _record_budget_results(vote, by)
    make_checkpoint(by=by, reason="vote-closed")


def _record_budget_results(vote: VoteItem, by: Account | None) -> None:
    from ..budgeting import services as budgeting

    round_ = db.session.get(BudgetRound, vote.round_id)
    if round_ is None:
        return
    if round_.phase == Phase.VOTING:
        budgeting.advance_phase(round_, by=by, to=Phase.RESULTS, from_vote=True)
    funded = [int(k[1:]) for k in (vote.winners or [])] if vote.valid else []
    budgeting.record_results(round_, by=by, funded_ids=funded)


# --- scheduler -------------------------------------------------------------------------------


def tick(now: dt.datetime | None = None, *, by: Account | None = None) -> tuple[list[int], list[int]]:
    """Open votes whose opening time has come and close those whose closing time has passed."""
    now = now or utcnow()
    opened, closed = [], []
    for vote in db.session.scalars(sa.select(VoteItem).where(
        VoteItem.status == VoteStatus.DRAFT, VoteItem.opens_at.is_not(None), VoteItem.opens_at <= now
    ).order_by(VoteItem.id)):
        try:
            open_vote(vote, by=by)
            opened.append(vote.id)
        except ServiceError:
            db.session.rollback()
    for vote in db.session.scalars(sa.select(VoteItem).where(
        VoteItem.status == VoteStatus.OPEN, VoteItem.closes_at.is_not(None), VoteItem.closes_at <= now
    ).order_by(VoteItem.id)):
        try:
            close_vote(vote, by=by)
            closed.append(vote.id)
        except ServiceError:
            db.session.rollback()
    return opened, closed


# --- reading ---------------------------------------------------------------------------------


def outcome_dict(vote: VoteItem) -> dict[str, Any] | None:
    """The stored outcome, parsed; None until the vote is closed."""
    if vote.status != VoteStatus.CLOSED or vote.outcome is None:
        return None
    return canonical.decode(vote.outcome)


def comparison_dict(vote: VoteItem) -> dict[str, Any] | None:
    if vote.status != VoteStatus.CLOSED or vote.comparison is None:
        return None
    return canonical.decode(vote.comparison)


def running_tally(vote: VoteItem) -> dict[str, int] | None:
    """First preferences so far (weights summed), only for an open vote whose results are not hidden."""
    if vote.status != VoteStatus.OPEN or vote.results_hidden:
        return None
    tally = {o.key: 0 for o in vote.options}
    for ranking, weight in db.session.execute(sa.select(Ballot.ranking, Ballot.weight).where(Ballot.vote_id == vote.id)):
        if ranking:
            tally[ranking[0]] = tally.get(ranking[0], 0) + weight
    return tally


def turnout(vote: VoteItem) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Participation).where(Participation.vote_id == vote.id)
    ) or 0


def presence(vote: VoteItem) -> quorum_rules.Presence | None:
    """Present and represented weight among the vote's electorate (assembly votes)."""
    if vote.assembly_id is None or vote.status == VoteStatus.DRAFT:
        return None
    assembly = db.session.get(Assembly, vote.assembly_id)
    share = vote.quorum or (assembly.quorum if assembly else "1/2")
    return quorum_rules.presence(vote.assembly_id, dict(frozen_electorate(vote)), share)


@dataclass(frozen=True)
class Receipt:
    tracker: str
    ranking: list[str]
    weight: int
    index: int
    size: int
    leaf_hash: str
    proof: list[str]
    root: str


def receipt(vote: VoteItem, tracker: str) -> Receipt | None:
    """A closed vote's ballot with its inclusion proof against the box root on the record."""
    if vote.status != VoteStatus.CLOSED:
        return None
    tracker = normalize_tracker(tracker)
    rows = _box_rows(vote.id)
    index = next((i for i, row in enumerate(rows) if row[0] == tracker), None)
    if index is None:
        return None
    leaves = [merkle.leaf_hash(ballot_leaf(t, r, w)) for t, r, w, _ in rows]
    proof = merkle.inclusion_proof(index, len(leaves), leaves)
    _, ranking, weight, _ = rows[index]
    return Receipt(tracker=tracker, ranking=list(ranking), weight=weight, index=index, size=len(leaves),
                   leaf_hash=leaves[index].hex(), proof=[p.hex() for p in proof], root=vote.ballot_box_root or "")


def bundle_votes() -> Iterable[dict[str, Any]]:
    """Closed votes for the audit bundle (govern.audit.export.VOTE_SOURCES)."""
    for vote in db.session.scalars(
        sa.select(VoteItem).where(VoteItem.status == VoteStatus.CLOSED).order_by(VoteItem.id)
        .options(sa.orm.undefer(VoteItem.outcome), sa.orm.undefer(VoteItem.count_document))
    ):
        rows = _box_rows(vote.id)
        yield {
            "id": str(vote.id),
            "count": bytes(vote.count_document or b""),
            "outcome": bytes(vote.outcome or b""),
            "vote": {
                "id": str(vote.id),
                "electorate_digest": vote.electorate_digest,
                "electorate": [[m, w] for m, w in frozen_electorate(vote)],
                "participation_count": vote.participation_count,
                "ballot_count": vote.ballot_count,
                "ballot_box_root": vote.ballot_box_root,
                "box": [{"tracker": t, "ranking": list(r), "weight": w} for t, r, w, _ in rows],
                "closed_seq": vote.closed_seq,
            },
        }


def _register_export() -> None:
    from ..audit.export import VOTE_SOURCES

    if bundle_votes not in VOTE_SOURCES:
        VOTE_SOURCES.append(bundle_votes)


_register_export()
