"""Deliberation operations: post, edit, report, hide; notifications and the daily digest.

Each operation validates, changes state, appends its audit entry and commits (one unit
of work). There is no delete: authors edit their own words (every edit is kept as a
revision) and moderators hide, with a public reason that stays in the thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import mail
from ..audit import record
from ..db import utcnow
from ..extensions import db
from ..membership.models import Account, Right, Role
from ..services import ServiceError, after_commit, unit_of_work
from . import markdown
from .models import (
    Comment,
    CommentReport,
    CommentRevision,
    Notification,
    NotificationDigest,
    NotificationKind,
    NotificationSetting,
    Stance,
    Thread,
)

#: The longest comment, in characters (a page of text).
MAX_COMMENT = 5000
MAX_REASON = 1000
#: What can have a thread: "<kind>:<id>".
SUBJECT_KINDS = ("proposal", "motion", "agenda", "round", "assembly")
SUBJECT = re.compile(r"^(%s):([1-9][0-9]{0,9})$" % "|".join(SUBJECT_KINDS))


def parse_subject(subject: str) -> tuple[str, int] | None:
    """("proposal", 12) for "proposal:12"; None for anything that cannot have a thread."""
    match = SUBJECT.match(subject or "")
    return (match.group(1), int(match.group(2))) if match else None


def subject_exists(subject: str) -> bool:
    """Whether ``subject`` names something that can be discussed now.

    A proposal must exist and be public (not a draft). Kinds whose domain has not
    landed yet are taken on trust.
    """
    parsed = parse_subject(subject)
    if parsed is None:
        return False
    kind, ident = parsed
    if kind == "proposal":
        try:
            from ..budgeting.models import Proposal
            from ..budgeting.queries import PUBLIC_STATUSES
        except ImportError:  # pragma: no cover - budgeting is part of the app
            return True
        status = db.session.scalar(sa.select(Proposal.status).where(Proposal.id == ident))
        return status in PUBLIC_STATUSES
    return True


def _check_subject(subject: str) -> None:
    if not subject_exists(subject):
        raise ServiceError(_l("There is no discussion about this."))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ServiceError(_l("Write your comment first."), "body")
    if len(body) > MAX_COMMENT:
        raise ServiceError(
            _l("Your comment is too long: use at most %(max)s characters (now %(n)s).", max=MAX_COMMENT, n=len(body)), "body"
        )
    if markdown.looks_like_script(body):
        raise ServiceError(
            _l("Comments cannot contain scripts or HTML code. Write plain text; you may use Markdown, like **bold** or a list."),
            "body",
        )
    if markdown.is_empty(markdown.render(body)):
        raise ServiceError(_l("Your comment has no words that can be shown. Write your comment in plain text."), "body")
    return body


def _stance(stance: str) -> Stance:
    try:
        return Stance(stance)
    except ValueError:
        raise ServiceError(_l("Choose what kind of comment this is."), "stance") from None


def _reason(reason: str, message: Any) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(message, "reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(_l("Use at most %(max)d characters.", max=MAX_REASON), "reason")
    return reason


def _may_deliberate(account: Account) -> None:
    if not account.has(Right.DELIBERATE):
        raise ServiceError(_l("Only active members who may take part in discussions can do this."))


def _thread(subject: str) -> Thread:
    """The subject's thread, made now if this is its first comment."""
    thread = db.session.scalar(sa.select(Thread).where(Thread.subject == subject))
    if thread is not None:
        return thread
    try:
        # Two first comments at the same moment: the second one uses the thread the first made.
        with db.session.begin_nested():
            thread = Thread(subject=subject)
            db.session.add(thread)
    except sa.exc.IntegrityError:
        thread = db.session.scalars(sa.select(Thread).where(Thread.subject == subject)).one()
    return thread


# --- comments -------------------------------------------------------------------------------


