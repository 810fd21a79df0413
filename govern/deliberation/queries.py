"""Read models for deliberation: a thread laid out for the page, notifications as text, the queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..membership.models import Account
from .models import Comment, CommentReport, Notification, NotificationKind, Thread
from .services import parse_subject

#: How deep replies are drawn: 0 (top), 1 and 2. Deeper replies are drawn at level 2, saying whom they answer.
MAX_LEVEL = 2

SUBJECT_LABELS = {
    "proposal": _l("Proposal %(id)s"),
    "motion": _l("Motion %(id)s"),
    "agenda": _l("Agenda item %(id)s"),
    "round": _l("Budget round %(id)s"),
    "assembly": _l("General meeting %(id)s"),
}
#: The page of the thing itself, where another domain provides one: kind -> (endpoint, argument name).
SUBJECT_PAGES = {
    "proposal": ("budgeting.proposal", "proposal_id"),
    "round": ("budgeting.round", "round_id"),
    "motion": ("voting.motion", "motion_id"),
    "agenda": ("assemblies.agenda_item", "item_id"),
    "assembly": ("assemblies.assembly", "assembly_id"),
}

#: Proposal statuses in words, for "proposal_status" notifications (the budgeting engineer's values).
PROPOSAL_STATUSES = {
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "eligible": _l("eligible: it meets the rules of the round"),
    "not_eligible": _l("not eligible"),
    "on_ballot": _l("on the ballot"),
    "funded": _l("funded"),
    "not_funded": _l("not funded"),
    "withdrawn": _l("withdrawn"),
}


def subject_label(subject: str) -> str:
    parsed = parse_subject(subject)
    if parsed is None:
        return subject
    return str(SUBJECT_LABELS[parsed[0]]) % {"id": parsed[1]}


def subject_titles(subjects: Sequence[str]) -> dict[str, str]:
    """The names of the things discussed, where their domain gives one (proposals: their title), in one query."""
    proposal_ids = {p[1] for p in map(parse_subject, subjects) if p is not None and p[0] == "proposal"}
    if not proposal_ids:
        return {}
    from ..budgeting.models import Proposal

    rows = db.session.execute(sa.select(Proposal.id, Proposal.title).where(Proposal.id.in_(proposal_ids)))
    return {f"proposal:{row.id}": row.title for row in rows}


def subject_name(subject: str) -> str:
    """“Title” of the thing discussed if it has one, otherwise "Proposal 12"."""
    title = subject_titles([subject]).get(subject)
    return f"“{title}”" if title else subject_label(subject)


def subject_url(subject: str, *, external: bool = False, anchor: str | None = None) -> str:
    """The page of the thing discussed if it has one, otherwise the thread's own page."""
    parsed = parse_subject(subject)
    if parsed is not None and parsed[0] in SUBJECT_PAGES:
        endpoint, argument = SUBJECT_PAGES[parsed[0]]
        if endpoint in current_app.view_functions:
            return url_for(endpoint, **{argument: parsed[1]}, _external=external, _anchor=anchor)
    return url_for("deliberation.thread", subject=subject, _external=external, _anchor=anchor)


def author_name(account: Account) -> str:
    """A delegate speaks for their organisation: "Name (Organisation)"."""
    if account.member.kind.value == "organisation" and account.member.name != account.display_name:
        return f"{account.display_name} ({account.member.name})"
    return account.display_name


@dataclasses.dataclass
class Entry:
    """One comment as drawn: its level (0-2), the replies drawn under it, and whom it answers if drawn flat."""

    comment: Comment
    level: int
    replies: list[Entry] = dataclasses.field(default_factory=list)
    in_reply_to: Comment | None = None
    #: The entry whose list of replies this one is in.
    holder: Entry | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass
class ThreadView:
    subject: str
    label: str
    entries: list[Entry]
    count: int
    by_id: dict[int, Comment]


def _comments_with_authors() -> Any:
    # One query: comments, their authors and the authors' members (joined eagerly by Account.member).
    return (
        sa.select(Comment)
        .join(Comment.author)
        .options(contains_eager(Comment.author).lazyload(Account.role_grants))
    )


