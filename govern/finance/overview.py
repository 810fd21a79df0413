"""Read models for "Where does the money go?" and the open data files.

Every number comes from :func:`govern.finance.services.totals_for` (per project, from
``compute_totals``) and is added up with ``Totals.__add__``, so the pages, the CSV and the
JSON can never disagree with the project pages or the verifier. Loading is a fixed number
of queries whatever the number of projects: projects (with round and initiative), their
entries' amounts, and for the files the entries, lines, decisions and record numbers.

The grouping and chart functions are pure: rows in, frozen dataclasses out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ..audit import canonical
from ..audit.log import AuditEntry
from ..budgeting.models import BudgetRound
from ..extensions import db
from ..i18n import money
from ..voting.models import VoteItem, VoteKind, VoteStatus
from . import services
from .models import BoardDecision, MoneyEntry, Project
from .services import Totals

#: The licence of the open data files.
LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
#: Record entry types that carry one money entry each (``data.entry`` is its id).
MONEY_RECORD_TYPES = ("money.committed", "money.spent", "money.reversed")

Namer = Callable[[str], str]


# --- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectMoney:
    """One project's money with what the pages group it by."""

    id: int
    round_id: int
    round_title: str
    proposal_id: int
    title: str
    initiative: str
    neighbourhood: str
    category: str
    status: str
    totals: Totals


@dataclass(frozen=True)
class Group:
    """Projects added up: a round, a neighbourhood, a category, or one project."""

    key: Any
    label: str
    projects: int
    totals: Totals
    #: Sum of the projects' overspends (each project's own; it does not net against others' left).
    over: int = 0


def project_rows(projects: Sequence[Project], totals: dict[int, Totals]) -> list[ProjectMoney]:
    return [
        ProjectMoney(
            id=p.id,
            round_id=p.round_id,
            round_title=p.round.title,
            proposal_id=p.proposal_id,
            title=p.title,
            initiative=p.member.name,
            neighbourhood=p.neighbourhood,
            category=p.category,
            status=p.status.value,
            totals=totals[p.id],
        )
        for p in projects
    ]


def total(rows: Iterable[ProjectMoney]) -> Totals:
    return Totals.sum(row.totals for row in rows)


def group_by(rows: Iterable[ProjectMoney], key: Callable[[ProjectMoney], Any], label: Callable[[Any], str]) -> list[Group]:
    """Add up the rows per key; the biggest allocation first, then by name."""
    sums: dict[Any, tuple[int, Totals, int]] = {}
    for row in rows:
        k = key(row)
        count, sub, over = sums.get(k, (0, Totals(), 0))
        sums[k] = (count + 1, sub + row.totals, over + row.totals.over)
    groups = [Group(k, label(k), count, sub, over) for k, (count, sub, over) in sums.items()]
    groups.sort(key=lambda g: (-g.totals.ceiling, g.label.casefold(), str(g.key)))
    return groups


def per_project(rows: Iterable[ProjectMoney]) -> list[Group]:
    groups = [Group(r.id, r.title, 1, r.totals, r.totals.over) for r in rows]
    groups.sort(key=lambda g: (-g.totals.ceiling, g.label.casefold(), g.key))
    return groups


def per_round(rows: Sequence[ProjectMoney]) -> list[Group]:
    """Rounds newest first (a cooperative reads its latest round first)."""
    titles = {r.round_id: r.round_title for r in rows}
    groups = group_by(rows, lambda r: r.round_id, lambda k: titles[k])
    groups.sort(key=lambda g: -g.key)
    return groups


# --- charts ---------------------------------------------------------------------------------------

#: Chart geometry, in SVG units. The viewBox is 360 wide, so on a 390 px phone one unit is
#: about one pixel and the 14-unit amounts read as 14 px text; a bar and its words fit in 360.
CHART_WIDTH = 360
BAR_MAX = 150
ROW_HEAD = 26
BAR_STEP = 22
BAR_HEIGHT = 15
ROW_GAP = 14
MEASURES = ("allocated", "committed", "spent")


@dataclass(frozen=True)
class Bar:
    measure: str
    cents: int
    width: int
    #: For "allocated": the part of ``cents`` the board added (drawn hatched at the end of the bar).
    extra_cents: int = 0
    extra_width: int = 0


