"""Assembly (ALV) operations: settings, agenda, documents, opening and closing, check-in, proxies, minutes.

Each operation validates, changes state, appends its audit entry and commits (one
unit of work). Audit subjects are "assembly:<id>"; the data names members and
accounts by id only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..db import utcnow
from ..extensions import db
from ..membership.models import Account, Member, MemberStatus, Right, Role, Tier
from ..services import ServiceError, unit_of_work
from . import quorum
from ..documents import MAX_DOCUMENT_BYTES, document_kind, stored_filename
from .models import AgendaItem, Assembly, AssemblyDocument, AssemblyStatus, Attendance, Proxy

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_PROXIES_LIMIT = 10
BOARD_ROLES = (Role.BOARD,)
TELLER_ROLES = (Role.TELLER, Role.BOARD)


# --- times ------------------------------------------------------------------------------------


def amsterdam(day: dt.date, time: dt.time) -> dt.datetime:
    """A date and a clock time as people in Rotterdam read them → an aware moment (UTC)."""
    return dt.datetime.combine(day, time, tzinfo=AMSTERDAM).astimezone(dt.UTC)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(AMSTERDAM)


# --- settings ---------------------------------------------------------------------------------

#: What the record keeps of an assembly's settings.
SETTINGS = ("title", "starts_at", "place", "online_url", "quorum", "max_proxies")


def snapshot(assembly: Assembly) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in SETTINGS:
        value = getattr(assembly, key)
        data[key] = value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else value
    return data


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _text(values: dict[str, Any], key: str, limit: int) -> str:
    text = (values.get(key) or "").strip()
    if len(text) > limit:
        raise ServiceError(_l("Use at most %(max)d characters.", max=limit), key)
    return text


def check_quorum(text: str | None) -> str:
    """ "1/2", " 2 / 3 " → the share as stored ("2/3"); ServiceError otherwise."""
    cleaned = re.sub(r"\s+", "", text or "")
    try:
        n, d = quorum.fraction(cleaned)
    except ValueError:
        raise ServiceError(
            _l("Write the quorum as a share of the votes, for example 1/2 or 2/3 (a number, a slash, a number; at most 1)."),
            "quorum",
        ) from None
    return f"{n}/{d}"


def _check_settings(values: dict[str, Any], *, require_future: bool) -> dict[str, Any]:
    title = _text(values, "title", 200)
    if not title:
        raise ServiceError(_l("Fill in a title."), "title")
    starts_at = values.get("starts_at")
    if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
        raise ServiceError(_l("Fill in the date and time of the meeting."), "starts_at")
    if require_future and starts_at <= utcnow():
        raise ServiceError(_l("Choose a date and time in the future."), "starts_at")
    place = _text(values, "place", 200)
    online_url = _text(values, "online_url", 500)
    if online_url and not _URL.match(online_url):
        raise ServiceError(_l("Fill in a web address that starts with https:// (or leave it empty)."), "online_url")
    if not place and not online_url:
        raise ServiceError(_l("Say where the meeting is: a place, an online link, or both."), "place")
    max_proxies = values.get("max_proxies")
    if not isinstance(max_proxies, int) or isinstance(max_proxies, bool) or not 0 <= max_proxies <= MAX_PROXIES_LIMIT:
        raise ServiceError(_l("Fill in a whole number from 0 to %(max)d.", max=MAX_PROXIES_LIMIT), "max_proxies")
    return {
        "title": title,
        "starts_at": starts_at.astimezone(dt.UTC),
        "place": place,
        "online_url": online_url,
        "description": _text(values, "description", 20000),
        "quorum": check_quorum(values.get("quorum")),
        "max_proxies": max_proxies,
    }


def lock(assembly: Assembly) -> None:
    """Reload the assembly holding its row (PostgreSQL: FOR UPDATE), so its status cannot change under us.

    Opening, ending, check-in and proxies all take this lock first: a proxy cannot slip in
    after the chair opened the meeting, nor a check-in after it ended. On SQLite the write
    transaction (BEGIN IMMEDIATE) already serializes them.
    """
    db.session.refresh(assembly, with_for_update=True)


def is_board(account: Any) -> bool:
    return bool(getattr(account, "is_authenticated", False) and account.has_role(*BOARD_ROLES))


def is_teller(account: Any) -> bool:
    return bool(getattr(account, "is_authenticated", False) and account.has_role(*TELLER_ROLES))


def _require_board(account: Account) -> None:
    if not is_board(account):
        raise ServiceError(_l("Only the board can do this."))


def _require_planned(assembly: Assembly) -> None:
    if assembly.status != AssemblyStatus.PLANNED:
        raise ServiceError(_l("The meeting has started: this can no longer change."))


@unit_of_work
def create_assembly(*, by: Account, **values: Any) -> Assembly:
    _require_board(by)
    clean = _check_settings(values, require_future=True)
    assembly = Assembly(**clean)
    db.session.add(assembly)
    db.session.flush()
    record("assembly.created", actor=by, subject=assembly.subject, data=snapshot(assembly))
    return assembly


@unit_of_work
def update_assembly(assembly: Assembly, *, by: Account, **values: Any) -> bool:
    """Change the settings. Once the meeting is open, the date, quorum and proxy limit are fixed."""
    _require_board(by)
    if assembly.status == AssemblyStatus.CLOSED:
        raise ServiceError(_l("The meeting has ended: it can no longer change."))
    changed_start = values.get("starts_at") != assembly.starts_at
    clean = _check_settings(values, require_future=changed_start and assembly.status == AssemblyStatus.PLANNED)
    if assembly.status != AssemblyStatus.PLANNED:
        fixed = ("starts_at", "quorum", "max_proxies")
        if any(clean[k] != getattr(assembly, k) for k in fixed):
            raise ServiceError(_l("The meeting has started: the date, the quorum and the number of proxies can no longer change."))
    before = snapshot(assembly)
    old_description = assembly.description
    for key, value in clean.items():
        setattr(assembly, key, value)
    after = snapshot(assembly)
    changes: dict[str, Any] = {k: after[k] for k in after if after[k] != before[k]}
    if assembly.description != old_description:
        changes["description"] = True
    if changes:
        record("assembly.updated", actor=by, subject=assembly.subject, data=changes)
    return bool(changes)


# --- agenda -------------------------------------------------------------------------------------


def _check_item(title: str | None, description: str | None) -> tuple[str, str]:
    values = {"title": title, "description": description}
    clean_title = _text(values, "title", 200)
    if not clean_title:
        raise ServiceError(_l("Fill in a title."), "title")
    return clean_title, _text(values, "description", 20000)


@unit_of_work
def add_item(assembly: Assembly, *, by: Account, title: str, description: str = "", thread: bool = False) -> AgendaItem:
    _require_board(by)
    _require_planned(assembly)
    clean_title, clean_description = _check_item(title, description)
    position = max((i.position for i in assembly.agenda), default=-1) + 1
    item = AgendaItem(title=clean_title, description=clean_description, position=position, has_thread=bool(thread))
    assembly.agenda.append(item)
    db.session.flush()
    record(
        "assembly.item_added",
        actor=by,
        subject=assembly.subject,
        data={"item": item.id, "title": item.title, "position": position, "thread": item.has_thread},
    )
    return item


@unit_of_work
def update_item(item: AgendaItem, *, by: Account, title: str, description: str = "", thread: bool = False) -> bool:
    _require_board(by)
    _require_planned(item.assembly)
    clean_title, clean_description = _check_item(title, description)
    if item.has_thread and not thread:
        # A discussion that has started stays reachable; it can be opened, not closed again.
        thread = True
    changes: dict[str, Any] = {}
    if clean_title != item.title:
        changes["title"] = clean_title
    if clean_description != item.description:
        changes["description"] = True
    if bool(thread) != item.has_thread:
        changes["thread"] = bool(thread)
    item.title, item.description, item.has_thread = clean_title, clean_description, bool(thread)
    if changes:
        record("assembly.item_updated", actor=by, subject=item.assembly.subject, data={"item": item.id, **changes})
    return bool(changes)


@unit_of_work
def move_item(item: AgendaItem, *, by: Account, direction: str) -> None:
    _require_board(by)
    assembly = item.assembly
    _require_planned(assembly)
    if direction not in ("up", "down"):
        raise ServiceError(_l("Choose up or down."))
    items = list(assembly.agenda)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        raise ServiceError(_l("This item is already at the %(end)s of the agenda.", end=_l("top") if direction == "up" else _l("bottom")))
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items):
        each.position = position
    record(
        "assembly.agenda_reordered",
        actor=by,
        subject=assembly.subject,
        data={"item": item.id, "order": [i.id for i in items]},
    )
    db.session.flush()
    db.session.expire(assembly, ["agenda"])


@unit_of_work
def remove_item(item: AgendaItem, *, by: Account) -> None:
    _require_board(by)
    assembly = item.assembly
    _require_planned(assembly)
    if item.vote_id is not None:
        raise ServiceError(_l("This item holds a vote, so it stays on the agenda. Change its title if the plans changed."))
    item_id, title = item.id, item.title
    assembly.agenda.remove(item)
    for position, each in enumerate(assembly.agenda):
        each.position = position
    record("assembly.item_removed", actor=by, subject=assembly.subject, data={"item": item_id, "title": title})


def assembly_tier_weights() -> dict[int, int]:
    """Tiers whose members vote at assemblies, with their weight (tiers with weight 0 do not vote)."""
    rows = db.session.execute(
        sa.select(Tier.id, Tier.vote_weight).where(Tier.can_vote_assembly.is_(True), Tier.vote_weight > 0)
    )
    return {tier_id: weight for tier_id, weight in rows}


@unit_of_work
def add_vote(
    item: AgendaItem,
    *,
    by: Account,
    kind: str,
    title: str,
    description: str = "",
    secret: bool = True,
    threshold: str = "majority",
    abstentions: str = "excluded",
    seats: int = 1,
    rule: str | None = None,
    candidates: Sequence[tuple[str, str]] = (),
) -> Any:
    """Put a motion or an election under an agenda item (a draft vote, opened later by the chair)."""
    from ..voting import services as voting
    from ..voting.models import VoteKind

    _require_board(by)
    assembly = item.assembly
    if assembly.status == AssemblyStatus.CLOSED:
        raise ServiceError(_l("The meeting has ended: it can no longer change."))
    if item.vote_id is not None:
        raise ServiceError(_l("This item already holds a vote."))
    if kind not in (VoteKind.MOTION.value, VoteKind.ELECTION.value):
        raise ServiceError(_l("Choose a motion or an election."), "kind")
    weights = assembly_tier_weights()
    if not weights:
        raise ServiceError(_l("No level of membership may vote at general meetings. Change the levels first."))
    options: dict[str, Any] = {}
    if kind == VoteKind.ELECTION.value:
        options.update(seats=seats, candidates=list(candidates), rule=rule)
    else:
        options.update(threshold=threshold, abstentions=abstentions)
    vote = voting.create_vote(
        by=by,
        kind=VoteKind(kind),
        title=title,
        description=description,
        secret=secret,
        tier_weights=weights,
        assembly_id=assembly.id,
        **options,
    )
    item.vote_id = vote.id
    record("assembly.vote_added", actor=by, subject=assembly.subject, data={"item": item.id, "vote": vote.id, "kind": kind})
    return vote


# --- documents ------------------------------------------------------------------------------------


@unit_of_work
def add_document(assembly: Assembly, *, by: Account, title: str, filename: str, data: bytes) -> AssemblyDocument:
    _require_board(by)
    if assembly.status == AssemblyStatus.CLOSED:
        raise ServiceError(_l("The meeting has ended: it can no longer change."))
    clean_title = _text({"title": title}, "title", 200)
    if not clean_title:
        raise ServiceError(_l("Give the document a title, for example: Annual accounts 2026."), "title")
    if not data:
        raise ServiceError(_l("Choose a file."), "file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ServiceError(_l("This file is too large. A document can be at most 10 MB."), "file")
    kind = document_kind(data)
    if kind is None:
        raise ServiceError(_l("This file is not a PDF, PNG or JPEG. Save it as PDF and try again."), "file")
    content_type, extension = kind
    digest = hashlib.sha256(data).hexdigest()
    document = AssemblyDocument(
        title=clean_title,
        filename=stored_filename(filename or "", extension, clean_title),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        data=data,
    )
    assembly.documents.append(document)
    db.session.flush()
    record(
        "assembly.document_added",
        actor=by,
        subject=assembly.subject,
        data={"document": document.id, "title": clean_title, "content_type": content_type, "size": len(data), "sha256": digest},
    )
    return document


@unit_of_work
def remove_document(document: AssemblyDocument, *, by: Account) -> None:
    _require_board(by)
    assembly = document.assembly
    _require_planned(assembly)
    data = {"document": document.id, "title": document.title, "sha256": document.sha256}
    assembly.documents.remove(document)
    record("assembly.document_removed", actor=by, subject=assembly.subject, data=data)


# --- lifecycle ---------------------------------------------------------------------------------------


def presence(assembly: Assembly) -> quorum.Presence:
    """Who is present or represented now, against the total weight: frozen from opening on, live before."""
    weights = quorum.assembly_weights()
    found = quorum.presence(assembly.id, weights, assembly.quorum)
    if assembly.status != AssemblyStatus.PLANNED:
        import dataclasses

        found = dataclasses.replace(found, total=assembly.total_weight)
    return found


def presence_data(found: quorum.Presence) -> dict[str, Any]:
    return {
        "present": len(found.present),
        "represented": len(found.represented),
        "weight": found.weight,
        "total_weight": found.total,
        "needed": found.needed,
        "quorum_met": found.met,
    }


@unit_of_work
def open_assembly(assembly: Assembly, *, by: Account) -> None:
    """The chair opens the meeting: the total weight is frozen, proxies are fixed, check-in starts."""
    _require_board(by)
    lock(assembly)
    if assembly.status != AssemblyStatus.PLANNED:
        raise ServiceError(_l("This meeting is already open or has ended."))
    weights = quorum.assembly_weights()
    assembly.total_weight = sum(weights.values())
    assembly.status = AssemblyStatus.OPEN
    assembly.opened_at = utcnow()
    proxies = quorum.live_proxies(assembly.id)
    record(
        "assembly.opened",
        actor=by,
        subject=assembly.subject,
        data={
            "total_weight": assembly.total_weight,
            "voters": len(weights),
            "quorum": assembly.quorum,
            "needed": quorum.needed(assembly.quorum, assembly.total_weight),
            "proxies": sorted([g, h] for g, h in proxies.items()),
        },
    )


def assembly_votes(assembly: Assembly) -> list[Any]:
    from ..voting.models import VoteItem

    return list(db.session.scalars(sa.select(VoteItem).where(VoteItem.assembly_id == assembly.id).order_by(VoteItem.id)))


@unit_of_work
def close_assembly(assembly: Assembly, *, by: Account) -> None:
    """The chair ends the meeting; a signed checkpoint of the record is made in the same transaction."""
    from ..audit.checkpoints import make_checkpoint
    from ..voting.models import VoteStatus

    _require_board(by)
    lock(assembly)
    if assembly.status != AssemblyStatus.OPEN:
        raise ServiceError(_l("Only an open meeting can be ended."))
    still_open = [v for v in assembly_votes(assembly) if v.status == VoteStatus.OPEN]
    if still_open:
        raise ServiceError(
            _l("Close the votes first: %(titles)s.", titles=", ".join(f"“{v.title}”" for v in still_open))
        )
    found = presence(assembly)
    assembly.status = AssemblyStatus.CLOSED
    assembly.closed_at = utcnow()
    record("assembly.closed", actor=by, subject=assembly.subject, data=presence_data(found))
    make_checkpoint(by=by, reason="assembly-closed")


# --- attendance -------------------------------------------------------------------------------------


def _active(member: Member | None, field: str | None = None) -> Member:
    if member is None or member.status != MemberStatus.ACTIVE:
        raise ServiceError(_l("Choose an active member from the list."), field)
    return member


def is_checked_in(assembly: Assembly, member_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Attendance.id).where(Attendance.assembly_id == assembly.id, Attendance.member_id == member_id)
        )
        is not None
    )


@unit_of_work
def check_in(assembly: Assembly, *, by: Account, member_id: int | None = None) -> Attendance:
    """A member checks itself in (any of its accounts), or a teller checks in someone in the room."""
    lock(assembly)
    if assembly.status != AssemblyStatus.OPEN:
        raise ServiceError(_l("Check-in is possible only while the meeting is open."))
    if member_id is None or member_id == by.member_id:
        member = by.member
        if member.status != MemberStatus.ACTIVE:
            raise ServiceError(_l("Only active members can do this."))
        method = "self"
    else:
        if not is_teller(by):
            raise ServiceError(_l("Only tellers and the board can check in someone else."))
        member = _active(db.session.get(Member, member_id) if isinstance(member_id, int) else None, "member")
        method = "teller"
    if is_checked_in(assembly, member.id):
        raise ServiceError(_l("%(name)s is already checked in.", name=member.name))
    attendance = Attendance(assembly_id=assembly.id, member_id=member.id, method=method, account_id=by.id)
    try:
        with db.session.begin_nested():
            db.session.add(attendance)
    except IntegrityError:
        # Two devices at the same moment: the unique constraint keeps one.
        raise ServiceError(_l("%(name)s is already checked in.", name=member.name)) from None
    record("assembly.checked_in", actor=by, subject=assembly.subject, data={"member": member.id, "method": method})
    return attendance


@unit_of_work
def check_out(assembly: Assembly, *, by: Account, member_id: int | None = None) -> Member:
    """Undo a check-in: the member leaves (or checks itself out), or a teller fixes a mistake. Ballots cast stay."""
    lock(assembly)
    if assembly.status != AssemblyStatus.OPEN:
        raise ServiceError(_l("Check-out is possible only while the meeting is open."))
    if member_id is None or member_id == by.member_id:
        member = by.member
        method = "self"
    else:
        if not is_teller(by):
            raise ServiceError(_l("Only tellers and the board can check out someone else."))
        found = db.session.get(Member, member_id) if isinstance(member_id, int) else None
        if found is None:
            raise ServiceError(_l("Choose a member from the list."), "member")
        member = found
        method = "teller"
    attendance = db.session.scalar(
        sa.select(Attendance).where(Attendance.assembly_id == assembly.id, Attendance.member_id == member.id)
    )
    if attendance is None:
        raise ServiceError(_l("%(name)s is not checked in.", name=member.name))
    db.session.delete(attendance)
    db.session.flush()
    record("assembly.checked_out", actor=by, subject=assembly.subject, data={"member": member.id, "method": method})
    return member


# --- proxies (volmacht) -------------------------------------------------------------------------------


def may_vote_here(member: Member) -> bool:
    return member.has(Right.VOTE_ASSEMBLY)


def live_proxy_given(assembly: Assembly, member_id: int) -> Proxy | None:
    return db.session.scalar(
        sa.select(Proxy).where(Proxy.assembly_id == assembly.id, Proxy.grantor_id == member_id, Proxy.revoked_at.is_(None))
    )


def live_proxies_held(assembly: Assembly, member_id: int) -> list[Proxy]:
    return list(
        db.session.scalars(
            sa.select(Proxy)
            .where(Proxy.assembly_id == assembly.id, Proxy.holder_id == member_id, Proxy.revoked_at.is_(None))
            .order_by(Proxy.id)
        )
    )


def _lock_members(*ids: int) -> None:
    """PostgreSQL: hold both members' rows (in id order) so two proxies cannot race past the checks."""
    db.session.execute(sa.select(Member.id).where(Member.id.in_(sorted(ids))).order_by(Member.id).with_for_update())


