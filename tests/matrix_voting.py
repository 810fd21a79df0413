"""Access rows for the vote pages and the ballot (govern/voting/views.py).

``{vote}`` is an open motion for the "lid" tier: its electorate (frozen at opening) is every
active member in "lid" (lid, board, moderator, auditor, teller); pending and suspended members
and the other tiers are not on it. ``{draft_vote}`` is a draft motion with no planned time
(only the board sees it; its page answers 404 to others, see tests/voting/test_views.py). The ballot row posts an empty review step: a voter gets the
"you have not chosen anything" form back (422), nothing is written.
"""

from __future__ import annotations

from typing import Any

ELECTORATE = {"lid", "board", "moderator", "auditor", "teller"}


def public(_: str) -> int:
    return 200


def signed_in(p: str) -> int:
    return 302 if p == "anonymous" else 200


def board_only(p: str) -> int:
    return {"anonymous": 302, "board": 200}.get(p, 403)


def ballot(p: str) -> int:
    if p == "anonymous":
        return 302
    return 422 if p in ELECTORATE else 403


ROWS: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "voting.votes": ("GET", "/votes", public, None),
    "voting.vote": ("GET", "/votes/{vote}", public, None),
    "voting.new_vote": ("GET", "/votes/new", board_only, None),
    "voting.edit_vote": ("GET", "/votes/{draft_vote}/edit", board_only, None),
    "voting.open_vote": ("GET", "/votes/{draft_vote}/open", board_only, None),
    "voting.close_vote": ("GET", "/votes/{vote}/close", board_only, None),
    "voting.ballot": ("POST", "/votes/{vote}/ballot", ballot, {"step": "review"}),
    "voting.done": ("GET", "/votes/{vote}/done", signed_in, None),
}

def setup(people: dict[str, Any]) -> dict[str, Any]:
    from govern.voting import services
    from govern.voting.models import VoteKind

    board = people["accounts"]["board"]
    lid = {people["tier"].id: 1}
    vote = services.create_vote(by=board, kind=VoteKind.MOTION, title="Motie: meer bankjes", tier_weights=lid)
    services.open_vote(vote, by=board)
    draft = services.create_vote(by=board, kind=VoteKind.MOTION, title="Concept: nieuwe statuten", tier_weights=lid)
    return {"vote": vote.id, "draft_vote": draft.id}