@dataclass(frozen=True)
class ChartRow:
    key: Any
    label: str
    y: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    heading: str
    description: str
    rows: tuple[ChartRow, ...]
    height: int
    groups: tuple[Group, ...]
    #: Whether any group has extra money from the board (the table then shows that column).
    has_extra: bool
    #: The groups added up (the table's last row).
    total: Totals

    # The geometry, for the template.
    width = CHART_WIDTH
    row_head = ROW_HEAD
    bar_step = BAR_STEP
    bar_height = BAR_HEIGHT


def _width(cents: int, scale: int) -> int:
    if cents <= 0 or scale <= 0:
        return 0
    return max(1, cents * BAR_MAX // scale)


def bar_words() -> dict[str, str]:
    return {"allocated": _("allocated"), "committed": _("committed"), "spent": _("spent")}


def chart(chart_id: str, heading: str, groups: Sequence[Group]) -> Chart:
    """Three bars per group (allocated, committed, spent) on one scale, with a sentence per group for <desc>."""
    scale = max([max(g.totals.ceiling, g.totals.committed, g.totals.spent) for g in groups] + [0])
    words = bar_words()
    rows = []
    y = 0
    sentences = [_("Allocated, committed and spent money.")]
    for g in groups:
        t = g.totals
        ceiling_w = _width(t.ceiling, scale)
        extra_w = min(ceiling_w, _width(t.extra, scale)) if t.extra else 0
        bars = (
            Bar("allocated", t.ceiling, ceiling_w, t.extra, extra_w),
            Bar("committed", t.committed, _width(t.committed, scale)),
            Bar("spent", t.spent, _width(t.spent, scale)),
        )
        rows.append(ChartRow(g.key, g.label, y, bars))
        y += ROW_HEAD + len(bars) * BAR_STEP + ROW_GAP
        text = _(
            "%(label)s: %(allocated_word)s %(allocated)s, %(committed_word)s %(committed)s, %(spent_word)s %(spent)s",
            label=g.label,
            allocated_word=words["allocated"],
            allocated=money(t.ceiling),
            committed_word=words["committed"],
            committed=money(t.committed),
            spent_word=words["spent"],
            spent=money(t.spent),
        )
        if t.extra:
            text += " " + _("(of which %(extra)s extra from the board)", extra=money(t.extra))
        sentences.append(text)
    return Chart(
        id=chart_id,
        heading=heading,
        description=". ".join(s.rstrip(".") for s in sentences) + ".",
        rows=tuple(rows),
        height=max(y - ROW_GAP + 4, 1),
        groups=tuple(groups),
        has_extra=any(g.totals.extra for g in groups),
        total=Totals.sum(g.totals for g in groups),
    )


# --- loading ---------------------------------------------------------------------------------------


def projects(round_id: int | None = None, *, lines: bool = False) -> list[Project]:
    """Projects (with round and initiative; lines when asked) in one or two queries, by round then id."""
    options: list[Any] = [joinedload(Project.round), joinedload(Project.member)]
    if lines:
        options.append(selectinload(Project.lines))
    query = sa.select(Project).options(*options).order_by(Project.round_id, Project.id)
    if round_id is not None:
        query = query.where(Project.round_id == round_id)
    return list(db.session.scalars(query).unique())


def round_with_projects(round_id: int) -> BudgetRound | None:
    """The round, if it has projects (other rounds have no money page)."""
    has = db.session.scalar(sa.select(Project.id).where(Project.round_id == round_id).limit(1))
    return db.session.get(BudgetRound, round_id) if has is not None else None


def rounds_with_projects() -> list[BudgetRound]:
    ids = sa.select(Project.round_id).distinct()
    return list(db.session.scalars(sa.select(BudgetRound).where(BudgetRound.id.in_(ids)).order_by(BudgetRound.id.desc())))


def published_budget_votes(round_ids: Sequence[int]) -> dict[int, VoteItem]:
    """Each round's budget vote (the latest, as voting.services.budget_vote picks), if closed and counted."""
    if not round_ids:
        return {}
    latest = (
        sa.select(sa.func.max(VoteItem.id))
        .where(VoteItem.round_id.in_(list(round_ids)))
        .group_by(VoteItem.round_id)
    )
    votes = db.session.scalars(
        sa.select(VoteItem).where(
            VoteItem.id.in_(latest),
            VoteItem.kind == VoteKind.BUDGET,
            VoteItem.status == VoteStatus.CLOSED,
            VoteItem.outcome.is_not(None),
        )
    )
    return {v.round_id: v for v in votes if v.round_id is not None}


@dataclass(frozen=True)
class Overview:
    rows: tuple[ProjectMoney, ...]
    total: Totals
    over: int
    rounds: tuple[Group, ...]
    neighbourhoods: tuple[Group, ...]
    categories: tuple[Group, ...]
    projects: tuple[Group, ...]

    @property
    def allocation(self) -> int:
        """What the votes allocated (without the board's extra)."""
        return self.total.allocated


def overview(round_id: int | None, neighbourhood_name: Namer, category_name: Namer) -> Overview:
    """Everything the money pages show, for the cooperative (``round_id`` None) or one round: two queries."""
    found = projects(round_id)
    rows = project_rows(found, services.totals_for(found))
    return Overview(
        rows=tuple(rows),
        total=total(rows),
        over=sum(r.totals.over for r in rows),
        rounds=tuple(per_round(rows)),
        neighbourhoods=tuple(group_by(rows, lambda r: r.neighbourhood, neighbourhood_name)),
        categories=tuple(group_by(rows, lambda r: r.category, category_name)),
        projects=tuple(per_project(rows)),
    )


# --- open data ----------------------------------------------------------------------------------------

ALLOCATION_FIELDS = (
    "project_id", "round_id", "round_title", "proposal_id", "title", "initiative",
    "neighbourhood", "neighbourhood_name", "category", "category_name",
    "allocation_cents", "extra_cents", "committed_cents", "spent_cents", "open_commitments_cents", "left_cents",
    "status",
)
EXPENDITURE_FIELDS = (
    "entry_id", "project_id", "kind", "booked_on", "amount_cents", "payee", "description", "invoice_ref",
    "reverses", "commitment", "document_sha256", "audit_seq",
)


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def allocations_csv(rows: Sequence[ProjectMoney], neighbourhood_name: Namer, category_name: Namer) -> str:
    """One row per project (pure)."""
    out: list[Sequence[Any]] = [ALLOCATION_FIELDS]
    for r in rows:
        t = r.totals
        out.append((
            r.id, r.round_id, r.round_title, r.proposal_id, r.title, r.initiative,
            r.neighbourhood, neighbourhood_name(r.neighbourhood), r.category, category_name(r.category),
            t.allocated, t.extra, t.committed, t.spent, t.open_commitments, t.left, r.status,
        ))
    return _csv(out)


def entries(project_ids: Sequence[int]) -> list[MoneyEntry]:
    """The projects' money entries, oldest first, with their documents' hashes (not their data): one query."""
    if not project_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(MoneyEntry)
            .options(joinedload(MoneyEntry.document))
            .where(MoneyEntry.project_id.in_(list(project_ids)))
            .order_by(MoneyEntry.id)
        )
    )


