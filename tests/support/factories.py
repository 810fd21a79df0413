"""Factories for tiers, members and accounts (rows made directly, for speed)."""

from __future__ import annotations

import itertools
from typing import Any

from govern.extensions import db
from govern.membership.models import Account, Member, MemberKind, MemberStatus, RoleGrant, Tier
from govern.security import hash_password, new_session_token

PASSWORD = "een-goed-wachtwoord-42"
_counter = itertools.count(1)

DEMO_TIERS = {
    # slug: (nl, en, propose, deliberate, vote_budget, vote_assembly, weight, quorum)
    "lid": ("Lid", "Member", True, True, True, True, 1, True),
    "deelnemer": ("Deelnemer", "Participant", True, True, True, False, 0, False),
    "bewoner": ("Bewoner", "Resident", False, True, True, False, 0, False),
    "vriend": ("Vriend", "Friend", False, True, False, False, 0, False),
}


def make_tiers() -> dict[str, Tier]:
    tiers = {}
    for position, (slug, (nl, en, p, d, vb, va, w, q)) in enumerate(DEMO_TIERS.items()):
        tier = Tier(
            slug=slug,
            name_nl=nl,
            name_en=en,
            can_propose=p,
            can_deliberate=d,
            can_vote_budget=vb,
            can_vote_assembly=va,
            vote_weight=w,
            counts_for_quorum=q,
            position=position,
        )
        db.session.add(tier)
        tiers[slug] = tier
    db.session.commit()
    return tiers


_password_hash: dict[str, str] = {}


def make_account(
    tiers: dict[str, Tier],
    *,
    tier: str = "lid",
    status: MemberStatus = MemberStatus.ACTIVE,
    kind: MemberKind = MemberKind.PERSON,
    roles: list[Any] = (),  # type: ignore[assignment]
    email: str | None = None,
    name: str | None = None,
    member: Member | None = None,
    language: str = "nl",
) -> Account:
    n = next(_counter)
    if PASSWORD not in _password_hash:
        _password_hash[PASSWORD] = hash_password(PASSWORD)
    if member is None:
        member = Member(
            kind=kind, name=name or f"Lid {n}", neighbourhood="bospolder", tier=tiers[tier], status=status
        )
    account = Account(
        member=member,
        email=email or f"lid{n}@example.org",
        display_name=name or f"Lid {n}",
        password_hash=_password_hash[PASSWORD],
        session_token=new_session_token(),
        language=language,
    )
    for role in roles:
        account.role_grants.append(RoleGrant(role=role))
    db.session.add(account)
    db.session.commit()
    return account
