"""Vote pages: the list, a vote's page, the board's set-up pages, and the ballot.

The ballot works without JavaScript: ``step=review`` parses the choices and shows
them back for a check; ``step=confirm`` parses them again and casts; ``step=edit``
goes back to the ballot with the choices kept. The tracker code is kept in the
session until the done page has shown it once. Results pages live in results_views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import require_role
from ..extensions import db
from ..forms import show_error
from ..membership.models import Role, Tier
from ..services import ServiceError
from . import models  # noqa: F401 - the tables must be known to the app
from . import services
from .forms import ActionForm, VoteForm, format_candidates, parse_candidates, to_local, to_utc
from .models import Participation, VoteItem, VoteKind, VoteStatus

bp = Blueprint("voting", __name__)

#: Session key for tracker codes that the done page has not shown yet: {vote id: [[name, tracker], …]}.
TRACKERS = "voting_trackers"


# --- reading -------------------------------------------------------------------------------


def _is_board() -> bool:
    return bool(current_user.is_authenticated and current_user.has_role(Role.BOARD))


def _visible(vote: VoteItem) -> bool:
    """Drafts are the board's work; a draft with a planned opening time is announced to everyone."""
    return vote.status != VoteStatus.DRAFT or vote.opens_at is not None or _is_board()


def _load(vote_id: int) -> VoteItem:
    vote = db.get_or_404(VoteItem, vote_id)
    if not _visible(vote):
        abort(404)
    return vote


def _turnout(votes: list[VoteItem]) -> dict[int, int]:
    """How many members took part, per vote: live for open votes, as recorded for closed ones."""
    live = [v.id for v in votes if v.status == VoteStatus.OPEN]
    counts: dict[int, int] = {v.id: v.participation_count for v in votes if v.status == VoteStatus.CLOSED}
    if live:
        rows = db.session.execute(
            sa.select(Participation.vote_id, sa.func.count())
            .where(Participation.vote_id.in_(live))
            .group_by(Participation.vote_id)
        )
        counts.update({vote_id: n for vote_id, n in rows})
        for vote_id in live:
            counts.setdefault(vote_id, 0)
    return counts


@bp.get("/votes")
def votes() -> str:
    rows = list(db.session.scalars(sa.select(VoteItem).order_by(VoteItem.id.desc())))
    open_ = sorted(
        (v for v in rows if v.status == VoteStatus.OPEN), key=lambda v: (v.closes_at is None, v.closes_at or v.created_at)
    )
    upcoming = sorted(
        (v for v in rows if v.status == VoteStatus.DRAFT and v.opens_at is not None), key=lambda v: v.opens_at
    )
    drafts = [v for v in rows if v.status == VoteStatus.DRAFT and v.opens_at is None] if _is_board() else []
    closed = sorted((v for v in rows if v.status == VoteStatus.CLOSED), key=lambda v: v.closed_at or v.created_at, reverse=True)
    return render_template(
        "voting/votes.html",
        open_votes=open_,
        upcoming=upcoming,
        drafts=drafts,
        closed=closed,
        turnout=_turnout(rows),
    )


def _voters(vote: VoteItem) -> list[Any]:
    if not current_user.is_authenticated or vote.status != VoteStatus.OPEN:
        return []
    return list(services.voters_for(vote, current_user))


def _my_participation(vote: VoteItem) -> bool:
    if not current_user.is_authenticated:
        return False
    return (
        db.session.scalar(
            sa.select(Participation.id).where(
                Participation.vote_id == vote.id, Participation.member_id == current_user.member_id
            )
        )
        is not None
    )


@bp.get("/votes/<int:vote_id>")
def vote(vote_id: int) -> str:
    vote = _load(vote_id)
    voters = _voters(vote)
    running = None
    if vote.status == VoteStatus.OPEN and not vote.results_hidden:
        running = services.running_tally(vote)
    return render_template(
        "voting/vote.html",
        vote=vote,
        voters=voters,
        can_vote=any(v.reason is None and not v.voted for v in voters),
        voted=any(v.voted for v in voters) if voters else _my_participation(vote),
        turnout=_turnout([vote]).get(vote.id),
        running=running,
        tier_names=_tier_names(),
        assembly=_assembly(vote),
        results_url=f"/votes/{vote.id}/results",
    )


