"""Rounds and proposals for tests, made through the services (so they are on the record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from govern.budgeting import services
from govern.budgeting.models import BudgetRound, Phase, Proposal

BUDGET = 5_000_000  # € 50.000,00


def make_round(board: Any, tiers: dict[str, Any], *, phase: Phase = Phase.SUBMISSION, **overrides: Any) -> BudgetRound:
    values: dict[str, Any] = dict(
        title="Wijkbudget Testwijk",
        description="Geld voor **de buurt**.",
        budget_cents=BUDGET,
        neighbourhoods=["bospolder", "spangen"],
        submission_opens=dt.date(2027, 1, 10),
        review_opens=dt.date(2027, 2, 10),
        deliberation_opens=dt.date(2027, 3, 1),
        voting_opens=dt.date(2027, 4, 1),
        results_on=dt.date(2027, 4, 20),
        implementation_starts=dt.date(2027, 5, 1),
        ranks=5,
        counting_rule="mes",
        support_enabled=False,
        support_threshold=0,
        proposer_tier_ids=[tiers["lid"].id, tiers["deelnemer"].id],
        voter_tier_ids=[tiers["lid"].id, tiers["deelnemer"].id, tiers["bewoner"].id],
    )
    values.update(overrides)
    round_ = services.create_round(by=board, **values)
    move_to(round_, board, phase)
    return round_


def move_to(round_: BudgetRound, board: Any, phase: Phase) -> None:
    while round_.phase != phase and round_.phase.before(phase):
        services.advance_phase(round_, by=board, to=round_.phase.next)


def proposal_input(**overrides: Any) -> services.ProposalInput:
    values: dict[str, Any] = dict(
        title="Moestuin op het plein",
        summary="Een moestuin voor kinderen en ouderen uit Spangen.",
        description="We bouwen **tien bakken** en zaaien samen.\n\n- aarde\n- zaden",
        neighbourhood="spangen",
        category="green",
        lines=[("Houten bakken", 120_000), ("Aarde en zaden", 30_050)],
    )
    values.update(overrides)
    return services.ProposalInput(**values)


def make_proposal(round_: BudgetRound, account: Any, *, submit: bool = True, **overrides: Any) -> Proposal:
    proposal = services.create_proposal(round_, by=account, values=proposal_input(**overrides))
    if submit:
        services.submit(proposal, by=account)
    return proposal
