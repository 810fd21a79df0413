"""Votes for tests, made through the services (so they are on the record)."""

from __future__ import annotations

from typing import Any

from govern.voting import services
from govern.voting.models import VoteItem, VoteKind


def make_motion(board: Any, tiers: dict[str, Any], *, open_: bool = True, **overrides: Any) -> VoteItem:
    values: dict[str, Any] = dict(
        kind=VoteKind.MOTION,
        title="Het huishoudelijk reglement wordt aangepast",
        description="Artikel 4 krijgt een nieuwe tekst.",
        tier_weights={tiers["lid"].id: 1},
    )
    values.update(overrides)
    vote = services.create_vote(by=board, **values)
    if open_:
        services.open_vote(vote, by=board)
    return vote


def make_election(board: Any, tiers: dict[str, Any], *, seats: int = 1, open_: bool = True, **overrides: Any) -> VoteItem:
    values: dict[str, Any] = dict(
        kind=VoteKind.ELECTION,
        title="Verkiezing bestuur",
        seats=seats,
        candidates=[("Anouk", "Penningmeester"), ("Bilal", "Secretaris"), ("Chantal", ""), ("Daan", "")],
        tier_weights={tiers["lid"].id: 1},
    )
    values.update(overrides)
    vote = services.create_vote(by=board, **values)
    if open_:
        services.open_vote(vote, by=board)
    return vote
