"""Read models for the round and proposal pages: filters, search, sorting and pagination.

Every list is a fixed number of queries whatever its length (the proposer is
joined, the endorsement count is a column), so pages stay fast with thousands of
proposals; tests/budgeting/test_queries.py holds that down.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, load_only

from ..extensions import db
from .models import (
    CATEGORIES,
    BudgetRound,
    Endorsement,
    Party,
    Proposal,
    ProposalParty,
    ProposalReview,
    ProposalStatus,
    ProposalVersion,
)

PER_PAGE = 20
#: Everything except drafts is public.
PUBLIC_STATUSES = tuple(s for s in ProposalStatus if s != ProposalStatus.DRAFT)
SORTS = {
    "newest": (Proposal.submitted_at.desc(), Proposal.id.desc()),
    "oldest": (Proposal.submitted_at.asc(), Proposal.id.asc()),
    "cost_low": (Proposal.cost_cents.asc(), Proposal.id.asc()),
    "cost_high": (Proposal.cost_cents.desc(), Proposal.id.desc()),
    "support": (Proposal.endorsements.desc(), Proposal.id.desc()),
    "title": (Proposal.title.asc(), Proposal.id.asc()),
}


_AMOUNT = (
    re.compile(r"^(?P<whole>\d+)(?:,(?P<frac>\d{1,2}))?$"),  # 1250 or 1250,50
    re.compile(r"^(?P<whole>\d{1,3}(?:\.\d{3})+)(?:,(?P<frac>\d{1,2}))?$"),  # 1.250 or 1.250,50
    re.compile(r"^(?P<whole>\d+)\.(?P<frac>\d{1,2})$"),  # 1250.50
)


def parse_euros(text: str | None) -> int | None:
    """"1.234,56", "1234.56", "€ 1500" → cents; None when empty; ValueError when not an amount.

    Dutch writing comes first: a comma is the decimal mark, and a dot followed by
    groups of three digits separates thousands ("1.500" is fifteen hundred).
    """
    if text is None:
        return None
    s = str(text).replace("€", "").replace(" ", "").replace("\u00a0", "").strip()
    if not s:
        return None
    for pattern in _AMOUNT:
        match = pattern.match(s)
        if match:
            whole = int(match.group("whole").replace(".", ""))
            frac = int(((match.group("frac") or "") + "00")[:2])
            return whole * 100 + frac
    raise ValueError(text)


def format_euros(cents: int | None) -> str:
    """Cents as a form writes them back: "1234,56" (no thousands separator, so it parses again)."""
    if cents is None:
        return ""
    return f"{cents // 100},{cents % 100:02d}" if cents % 100 else str(cents // 100)


@dataclass
class ProposalFilter:
    q: str = ""
    neighbourhood: str = ""
    category: str = ""
    status: str = ""
    min_cents: int | None = None
    max_cents: int | None = None
    sort: str = "newest"
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ProposalFilter:
        f = cls(
            q=(args.get("q") or "").strip()[:100],
            neighbourhood=args.get("neighbourhood") or "",
            category=args.get("category") if args.get("category") in CATEGORIES else "",
            status=args.get("status") if args.get("status") in {s.value for s in PUBLIC_STATUSES} else "",
            sort=args.get("sort") if args.get("sort") in SORTS else "newest",
        )
        for key in ("min", "max"):
            try:
                setattr(f, f"{key}_cents", parse_euros(args.get(key)))
            except ValueError:
                f.errors.append(key)
        try:
            f.page = max(1, int(args.get("page") or 1))
        except ValueError:
            f.page = 1
        return f

    @property
    def active(self) -> bool:
        return bool(self.q or self.neighbourhood or self.category or self.status or self.min_cents or self.max_cents)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def proposals_query(round_id: int, f: ProposalFilter) -> sa.Select[Any]:
    query = sa.select(Proposal).where(Proposal.round_id == round_id, Proposal.status.in_(PUBLIC_STATUSES))
    if f.status:
        query = query.where(Proposal.status == ProposalStatus(f.status))
    if f.neighbourhood:
        query = query.where(Proposal.neighbourhood == f.neighbourhood)
    if f.category:
        query = query.where(Proposal.category == f.category)
    if f.min_cents is not None:
        query = query.where(Proposal.cost_cents >= f.min_cents)
    if f.max_cents is not None:
        query = query.where(Proposal.cost_cents <= f.max_cents)
    if f.q:
        from .services import search_text

        query = query.where(Proposal.search_text.like(_like(search_text(f.q)), escape="\\"))
    return query.order_by(*SORTS[f.sort])


@dataclass
class Page:
    """One page of a list, with what templates/_pager.html needs."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


