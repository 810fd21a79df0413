"""Demo: last year's budget round, voted on and counted, and a motion of the assembly, closed.

Everything goes through the services, so the demo's record verifies like a real one.
"""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa

from ..budgeting import services as budgeting
from ..budgeting.models import BudgetRound, Phase
from ..extensions import db
from ..membership.models import Account, Member, MemberStatus, Tier
from . import services
from .models import VoteItem, VoteKind

TITLE = "Wijkbudget Delfshaven 2026"

DESCRIPTION = """Het wijkbudget van 2026 is verdeeld. Hieronder staat welke plannen geld kregen,
hoeveel stemmen ze hadden en waarom andere plannen geen geld kregen.

Er is geteld met **gelijke delen** (Method of Equal Shares): iedere stemmer had
een even groot deel van het budget om mee te betalen aan de plannen die hij of zij koos."""

#: (initiative index, title, summary, neighbourhood, category, lines)
PROPOSALS: list[tuple[int, str, str, str, str, list[tuple[str, int]]]] = [
    (0, "Huiswerkklas in de Buurtkamer", "Drie middagen per week hulp bij huiswerk voor kinderen van 8 tot 14 jaar.",
     "bospolder", "language", [("Begeleiders (40 weken)", 1_600_000), ("Boeken en schriften", 150_000)]),
    (1, "Groene binnentuin Tussendijken", "Van een kale binnenplaats een groene tuin maken, samen met de buren.",
     "tussendijken", "green", [("Planten en bomen", 900_000), ("Tegels eruit, aarde erin", 600_000)]),
    (2, "Kookcafé voor ouderen", "Elke dinsdag samen koken en eten, voor ouderen die vaak alleen zijn.",
     "spangen", "food", [("Boodschappen (50 weken)", 750_000), ("Vrijwilligersvergoeding", 250_000)]),
    (3, "Voetbalkooi opknappen", "De voetbalkooi aan de Mathenesserweg krijgt nieuwe netten en verlichting.",
     "oud-mathenesse", "sport", [("Netten en doelen", 800_000), ("Ledlampen", 1_400_000)]),
    (4, "Taalcafé op zaterdag", "Nederlands oefenen in een gezellige sfeer, met koffie en vrijwilligers.",
     "middelland", "language", [("Ruimte en koffie", 300_000), ("Lesmateriaal", 120_000)]),
    (5, "Buurtconcerten in het park", "Vier zondagmiddagconcerten in het Park 1943, met muzikanten uit de wijk.",
     "nieuwe-westen", "culture", [("Podium en geluid", 900_000), ("Muzikanten", 800_000)]),
    (6, "Speelstraat-kist", "Een kist met buitenspeelgoed die bewoners per straat kunnen lenen.",
     "schiemond", "play", [("Speelgoed en kisten", 350_000)]),
    (7, "Veilig naar school", "Klaar-overs en borden bij twee drukke oversteekplaatsen.",
     "witte-dorp", "safety", [("Borden en hesjes", 200_000), ("Training vrijwilligers", 150_000)]),
]

MOTION_TITLE = "Jaarverslag 2025 goedkeuren"


def _initiative(index: int) -> Account | None:
    from ..demo import INITIATIVES, _slugify

    email = f"{_slugify(INITIATIVES[index][0])}@demo.govern.nl"
    return db.session.scalar(sa.select(Account).where(Account.email == email))


def _voter_accounts() -> list[Account]:
    """One account per active member (the first), so each member casts once."""
    accounts = db.session.scalars(
        sa.select(Account).join(Member).where(Member.status == MemberStatus.ACTIVE).order_by(Account.id)
    )
    seen: set[int] = set()
    result = []
    for account in accounts:
        if account.member_id not in seen:
            seen.add(account.member_id)
            result.append(account)
    return result


