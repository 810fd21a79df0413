"""Demo data: a Delfshaven-like cooperative, built through the services so it is on the record."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .membership import services
from .membership.models import Account, Member, MemberStatus, Role, Tier

#: Every demo account signs in with this password (shown in README.md).
DEMO_PASSWORD = "welkom-in-delfshaven"

TIERS = [
    # slug, nl, en, propose, deliberate, vote_budget, vote_assembly, weight, quorum, position
    ("lid", "Lid", "Member", True, True, True, True, 1, True, 1),
    ("deelnemer", "Deelnemer", "Participant", True, True, True, False, 0, False, 2),
    ("bewoner", "Bewoner", "Resident", False, True, True, False, 0, False, 3),
    ("vriend", "Vriend", "Friend", False, True, False, False, 0, False, 4),
]

INITIATIVES = [
    ("Huis van de Wijk Bospolder", "bospolder", "Een open huiskamer voor de buurt, met koffie, taal en hulp bij post."),
    ("Voedseltuin Spangen", "spangen", "We kweken groente met buurtbewoners en delen de oogst."),
    ("Taalcafé Tussendijken", "tussendijken", "Elke week samen Nederlands oefenen, in een gezellige sfeer."),
    ("Repair Café Nieuwe Westen", "nieuwe-westen", "Kapotte spullen samen repareren in plaats van weggooien."),
    ("Speeltuinvereniging Het Witte Dorp", "witte-dorp", "Een veilige speeltuin, gerund door vrijwilligers uit de wijk."),
    ("Moeders van Middelland", "middelland", "Moeders helpen elkaar: opvoeding, geld, werk en gezondheid."),
    ("Buurtkeuken Oud-Mathenesse", "oud-mathenesse", "Samen koken en eten voor een kleine prijs."),
    ("Schiemond Sport & Spel", "schiemond", "Sport voor kinderen en ouderen op het plein."),
    ("Erfgoedhuis Historisch Delfshaven", "historisch-delfshaven", "Verhalen en geschiedenis van Delfshaven, door bewoners."),
    ("Jongerenpodium Delfshaven", "bospolder", "Jongeren maken muziek en theater en leren organiseren."),
    ("Groen Tussendijken", "tussendijken", "Geveltuinen en boomspiegels, samen met de buren."),
    ("Klusbus Spangen", "spangen", "Kleine klussen in huis voor ouderen en mensen met weinig geld."),
]

RESIDENTS = [
    ("Samira Benali", "bospolder", "bewoner"),
    ("Kees de Vries", "spangen", "bewoner"),
    ("Ayşe Yılmaz", "middelland", "deelnemer"),
    ("Ricardo Martina", "nieuwe-westen", "bewoner"),
    ("Thijs Bakker", "schiemond", "vriend"),
    ("Fatima El Idrissi", "oud-mathenesse", "deelnemer"),
]

PENDING = [
    ("Naaiatelier Delfshaven", "organisation", "historisch-delfshaven", "lid", "aanvraag.naaiatelier@demo.govern.nl"),
    ("Mohamed Ouali", "person", "tussendijken", "bewoner", "aanvraag.mohamed@demo.govern.nl"),
    ("Stichting Buurtbuik", "organisation", "witte-dorp", "deelnemer", "aanvraag.buurtbuik@demo.govern.nl"),
]

#: Named accounts that README.md lists: e-mail, display name, member index in INITIATIVES (or None), roles.
PEOPLE = [
    ("bestuur@demo.govern.nl", "Anouk Verhoeven (bestuur)", 0, [Role.BOARD]),
    ("kascommissie@demo.govern.nl", "Hasan Demir (kascommissie)", 5, [Role.AUDITOR]),
    ("moderator@demo.govern.nl", "Lotte Jansen (moderator)", 2, [Role.MODERATOR]),
    ("teller@demo.govern.nl", "Winston Doelwijt (teller)", 7, [Role.TELLER]),
]


def _slugify(name: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "." for c in name)
    return ".".join(p for p in keep.split(".") if p)[:40]


def load_demo(*, only_if_empty: bool = False) -> int:
    """Create what is missing; return how many members, tiers and roles were added."""
    base = current_app.config["GOVERN_BASE_URL"]
    with current_app.test_request_context("/", base_url=base):
        if only_if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(Member)):
            return 0
        return _load()


def _account(email: str) -> Account | None:
    return db.session.scalar(sa.select(Account).where(Account.email == email))


def _load() -> int:
    created = 0
    tiers: dict[str, Tier] = {}
    for slug, nl, en, propose, deliberate, vote_budget, vote_assembly, weight, quorum, position in TIERS:
        tier = db.session.scalar(sa.select(Tier).where(Tier.slug == slug))
        if tier is None:
            tier = services.create_tier(
                by=None,
                slug=slug,
                name_nl=nl,
                name_en=en,
                can_propose=propose,
                can_deliberate=deliberate,
                can_vote_budget=vote_budget,
                can_vote_assembly=vote_assembly,
                vote_weight=weight,
                counts_for_quorum=quorum,
                position=position,
            )
            created += 1
        tiers[slug] = tier

    def ensure(email: str, name: str, neighbourhood: str, kind: str, tier: str, description: str = "") -> Account:
        nonlocal created
        account = _account(email)
        if account is None:
            account = services.apply(
                name=name,
                email=email,
                password=DEMO_PASSWORD,
                neighbourhood=neighbourhood,
                kind=kind,
                tier_id=tiers[tier].id,
                description=description,
            )
            created += 1
        return account

    board = None
    initiative_accounts = []
    for i, (name, neighbourhood, description) in enumerate(INITIATIVES):
        email = f"{_slugify(name)}@demo.govern.nl"
        account = ensure(email, name, neighbourhood, "organisation", "lid", description)
        initiative_accounts.append(account)
    # The board's own account is a delegate of the first initiative; it approves the rest.
    for email, display, index, roles in PEOPLE:
        member = initiative_accounts[index].member
        account = _account(email)
        if account is None:
            account = services.add_delegate(member, by=None, email=email, display_name=display, password=DEMO_PASSWORD)
            created += 1
        for role in roles:
            if role not in account.roles:
                services.grant_role(account, role, by=board or None)  # type: ignore[arg-type]
                created += 1
        if Role.BOARD in roles:
            board = account
    assert board is not None
    for account in initiative_accounts:
        if account.member.status == MemberStatus.PENDING:
            services.approve(account.member, by=board)
    for name, neighbourhood, tier in RESIDENTS:
        email = f"{_slugify(name)}@demo.govern.nl"
        account = ensure(email, name, neighbourhood, "person", tier)
        if account.member.status == MemberStatus.PENDING:
            services.approve(account.member, by=board)
    # The plain resident account README.md names.
    account = ensure("bewoner@demo.govern.nl", "Noor Hendriks", "bospolder", "person", "bewoner")
    if account.member.status == MemberStatus.PENDING:
        services.approve(account.member, by=board)
    for name, kind, neighbourhood, tier, email in PENDING:
        ensure(email, name, neighbourhood, kind, tier)
    from .budgeting.demo import load_round
    from .voting.demo import load_closed_motion, load_finished_round, load_open_motion

    created += load_finished_round(board)
    created += load_round(board)
    created += load_closed_motion(board)
    created += load_open_motion(board)
    from .assemblies.demo import load as load_assembly

    created += load_assembly(board) or 0
    return created


def demo_accounts() -> list[dict[str, Any]]:
    return [{"email": e, "roles": [r.value for r in roles]} for e, _, _, roles in PEOPLE]
