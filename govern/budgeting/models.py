"""Budget rounds, proposals, their budget lines, versions, reviews, parties and endorsements."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import bool_false, created_at, intpk, str_enum
from ..extensions import db
from ..membership.models import Account, Member, Tier


class Phase(enum.StrEnum):
    """Where a round stands. The board moves it forward one phase at a time."""

    PREPARATION = "preparation"
    SUBMISSION = "submission"
    REVIEW = "review"
    DELIBERATION = "deliberation"
    VOTING = "voting"
    RESULTS = "results"
    IMPLEMENTATION = "implementation"
    CLOSED = "closed"

    @property
    def next(self) -> Phase | None:
        order = list(Phase)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None

    def before(self, other: Phase) -> bool:
        order = list(Phase)
        return order.index(self) < order.index(other)


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    ON_BALLOT = "on_ballot"
    FUNDED = "funded"
    NOT_FUNDED = "not_funded"
    WITHDRAWN = "withdrawn"


class Party(enum.StrEnum):
    """How a member is tied to a proposal; every kind is shown on it (conflict of interest)."""

    PROPOSER = "proposer"
    CO_PROPOSER = "co_proposer"
    INTEREST = "interest"


#: Counting rules a round may use (names as in govern.tally.rules.RULES).
COUNTING_RULES = ("mes", "greedy")

#: What a proposal is about.
CATEGORIES = (
    "green",
    "play",
    "care",
    "food",
    "language",
    "culture",
    "sport",
    "meeting",
    "safety",
    "other",
)

round_proposer_tier = sa.Table(
    "round_proposer_tier",
    db.metadata,
    sa.Column("round_id", sa.ForeignKey("budget_round.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tier_id", sa.ForeignKey("tier.id"), primary_key=True),
)

round_voter_tier = sa.Table(
    "round_voter_tier",
    db.metadata,
    sa.Column("round_id", sa.ForeignKey("budget_round.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tier_id", sa.ForeignKey("tier.id"), primary_key=True),
)


class BudgetRound(db.Model):
    """A budget round: an amount of money, the neighbourhoods it is for, and its phases."""

    __tablename__ = "budget_round"

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Markdown source, as the board wrote it.
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: The same, rendered and sanitized (nh3), so pages do not render it on every view.
    description_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: The money to spend, in cents.
    budget_cents: Mapped[int] = mapped_column(sa.BigInteger)
    #: Keys from govern.membership.models.NEIGHBOURHOODS; proposals must be for one of these.
    neighbourhoods: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    phase: Mapped[Phase] = mapped_column(str_enum(Phase), default=Phase.PREPARATION, index=True)
    #: Planned start of each phase (dates, as announced).
    submission_opens: Mapped[dt.date | None] = mapped_column(sa.Date)
    review_opens: Mapped[dt.date | None] = mapped_column(sa.Date)
    deliberation_opens: Mapped[dt.date | None] = mapped_column(sa.Date)
    voting_opens: Mapped[dt.date | None] = mapped_column(sa.Date)
    results_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    implementation_starts: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: How many proposals a voter may rank.
    ranks: Mapped[int] = mapped_column(default=5)
    #: The counting rule from govern.tally: "mes" or "greedy".
    counting_rule: Mapped[str] = mapped_column(sa.String(20), default="mes")
    #: Fixed (and recorded) when voting opens; nobody can steer the tie-break after that.
    tie_break_seed: Mapped[str | None] = mapped_column(sa.String(64))
    #: Members may endorse proposals; with a threshold above 0, only proposals with that many reach the ballot.
    support_enabled: Mapped[bool_false]
    support_threshold: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    phase_changed_at: Mapped[dt.datetime | None]

    proposer_tiers: Mapped[list[Tier]] = relationship(secondary=round_proposer_tier, order_by=Tier.position)
    voter_tiers: Mapped[list[Tier]] = relationship(secondary=round_voter_tier, order_by=Tier.position)

    __table_args__ = (
        sa.CheckConstraint("budget_cents > 0", name="budget_positive"),
        sa.CheckConstraint("ranks > 0", name="ranks_positive"),
        sa.CheckConstraint("support_threshold >= 0", name="threshold_not_negative"),
    )

    def may_propose(self, member: Member) -> bool:
        return member.is_active and member.tier.can_propose and member.tier_id in {t.id for t in self.proposer_tiers}

    def may_vote(self, member: Member) -> bool:
        return member.is_active and member.tier.can_vote_budget and member.tier_id in {t.id for t in self.voter_tiers}

    @property
    def endorsing_open(self) -> bool:
        return self.support_enabled and self.phase in (Phase.SUBMISSION, Phase.REVIEW, Phase.DELIBERATION)

    @property
    def settings_locked(self) -> bool:
        """From voting on, the budget and ballot settings are part of the vote and cannot change."""
        return not self.phase.before(Phase.VOTING)


class Proposal(db.Model):
    """A project proposed for a round, by a member with co-proposers."""

    __tablename__ = "proposal"

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_round.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500))
    #: Markdown source.
    description: Mapped[str] = mapped_column(sa.Text)
    #: Rendered and sanitized HTML of the description.
    description_html: Mapped[str] = mapped_column(sa.Text)
    neighbourhood: Mapped[str] = mapped_column(sa.String(40))
    category: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus), default=ProposalStatus.DRAFT)
    #: The sum of the budget lines as the proposers wrote them, in cents.
    requested_cents: Mapped[int] = mapped_column(sa.BigInteger)
    #: The cost that counts (on the ballot): the request, or the reviewer's adjustment.
    cost_cents: Mapped[int] = mapped_column(sa.BigInteger)
    #: The member who proposes (an initiative or a resident).
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    #: The account that created it.
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]
    submitted_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime | None]
    #: The number of the latest version (0 while a draft; 1 at submission).
    version: Mapped[int] = mapped_column(default=0)
    #: The public reason of the latest review (eligible or not).
    review_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Why the reviewer changed the cost, if they did.
    cost_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    reviewed_at: Mapped[dt.datetime | None]
    #: Number of members who endorse it (kept with each endorsement, for sorting).
    endorsements: Mapped[int] = mapped_column(default=0, server_default="0")
    has_image: Mapped[bool_false]
    #: Title and summary, lower-cased and without accents, for search with a plain LIKE on both databases.
    search_text: Mapped[str] = mapped_column(sa.String(720), default="", server_default="")
    image_alt: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")

    round: Mapped[BudgetRound] = relationship()
    member: Mapped[Member] = relationship()
    lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="proposal", order_by="BudgetLine.position", cascade="all, delete-orphan"
    )
    parties: Mapped[list[ProposalParty]] = relationship(
        back_populates="proposal", order_by="ProposalParty.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # Covers the list's filter and its sorts, so a page is found in the index without reading whole rows.
        sa.Index("ix_proposal_list", "round_id", "status", "submitted_at", "id", "cost_cents", "endorsements"),
        sa.CheckConstraint("cost_cents >= 0", name="cost_not_negative"),
    )

    @property
    def subject(self) -> str:
        return f"proposal:{self.id}"

    @property
    def cost_adjusted(self) -> bool:
        return self.cost_cents != self.requested_cents

    def member_ids(self, *parties: Party) -> set[int]:
        wanted = set(parties) or {Party.PROPOSER, Party.CO_PROPOSER}
        return {p.member_id for p in self.parties if p.party in wanted}


class BudgetLine(db.Model):
    """One line of a proposal's budget: what the money is for, and how much (cents)."""

    __tablename__ = "budget_line"

    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.String(200))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    proposal: Mapped[Proposal] = relationship(back_populates="lines")

    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)