def _assembly(vote: VoteItem) -> Any:
    if vote.assembly_id is None:
        return None
    from ..assemblies.models import Assembly

    return db.session.get(Assembly, vote.assembly_id)


def _tier_names() -> dict[int, str]:
    locale = str(get_locale())
    return {t.id: t.name(locale) for t in db.session.scalars(sa.select(Tier).order_by(Tier.position, Tier.id))}


# --- the board: set up, open and close ---------------------------------------------------------


def _vote_form(form: VoteForm, vote: VoteItem | None) -> dict[int, str]:
    from ..assemblies.models import Assembly, AssemblyStatus

    form.assembly.choices = [("", _("Not at an assembly"))] + [
        (a.id, a.title)
        for a in db.session.scalars(
            sa.select(Assembly).where(Assembly.status != AssemblyStatus.CLOSED).order_by(Assembly.starts_at)
        )
    ]
    tiers = list(db.session.scalars(sa.select(Tier).order_by(Tier.position, Tier.id)))
    names = {t.id: t.name(str(get_locale())) for t in tiers}
    if request.method == "GET":
        if vote is None:
            weights = {t.id: (t.vote_weight if t.can_vote_assembly else 0) for t in tiers}
        else:
            weights = {vt.tier_id: vt.weight for vt in vote.tiers}
        while len(form.tiers.entries):
            form.tiers.pop_entry()
        for t in tiers:
            form.tiers.append_entry({"tier_id": t.id, "weight": weights.get(t.id, 0)})
    return names


def _vote_values(form: VoteForm, names: dict[int, str]) -> dict[str, Any]:
    kind = VoteKind(form.kind.data)
    weights: dict[int, int] = {}
    for entry in form.tiers:
        tier_id, weight = entry.form.tier_id.data, entry.form.weight.data
        if tier_id in names and weight:
            weights[tier_id] = weight
    values: dict[str, Any] = {
        "kind": kind,
        "title": form.title.data or "",
        "description": form.description.data or "",
        "secret": bool(form.secret.data),
        "results_hidden": bool(form.results_hidden.data),
        "quorum": (form.quorum.data or "").replace(" ", "") or None,
        "tier_weights": weights,
        "opens_at": to_utc(form.opens_at.data),
        "closes_at": to_utc(form.closes_at.data),
        "assembly_id": form.assembly.data,
    }
    if kind == VoteKind.MOTION:
        values.update(
            rule="motion",
            threshold=form.threshold.data or "majority",
            abstentions=form.abstentions.data or "excluded",
        )
    else:
        seats = form.seats.data or 1
        values.update(
            rule="irv" if seats == 1 else "stv-scottish",
            seats=seats,
            ranks=form.ranks.data or 0,
            candidates=parse_candidates(form.candidates.data),
        )
    return values


#: Service fields that have no field of their own on the form.
_FIELD_ALIASES = {"tier_weights": "tiers", "assembly_id": "assembly", "rule": "seats", "dates": "opens_at"}


def _show_vote_error(form: VoteForm, error: ServiceError) -> None:
    field = _FIELD_ALIASES.get(error.field or "", error.field)
    if field == "tiers":
        form.tiers_error = error.message  # type: ignore[attr-defined]
        return
    show_error(form, ServiceError(error.message, field))


def _form_failed(form: VoteForm) -> bool:
    return bool(form.errors or getattr(form, "tiers_error", None))


@bp.route("/votes/new", methods=["GET", "POST"])
@require_role(Role.BOARD)
def new_vote() -> Any:
    form = VoteForm()
    if request.method == "GET" and request.args.get("kind") in ("motion", "election"):
        form.kind.data = request.args["kind"]
    names = _vote_form(form, None)
    if form.validate_on_submit():
        try:
            vote = services.create_vote(by=current_user, **_vote_values(form, names))
        except ServiceError as error:
            _show_vote_error(form, error)
        else:
            flash(_("The vote is saved as a draft. Check it, then open it when members may vote."), "success")
            return redirect(url_for("voting.vote", vote_id=vote.id))
    return render_template("voting/vote_form.html", form=form, vote=None, tier_names=names), 422 if _form_failed(form) else 200


