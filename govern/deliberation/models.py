"""Deliberation: threads on anything that is decided, comments with their history,
reports and moderation, and notifications inside the app.

Comments are never deleted: an author edits (every edit is a new revision) and a
moderator hides (the placeholder and the reason stay in the thread).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import bool_false, created_at, intpk, str_enum, utcnow
from ..extensions import db
from ..membership.models import Account


class Stance(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    QUESTION = "question"
    IDEA = "idea"


class NotificationKind(enum.StrEnum):
    REPLY = "reply"
    COMMENT_ON_MY_PROPOSAL = "comment_on_my_proposal"
    PROPOSAL_STATUS = "proposal_status"


class Thread(db.Model):
    """The discussion about one thing that is decided. Made when its first comment is posted."""

    __tablename__ = "thread"

    id: Mapped[intpk]
    #: What is discussed: "proposal:12", "motion:3", "agenda:7".
    subject: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[created_at]

    comments: Mapped[list[Comment]] = relationship(back_populates="thread", order_by="Comment.id")


class Comment(db.Model):
    """What a member wrote. ``body`` and ``stance`` are the latest revision's."""

    __tablename__ = "comment"

    id: Mapped[intpk]
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("thread.id"), index=True)
    #: The comment this one answers, or None at the top of the thread.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id"), index=True)
    #: The account that wrote it (a delegate speaks for their organisation, under their own name).
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    stance: Mapped[Stance] = mapped_column(str_enum(Stance))
    #: Markdown as written; rendered and sanitized when shown.
    body: Mapped[str] = mapped_column(sa.Text)
    #: Number of the latest revision: 1 until the first edit.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]
    edited_at: Mapped[dt.datetime | None]
    #: Set when a moderator hid the comment; the reason is shown in its place.
    hidden_at: Mapped[dt.datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    hidden_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    thread: Mapped[Thread] = relationship(back_populates="comments")
    author: Mapped[Account] = relationship(foreign_keys=[author_id])
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment", order_by="CommentRevision.number", cascade="all"
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_edited(self) -> bool:
        return self.revision > 1


class CommentRevision(db.Model):
    """One version of a comment: number 1 as posted, then one more for every edit."""

    __tablename__ = "comment_revision"

    id: Mapped[intpk]
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), index=True)
    number: Mapped[int]
    stance: Mapped[Stance] = mapped_column(str_enum(Stance))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[created_at]

    comment: Mapped[Comment] = relationship(back_populates="revisions")

    __table_args__ = (sa.UniqueConstraint("comment_id", "number"),)


class CommentReport(db.Model):
    """A member asks the moderators to look at a comment. One report per person per comment."""

    __tablename__ = "comment_report"

    id: Mapped[intpk]
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    #: Why; seen by the moderators only.
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[created_at]
    #: Set when a moderator hid the comment or decided to keep it.
    resolved_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    #: "hidden" or "kept".
    resolution: Mapped[str | None] = mapped_column(sa.String(20))

    comment: Mapped[Comment] = relationship()
    reporter: Mapped[Account] = relationship(foreign_keys=[reporter_id])

    __table_args__ = (sa.UniqueConstraint("comment_id", "reporter_id"),)


class Notification(db.Model):
    """Something a person should know about, shown in the app (and in the daily digest if they want it).

    Personal and not a decision: not on the record (like reading a page).
    """

    __tablename__ = "notification"

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, length=40))
    #: What it is about: "proposal:12" ...
    subject: Mapped[str] = mapped_column(sa.String(64))
    #: Ids and values for the text (e.g. {"comment": 7}); names are looked up when shown.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[dt.datetime | None]


class NotificationSetting(db.Model):
    """A person's choices about notifications. No row means the defaults."""

    __tablename__ = "notification_setting"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), primary_key=True, autoincrement=False)
    #: Send one e-mail a day with the unread notifications of the last day.
    daily_digest: Mapped[bool_false]


class NotificationDigest(db.Model):
    """A daily digest that was sent: at most one per person per day, so the command can run again safely."""

    __tablename__ = "notification_digest"

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    #: The day in the cooperative's time zone.
    day: Mapped[dt.date]
    #: How many notifications it listed.
    count: Mapped[int]
    sent_at: Mapped[created_at]

    __table_args__ = (sa.UniqueConstraint("account_id", "day"),)