@unit_of_work
def post_comment(
    subject: str, *, author: Account, body: str, stance: str = "idea", parent_id: int | None = None
) -> Comment:
    """A member writes in the thread of ``subject``, at the top or as a reply to ``parent_id``."""
    _may_deliberate(author)
    _check_subject(subject)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id) if isinstance(parent_id, int) else None
        if parent is None or parent.thread.subject != subject:
            raise ServiceError(_l("The comment you want to reply to does not exist."))
        if parent.is_hidden:
            raise ServiceError(_l("You cannot reply to a comment that a moderator has hidden."))
    text = _clean_body(body)
    chosen = _stance(stance)
    thread = parent.thread if parent is not None else _thread(subject)
    comment = Comment(thread=thread, parent_id=parent_id, author=author, stance=chosen, body=text, revision=1)
    comment.revisions.append(CommentRevision(number=1, stance=chosen, body=text))
    db.session.add(comment)
    db.session.flush()
    record(
        "comment.posted",
        actor=author,
        subject=f"comment:{comment.id}",
        data={"thread": subject, "parent": parent_id, "stance": chosen.value, "revision": 1, "sha256": _digest(text)},
    )
    _notify_about(comment, parent)
    return comment


def _notify_about(comment: Comment, parent: Comment | None) -> None:
    told = {comment.author.member_id}
    if parent is not None and parent.author.member_id not in told:
        notify(parent.author.member_id, NotificationKind.REPLY, comment.thread.subject, {"comment": comment.id, "parent": parent.id})
        told.add(parent.author.member_id)
    parsed = parse_subject(comment.thread.subject)
    if parsed and parsed[0] == "proposal":
        for member_id in _proposers(parsed[1]):
            if member_id not in told:
                notify(member_id, NotificationKind.COMMENT_ON_MY_PROPOSAL, comment.thread.subject, {"comment": comment.id})
                told.add(member_id)


def _proposers(proposal_id: int) -> list[int]:
    try:
        from ..budgeting.queries import proposer_member_ids  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # budgeting has not landed (yet): nobody to tell
        return []
    return list(proposer_member_ids(proposal_id))


@unit_of_work
def edit_comment(comment: Comment, *, by: Account, body: str, stance: str | None = None) -> None:
    """The author changes their own words. The earlier text stays in the history."""
    if comment.author_id != by.id:
        raise ServiceError(_l("You can only change your own comments."))
    _may_deliberate(by)
    if comment.is_hidden:
        raise ServiceError(_l("A moderator has hidden this comment. It cannot be changed any more."))
    text = _clean_body(body)
    chosen = _stance(stance) if stance is not None else comment.stance
    if text == comment.body and chosen == comment.stance:
        raise ServiceError(_l("You did not change anything."), "body")
    comment.revision += 1
    comment.body = text
    comment.stance = chosen
    comment.edited_at = utcnow()
    comment.revisions.append(CommentRevision(number=comment.revision, stance=chosen, body=text))
    record(
        "comment.edited",
        actor=by,
        subject=f"comment:{comment.id}",
        data={"revision": comment.revision, "stance": chosen.value, "sha256": _digest(text)},
    )


@unit_of_work
def report_comment(comment: Comment, *, by: Account, reason: str) -> CommentReport:
    """A member asks the moderators to look at a comment."""
    _may_deliberate(by)
    if comment.is_hidden:
        raise ServiceError(_l("A moderator has already hidden this comment."))
    if comment.author_id == by.id:
        raise ServiceError(_l("You cannot report your own comment. You can change it instead."))
    text = _reason(reason, _l("Tell the moderators what is wrong with this comment."))
    exists = db.session.scalar(
        sa.select(sa.func.count()).where(CommentReport.comment_id == comment.id, CommentReport.reporter_id == by.id)
    )
    if exists:
        raise ServiceError(_l("You have already reported this comment. The moderators will look at it."))
    report = CommentReport(comment=comment, reporter_id=by.id, reason=text)
    db.session.add(report)
    db.session.flush()
    # The reason is for the moderators: it may name people, so it is not copied to the public record.
    record("comment.reported", actor=by, subject=f"comment:{comment.id}", data={"report": report.id})
    return report


def _open_reports(comment: Comment) -> list[CommentReport]:
    return list(
        db.session.scalars(
            sa.select(CommentReport)
            .where(CommentReport.comment_id == comment.id, CommentReport.resolved_at.is_(None))
            .order_by(CommentReport.id)
        )
    )


def _may_moderate(account: Account) -> None:
    if not account.has_role(Role.MODERATOR, Role.BOARD):
        raise ServiceError(_l("Only moderators and the board can do this."))