@bp.route("/votes/<int:vote_id>/edit", methods=["GET", "POST"])
@require_role(Role.BOARD)
def edit_vote(vote_id: int) -> Any:
    vote = db.get_or_404(VoteItem, vote_id)
    if vote.status != VoteStatus.DRAFT or vote.kind == VoteKind.BUDGET:
        if vote.kind == VoteKind.BUDGET:
            flash(_("A budget ballot is set up by its round: change the round instead."), "error")
        else:
            flash(_("Only a draft can change. This vote is already open or closed."), "error")
        return redirect(url_for("voting.vote", vote_id=vote.id))
    form = VoteForm(obj=vote)
    if request.method == "GET":
        form.kind.data = vote.kind.value
        form.candidates.data = format_candidates(
            [(o.label, o.note) for o in vote.options if o.key.startswith("c")]
        )
        form.opens_at.data = to_local(vote.opens_at)
        form.closes_at.data = to_local(vote.closes_at)
        form.assembly.data = vote.assembly_id
        form.quorum.data = vote.quorum or ""
    names = _vote_form(form, vote)
    if form.validate_on_submit():
        try:
            services.update_vote(vote, by=current_user, **_vote_values(form, names))
        except ServiceError as error:
            _show_vote_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("voting.vote", vote_id=vote.id))
    return render_template("voting/vote_form.html", form=form, vote=vote, tier_names=names), 422 if _form_failed(form) else 200


def _board_step(vote_id: int, *, action: str) -> Any:
    """The confirm page (GET) and the action (POST) of opening or closing a vote."""
    vote = db.get_or_404(VoteItem, vote_id)
    wanted = VoteStatus.DRAFT if action == "open" else VoteStatus.OPEN
    form = ActionForm()
    error = None
    if vote.status != wanted:
        error = (
            _("This vote is not a draft any more: it cannot be opened again.")
            if action == "open"
            else _("This vote is not open: it cannot be closed.")
        )
    elif form.validate_on_submit():
        try:
            if action == "open":
                services.open_vote(vote, by=current_user)
            else:
                services.close_vote(vote, by=current_user)
        except ServiceError as exc:
            error = exc.message
        else:
            if action == "open":
                flash(_("The vote is open. Members who may vote can cast their ballot now."), "success")
            else:
                flash(_("The vote is closed and counted."), "success")
            return redirect(url_for("voting.vote", vote_id=vote.id))
    elif request.method == "POST":
        error = _("The form had expired. Please try again.")
    status = 200
    if error and request.method == "POST":
        status = 409 if vote.status != wanted else 422
    return (
        render_template(
            "voting/confirm.html",
            vote=vote,
            action=action,
            form=form,
            error=error,
            possible=vote.status == wanted,
            turnout=_turnout([vote]).get(vote.id),
            tier_names=_tier_names(),
        ),
        status,
    )


@bp.route("/votes/<int:vote_id>/open", methods=["GET", "POST"])
@require_role(Role.BOARD)
def open_vote(vote_id: int) -> Any:
    return _board_step(vote_id, action="open")


@bp.route("/votes/<int:vote_id>/close", methods=["GET", "POST"])
@require_role(Role.BOARD)
def close_vote(vote_id: int) -> Any:
    return _board_step(vote_id, action="close")


# --- the ballot --------------------------------------------------------------------------------


@dataclass
class BallotState:
    """What the ballot page needs for one voter: the choices so far and any error."""

    voter: Any
    ranks: dict[str, str]
    choice: str
    errors: dict[str, str]
    top_error: str | None = None