class ProposalParty(db.Model):
    """A member tied to a proposal: the proposer, a co-proposer, or someone who declared an interest."""

    __tablename__ = "proposal_party"

    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    party: Mapped[Party] = mapped_column(str_enum(Party))
    #: For a declared interest: what the interest is, in the member's own words (public).
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[created_at]

    proposal: Mapped[Proposal] = relationship(back_populates="parties")
    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.UniqueConstraint("proposal_id", "member_id", "party"),)


class ProposalVersion(db.Model):
    """What a proposal said at submission and after every later edit; pages show the diff."""

    __tablename__ = "proposal_version"

    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text)
    neighbourhood: Mapped[str] = mapped_column(sa.String(40))
    category: Mapped[str] = mapped_column(sa.String(40))
    #: The budget lines as text, one per line: "amount_cents<TAB>description".
    lines: Mapped[str] = mapped_column(sa.Text)
    requested_cents: Mapped[int] = mapped_column(sa.BigInteger)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    __table_args__ = (sa.UniqueConstraint("proposal_id", "number"),)


class ProposalReview(db.Model):
    """A feasibility review: eligible or not, with a public reason, and any change of cost."""

    __tablename__ = "proposal_review"

    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    eligible: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.Text)
    cost_before: Mapped[int] = mapped_column(sa.BigInteger)
    cost_after: Mapped[int] = mapped_column(sa.BigInteger)
    cost_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[created_at]

    account: Mapped[Account] = relationship()


class ProposalImage(db.Model):
    """The proposal's picture, re-encoded (no camera metadata), kept apart so lists never load it."""

    __tablename__ = "proposal_image"

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    width: Mapped[int]
    height: Mapped[int]


class Endorsement(db.Model):
    """A member supports a proposal (the optional support phase). One per member and proposal."""

    __tablename__ = "endorsement"

    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    created_at: Mapped[created_at]

    __table_args__ = (sa.UniqueConstraint("proposal_id", "member_id"),)
