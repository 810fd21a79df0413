"""Read models for the assembly pages: lists, attendance, proxies, member search and the minutes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..budgeting.services import search_text
from ..extensions import db
from ..i18n import when
from ..membership.models import Member, MemberStatus, Tier
from . import quorum
from .models import AgendaItem, Assembly, AssemblyStatus, Attendance, Proxy
from .services import presence

SEARCH_LIMIT = 30
#: How the minutes write a moment: "donderdag 15 april 2027, 19:30" (Amsterdam time).
MOMENT = "EEEE d MMMM y, HH:mm"


def assemblies() -> tuple[list[Assembly], list[Assembly]]:
    """(coming and open, ended): the coming ones soonest first, the ended ones newest first."""
    rows = list(db.session.scalars(sa.select(Assembly).order_by(Assembly.starts_at)))
    coming = [a for a in rows if a.status != AssemblyStatus.CLOSED]
    ended = [a for a in reversed(rows) if a.status == AssemblyStatus.CLOSED]
    return coming, ended


def attendance(assembly: Assembly) -> list[Attendance]:
    return list(
        db.session.scalars(
            sa.select(Attendance)
            .join(Member, Attendance.member_id == Member.id)
            .where(Attendance.assembly_id == assembly.id)
            .order_by(Member.name, Member.id)
        )
    )


def proxies(assembly: Assembly, *, live_only: bool = True) -> list[Proxy]:
    query = sa.select(Proxy).where(Proxy.assembly_id == assembly.id).order_by(Proxy.id)
    if live_only:
        query = query.where(Proxy.revoked_at.is_(None))
    return list(db.session.scalars(query))


def voting_members(exclude: set[int] = frozenset()) -> list[tuple[int, str]]:  # type: ignore[assignment]
    """(id, name) of active members who may vote at general meetings, by name."""
    rows = db.session.execute(
        sa.select(Member.id, Member.name)
        .join(Tier, Member.tier_id == Tier.id)
        .where(Member.status == MemberStatus.ACTIVE, Tier.can_vote_assembly.is_(True))
        .order_by(Member.name, Member.id)
    )
    return [(i, n) for i, n in rows if i not in exclude]


def search_members(q: str) -> list[Member]:
    """Active members whose name contains ``q`` (case and accents do not matter)."""
    needle = search_text(q.strip())
    if not needle:
        return []
    rows = db.session.execute(
        sa.select(Member.id, Member.name).where(Member.status == MemberStatus.ACTIVE).order_by(Member.name, Member.id)
    )
    ids = [i for i, name in rows if needle in search_text(name)][:SEARCH_LIMIT]
    if not ids:
        return []
    found = {m.id: m for m in db.session.scalars(sa.select(Member).where(Member.id.in_(ids)))}
    return [found[i] for i in ids]


@dataclass(frozen=True)
class QuorumView:
    """The live quorum as the page says it."""

    present: int
    represented: int
    weight: int
    total: int
    needed: int
    met: bool
    frozen: bool

    @property
    def percent(self) -> int:
        return 0 if self.total <= 0 else min(100, self.weight * 100 // self.total)


def quorum_view(assembly: Assembly) -> QuorumView:
    found = presence(assembly)
    return QuorumView(
        present=len(found.present),
        represented=len(found.represented),
        weight=found.weight,
        total=found.total,
        needed=found.needed,
        met=found.met,
        frozen=assembly.status != AssemblyStatus.PLANNED,
    )


def votes_by_id(assembly: Assembly) -> dict[int, Any]:
    from ..voting.models import VoteItem

    ids = [i.vote_id for i in assembly.agenda if i.vote_id is not None]
    if not ids:
        return {}
    return {v.id: v for v in db.session.scalars(sa.select(VoteItem).where(VoteItem.id.in_(ids)))}


# --- minutes ----------------------------------------------------------------------------------------------


@dataclass
class MinutesItem:
    number: int
    item: AgendaItem
    vote: Any
    #: Lines that say what was decided (already in the reader's language).
    result: list[str]


@dataclass
class Minutes:
    assembly: Assembly
    quorum: QuorumView
    items: list[MinutesItem]
    generated_at: dt.datetime


def _labels(vote: Any) -> dict[str, str]:
    return {o.key: o.label for o in vote.options}


def vote_result(vote: Any) -> list[str]:
    """A vote's outcome in plain words, for the minutes."""
    from ..voting import services as voting
    from ..voting.models import VoteKind, VoteStatus

    if vote.status == VoteStatus.DRAFT:
        return [_("This vote was not held.")]
    if vote.status == VoteStatus.OPEN:
        return [_("This vote is still open.")]
    outcome = voting.outcome_dict(vote) or {}
    lines: list[str] = []
    result = vote.quorum_result or {}
    if vote.valid is False:
        lines.append(
            _("Not valid: the quorum was not reached (%(weight)d of the %(needed)d votes needed were present or represented). Nothing is decided.",
              weight=result.get("weight", 0), needed=result.get("needed", 0))
        )
        return lines
    summary = outcome.get("summary", {})
    if vote.kind == VoteKind.MOTION:
        carried = list(vote.winners or []) == ["yes"]
        lines.append(_("The motion is adopted.") if carried else _("The motion is not adopted."))
        lines.append(
            _("Yes: %(yes)d, no: %(no)d, abstain or blank: %(abstain)d (votes cast: %(cast)d).",
              yes=summary.get("yes", 0), no=summary.get("no", 0), abstain=summary.get("abstain", 0), cast=summary.get("cast", 0))
        )
    else:
        labels = _labels(vote)
        winners = [labels.get(k, k) for k in vote.winners or []]
        if winners:
            lines.append(_("Elected: %(names)s.", names=", ".join(winners)))
        else:
            lines.append(_("Nobody is elected."))
    lines.append(
        _("%(ballots)d ballots; %(people)d members took part.", ballots=vote.ballot_count, people=vote.participation_count)
    )
    return lines


