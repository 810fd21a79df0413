"""Membership: tiers (levels of participation), members (the voting units), accounts, roles."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import bool_false, created_at, intpk, str_enum
from ..extensions import db

#: The neighbourhoods of Delfshaven; a member's neighbourhood is one of these (or "elders": elsewhere).
NEIGHBOURHOODS = (
    "bospolder",
    "tussendijken",
    "spangen",
    "nieuwe-westen",
    "middelland",
    "oud-mathenesse",
    "witte-dorp",
    "schiemond",
    "historisch-delfshaven",
    "coolhaveneiland",
    "elders",
)


class MemberKind(enum.StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class MemberStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    ENDED = "ended"


class Role(enum.StrEnum):
    BOARD = "board"
    MODERATOR = "moderator"
    AUDITOR = "auditor"
    TELLER = "teller"


class Right(enum.StrEnum):
    PROPOSE = "propose"
    DELIBERATE = "deliberate"
    VOTE_BUDGET = "vote_budget"
    VOTE_ASSEMBLY = "vote_assembly"


class Tier(db.Model):
    """A level of participation. Tiers are data: the board creates and changes them."""

    __tablename__ = "tier"

    id: Mapped[intpk]
    #: Stable short name used in URLs and the demo ("lid", "deelnemer" ...).
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_nl: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    #: Rights: what members of this tier may do.
    can_propose: Mapped[bool_false]
    can_deliberate: Mapped[bool_false]
    can_vote_budget: Mapped[bool_false]
    can_vote_assembly: Mapped[bool_false]
    #: Weight of this tier's vote in assembly votes; 0 means the vote is not counted.
    vote_weight: Mapped[int] = mapped_column(default=1)
    #: Whether members of this tier count towards the assembly's quorum.
    counts_for_quorum: Mapped[bool_false]
    #: Order in lists, lowest first.
    position: Mapped[int] = mapped_column(default=0)
    #: Tiers can be closed for new applications without touching existing members.
    open_for_applications: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[created_at]

    __table_args__ = (sa.CheckConstraint("vote_weight >= 0", name="vote_weight_not_negative"),)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_nl

    def has(self, right: Right) -> bool:
        return bool(getattr(self, f"can_{right.value}"))

    def rights(self) -> list[Right]:
        return [r for r in Right if self.has(r)]

    def snapshot(self) -> dict[str, object]:
        """What the record keeps of a tier (names are not personal data)."""
        return {
            "slug": self.slug,
            "name_nl": self.name_nl,
            "name_en": self.name_en,
            "rights": [r.value for r in self.rights()],
            "vote_weight": self.vote_weight,
            "counts_for_quorum": self.counts_for_quorum,
            "open_for_applications": self.open_for_applications,
        }


class Member(db.Model):
    """A voting unit: a resident, or an organisation (an initiative) acting through its delegates."""

    __tablename__ = "member"

    id: Mapped[intpk]
    kind: Mapped[MemberKind] = mapped_column(str_enum(MemberKind))
    #: Public name: shown in the directory.
    name: Mapped[str] = mapped_column(sa.String(120))
    neighbourhood: Mapped[str] = mapped_column(sa.String(40))
    #: A short public description (an initiative says what it does).
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus), default=MemberStatus.PENDING, index=True
    )
    #: The tier the member is in (once approved) or asked for (while pending).
    tier_id: Mapped[int] = mapped_column(sa.ForeignKey("tier.id"), index=True)
    #: The reason the board gave for the latest decision (rejection, suspension, end).
    status_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    applied_at: Mapped[created_at]
    decided_at: Mapped[dt.datetime | None]
    #: Whether the member wants to be listed in the public directory.
    listed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    tier: Mapped[Tier] = relationship(lazy="joined", innerjoin=True)
    accounts: Mapped[list[Account]] = relationship(back_populates="member", order_by="Account.id")

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE

    def has(self, right: Right) -> bool:
        return self.is_active and self.tier.has(right)


class Account(UserMixin, db.Model):
    """A way to sign in. It belongs to one member; an organisation may have several (delegates)."""

    __tablename__ = "account"

    id: Mapped[intpk]
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id"), index=True)
    #: Lower-cased; unique across the whole service.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: Argon2id hash (argon2-cffi); never the password.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: The account holder's own name (a delegate of an initiative has a name of their own).
    display_name: Mapped[str] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(5), default="nl", server_default="nl")
    #: A disabled account cannot sign in (a delegate who left); the member stays.
    disabled: Mapped[bool_false]
    created_at: Mapped[created_at]
    #: Changes when the password changes, so old remember-me cookies stop working.
    session_token: Mapped[str] = mapped_column(sa.String(64))

    member: Mapped[Member] = relationship(back_populates="accounts", lazy="joined", innerjoin=True)
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="account", lazy="selectin", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember cookie.
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return not self.disabled and self.member.status not in (MemberStatus.REJECTED, MemberStatus.ENDED)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.role_grants)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def has(self, right: Right) -> bool:
        return self.member.has(right)


class RoleGrant(db.Model):
    """A role (board, moderator, auditor, teller) held by a person's account; separate from tiers."""

    __tablename__ = "role_grant"

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    granted_at: Mapped[created_at]

    account: Mapped[Account] = relationship(back_populates="role_grants")

    __table_args__ = (sa.UniqueConstraint("account_id", "role"),)


class PasswordReset(db.Model):
    """A one-time link to set a new password. Only the token's hash is stored."""

    __tablename__ = "password_reset"

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    account: Mapped[Account] = relationship()


class SignInAttempt(db.Model):
    """Failed sign-ins, for the rate limit. Not on the audit record: it changes no membership state."""

    __tablename__ = "sign_in_attempt"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    ip: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[created_at]
