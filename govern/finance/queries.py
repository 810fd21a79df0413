"""Read models for the project pages: the list, a project's money by line and entry, and its timeline.

Nothing here writes. The timeline is read from the public record (the audit entries about
the proposal, its round's ballot, the vote and the project), so every step links to the
entry that proves it, in the order it was put on the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..audit.log import AuditEntry
from ..budgeting.models import BudgetRound
from ..extensions import db
from ..voting.models import VoteItem
from . import services
from .models import BoardDecision, MoneyEntry, MoneyKind, ProgressUpdate, Project, ProjectLine, ProjectStatus

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# --- the list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    totals: services.Totals


def projects(round_id: int | None = None, status: str = "") -> list[ProjectRow]:
    """Projects, newest round first, each with its totals (three queries whatever the number)."""
    query = (
        sa.select(Project)
        .options(selectinload(Project.round))
        .order_by(Project.round_id.desc(), Project.title, Project.id)
    )
    if round_id is not None:
        query = query.where(Project.round_id == round_id)
    if status in {s.value for s in ProjectStatus}:
        query = query.where(Project.status == ProjectStatus(status))
    found = list(db.session.scalars(query))
    totals = services.totals_for(found)
    return [ProjectRow(p, totals[p.id]) for p in found]


def sum_totals(rows: Sequence[ProjectRow]) -> services.Totals:
    return services.Totals.sum(row.totals for row in rows)


def rounds_with_projects() -> list[BudgetRound]:
    return list(
        db.session.scalars(
            sa.select(BudgetRound)
            .where(BudgetRound.id.in_(sa.select(Project.round_id)))
            .order_by(BudgetRound.id.desc())
        )
    )


def project_ids_by_proposal(round_id: int | None) -> dict[int, int]:
    """{proposal id: project id} for the funded proposals of a round (for links from its pages)."""
    if round_id is None:
        return {}
    rows = db.session.execute(sa.select(Project.proposal_id, Project.id).where(Project.round_id == round_id))
    return {proposal_id: project_id for proposal_id, project_id in rows}


# --- one project's money ----------------------------------------------------------------------------


@dataclass
class LineMoney:
    """A budget line (or "no line", ``line`` None) with what its entries add up to, net of corrections."""

    line: ProjectLine | None
    planned: int = 0
    committed: int = 0
    spent: int = 0


@dataclass
class EntryView:
    entry: MoneyEntry
    #: The correction that cancels this entry, if any.
    corrected_by: MoneyEntry | None = None
    #: The audit entry that recorded it.
    seq: int | None = None


@dataclass
class ProjectPage:
    project: Project
    totals: services.Totals
    lines: list[LineMoney]
    entries: list[EntryView]
    open_commitments: list[tuple[MoneyEntry, int]]
    decisions: list[tuple[BoardDecision, int | None]]
    updates: list[ProgressUpdate]
    timeline: list[TimelineItem]
    vote: VoteItem | None


def project_page(project: Project) -> ProjectPage:
    entries = list(
        db.session.scalars(
            sa.select(MoneyEntry)
            .where(MoneyEntry.project_id == project.id)
            .options(selectinload(MoneyEntry.document), selectinload(MoneyEntry.line))
            .order_by(MoneyEntry.booked_on, MoneyEntry.id)
        )
    )
    decisions = list(
        db.session.scalars(
            sa.select(BoardDecision).where(BoardDecision.project_id == project.id).order_by(BoardDecision.decided_on, BoardDecision.id)
        )
    )
    updates = list(
        db.session.scalars(
            sa.select(ProgressUpdate).where(ProgressUpdate.project_id == project.id).order_by(ProgressUpdate.id.desc())
        )
    )
    vote = db.session.scalar(
        sa.select(VoteItem).where(VoteItem.round_id == project.round_id).order_by(VoteItem.id.desc()).limit(1)
    )
    record = _record(project, vote)
    seq_of_entry = {e.data.get("entry"): e.seq for e in record if e.type.startswith("money.")}
    seq_of_decision = {e.data.get("decision"): e.seq for e in record if e.type == "project.overspend_allowed"}
    by_reversed = {e.reverses_id: e for e in entries if e.reverses_id is not None}
    return ProjectPage(
        project=project,
        totals=services.totals(project),
        lines=line_money(project, entries),
        entries=[EntryView(e, by_reversed.get(e.id), seq_of_entry.get(e.id)) for e in entries],
        open_commitments=services.open_commitments(project),
        decisions=[(d, seq_of_decision.get(d.id)) for d in decisions],
        updates=updates,
        timeline=timeline(project, record, vote),
        vote=vote,
    )


def line_money(project: Project, entries: Sequence[MoneyEntry]) -> list[LineMoney]:
    """Planned, committed and spent per budget line; entries without a line get a row of their own."""
    rows = {line.id: LineMoney(line, planned=line.amount_cents) for line in project.lines}
    loose = LineMoney(None)
    for entry in entries:
        row = rows.get(entry.line_id, loose) if entry.line_id is not None else loose
        if entry.kind == MoneyKind.COMMITMENT:
            row.committed += entry.amount_cents
        else:
            row.spent += entry.amount_cents
    out = list(rows.values())
    if loose.committed or loose.spent or any(e.line_id is None for e in entries):
        out.append(loose)
    return out


# --- the timeline -----------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    """One step in a project's life, as the record holds it. ``kind`` picks the words in the template."""

    kind: str
    #: When it was put on the record (Amsterdam calendar date).
    day: dt.date
    seq: int | None
    data: dict[str, Any] = field(default_factory=dict)
    #: The date on the invoice, order or decision, when the step has one.
    doc_day: dt.date | None = None