def minutes(assembly: Assembly) -> Minutes:
    from ..db import utcnow

    votes = votes_by_id(assembly)
    items = []
    for number, item in enumerate(assembly.agenda, start=1):
        vote = votes.get(item.vote_id) if item.vote_id else None
        items.append(MinutesItem(number=number, item=item, vote=vote, result=vote_result(vote) if vote else []))
    return Minutes(assembly=assembly, quorum=quorum_view(assembly), items=items, generated_at=utcnow())


def _md_escape(text: str) -> str:
    """Keep names and titles literal in Markdown (no accidental emphasis or headings)."""
    out = []
    for ch in text:
        if ch in "\\`*_[]#<>|":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def minutes_markdown(m: Minutes) -> str:
    """The minutes as Markdown: what the board adopts and what can be downloaded."""
    a = m.assembly
    q = m.quorum
    lines = [f"# {_('Minutes')}: {_md_escape(a.title)}", ""]
    lines.append(f"- {_('Date and time')}: {when(a.starts_at, MOMENT)}")
    if a.place:
        lines.append(f"- {_('Place')}: {_md_escape(a.place)}")
    if a.online_url:
        lines.append(f"- {_('Online')}: <{a.online_url}>")
    if a.opened_at:
        lines.append(f"- {_('Opened')}: {when(a.opened_at, MOMENT)}")
    if a.closed_at:
        lines.append(f"- {_('Ended')}: {when(a.closed_at, MOMENT)}")
    lines += ["", f"## {_('Attendance and quorum')}", ""]
    lines.append(f"- {_('Members present')}: {q.present}")
    lines.append(f"- {_('Members represented by a proxy')}: {q.represented}")
    lines.append(f"- {_('Votes present or represented')}: {q.weight} / {q.total}")
    lines.append(f"- {_('Quorum (%(share)s of the votes)', share=a.quorum)}: {q.needed}")
    lines.append(f"- {quorum_sentence(q)}")
    lines += ["", f"## {_('Agenda')}", ""]
    for entry in m.items:
        lines.append(f"### {entry.number}. {_md_escape(entry.item.title)}")
        lines.append("")
        if entry.item.description:
            lines.append(entry.item.description.strip())
            lines.append("")
        if entry.vote is not None:
            lines.append(f"**{_('Vote')}: {_md_escape(entry.vote.title)}**")
            lines.append("")
            for line in entry.result:
                lines.append(f"- {_md_escape(line)}")
            lines.append("")
    if a.status != AssemblyStatus.CLOSED:
        lines += [f"*{_('Draft: the meeting has not ended yet.')}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def quorum_sentence(q: QuorumView) -> str:
    if q.met:
        return _(
            "Quorum reached: %(weight)d of the %(total)d votes present or represented; needed: %(needed)d.",
            weight=q.weight, total=q.total, needed=q.needed,
        )
    return _(
        "Quorum not reached: %(weight)d of the %(total)d votes present or represented; needed: %(needed)d.",
        weight=q.weight, total=q.total, needed=q.needed,
    )


def live_proxy_of(assembly: Assembly, member_id: int) -> Proxy | None:
    return db.session.scalar(
        sa.select(Proxy)
        .options(joinedload(Proxy.holder))
        .where(Proxy.assembly_id == assembly.id, Proxy.grantor_id == member_id, Proxy.revoked_at.is_(None))
    )


def member_ids_present(assembly: Assembly) -> set[int]:
    return quorum.present_ids(assembly.id)