#: What a card in the list shows; anything else would be loaded row by row, so it raises instead.
LIST_COLUMNS = (
    Proposal.title,
    Proposal.summary,
    Proposal.neighbourhood,
    Proposal.category,
    Proposal.status,
    Proposal.cost_cents,
    Proposal.endorsements,
    Proposal.member_id,
)


def proposal_page(round_id: int, f: ProposalFilter, per_page: int = PER_PAGE) -> Page:
    """Three statements whatever the filters: the count, the ids of the page, then those rows.

    Sorting and skipping only ids keeps the database from carrying every proposal's
    full text through the sort (a "deferred join"); page 100 costs what page 1 costs.
    """
    query = proposals_query(round_id, f)
    total = db.session.scalar(query.with_only_columns(sa.func.count(Proposal.id)).order_by(None))
    page = min(f.page, max(1, -(-total // per_page)))  # past the last page: show the last page
    ids = list(db.session.scalars(query.with_only_columns(Proposal.id).limit(per_page).offset((page - 1) * per_page)))
    rows = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Proposal)
            .options(load_only(*LIST_COLUMNS, raiseload=True), joinedload(Proposal.member))
            .where(Proposal.id.in_(ids))
        )
    } if ids else {}
    return Page([rows[i] for i in ids], page, per_page, total)


def status_counts(round_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """How many proposals, and their cost in cents, per status: one statement for the round page."""
    rows = db.session.execute(
        sa.select(Proposal.status, sa.func.count(), sa.func.coalesce(sa.func.sum(Proposal.cost_cents), 0))
        .where(Proposal.round_id == round_id)
        .group_by(Proposal.status)
    ).all()
    return {status.value: n for status, n, _ in rows}, {status.value: int(total) for status, _, total in rows}


def my_proposals(round_id: int, member_id: int) -> list[Proposal]:
    """The proposals a member proposes or co-proposes in a round, drafts included."""
    mine = sa.select(ProposalParty.proposal_id).where(
        ProposalParty.member_id == member_id, ProposalParty.party.in_((Party.PROPOSER, Party.CO_PROPOSER))
    )
    return list(
        db.session.scalars(
            sa.select(Proposal).where(Proposal.round_id == round_id, Proposal.id.in_(mine)).order_by(Proposal.id.desc())
        )
    )


def proposer_member_ids(proposal_id: int) -> list[int]:
    """The members who propose or co-propose a proposal (deliberation tells them about comments)."""
    return list(
        db.session.scalars(
            sa.select(ProposalParty.member_id)
            .where(ProposalParty.proposal_id == proposal_id, ProposalParty.party.in_((Party.PROPOSER, Party.CO_PROPOSER)))
            .order_by(ProposalParty.member_id)
        )
    )


def rounds() -> list[BudgetRound]:
    return list(db.session.scalars(sa.select(BudgetRound).order_by(BudgetRound.id.desc())))


def reviews(proposal_id: int) -> list[ProposalReview]:
    return list(
        db.session.scalars(
            sa.select(ProposalReview)
            .options(joinedload(ProposalReview.account))
            .where(ProposalReview.proposal_id == proposal_id)
            .order_by(ProposalReview.id.desc())
        )
    )


def versions(proposal_id: int) -> list[ProposalVersion]:
    return list(
        db.session.scalars(
            sa.select(ProposalVersion).where(ProposalVersion.proposal_id == proposal_id).order_by(ProposalVersion.number)
        )
    )


def endorsed(proposal_id: int, member_id: int | None) -> bool:
    if member_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(Endorsement.id).where(Endorsement.proposal_id == proposal_id, Endorsement.member_id == member_id)
        )
        is not None
    )


def version_text(version: ProposalVersion, money: Any, category_name: Any, neighbourhood_name: Any) -> list[str]:
    """A version as readable lines, the unit of the diff."""
    lines = [
        version.title,
        "",
        version.summary,
        "",
        *version.description.splitlines(),
        "",
        f"{neighbourhood_name(version.neighbourhood)} · {category_name(version.category)}",
        "",
    ]
    for row in version.lines.splitlines():
        amount, _, what = row.partition("\t")
        lines.append(f"{what}: {money(int(amount))}")
    lines.append(f"= {money(version.requested_cents)}")
    return lines


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def diff(old: list[str], new: list[str]) -> list[DiffLine]:
    """difflib's line diff, without its hint lines, as (kind, text) for the template."""
    out = []
    for line in difflib.ndiff(old, new):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        out.append(DiffLine({"+ ": "added", "- ": "removed"}.get(tag, "same"), text))
    return out
