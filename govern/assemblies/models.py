"""General assemblies (ALV): agenda, documents, attendance, proxies (volmacht), quorum and minutes."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, created_at, intpk, str_enum
from ..extensions import db
from ..membership.models import Account, Member


class AssemblyStatus(enum.StrEnum):
    #: Announced: agenda and documents can change, proxies can be given and revoked.
    PLANNED = "planned"
    #: The chair opened it: check-in, votes; proxies are fixed.
    OPEN = "open"
    #: Ended; minutes can be adopted.
    CLOSED = "closed"


class Assembly(db.Model):
    __tablename__ = "assembly"

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[AssemblyStatus] = mapped_column(str_enum(AssemblyStatus), default=AssemblyStatus.PLANNED, index=True)
    #: From the statutes: the share ("n/d") of the total vote weight that must be present or represented.
    quorum: Mapped[str] = mapped_column(sa.String(20), default="1/2", server_default="1/2")
    #: How many proxies one member may hold at this assembly.
    max_proxies: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Total vote weight of all who may vote at assemblies, frozen when the chair opens it.
    total_weight: Mapped[int] = mapped_column(default=0, server_default="0")
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The minutes as adopted (Markdown), their digest on the record.
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    minutes_adopted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    minutes_adopted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="assembly", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[AssemblyDocument]] = relationship(
        back_populates="assembly", order_by="AssemblyDocument.id", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("max_proxies >= 0", name="max_proxies_not_negative"),)

    @property
    def subject(self) -> str:
        return f"assembly:{self.id}"


class AgendaItem(db.Model):
    __tablename__ = "agenda_item"

    id: Mapped[intpk]
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: The vote held under this item, if any.
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vote_item.id"))
    #: Whether the item has a discussion thread (subject "agenda:<id>").
    has_thread: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    assembly: Mapped[Assembly] = relationship(back_populates="agenda")

    @property
    def subject(self) -> str:
        return f"agenda:{self.id}"


class AssemblyDocument(db.Model):
    """A document for the assembly (annual accounts, a motion's text): a PDF or image, stored as uploaded."""

    __tablename__ = "assembly_document"

    id: Mapped[intpk]
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[created_at]

    assembly: Mapped[Assembly] = relationship(back_populates="documents")


class Attendance(db.Model):
    """A member present at an assembly (self check-in, or checked in by a teller)."""

    __tablename__ = "attendance"

    id: Mapped[intpk]
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    #: "self" or "teller".
    method: Mapped[str] = mapped_column(sa.String(10))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]

    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.UniqueConstraint("assembly_id", "member_id"),)


class Proxy(db.Model):
    """A volmacht: the grantor authorises the holder to vote for it at one assembly; revocable until it opens."""

    __tablename__ = "proxy"

    id: Mapped[intpk]
    assembly_id: Mapped[int] = mapped_column(sa.ForeignKey("assembly.id", ondelete="CASCADE"), index=True)
    grantor_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    created_at: Mapped[created_at]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    grantor: Mapped[Member] = relationship(foreign_keys=[grantor_id], lazy="joined", innerjoin=True)
    holder: Mapped[Member] = relationship(foreign_keys=[holder_id], lazy="joined", innerjoin=True)
    created_by: Mapped[Account | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("grantor_id <> holder_id", name="not_to_self"),
        # One live proxy per grantor and assembly (revoked ones stay, for the record).
        sa.Index(
            "uq_proxy_live",
            "assembly_id",
            "grantor_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )
