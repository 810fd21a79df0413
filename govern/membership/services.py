"""Membership operations. Each validates, changes state, appends its audit entry and commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import mail
from ..audit import record
from ..db import utcnow
from ..extensions import db
from ..security import check_password_or_dummy, hash_password, new_session_token, new_token, token_hash
from ..services import ServiceError, after_commit, unit_of_work
from .models import (
    NEIGHBOURHOODS,
    Account,
    Member,
    MemberKind,
    MemberStatus,
    PasswordReset,
    Role,
    RoleGrant,
    SignInAttempt,
    Tier,
)


def _subject(member: Member) -> str:
    return f"member:{member.id}"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, email: str = "") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ServiceError(_l("Choose a password of at least %(n)s characters.", n=minimum), "password")
    if len(set(password)) < 4:
        raise ServiceError(_l("This password is too easy to guess. Use more different characters."), "password")
    local = normalize_email(email).split("@", 1)[0]
    if local and len(local) >= 4 and local in password.lower():
        raise ServiceError(_l("Your password must not contain your e-mail address."), "password")


def _email_taken(email: str) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).where(Account.email == email)) > 0


def _tier(tier_id: int | None, *, for_application: bool = False) -> Tier:
    tier = db.session.get(Tier, tier_id) if isinstance(tier_id, int) else None
    if tier is None or (for_application and not tier.open_for_applications):
        raise ServiceError(_l("Choose one of the participation levels in the list."), "tier")
    return tier


# --- applying and deciding ---------------------------------------------------------------


@unit_of_work
def apply(
    *,
    name: str,
    email: str,
    password: str,
    neighbourhood: str,
    kind: str,
    tier_id: int,
    language: str = "nl",
    description: str = "",
) -> Account:
    """Someone asks to join: a pending member with its first account."""
    email = normalize_email(email)
    if kind not in {k.value for k in MemberKind}:
        raise ServiceError(_l("Choose whether you join as a person or as an organisation."), "kind")
    if neighbourhood not in NEIGHBOURHOODS:
        raise ServiceError(_l("Choose your neighbourhood from the list."), "neighbourhood")
    tier = _tier(tier_id, for_application=True)
    check_password_strength(password, email)
    if _email_taken(email):
        raise ServiceError(_l("There is already an account with this e-mail address. Sign in, or ask for a new password."), "email")
    member = Member(
        kind=MemberKind(kind), name=name.strip(), neighbourhood=neighbourhood, tier=tier, description=description.strip()
    )
    account = Account(
        member=member,
        email=email,
        display_name=name.strip(),
        password_hash=hash_password(password),
        language=language if language in current_app.config["LANGUAGES"] else "nl",
        session_token=new_session_token(),
    )
    db.session.add_all([member, account])
    db.session.flush()
    record(
        "member.applied",
        actor=account,
        subject=_subject(member),
        data={"kind": member.kind.value, "neighbourhood": neighbourhood, "tier": tier.id, "account": account.id},
    )
    return account


def _decide(member: Member, *, expect: set[MemberStatus]) -> None:
    if member.status not in expect:
        raise ServiceError(_l("This is no longer possible: the member's status has changed in the meantime."))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Give a reason. It is shown to the member and kept on the record."), "reason")
    return reason


@unit_of_work
def approve(member: Member, *, by: Account, tier_id: int | None = None) -> None:
    _decide(member, expect={MemberStatus.PENDING})
    if tier_id is not None:
        member.tier = _tier(tier_id)
    member.status = MemberStatus.ACTIVE
    member.decided_at = utcnow()
    member.status_reason = ""
    record("member.approved", actor=by, subject=_subject(member), data={"tier": member.tier.id})
    _notify(member, "membership/mail/approved.txt", _l("Welcome to the cooperative"))


@unit_of_work
def reject(member: Member, *, by: Account, reason: str) -> None:
    _decide(member, expect={MemberStatus.PENDING})
    member.status = MemberStatus.REJECTED
    member.decided_at = utcnow()
    member.status_reason = _reason(reason)
    record("member.rejected", actor=by, subject=_subject(member), data={"reason": member.status_reason})
    _notify(member, "membership/mail/rejected.txt", _l("Your application"))


@unit_of_work
def change_tier(member: Member, *, by: Account, tier_id: int, reason: str) -> None:
    _decide(member, expect={MemberStatus.ACTIVE, MemberStatus.SUSPENDED})
    tier = _tier(tier_id)
    if tier.id == member.tier_id:
        raise ServiceError(_l("The member is already at this level."), "tier")
    old = member.tier_id
    member.tier = tier
    record(
        "member.tier_changed",
        actor=by,
        subject=_subject(member),
        data={"from": old, "to": tier.id, "reason": _reason(reason)},
    )


@unit_of_work
def suspend(member: Member, *, by: Account, reason: str) -> None:
    _decide(member, expect={MemberStatus.ACTIVE})
    member.status = MemberStatus.SUSPENDED
    member.status_reason = _reason(reason)
    record("member.suspended", actor=by, subject=_subject(member), data={"reason": member.status_reason})


@unit_of_work
def reinstate(member: Member, *, by: Account, reason: str) -> None:
    _decide(member, expect={MemberStatus.SUSPENDED})
    member.status = MemberStatus.ACTIVE
    member.status_reason = ""
    record("member.reinstated", actor=by, subject=_subject(member), data={"reason": _reason(reason)})


@unit_of_work
def end(member: Member, *, by: Account, reason: str) -> None:
    _decide(member, expect={MemberStatus.ACTIVE, MemberStatus.SUSPENDED})
    member.status = MemberStatus.ENDED
    member.status_reason = _reason(reason)
    record("member.ended", actor=by, subject=_subject(member), data={"reason": member.status_reason})


@unit_of_work
def update_profile(member: Member, *, by: Account, description: str, neighbourhood: str, listed: bool) -> None:
    if neighbourhood not in NEIGHBOURHOODS:
        raise ServiceError(_l("Choose your neighbourhood from the list."), "neighbourhood")
    changed = {}
    if description.strip() != member.description:
        member.description = description.strip()
        changed["description"] = True
    if neighbourhood != member.neighbourhood:
        member.neighbourhood = neighbourhood
        changed["neighbourhood"] = neighbourhood
    if listed != member.listed:
        member.listed = listed
        changed["listed"] = listed
    if changed:
        record("member.profile_updated", actor=by, subject=_subject(member), data=changed)


def _notify(member: Member, template: str, subject: Any) -> None:
    for account in member.accounts:
        if account.disabled:
            continue
        with force_locale(account.language):
            text = render_template(template, member=member, account=account, home=url_for("main.home", _external=True))
            title = str(subject)
        after_commit(lambda to=account.email, s=title, t=text: mail.send(to, s, t))


# --- delegates and roles ----------------------------------------------------------------


@unit_of_work
def add_delegate(
    member: Member, *, by: Account | None, email: str, display_name: str, password: str | None = None
) -> Account:
    """Another person who acts for an organisation member.

    They choose their password through a mailed one-time link (the demo loader passes one instead).
    """
    if member.kind != MemberKind.ORGANISATION:
        raise ServiceError(_l("Only an organisation can have more than one account."))
    email = normalize_email(email)
    if _email_taken(email):
        raise ServiceError(_l("There is already an account with this e-mail address."), "email")
    account = Account(
        member=member,
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password or new_session_token()),
        language=by.language if by else "nl",
        session_token=new_session_token(),
    )
    db.session.add(account)
    db.session.flush()
    record("account.added", actor=by, subject=_subject(member), data={"account": account.id})
    if password is None:
        _send_reset(account, welcome=True)
    return account


@unit_of_work
def grant_role(account: Account, role: Role, *, by: Account) -> None:
    if role in account.roles:
        raise ServiceError(_l("This person already has that role."))
    account.role_grants.append(RoleGrant(role=role))
    record("role.granted", actor=by, subject=f"account:{account.id}", data={"role": role.value})


@unit_of_work
def revoke_role(account: Account, role: Role, *, by: Account) -> None:
    grant = next((g for g in account.role_grants if g.role == role), None)
    if grant is None:
        raise ServiceError(_l("This person does not have that role."))
    if role == Role.BOARD and account.id == by.id and _board_count() <= 1:
        raise ServiceError(_l("The last board member cannot give up the board role."))
    account.role_grants.remove(grant)
    record("role.revoked", actor=by, subject=f"account:{account.id}", data={"role": role.value})


def _board_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(RoleGrant.role == Role.BOARD))


# --- tiers ------------------------------------------------------------------------------

TIER_FIELDS = (
    "name_nl",
    "name_en",
    "can_propose",
    "can_deliberate",
    "can_vote_budget",
    "can_vote_assembly",
    "vote_weight",
    "counts_for_quorum",
    "open_for_applications",
    "position",
)


def _check_tier_values(values: dict[str, Any], slug: str | None, *, current: Tier | None = None) -> None:
    if int(values.get("vote_weight", 0)) < 0:
        raise ServiceError(_l("The vote weight cannot be negative."), "vote_weight")
    if slug is not None:
        exists = db.session.scalar(sa.select(Tier).where(Tier.slug == slug))
        if exists is not None and exists is not current:
            raise ServiceError(_l("There is already a level with this short name."), "slug")


@unit_of_work
def create_tier(*, by: Account | None, slug: str, **values: Any) -> Tier:
    slug = slug.strip().lower()
    _check_tier_values(values, slug)
    tier = Tier(slug=slug, **{k: values[k] for k in TIER_FIELDS if k in values})
    db.session.add(tier)
    db.session.flush()
    record("tier.created", actor=by, subject=f"tier:{tier.id}", data=tier.snapshot())
    return tier


@unit_of_work
def update_tier(tier: Tier, *, by: Account, **values: Any) -> None:
    _check_tier_values(values, None)
    before = tier.snapshot()
    for key in TIER_FIELDS:
        if key in values:
            setattr(tier, key, values[key])
    after = tier.snapshot()
    changes = {k: after[k] for k in after if after[k] != before[k]}
    if changes:
        record("tier.updated", actor=by, subject=f"tier:{tier.id}", data=changes)


# --- account settings and passwords -----------------------------------------------------


@unit_of_work
def change_password(account: Account, *, current: str, new: str) -> None:
    if not check_password_or_dummy(account.password_hash, current):
        raise ServiceError(_l("Your current password is not correct."), "current_password")
    check_password_strength(new, account.email)
    account.password_hash = hash_password(new)
    account.session_token = new_session_token()
    record("account.password_changed", actor=account, subject=f"account:{account.id}")


@unit_of_work
def set_language(account: Account, language: str) -> None:
    if language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("This language is not available."))
    if account.language != language:
        account.language = language
        record("account.language_changed", actor=account, subject=f"account:{account.id}", data={"language": language})


def _send_reset(account: Account, *, welcome: bool = False) -> None:
    token, digest = new_token()
    hours = current_app.config["PASSWORD_RESET_HOURS"] * (24 if welcome else 1)
    db.session.add(PasswordReset(account=account, token_hash=digest, expires_at=utcnow() + dt.timedelta(hours=hours)))
    record("account.password_reset_requested", actor=account if not welcome else None, subject=f"account:{account.id}")
    link = url_for("membership.reset_password", token=token, _external=True)
    template = "membership/mail/welcome_delegate.txt" if welcome else "membership/mail/reset.txt"
    with force_locale(account.language):
        text = render_template(template, account=account, link=link, hours=hours)
        subject = str(_l("Set your password") if welcome else _l("A new password"))
    after_commit(lambda: mail.send(account.email, subject, text))


@unit_of_work
def request_password_reset(email: str) -> None:
    """Mail a one-time link. Says nothing about whether the address is known."""
    account = db.session.scalar(sa.select(Account).where(Account.email == normalize_email(email)))
    if account is None or not account.is_active:
        return
    _send_reset(account)


def find_reset(token: str) -> PasswordReset | None:
    reset = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        return None
    return reset


@unit_of_work
def reset_password(token: str, new: str) -> Account:
    reset = find_reset(token)
    if reset is None:
        raise ServiceError(_l("This link is no longer valid. Ask for a new one."))
    check_password_strength(new, reset.account.email)
    reset.used_at = utcnow()
    account = reset.account
    account.password_hash = hash_password(new)
    account.session_token = new_session_token()
    record("account.password_reset", actor=account, subject=f"account:{account.id}")
    return account


# --- signing in -------------------------------------------------------------------------


class TooManyAttempts(ServiceError):
    pass


def _recent_failures(column: Any, value: str) -> int:
    window = dt.timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    return db.session.scalar(
        sa.select(sa.func.count()).where(column == value, SignInAttempt.at > utcnow() - window)
    )


@unit_of_work
def sign_in(email: str, password: str, *, ip: str) -> Account:
    """Check the credentials, within the rate limit. Failed attempts are counted per e-mail and per IP."""
    email = normalize_email(email)
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    minutes = current_app.config["LOGIN_WINDOW_MINUTES"]
    if _recent_failures(SignInAttempt.email, email) >= limit or _recent_failures(SignInAttempt.ip, ip) >= 4 * limit:
        raise TooManyAttempts(
            _l("Too many attempts to sign in. Wait %(minutes)s minutes and try again, or ask for a new password.", minutes=minutes)
        )
    account = db.session.scalar(sa.select(Account).where(Account.email == email))
    ok = check_password_or_dummy(account.password_hash if account else None, password)
    if not ok or account is None:
        db.session.add(SignInAttempt(email=email, ip=ip))
        _prune_attempts()
        # The failure must be stored even though we refuse: commit here, then raise.
        db.session.commit()
        raise ServiceError(_l("The e-mail address or password is not correct."))
    if not account.is_active:
        raise ServiceError(_l("This account can no longer sign in. Contact the board if you think this is a mistake."))
    return account


def _prune_attempts() -> None:
    cutoff = utcnow() - dt.timedelta(days=1)
    db.session.execute(sa.delete(SignInAttempt).where(SignInAttempt.at < cutoff))
