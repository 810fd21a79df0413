"""Results pages, the published ballot box, receipt checks and downloads of closed votes.

Nothing here is shown while a vote is open: the pages say when the results come,
and the downloads answer 404. Drafts do not exist for the public (404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy.orm import undefer

from ..extensions import db
from . import results as read
from .models import VoteItem, VoteKind, VoteStatus

bp = Blueprint("results", __name__)


def _vote(vote_id: int) -> VoteItem:
    vote = db.session.get(
        VoteItem, vote_id, options=[undefer(VoteItem.outcome), undefer(VoteItem.count_document), undefer(VoteItem.comparison)]
    )
    if vote is None or vote.status == VoteStatus.DRAFT:
        abort(404)
    return vote


def _neighbourhood_name(key: str) -> str:
    from ..membership.forms import neighbourhood_choices

    return dict(neighbourhood_choices()).get(key, key)


def _not_yet(vote: VoteItem) -> tuple[str, int]:
    """The page shown instead of results while the vote is open: when they come, and no counts."""
    return render_template("voting/results_pending.html", vote=vote), 200


def _closed_vote(vote_id: int) -> VoteItem:
    """For downloads: only a closed, counted vote has any."""
    vote = _vote(vote_id)
    if not read.published(vote):
        abort(404)
    return vote


def _download(data: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-cache"},
    )


@bp.get("/votes/<int:vote_id>/results")
def results(vote_id: int) -> Any:
    vote = _vote(vote_id)
    if not read.published(vote):
        return _not_yet(vote)
    res = read.results(vote, _neighbourhood_name)
    return render_template("voting/results.html", vote=vote, res=res, VoteKind=VoteKind)


@bp.get("/votes/<int:vote_id>/box")
def box(vote_id: int) -> Any:
    vote = _vote(vote_id)
    if not read.published(vote):
        return _not_yet(vote)
    page = db.paginate(read.box_query(vote), page=request.args.get("page", 1, type=int), per_page=read.BOX_PAGE,
                       error_out=False)
    rows = read.box_rows(vote, page.items)
    return render_template("voting/box.html", vote=vote, page=page, rows=rows, first=(page.page - 1) * read.BOX_PAGE)


@bp.get("/votes/<int:vote_id>/receipt")
def receipt(vote_id: int) -> Any:
    vote = _vote(vote_id)
    if not read.published(vote):
        return _not_yet(vote)
    typed = request.args.get("tracker", "")
    tracker = read.normalize_tracker(typed)
    check = read.receipt_check(vote, tracker) if tracker else None
    status = 200
    if typed.strip() and check is None:
        status = 404
    return render_template("voting/receipt.html", vote=vote, typed=typed, tracker=tracker, check=check), status


# --- downloads ----------------------------------------------------------------------------


@bp.get("/votes/<int:vote_id>/box.json")
def box_json(vote_id: int) -> Response:
    vote = _closed_vote(vote_id)
    return _download(read.box_document(vote), "application/json", f"vote-{vote.id}-box.json")


@bp.get("/votes/<int:vote_id>/box.csv")
def box_csv(vote_id: int) -> Response:
    vote = _closed_vote(vote_id)
    return _download(read.box_csv(vote), "text/csv", f"vote-{vote.id}-box.csv")


@bp.get("/votes/<int:vote_id>/count.json")
def count_json(vote_id: int) -> Response:
    vote = _closed_vote(vote_id)
    return _download(bytes(vote.count_document or b""), "application/json", f"vote-{vote.id}-count.json")


@bp.get("/votes/<int:vote_id>/outcome.json")
def outcome_json(vote_id: int) -> Response:
    vote = _closed_vote(vote_id)
    return _download(bytes(vote.outcome or b""), "application/json", f"vote-{vote.id}-outcome.json")


@bp.get("/votes/<int:vote_id>/ballots.blt")
def blt(vote_id: int) -> Response:
    vote = _closed_vote(vote_id)
    if vote.kind == VoteKind.MOTION:
        abort(404)
    return _download(read.blt(vote), "text/plain", f"vote-{vote.id}.blt")


@bp.get("/votes/<int:vote_id>/ballots.pb")
def pb(vote_id: int) -> Response:
    vote = _closed_vote(vote_id)
    if vote.kind != VoteKind.BUDGET:
        abort(404)
    return _download(read.pb(vote, _neighbourhood_name), "text/plain", f"vote-{vote.id}.pb")


@bp.get("/votes/<int:vote_id>/results.csv")
def results_csv(vote_id: int) -> Response:
    vote = _closed_vote(vote_id)
    return _download(read.results_csv(vote, _neighbourhood_name), "text/csv", f"vote-{vote.id}-results.csv")