@unit_of_work
def hide_comment(comment: Comment, *, by: Account, reason: str) -> None:
    """A moderator hides a comment. The reason is public: it is shown in the comment's place."""
    _may_moderate(by)
    if comment.is_hidden:
        raise ServiceError(_l("This comment is already hidden."))
    text = _reason(reason, _l("Give a reason. Everyone sees it in the place of the comment."))
    now = utcnow()
    comment.hidden_at = now
    comment.hidden_by_id = by.id
    comment.hidden_reason = text
    reports = _open_reports(comment)
    for report in reports:
        report.resolved_at, report.resolved_by_id, report.resolution = now, by.id, "hidden"
    record(
        "comment.hidden",
        actor=by,
        subject=f"comment:{comment.id}",
        data={"reason": text, "reports": [r.id for r in reports]},
    )


@unit_of_work
def keep_comment(comment: Comment, *, by: Account) -> None:
    """A moderator looked at the reports and decided the comment stays as it is."""
    _may_moderate(by)
    reports = _open_reports(comment)
    if not reports:
        raise ServiceError(_l("There are no open reports about this comment."))
    now = utcnow()
    for report in reports:
        report.resolved_at, report.resolved_by_id, report.resolution = now, by.id, "kept"
    record("comment.kept", actor=by, subject=f"comment:{comment.id}", data={"reports": [r.id for r in reports]})


# --- notifications --------------------------------------------------------------------------


def notify(member_id: int, kind: str, subject: str, params: dict[str, Any]) -> None:
    """Tell a member about something: one notification for each of its active accounts.

    Runs in the caller's transaction and does not commit. Kinds and their ``params``:
    "reply" {"comment", "parent"}; "comment_on_my_proposal" {"comment"};
    "proposal_status" {"status", and optionally "title" and "reason"}.
    ``params`` must be JSON; store ids and values, not names (names are looked up when shown).
    """
    kind = NotificationKind(kind)
    accounts = db.session.scalars(sa.select(Account).where(Account.member_id == member_id).order_by(Account.id))
    for account in accounts:
        if account.is_active:
            db.session.add(Notification(account_id=account.id, kind=kind, subject=subject, params=dict(params)))


@unit_of_work
def mark_read(account: Account, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the account's unread notifications as read: the given ones, or all. Returns how many."""
    query = sa.update(Notification).where(Notification.account_id == account.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(list(notification_ids)))
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0


def digest_enabled(account: Account) -> bool:
    setting = db.session.get(NotificationSetting, account.id)
    return bool(setting and setting.daily_digest)


@unit_of_work
def set_daily_digest(account: Account, enabled: bool) -> None:
    setting = db.session.get(NotificationSetting, account.id)
    if setting is None:
        setting = NotificationSetting(account_id=account.id, daily_digest=False)
        db.session.add(setting)
    if setting.daily_digest != enabled:
        setting.daily_digest = enabled
        record("account.digest_changed", actor=account, subject=f"account:{account.id}", data={"daily_digest": enabled})


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def send_digests(now: dt.datetime | None = None) -> int:
    """Mail every opted-in account its unread notifications of the last day. Returns the number of mails.

    At most one digest per account per day (in the cooperative's time zone): running the
    command again the same day sends nothing new.
    """
    now = now or utcnow()
    account_ids = db.session.scalars(
        sa.select(NotificationSetting.account_id).where(NotificationSetting.daily_digest).order_by(NotificationSetting.account_id)
    ).all()
    db.session.commit()  # end the read, so that each digest below starts its own write transaction
    sent = 0
    for account_id in account_ids:
        if _send_digest(account_id, now):
            sent += 1
    return sent


@unit_of_work
def _send_digest(account_id: int, now: dt.datetime) -> bool:
    from .queries import describe

    account = db.session.get(Account, account_id)
    if account is None or not account.is_active:
        return False
    day = _local_day(now)
    done = db.session.scalar(
        sa.select(sa.func.count()).where(NotificationDigest.account_id == account.id, NotificationDigest.day == day)
    )
    if done:
        return False
    notifications = db.session.scalars(
        sa.select(Notification)
        .where(
            Notification.account_id == account.id,
            Notification.read_at.is_(None),
            Notification.created_at > now - dt.timedelta(days=1),
            Notification.created_at <= now,
        )
        .order_by(Notification.created_at, Notification.id)
    ).all()
    if not notifications:
        return False
    db.session.add(NotificationDigest(account_id=account.id, day=day, count=len(notifications)))
    with force_locale(account.language):
        items = describe(notifications, external=True)
        text = render_template("deliberation/mail/digest.txt", account=account, items=items)
        title = str(_l("Your notifications of today"))
    after_commit(lambda: mail.send(account.email, title, text))
    return True