def load_finished_round(board: Account) -> int:
    """Last year's round: proposals, a vote by every demo voter, the count, and implementation started."""
    if db.session.scalar(sa.select(BudgetRound.id).where(BudgetRound.title == TITLE)) is not None:
        return 0
    tiers = {t.slug: t for t in db.session.scalars(sa.select(Tier))}
    round_ = budgeting.create_round(
        by=board, title=TITLE, description=DESCRIPTION, budget_cents=6_000_000,
        neighbourhoods=sorted({p[3] for p in PROPOSALS}),
        submission_opens=None, review_opens=None, deliberation_opens=None, voting_opens=None,
        results_on=None, implementation_starts=None, ranks=4, counting_rule="mes",
        support_enabled=False, support_threshold=0,
        proposer_tier_ids=[tiers[s].id for s in ("lid", "deelnemer") if s in tiers],
        voter_tier_ids=[tiers[s].id for s in ("lid", "deelnemer", "bewoner") if s in tiers],
    )
    budgeting.advance_phase(round_, by=board, to=Phase.SUBMISSION)
    proposals = []
    for index, title, summary, hood, category, lines in PROPOSALS:
        author = _initiative(index)
        if author is None:
            continue
        proposal = budgeting.create_proposal(
            round_, by=author,
            values=budgeting.ProposalInput(title, summary, summary, hood, category, list(lines)),
        )
        budgeting.submit(proposal, by=author)
        proposals.append(proposal)
    budgeting.advance_phase(round_, by=board, to=Phase.REVIEW)
    from ..budgeting.demo import _reviewer

    moderator = db.session.scalar(sa.select(Account).where(Account.email == "moderator@demo.govern.nl"))
    for proposal in proposals:
        budgeting.review(proposal, by=_reviewer(proposal, board, moderator), eligible=True, reason="Past binnen de regels van het wijkbudget.")
    budgeting.advance_phase(round_, by=board, to=Phase.DELIBERATION)
    budgeting.advance_phase(round_, by=board, to=Phase.VOTING)
    vote = services.budget_vote(round_)
    assert vote is not None
    rng = random.Random(2026)
    # Some plans are more popular than others: weights for a voter's first choices.
    popularity = [9, 6, 7, 3, 8, 2, 6, 5]
    keys = [o.key for o in vote.options]
    cast = 0
    for account in _voter_accounts():
        voter = next((v for v in services.voters_for(vote, account) if not v.via_proxy), None)
        if voter is None or not voter.can_vote:
            continue
        excluded = services.excluded_options(vote, account.member_id)
        choices = [k for k in keys if k not in excluded]
        weights = [popularity[keys.index(k) % len(popularity)] for k in choices]
        ranking: list[str] = []
        for _ in range(min(rng.randint(2, 4), len(choices))):
            pick = rng.choices(choices, weights)[0]
            i = choices.index(pick)
            ranking.append(choices.pop(i))
            weights.pop(i)
        services.cast_ballot(vote, by=account, member_id=account.member_id, ranking=ranking)
        cast += 1
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS)  # closes and counts the vote
    budgeting.advance_phase(round_, by=board, to=Phase.IMPLEMENTATION)
    from ..finance.demo import load as load_spending

    spending = load_spending(board, round_.id)
    return 1 + len(proposals) + cast + spending


def load_closed_motion(board: Account) -> int:
    """A motion of the members, voted online and closed."""
    if db.session.scalar(sa.select(VoteItem.id).where(VoteItem.title == MOTION_TITLE)) is not None:
        return 0
    vote = services.create_vote(
        by=board, kind=VoteKind.MOTION, title=MOTION_TITLE,
        description="Het bestuur legt het jaarverslag 2025 voor. Stem je voor, dan keur je het goed.",
    )
    services.open_vote(vote, by=board)
    rng = random.Random(2025)
    cast = 0
    for account in _voter_accounts():
        voter = next((v for v in services.voters_for(vote, account) if not v.via_proxy), None)
        if voter is None or not voter.can_vote:
            continue
        choice: Any = rng.choices(["yes", "no", "abstain"], [7, 2, 1])[0]
        services.cast_ballot(vote, by=account, member_id=account.member_id, ranking=[choice])
        cast += 1
    services.close_vote(vote, by=board)
    return 1 + cast


OPEN_TITLE = "Een vast spreekuur van de kascommissie"


def load_open_motion(board: Account) -> int:
    """An open motion, so that a visitor of the demo can vote (it closes in four weeks)."""
    import datetime as dt

    from ..db import utcnow

    if db.session.scalar(sa.select(VoteItem.id).where(VoteItem.title == OPEN_TITLE)) is not None:
        return 0
    vote = services.create_vote(
        by=board, kind=VoteKind.MOTION, title=OPEN_TITLE,
        description=(
            "De kascommissie houdt elke eerste maandag van de maand een spreekuur in de Buurtkamer. "
            "Daar kan iedereen vragen stellen over waar het geld naartoe gaat. Stem je voor, dan beginnen we in januari."
        ),
        closes_at=utcnow() + dt.timedelta(days=28),
    )
    services.open_vote(vote, by=board)
    return 1
