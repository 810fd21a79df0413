"""Where the money goes: funded projects, their commitments and expenditures, board decisions, progress.

A funded proposal becomes a :class:`Project` with its allocation (the proposal's cost on
the ballot, in cents) when the round's results are recorded. Money entries are never
edited or deleted: a mistake is corrected by a reversing entry (the same amount, negated,
pointing at the entry it reverses). Every row here is written by ``govern.finance.services``
together with its audit entry.

Terms, as the pages use them:
- *committed*: money promised (an order, a signed quote), net of reversals;
- *spent*: money paid (an invoice), net of reversals;
- *open commitments*: what commitments still promise beyond the expenditures that settle them;
- *in use*: spent + open commitments; this may not pass the project's *ceiling*
  (allocation + the extra the board allowed) without a board decision with a reason.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..budgeting.models import BudgetRound, Proposal
from ..db import bool_false, created_at, intpk, str_enum
from ..extensions import db
from ..membership.models import Account, Member


class ProjectStatus(enum.StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    DONE = "done"
    STOPPED = "stopped"


class MoneyKind(enum.StrEnum):
    #: Money promised: an order, a signed quote, a contract.
    COMMITMENT = "commitment"
    #: Money paid: an invoice or receipt.
    EXPENDITURE = "expenditure"


class Project(db.Model):
    """A funded proposal being carried out, with the money the vote allocated to it."""

    __tablename__ = "project"

    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id"), unique=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_round.id"), index=True)
    #: The initiative that carries it out (the proposal's member).
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    #: Copied from the proposal when it was funded, so later pages and reports do not depend on edits.
    title: Mapped[str] = mapped_column(sa.String(200))
    neighbourhood: Mapped[str] = mapped_column(sa.String(40))
    category: Mapped[str] = mapped_column(sa.String(40))
    #: What the vote gave it: the proposal's cost on the ballot, in cents.
    allocation_cents: Mapped[int] = mapped_column(sa.BigInteger)
    #: Extra the board allowed on top of the allocation (sum of its decisions), in cents.
    extra_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    status: Mapped[ProjectStatus] = mapped_column(str_enum(ProjectStatus), default=ProjectStatus.PLANNED)
    created_at: Mapped[created_at]
    status_changed_at: Mapped[dt.datetime | None]

    proposal: Mapped[Proposal] = relationship()
    round: Mapped[BudgetRound] = relationship()
    member: Mapped[Member] = relationship()
    lines: Mapped[list[ProjectLine]] = relationship(
        back_populates="project", order_by="ProjectLine.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("allocation_cents >= 0", name="allocation_not_negative"),
        sa.CheckConstraint("extra_cents >= 0", name="extra_not_negative"),
    )

    @property
    def subject(self) -> str:
        return f"project:{self.id}"

    @property
    def ceiling_cents(self) -> int:
        return self.allocation_cents + self.extra_cents


class ProjectLine(db.Model):
    """One budget line of the funded proposal (what the money is for), copied when the project starts."""

    __tablename__ = "project_line"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.String(200))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    project: Mapped[Project] = relationship(back_populates="lines")


class MoneyDocument(db.Model):
    """An invoice or quote attached to a money entry (PDF, PNG or JPEG), with its SHA-256 on the record."""

    __tablename__ = "money_document"

    id: Mapped[intpk]
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[created_at]


class BoardDecision(db.Model):
    """The board allows a project to use more than its allocation, by an amount, for a reason."""

    __tablename__ = "board_decision"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.Text)
    decided_on: Mapped[dt.date] = mapped_column(sa.Date)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    project: Mapped[Project] = relationship()
    account: Mapped[Account] = relationship()

    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)


class MoneyEntry(db.Model):
    """A commitment or an expenditure of a project, or the reversal of one. Never edited, never deleted."""

    __tablename__ = "money_entry"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    kind: Mapped[MoneyKind] = mapped_column(str_enum(MoneyKind))
    #: The date on the invoice or order (a calendar date in Amsterdam; never in the future).
    booked_on: Mapped[dt.date] = mapped_column(sa.Date)
    #: Positive for an entry, the negated original for a reversal.
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    #: Who is paid: an organisation's name (never a private person's name).
    payee: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.String(500))
    #: The invoice or order number in the cooperative's books.
    invoice_ref: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    #: The budget line it belongs to, if any.
    line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project_line.id"))
    #: For an expenditure: the commitment it (partly) settles.
    commitment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("money_entry.id"), index=True)
    #: For a reversal: the entry it cancels (at most one reversal per entry).
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("money_entry.id"), unique=True)
    #: The board decision that allowed this entry to pass the ceiling, if it needed one.
    decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("board_decision.id"))
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("money_document.id"))
    #: SHA-256 of the bookkeeping file it was imported from, if it was imported.
    import_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    project: Mapped[Project] = relationship()
    line: Mapped[ProjectLine | None] = relationship()
    document: Mapped[MoneyDocument | None] = relationship()
    decision: Mapped[BoardDecision | None] = relationship()
    commitment: Mapped[MoneyEntry | None] = relationship(remote_side="MoneyEntry.id", foreign_keys=[commitment_id])
    reverses: Mapped[MoneyEntry | None] = relationship(remote_side="MoneyEntry.id", foreign_keys=[reverses_id])

    __table_args__ = (
        sa.CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        # An entry is positive; only a reversal is negative.
        sa.CheckConstraint(
            "(reverses_id IS NULL AND amount_cents > 0) OR (reverses_id IS NOT NULL AND amount_cents < 0)",
            name="sign_matches_reversal",
        ),
        sa.Index("ix_money_entry_project_kind", "project_id", "kind"),
    )

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class ProgressUpdate(db.Model):
    """What the initiative tells about the project: a status, a short text, maybe a photo with its description."""

    __tablename__ = "progress_update"

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    status: Mapped[ProjectStatus] = mapped_column(str_enum(ProjectStatus))
    text: Mapped[str] = mapped_column(sa.Text)
    has_photo: Mapped[bool_false]
    photo_alt: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    project: Mapped[Project] = relationship()


class ProgressPhoto(db.Model):
    """The photo of a progress update, re-encoded without camera metadata, kept apart so lists never load it."""

    __tablename__ = "progress_photo"

    update_id: Mapped[int] = mapped_column(sa.ForeignKey("progress_update.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    width: Mapped[int]
    height: Mapped[int]