def record_numbers(project_ids: Sequence[int] | None) -> dict[int, int]:
    """Money entry id → seq of the record entry that wrote it: one query over the money entry types."""
    query = sa.select(AuditEntry.seq, AuditEntry.body).where(AuditEntry.type.in_(MONEY_RECORD_TYPES))
    if project_ids is not None:
        if not project_ids:
            return {}
        query = query.where(AuditEntry.subject.in_([f"project:{i}" for i in project_ids]))
    out: dict[int, int] = {}
    for seq, body in db.session.execute(query):
        data = canonical.decode(bytes(body)).get("data") or {}
        entry_id = data.get("entry")
        if isinstance(entry_id, int):
            out.setdefault(entry_id, seq)
    return out


def expenditures_csv(found: Sequence[MoneyEntry], seqs: dict[int, int]) -> str:
    """One row per money entry, commitments and reversals included (pure over loaded entries)."""
    out: list[Sequence[Any]] = [EXPENDITURE_FIELDS]
    for e in found:
        out.append((
            e.id, e.project_id, e.kind.value, e.booked_on.isoformat(), e.amount_cents, e.payee, e.description,
            e.invoice_ref, _blank(e.reverses_id), _blank(e.commitment_id),
            e.document.sha256 if e.document is not None else "", _blank(seqs.get(e.id)),
        ))
    return _csv(out)