def _message(vote: VoteItem, title: str, text: str, status: int, voters: list[Any] | None = None) -> Any:
    return render_template("voting/message.html", vote=vote, title=title, text=text, voters=voters or []), status


def _form_ranks(vote: Any) -> dict[str, str]:
    """The ``rank-<key>`` fields as sent, keys unchecked (the service refuses unknown keys)."""
    return {name[5:]: value.strip() for name, value in request.form.items() if name.startswith("rank-")}


def _parse(vote: VoteItem, member_id: int, ranks: dict[str, str], choice: str) -> list[str]:
    if vote.ranked:
        return list(services.parse_ranks(vote, member_id, ranks))
    return list(services.parse_choice(vote, choice))


def _error_state(vote: VoteItem, state: BallotState, error: ServiceError) -> None:
    field = error.field or ""
    if vote.ranked and vote.option(field) is not None:
        state.errors[field] = str(error.message)
    elif not vote.ranked and field in ("choice", "yes", "no", "abstain"):
        state.errors["choice"] = str(error.message)
    else:
        state.top_error = str(error.message)


def _choose_voter(voters: list[Any], wanted: Any) -> Any:
    """The voter the page is for: the one asked for, else the first who can still vote."""
    by_id = {v.member.id: v for v in voters}
    if wanted not in (None, ""):
        try:
            return by_id.get(int(wanted), False)
        except (TypeError, ValueError):
            return False
    return next((v for v in voters if v.reason is None and not v.voted), voters[0] if voters else None)


def _render_ballot(vote: VoteItem, voters: list[Any], state: BallotState, status: int = 200) -> Any:
    excluded = dict(services.excluded_options(vote, state.voter.member.id)) if vote.ranked else {}
    selectable = [o for o in vote.options if o.key not in excluded]
    max_rank = len(selectable)
    if vote.ranks:
        max_rank = min(max_rank, vote.ranks)
    return (
        render_template(
            "voting/ballot.html",
            vote=vote,
            voters=voters,
            state=state,
            excluded=excluded,
            max_rank=max_rank,
            options=vote.options,
        ),
        status,
    )


def _remember_tracker(vote_id: int, name: str, via_proxy: bool, tracker: str) -> None:
    pending = session.get(TRACKERS) or {}
    pending.setdefault(str(vote_id), []).append([name, via_proxy, tracker])
    session[TRACKERS] = pending
    session.modified = True


def _confirm_own_ballot(vote_id: int) -> Any | None:
    """The confirm step of a member's own ballot outside an assembly (nearly every ballot cast),
    with one query before the writes (:func:`services.cast_state`).

    None hands the request to the full path in :func:`ballot`, which answers everything else
    with its own messages: a proxy, a vote at an assembly, a vote that is not open, a member
    outside the frozen electorate or who has voted, an expired form, a mistake in the ranking.
    Nothing is written before that decision.
    """
    account = current_user._get_current_object()
    member_id = account.member_id
    wanted = request.form.get("member")
    if wanted not in (None, "") and wanted != str(member_id):
        return None
    state = services.cast_state(vote_id, member_id)
    if state is None or not state.can_vote:
        return None
    # CSRFProtect has checked the token of every POST before any view (it marks g.csrf_valid);
    # the form is built only where that check did not run.
    if not g.get("csrf_valid") and not ActionForm().validate_on_submit():
        return None
    facts = state.facts
    try:
        if facts.ranked:
            ranking = services.parse_ranks(facts, member_id, _form_ranks(facts), state.excluded(member_id))
        else:
            ranking = services.parse_choice(facts, (request.form.get("choice") or "").strip())
    except ServiceError:
        return None
    name = account.member.name  # read now: the commit expires loaded rows
    try:
        tracker = services.cast_own_ballot(state, by=account, ranking=ranking)
    except ServiceError as error:  # another device of the same member was a moment faster
        db.session.rollback()
        vote = _load(vote_id)
        return _message(vote, _("Your ballot was not cast"), str(error.message), 409, _voters(vote))
    _remember_tracker(vote_id, name, False, tracker)
    return redirect(url_for("voting.done", vote_id=vote_id), 303)