def is_paper(proxy: Proxy) -> bool:
    """A proxy the board recorded from a paper form: made by an account of another member than the grantor."""
    return proxy.created_by is not None and proxy.created_by.member_id != proxy.grantor_id


def _check_proxy(assembly: Assembly, grantor: Member, holder_id: int | None, *, paper: bool) -> Member:
    """The rules every proxy obeys; returns the holder. ``paper``: the board records it, so the messages name the grantor.

    Takes the assembly lock and holds both members' rows, so the checks cannot be raced.
    """
    lock(assembly)
    if assembly.status != AssemblyStatus.PLANNED:
        raise ServiceError(_l("Proxies can be given until the meeting opens. Now they are fixed."))
    if not may_vote_here(grantor):
        if paper:
            raise ServiceError(_l("Choose a member who may vote at general meetings."), "grantor")
        raise ServiceError(_l("Only members who may vote at general meetings can give a proxy."))
    holder = db.session.get(Member, holder_id) if isinstance(holder_id, int) else None
    if holder is None or not may_vote_here(holder):
        raise ServiceError(_l("Choose a member who may vote at general meetings."), "holder")
    if holder.id == grantor.id:
        if paper:
            raise ServiceError(_l("A member cannot give a proxy to itself. Choose someone else."), "holder")
        raise ServiceError(_l("You cannot give a proxy to yourself."), "holder")
    _lock_members(grantor.id, holder.id)
    existing = live_proxy_given(assembly, grantor.id)
    if existing is not None:
        if paper:
            raise ServiceError(
                _l(
                    "%(grantor)s has already authorised %(name)s. Revoke that proxy first if they want someone else.",
                    grantor=grantor.name,
                    name=existing.holder.name,
                ),
                "grantor",
            )
        raise ServiceError(
            _l("You have already authorised %(name)s. Revoke that proxy first if you want to choose someone else.", name=existing.holder.name),
            "holder",
        )
    if live_proxies_held(assembly, grantor.id):
        if paper:
            raise ServiceError(
                _l(
                    "%(name)s holds a proxy for another member, so they cannot give their own vote away: proxies cannot be passed on.",
                    name=grantor.name,
                ),
                "grantor",
            )
        raise ServiceError(
            _l("You hold a proxy for another member, so you cannot give your own vote away: proxies cannot be passed on."),
            "holder",
        )
    if live_proxy_given(assembly, holder.id) is not None:
        raise ServiceError(
            _l("%(name)s has given their own proxy to someone else, so they cannot hold yours.", name=holder.name), "holder"
        )
    if assembly.max_proxies == 0:
        raise ServiceError(_l("No proxies at this meeting."), "holder")
    if len(live_proxies_held(assembly, holder.id)) >= assembly.max_proxies:
        raise ServiceError(
            _l(
                "%(name)s already holds as many proxies as one member may hold at this meeting (%(max)d). Choose someone else.",
                name=holder.name,
                max=assembly.max_proxies,
            ),
            "holder",
        )
    return holder