#: Entry types shown on the timeline, by subject kind; anything else about the project is shown plainly.
PROPOSAL_TYPES = ("proposal.submitted", "proposal.reviewed", "proposal.funded")
VOTE_TYPES = ("vote.opened", "vote.closed")


def _record(project: Project, vote: VoteItem | None) -> list[AuditEntry]:
    """The public entries about the project, its proposal and its round's vote, oldest first."""
    from ..audit.views import is_private

    subjects = [f"proposal:{project.proposal_id}", project.subject]
    if vote is not None:
        subjects.append(vote.subject)
    query = sa.select(AuditEntry).where(
        sa.or_(
            AuditEntry.subject.in_(subjects),
            sa.and_(AuditEntry.subject == f"round:{project.round_id}", AuditEntry.type == "round.phase_changed"),
        )
    ).order_by(AuditEntry.seq)
    return [e for e in db.session.scalars(query) if not is_private(e)]


def _day(entry: AuditEntry) -> dt.date:
    ts = entry.ts if entry.ts.tzinfo else entry.ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(AMSTERDAM).date()


def _iso_day(data: dict[str, Any]) -> dt.date | None:
    text = data.get("booked_on") or data.get("decided_on")
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def timeline(project: Project, record: Sequence[AuditEntry], vote: VoteItem | None) -> list[TimelineItem]:
    """From proposal to progress, in the order of the record (entry times never go backwards)."""
    items: list[TimelineItem] = []
    for entry in record:
        data = entry.data
        kind = entry.type
        if entry.subject and entry.subject.startswith("round:"):
            # The round's move to voting puts the proposal on the ballot (one entry for all of them).
            if data.get("to") != "voting" or project.proposal_id not in (data.get("ballot") or []):
                continue
            kind = "proposal.on_ballot"
        elif entry.subject and entry.subject.startswith("proposal:"):
            if kind not in PROPOSAL_TYPES:
                continue
        elif entry.subject and entry.subject.startswith("vote:"):
            if kind not in VOTE_TYPES:
                continue
            if vote is not None:
                data = {**data, "vote": vote.id}
        items.append(TimelineItem(kind=kind, day=_day(entry), seq=entry.seq, data=data, doc_day=_iso_day(data)))
    return items