@bp.route("/votes/<int:vote_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(vote_id: int) -> Any:
    if request.method == "POST" and request.form.get("step") == "confirm":
        cast = _confirm_own_ballot(vote_id)
        if cast is not None:
            return cast
    vote = _load(vote_id)
    if vote.status != VoteStatus.OPEN:
        if vote.status == VoteStatus.CLOSED:
            text = _("This vote is closed. No more ballots can be cast. The results are on the vote's page.")
        else:
            text = _("This vote is not open yet. You can vote once the board opens it.")
        return _message(vote, _("You cannot vote now"), text, 409 if request.method == "POST" else 200)
    voters = list(services.voters_for(vote, current_user))
    wanted = request.form.get("member") if request.method == "POST" else request.args.get("member")
    voter = _choose_voter(voters, wanted)
    if voter is False:
        return _message(vote, _("You cannot vote for this member"), _("You cannot vote for this member in this vote."), 403, voters)
    if voter is None or (not any(v.reason is None for v in voters)):
        reasons = [v.reason for v in voters if v.reason]
        text = str(reasons[0]) if reasons else _("You are not one of the members who may vote on this.")
        return _message(vote, _("You cannot vote on this"), text, 403, voters)
    if voter.reason is not None:
        return _message(vote, _("You cannot vote for this member"), str(voter.reason), 403, voters)
    if voter.voted:
        text = (
            _("A ballot for %(name)s has already been cast. Every member votes once.", name=voter.member.name)
            if voter.via_proxy
            else _("You have already voted. Every member votes once; your ballot is in the box.")
        )
        return _message(vote, _("Already voted"), text, 409 if request.method == "POST" else 200, voters)

    member_id = voter.member.id
    if request.method == "GET":
        return _render_ballot(vote, voters, BallotState(voter, {}, "", {}))

    ranks, choice = _form_ranks(vote), (request.form.get("choice") or "").strip()
    state = BallotState(voter, ranks, choice, {})
    if not ActionForm().validate_on_submit():
        state.top_error = _("The form had expired. Please try again.")
        return _render_ballot(vote, voters, state, 400)
    step = request.form.get("step") or "review"
    if step == "edit":
        return _render_ballot(vote, voters, state)
    if step not in ("review", "confirm"):
        abort(400)
    try:
        ranking = _parse(vote, member_id, ranks, choice)
    except ServiceError as error:
        _error_state(vote, state, error)
        return _render_ballot(vote, voters, state, 422)
    if step == "review":
        return render_template(
            "voting/review.html",
            vote=vote,
            voter=voter,
            voters=voters,
            ranking=[vote.option(key) for key in ranking],
            ranks={key: str(n) for n, key in enumerate(ranking, start=1)},
            choice=ranking[0] if ranking and not vote.ranked else "",
        )
    name, via_proxy = voter.member.name, bool(voter.via_proxy)  # read now: the commit expires loaded rows
    try:
        tracker = services.cast_ballot(vote, by=current_user, member_id=member_id, ranking=ranking, voters=voters)
    except ServiceError as error:
        db.session.rollback()
        return _message(vote, _("Your ballot was not cast"), str(error.message), 409, voters)
    _remember_tracker(vote_id, name, via_proxy, tracker)
    return redirect(url_for("voting.done", vote_id=vote_id), 303)


@bp.get("/votes/<int:vote_id>/done")
@login_required
def done(vote_id: int) -> Any:
    vote = _load(vote_id)
    pending = session.get(TRACKERS) or {}
    shown = pending.pop(str(vote.id), [])
    if shown:
        session[TRACKERS] = pending
        session.modified = True
    voters = _voters(vote)
    response = render_template(
        "voting/done.html",
        vote=vote,
        trackers=shown,
        voters=voters,
        more=[v for v in voters if v.reason is None and not v.voted],
        voted=any(v.voted for v in voters) if voters else _my_participation(vote),
        results_url=f"/votes/{vote.id}/results",
    )
    # The tracker code is shown once: no caching, anywhere.
    return response, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}