def _add_proxy(assembly: Assembly, *, by: Account, grantor: Member, holder: Member, paper: bool) -> Proxy:
    proxy = Proxy(assembly_id=assembly.id, grantor_id=grantor.id, holder_id=holder.id, created_by_id=by.id)
    try:
        with db.session.begin_nested():
            db.session.add(proxy)
    except IntegrityError:
        if paper:
            raise ServiceError(_l("%(name)s has already given a proxy for this meeting.", name=grantor.name), "grantor") from None
        raise ServiceError(_l("You have already given a proxy for this meeting."), "holder") from None
    data: dict[str, Any] = {"proxy": proxy.id, "grantor": grantor.id, "holder": holder.id}
    if paper:
        data["paper"] = True
    record("assembly.proxy_given", actor=by, subject=assembly.subject, data=data)
    return proxy


@unit_of_work
def give_proxy(assembly: Assembly, *, by: Account, holder_id: int | None) -> Proxy:
    """The member of ``by`` authorises ``holder_id`` to vote for it at this assembly."""
    grantor = by.member
    holder = _check_proxy(assembly, grantor, holder_id, paper=False)
    return _add_proxy(assembly, by=by, grantor=grantor, holder=holder, paper=False)


@unit_of_work
def record_paper_proxy(assembly: Assembly, *, by: Account, grantor_id: int | None, holder_id: int | None) -> Proxy:
    """The board records a proxy a member handed in on paper; the same rules as a proxy given online."""
    _require_board(by)
    grantor = db.session.get(Member, grantor_id) if isinstance(grantor_id, int) else None
    if grantor is None:
        raise ServiceError(_l("Choose a member who may vote at general meetings."), "grantor")
    holder = _check_proxy(assembly, grantor, holder_id, paper=True)
    return _add_proxy(assembly, by=by, grantor=grantor, holder=holder, paper=True)


