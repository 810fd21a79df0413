"""Funded projects for tests, made through the services (so they are on the record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from govern.budgeting import services as budgeting
from govern.budgeting.models import Phase
from govern.finance import services
from govern.finance.models import MoneyKind, Project
from tests.budgeting.factories import make_proposal, make_round, move_to


def make_projects(board: Any, tiers: dict[str, Any], initiative: Any, *, titles: tuple[str, ...] = ("Moestuin op het plein",),
                  funded: int | None = None, **round_overrides: Any) -> list[Project]:
    """A round with one proposal per title by ``initiative``, all reviewed eligible; the first ``funded`` are funded.

    The round is moved to results as the closing vote does (from_vote=True) and the results are
    recorded, which makes a project of every funded proposal; then it enters implementation.
    """
    round_ = make_round(board, tiers, **round_overrides)
    proposals = [
        make_proposal(round_, initiative, title=title, neighbourhood=("spangen", "bospolder")[i % 2],
                      category=("green", "play", "food")[i % 3])
        for i, title in enumerate(titles)
    ]
    for proposal in proposals:
        budgeting.review(proposal, by=board, eligible=True, reason="Haalbaar")
    move_to(round_, board, Phase.VOTING)
    budgeting.advance_phase(round_, by=board, to=Phase.RESULTS, from_vote=True)
    count = len(proposals) if funded is None else funded
    budgeting.record_results(round_, by=board, funded_ids=[p.id for p in proposals[:count]])
    budgeting.advance_phase(round_, by=board, to=Phase.IMPLEMENTATION)
    from govern.extensions import db
    import sqlalchemy as sa

    return list(db.session.scalars(sa.select(Project).where(Project.round_id == round_.id).order_by(Project.id)))


def make_project(board: Any, tiers: dict[str, Any], initiative: Any, **kwargs: Any) -> Project:
    return make_projects(board, tiers, initiative, **kwargs)[0]


def spend(project: Project, by: Any, amount_cents: int, *, kind: MoneyKind = MoneyKind.EXPENDITURE,
          booked_on: dt.date | None = None, payee: str = "Bouwmarkt Delfshaven BV", description: str = "Hout voor de bakken",
          commitment_id: int | None = None, line_id: int | None = None, **kwargs: Any) -> Any:
    values = services.MoneyInput(kind, booked_on or dt.date(2026, 5, 4), amount_cents, payee, description,
                                 "F-2026-001", line_id, commitment_id)
    return services.record_money(project, values, by=by, **kwargs)
