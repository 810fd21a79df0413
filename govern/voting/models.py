"""Vote items, their options, the frozen electorate, participation, ballots and paper slips.

Secrecy (ARCHITECTURE.md, invariant 4): for a secret vote a ``Ballot`` row holds
no member and no time; ``Participation`` says who voted, apart from the ballot.
For an open (roll-call) vote the ballot carries the member on purpose.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, bool_false, bool_true, created_at, intpk, str_enum
from ..extensions import db
from ..membership.models import Account, Member, Tier


class VoteKind(enum.StrEnum):
    #: The ballot of a budget round: rank the proposals on the ballot.
    BUDGET = "budget"
    #: Yes / no / abstain, with a threshold.
    MOTION = "motion"
    #: Candidates for one seat (IRV) or several (STV).
    ELECTION = "election"


class VoteStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Channel(enum.StrEnum):
    """How a participation came in."""

    ONLINE = "online"
    #: Cast online by the holder of a proxy (volmacht) for the member.
    PROXY = "proxy"
    #: A paper ballot, marked by a teller; the slip's content is entered apart (double entry).
    PAPER = "paper"


#: Rules a vote item may use, per kind (names as in govern.tally.rules.RULES).
RULES_BY_KIND: dict[VoteKind, tuple[str, ...]] = {
    VoteKind.BUDGET: ("mes", "greedy"),
    VoteKind.MOTION: ("motion",),
    VoteKind.ELECTION: ("irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs"),
}

#: The options of every motion, in this order.
MOTION_OPTIONS = ("yes", "no", "abstain")


class VoteItem(db.Model):
    """Something members vote on: a budget ballot, a motion or an election."""

    __tablename__ = "vote_item"

    id: Mapped[intpk]
    kind: Mapped[VoteKind] = mapped_column(str_enum(VoteKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Plain text shown above the ballot (what is decided, in plain language).
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[VoteStatus] = mapped_column(str_enum(VoteStatus), default=VoteStatus.DRAFT, index=True)
    #: Secret (default) or open: an open vote is a roll call, each ballot names its member.
    secret: Mapped[bool_true]
    #: Results (even running counts) stay hidden until the vote closes: not in pages, mails, exports or the API.
    results_hidden: Mapped[bool_true]
    #: The budget round whose ballot this is (kind budget).
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("budget_round.id"), index=True)
    #: The assembly it belongs to, if any: then only members present or represented there can cast.
    assembly_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assembly.id"), index=True)
    #: Planned opening and closing times (UTC); None means opened / closed live by the chair.
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Counting rule (govern.tally.rules.RULES) and its parameters as recorded.
    rule: Mapped[str] = mapped_column(sa.String(20))
    #: Seats (elections), 1 otherwise.
    seats: Mapped[int] = mapped_column(default=1)
    #: Motions: "majority" or "two-thirds"; and whether abstentions count as votes cast.
    threshold: Mapped[str] = mapped_column(sa.String(20), default="majority", server_default="majority")
    abstentions: Mapped[str] = mapped_column(sa.String(20), default="excluded", server_default="excluded")
    #: The vote is valid only with this share ("n/d") of the electorate's weight present or represented.
    quorum: Mapped[str | None] = mapped_column(sa.String(20))
    #: How many options a voter may rank (ranked kinds); 0 means all.
    ranks: Mapped[int] = mapped_column(default=0)
    #: A member cannot rank a proposal it (co-)proposed (budget ballots).
    exclude_own: Mapped[bool_true]
    #: Fixed and recorded when the vote opens.
    tie_break_seed: Mapped[str | None] = mapped_column(sa.String(64))
    #: The frozen electorate: digest, number of members and total weight (set at opening).
    electorate_digest: Mapped[str | None] = mapped_column(sa.String(64))
    electorate_count: Mapped[int] = mapped_column(default=0)
    electorate_weight: Mapped[int] = mapped_column(default=0)
    #: Set at closing.
    participation_count: Mapped[int] = mapped_column(default=0)
    ballot_count: Mapped[int] = mapped_column(default=0)
    ballot_box_root: Mapped[str | None] = mapped_column(sa.String(64))
    #: The canonical outcome bytes as counted (govern.tally Outcome.to_json()).
    outcome: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    #: The counting document (canonical JSON bytes) the outcome was counted from.
    count_document: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    #: The same ballots counted by greedy (budget ballots only), for comparison.
    comparison: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    #: Winners as a JSON list of option keys.
    winners: Mapped[list[str] | None] = mapped_column(sa.JSON)
    #: False when the vote closed without the quorum it needed: nothing is decided.
    valid: Mapped[bool | None]
    #: The quorum as found at closing: {"required", "present_weight", "electorate_weight", "met"}.
    quorum_result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: seq of the "vote.closed" audit entry.
    closed_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    options: Mapped[list[VoteOption]] = relationship(
        back_populates="vote", order_by="VoteOption.position", cascade="all, delete-orphan"
    )
    tiers: Mapped[list[VoteTier]] = relationship(back_populates="vote", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("seats >= 1", name="seats_positive"),
        sa.CheckConstraint("ranks >= 0", name="ranks_not_negative"),
    )

    @property
    def subject(self) -> str:
        return f"vote:{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status == VoteStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == VoteStatus.CLOSED

    @property
    def ranked(self) -> bool:
        return self.kind != VoteKind.MOTION

    def option(self, key: str) -> VoteOption | None:
        return next((o for o in self.options if o.key == key), None)


class VoteTier(db.Model):
    """Which tiers vote on an item, and with what weight (frozen into the electorate at opening)."""

    __tablename__ = "vote_tier"

    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote_item.id", ondelete="CASCADE"), primary_key=True)
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("tier.id"), primary_key=True)
    weight: Mapped[int] = mapped_column(default=1)

    vote: Mapped[VoteItem] = relationship(back_populates="tiers")
    tier: Mapped[Tier] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.CheckConstraint("weight >= 1", name="weight_positive"),)


class VoteOption(db.Model):
    """One thing on the ballot: yes/no/abstain, a proposal, or a candidate."""

    __tablename__ = "vote_option"

    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote_item.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: The name the count uses: "yes"/"no"/"abstain", "p<proposal id>", "c<n>" for candidates.
    key: Mapped[str] = mapped_column(sa.String(20))
    label: Mapped[str] = mapped_column(sa.String(200))
    #: A short text under the label (a proposal's summary, a candidate's statement).
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal.id"))
    #: A candidate who is a member.
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"))
    #: A proposal's cost on the ballot, in cents.
    cost_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    neighbourhood: Mapped[str | None] = mapped_column(sa.String(40))

    vote: Mapped[VoteItem] = relationship(back_populates="options")

    __table_args__ = (sa.UniqueConstraint("vote_id", "key"),)


class Elector(db.Model):
    """The frozen electorate: who may vote on an item, with which weight (snapshotted at opening)."""

    __tablename__ = "elector"

    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote_item.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), primary_key=True)
    weight: Mapped[int]


class Participation(db.Model):
    """Who took part in a vote. Unique per (vote, member): one member, one ballot, enforced here."""

    __tablename__ = "participation"

    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote_item.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.ONLINE)
    #: The account that cast it (a delegate, a proxy holder, or the teller for paper).
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)
    account: Mapped[Account | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("vote_id", "member_id", name="uq_participation_one_per_member"),)


class Ballot(db.Model):
    """A ballot in the box. Secret votes: no member, no time. At close the box is rewritten in tracker order."""

    __tablename__ = "ballot"

    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote_item.id", ondelete="CASCADE"))
    #: The voter's receipt code ("ABCD-EFGH-JKLM-NPQR"): random, unique per vote.
    tracker: Mapped[str] = mapped_column(sa.String(24))
    #: Option keys in order of preference (a motion: one key, or none for blank).
    ranking: Mapped[list[str]] = mapped_column(sa.JSON)
    weight: Mapped[int] = mapped_column(default=1)
    #: Open (roll-call) votes only.
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("member.id"))
    cast_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("vote_id", "tracker"),
        sa.CheckConstraint("weight >= 1", name="weight_positive"),
        sa.CheckConstraint(
            "(member_id IS NULL) = (cast_at IS NULL)", name="identity_and_time_together"
        ),
    )


class PaperSlip(db.Model):
    """A paper ballot as one teller typed it in. Two tellers enter every slip; matches become ballots."""

    __tablename__ = "paper_slip"

    id: Mapped[intpk]
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote_item.id", ondelete="CASCADE"), index=True)
    #: The number the tellers wrote on the slip when they collected it.
    number: Mapped[int]
    teller_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    ranking: Mapped[list[str]] = mapped_column(sa.JSON)
    weight: Mapped[int] = mapped_column(default=1)
    #: Set when the slip became a ballot.
    accepted: Mapped[bool_false]
    created_at: Mapped[created_at]

    teller: Mapped[Account] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("vote_id", "number", "teller_id"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("weight >= 1", name="weight_positive"),
    )