@unit_of_work
def revoke_proxy(proxy: Proxy, *, by: Account) -> None:
    """The grantor revokes its proxy; the board may revoke a proxy it recorded from paper. Both only until opening."""
    assembly = db.session.get(Assembly, proxy.assembly_id)
    paper = is_paper(proxy)
    by_board = proxy.grantor_id != by.member_id
    if by_board and not (paper and is_board(by)):
        raise ServiceError(_l("Only the member who gave the proxy can revoke it."))
    if proxy.revoked_at is not None:
        raise ServiceError(_l("This proxy is already revoked."))
    if assembly is not None:
        lock(assembly)
    if assembly is None or assembly.status != AssemblyStatus.PLANNED:
        raise ServiceError(_l("The meeting has opened: proxies are fixed now."))
    proxy.revoked_at = utcnow()
    data: dict[str, Any] = {"proxy": proxy.id, "grantor": proxy.grantor_id, "holder": proxy.holder_id}
    if paper:
        data["paper"] = True
    record("assembly.proxy_revoked", actor=by, subject=assembly.subject, data=data)


# --- minutes ---------------------------------------------------------------------------------------------


@unit_of_work
def adopt_minutes(assembly: Assembly, *, by: Account, text: str) -> str:
    """The board adopts the minutes after the meeting; the text is kept and its digest goes on the record."""
    _require_board(by)
    if assembly.status != AssemblyStatus.CLOSED:
        raise ServiceError(_l("Minutes can be adopted after the meeting has ended."))
    if assembly.minutes is not None:
        raise ServiceError(_l("The minutes of this meeting are already adopted."))
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ServiceError(_l("The minutes are empty."), "text")
    if len(text) > 200_000:
        raise ServiceError(_l("Use at most %(max)d characters.", max=200_000), "text")
    text += "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assembly.minutes = text
    assembly.minutes_adopted_at = utcnow()
    assembly.minutes_adopted_by_id = by.id
    record("assembly.minutes_adopted", actor=by, subject=assembly.subject, data={"sha256": digest, "length": len(text)})
    return digest