def _blank(value: int | None) -> Any:
    return "" if value is None else value


def euros(cents: int) -> str:
    """Cents as euros in text with a point, for people reading the JSON: -12345 → "-123.45"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def totals_data(t: Totals) -> dict[str, Any]:
    values = {
        "allocated": t.allocated,
        "extra": t.extra,
        "ceiling": t.ceiling,
        "committed": t.committed,
        "spent": t.spent,
        "open_commitments": t.open_commitments,
        "in_use": t.in_use,
        "left": t.left,
    }
    data: dict[str, Any] = {f"{k}_cents": v for k, v in values.items()}
    data["eur"] = {k: euros(v) for k, v in values.items()}
    return data


def money_document(
    found: Sequence[Project],
    totals: dict[int, Totals],
    found_entries: Sequence[MoneyEntry],
    decisions: Sequence[BoardDecision],
    seqs: dict[int, int],
    *,
    round_id: int | None,
    generated_at: dt.datetime,
    neighbourhood_name: Namer,
    category_name: Namer,
) -> dict[str, Any]:
    """The JSON open data document (pure over what was loaded)."""
    by_project: dict[int, list[dict[str, Any]]] = {}
    for e in found_entries:
        data = services.entry_data(e)
        data["audit_seq"] = seqs.get(e.id)
        data["amount_eur"] = euros(e.amount_cents)
        by_project.setdefault(e.project_id, []).append(data)
    decided: dict[int, list[dict[str, Any]]] = {}
    for d in decisions:
        decided.setdefault(d.project_id, []).append(
            {"decision": d.id, "amount_cents": d.amount_cents, "amount_eur": euros(d.amount_cents),
             "reason": d.reason, "decided_on": d.decided_on.isoformat()}
        )
    rounds: dict[int, dict[str, Any]] = {}
    items = []
    for p in found:
        rounds.setdefault(p.round_id, {"round": p.round_id, "title": p.round.title, "budget_cents": p.round.budget_cents})
        items.append({
            "project": p.id,
            "round": p.round_id,
            "proposal": p.proposal_id,
            "title": p.title,
            "initiative": p.member.name,
            "neighbourhood": p.neighbourhood,
            "neighbourhood_name": neighbourhood_name(p.neighbourhood),
            "category": p.category,
            "category_name": category_name(p.category),
            "status": p.status.value,
            "allocation_cents": p.allocation_cents,
            "extra_cents": p.extra_cents,
            "lines": [{"line": line.id, "description": line.description, "amount_cents": line.amount_cents} for line in p.lines],
            "entries": by_project.get(p.id, []),
            "decisions": decided.get(p.id, []),
            "totals": totals_data(totals[p.id]),
        })
    overall = Totals.sum(totals[p.id] for p in found)
    return {
        "format": "govern-money",
        "version": 1,
        "licence": dict(LICENCE),
        "generated_at": generated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "currency": "EUR",
        "amounts": "integer cents; *_eur fields give euros as text",
        "round": round_id,
        "rounds": [rounds[k] for k in sorted(rounds)],
        "totals": totals_data(overall),
        "projects": items,
    }


def open_data_json(round_id: int | None, neighbourhood_name: Namer, category_name: Namer) -> bytes:
    """Load and encode the JSON document: six queries whatever the number of projects."""
    found = projects(round_id, lines=True)
    ids = [p.id for p in found]
    totals = services.totals_for(found)
    found_entries = entries(ids)
    decisions = (
        list(db.session.scalars(sa.select(BoardDecision).where(BoardDecision.project_id.in_(ids)).order_by(BoardDecision.id)))
        if ids else []
    )
    seqs = record_numbers(ids if round_id is not None else None)
    document = money_document(
        found, totals, found_entries, decisions, seqs, round_id=round_id,
        generated_at=dt.datetime.now(dt.UTC), neighbourhood_name=neighbourhood_name, category_name=category_name,
    )
    return canonical.encode(document)
