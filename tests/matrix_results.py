"""Access rows for the results of closed votes (govern/voting/results_views.py).

Results, the published box, receipt checks and downloads are public once a vote is
closed: anyone, signed in or not, may check the count. ``{closed_vote}`` is a closed
one-seat election; a .pb file exists only for budget votes, so it answers 404 there
(budget downloads are tested in tests/voting/test_results.py).
"""

from __future__ import annotations

from typing import Any


def public(_: str) -> int:
    return 200


def not_found(_: str) -> int:
    return 404


ROWS: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "results.results": ("GET", "/votes/{closed_vote}/results", public, None),
    "results.box": ("GET", "/votes/{closed_vote}/box", public, None),
    "results.receipt": ("GET", "/votes/{closed_vote}/receipt", public, None),
    "results.box_json": ("GET", "/votes/{closed_vote}/box.json", public, None),
    "results.box_csv": ("GET", "/votes/{closed_vote}/box.csv", public, None),
    "results.count_json": ("GET", "/votes/{closed_vote}/count.json", public, None),
    "results.outcome_json": ("GET", "/votes/{closed_vote}/outcome.json", public, None),
    "results.blt": ("GET", "/votes/{closed_vote}/ballots.blt", public, None),
    "results.pb": ("GET", "/votes/{closed_vote}/ballots.pb", not_found, None),
    "results.results_csv": ("GET", "/votes/{closed_vote}/results.csv", public, None),
}


def setup(people: dict[str, Any]) -> dict[str, Any]:
    from govern.voting import services
    from govern.voting.models import VoteKind

    board = people["accounts"]["board"]
    vote = services.create_vote(
        by=board, kind=VoteKind.ELECTION, title="Verkiezing voorzitter",
        candidates=[("Anouk", ""), ("Bilal", ""), ("Chantal", "")], tier_weights={people["tier"].id: 1},
    )
    services.open_vote(vote, by=board)
    for name, ranking in (("lid", ["c1", "c2"]), ("board", ["c2"]), ("auditor", ["c1"])):
        voter = people["accounts"][name]
        services.cast_ballot(vote, by=voter, member_id=voter.member_id, ranking=ranking)
    services.close_vote(vote, by=board)
    return {"closed_vote": vote.id}