def thread_for(subject: str) -> ThreadView:
    """The thread of ``subject`` laid out for the page, with one database query."""
    comments = db.session.scalars(
        # By id, the order of posting: a parent always comes before its replies, whatever the clocks say.
        _comments_with_authors().join(Comment.thread).where(Thread.subject == subject).order_by(Comment.id)
    ).unique().all()
    by_id = {c.id: c for c in comments}
    entries: dict[int, Entry] = {}
    top: list[Entry] = []
    for comment in comments:
        parent = entries.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is None:
            entry = Entry(comment, 0)
            top.append(entry)
        elif parent.level < MAX_LEVEL:
            entry = Entry(comment, parent.level + 1, holder=parent)
            parent.replies.append(entry)
        else:
            # Deeper than level 2: drawn next to its parent, in the same list, saying whom it answers.
            assert parent.holder is not None
            entry = Entry(comment, MAX_LEVEL, in_reply_to=parent.comment, holder=parent.holder)
            parent.holder.replies.append(entry)
        entries[comment.id] = entry
    return ThreadView(subject=subject, label=subject_label(subject), entries=top, count=len(comments), by_id=by_id)


def comment_with_author(comment_id: int) -> Comment | None:
    return db.session.scalars(_comments_with_authors().where(Comment.id == comment_id)).unique().one_or_none()


# --- moderation -------------------------------------------------------------------------------


@dataclasses.dataclass
class QueueItem:
    comment: Comment
    reports: list[CommentReport]


def moderation_queue() -> list[QueueItem]:
    """Comments with open reports, the longest-waiting first."""
    reports = db.session.scalars(
        sa.select(CommentReport)
        .where(CommentReport.resolved_at.is_(None))
        .options(
            joinedload(CommentReport.comment).joinedload(Comment.author).lazyload(Account.role_grants),
            joinedload(CommentReport.comment).joinedload(Comment.thread),
            joinedload(CommentReport.reporter).lazyload(Account.role_grants),
        )
        .order_by(CommentReport.created_at, CommentReport.id)
    ).unique().all()
    items: dict[int, QueueItem] = {}
    for report in reports:
        items.setdefault(report.comment_id, QueueItem(report.comment, [])).reports.append(report)
    return list(items.values())


def open_report_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(CommentReport.comment_id))).where(CommentReport.resolved_at.is_(None))
    )


# --- notifications ----------------------------------------------------------------------------


def unread_count(account_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(Notification.account_id == account_id, Notification.read_at.is_(None))
    )


@dataclasses.dataclass
class Described:
    notification: Notification
    text: str
    url: str


def describe(notifications: Sequence[Notification], *, external: bool = False) -> list[Described]:
    """Each notification as a sentence and a link; the comments they name are loaded in one query."""
    ids = {n.params.get("comment") for n in notifications if isinstance(n.params.get("comment"), int)}
    comments = {}
    if ids:
        comments = {c.id: c for c in db.session.scalars(_comments_with_authors().where(Comment.id.in_(ids))).unique()}
    titles = subject_titles([n.subject for n in notifications])
    out = []
    for n in notifications:
        comment = comments.get(n.params.get("comment"))
        who = author_name(comment.author) if comment is not None else _("Someone")
        what = f"“{titles[n.subject]}”" if n.subject in titles else subject_label(n.subject)
        if n.kind == NotificationKind.REPLY:
            text = _("%(name)s replied to your comment on %(subject)s.", name=who, subject=what)
        elif n.kind == NotificationKind.COMMENT_ON_MY_PROPOSAL:
            text = _("%(name)s wrote a comment on your proposal %(subject)s.", name=who, subject=what)
        else:
            title = f"“{n.params['title']}”" if n.params.get("title") else what
            value = n.params.get("status") or ""
            status = str(PROPOSAL_STATUSES.get(value, value))
            text = _("The status of your proposal %(title)s changed: %(status)s.", title=title, status=status)
            if n.params.get("reason"):
                text = f"{text} {_('Reason:')} {n.params['reason']}"
        anchor = f"comment-{comment.id}" if comment is not None else None
        out.append(Described(n, text, subject_url(n.subject, external=external, anchor=anchor)))
    return out


def notifications_page(account_id: int, page: int) -> Any:
    query = (
        sa.select(Notification)
        .where(Notification.account_id == account_id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(query, page=page, per_page=current_app.config["PER_PAGE"], error_out=False)
