"""Budget rounds and proposals: pages for members, proposers, reviewers and the board."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import get_locale
from flask_login import current_user, login_required

from ..access import require_right, require_role
from ..extensions import db
from ..forms import show_error
from ..i18n import money
from ..membership.forms import neighbourhood_choices
from ..membership.models import Member, MemberStatus, Right, Role, Tier
from ..services import ServiceError
from . import queries, services
from .forms import ActionForm, CoProposerForm, InterestForm, ProposalForm, ReviewForm, RoundForm, category_choices
from .models import BudgetRound, Party, Phase, Proposal, ProposalImage, ProposalStatus

bp = Blueprint("budgeting", __name__)


def _tier_choices() -> list[tuple[int, str]]:
    locale = str(get_locale())
    return [(t.id, t.name(locale)) for t in db.session.scalars(sa.select(Tier).order_by(Tier.position, Tier.id))]


def _names(choices: list[tuple[Any, str]]) -> dict[Any, str]:
    return dict(choices)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    def category_name(key: str) -> str:
        return dict(category_choices()).get(key, key)

    def neighbourhood_name(key: str) -> str:
        return dict(neighbourhood_choices()).get(key, key)

    return {"Phase": Phase, "ProposalStatus": ProposalStatus, "category_name": category_name, "neighbourhood_name": neighbourhood_name}


# --- rounds ------------------------------------------------------------------------------


@bp.get("/rounds")
def rounds() -> str:
    return render_template("budgeting/rounds.html", rounds=queries.rounds())


def _round_form(form: RoundForm) -> None:
    form.neighbourhoods.choices = [c for c in neighbourhood_choices() if c[0] != "elders"]
    form.proposer_tiers.choices = _tier_choices()
    form.voter_tiers.choices = _tier_choices()


def _round_values(form: RoundForm) -> dict[str, Any] | None:
    try:
        budget = queries.parse_euros(form.budget.data)
    except ValueError:
        form.budget.errors = [*form.budget.errors, _("Fill in an amount in euros, for example 150000 or 150.000,00.")]
        return None
    return {
        "title": form.title.data,
        "description": form.description.data or "",
        "budget_cents": budget,
        "neighbourhoods": form.neighbourhoods.data or [],
        "submission_opens": form.submission_opens.data,
        "review_opens": form.review_opens.data,
        "deliberation_opens": form.deliberation_opens.data,
        "voting_opens": form.voting_opens.data,
        "results_on": form.results_on.data,
        "implementation_starts": form.implementation_starts.data,
        "ranks": form.ranks.data,
        "counting_rule": form.counting_rule.data,
        "support_enabled": form.support_enabled.data,
        "support_threshold": form.support_threshold.data or 0,
        "proposer_tier_ids": [i for i in form.proposer_tiers.data or [] if i is not None],
        "voter_tier_ids": [i for i in form.voter_tiers.data or [] if i is not None],
    }


def _show_round_error(form: RoundForm, error: ServiceError) -> None:
    show_error(form, ServiceError(error.message, "submission_opens" if error.field == "dates" else error.field))


@bp.route("/rounds/new", methods=["GET", "POST"])
@require_role(Role.BOARD)
def new_round() -> Any:
    form = RoundForm()
    _round_form(form)
    if request.method == "GET":
        form.neighbourhoods.data = [c[0] for c in form.neighbourhoods.choices]
        tiers = list(db.session.scalars(sa.select(Tier)))
        form.proposer_tiers.data = [t.id for t in tiers if t.can_propose]
        form.voter_tiers.data = [t.id for t in tiers if t.can_vote_budget]
    if form.validate_on_submit():
        values = _round_values(form)
        if values is not None:
            try:
                round_ = services.create_round(by=current_user, **values)
            except ServiceError as error:
                _show_round_error(form, error)
            else:
                flash(_("The round is created. It opens for proposals when you move it to the submission phase."), "success")
                return redirect(url_for("budgeting.round", round_id=round_.id))
    return render_template("budgeting/round_form.html", form=form, round=None), 422 if form.errors else 200


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@require_role(Role.BOARD)
def edit_round(round_id: int) -> Any:
    round_ = db.get_or_404(BudgetRound, round_id)
    form = RoundForm(obj=round_)
    _round_form(form)
    if request.method == "GET":
        form.budget.data = queries.format_euros(round_.budget_cents)
        form.proposer_tiers.data = [t.id for t in round_.proposer_tiers]
        form.voter_tiers.data = [t.id for t in round_.voter_tiers]
    if form.validate_on_submit():
        values = _round_values(form)
        if values is not None:
            try:
                services.update_round(round_, by=current_user, **values)
            except ServiceError as error:
                _show_round_error(form, error)
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("budgeting.round", round_id=round_.id))
    return render_template("budgeting/round_form.html", form=form, round=round_), 422 if form.errors else 200


@bp.get("/rounds/<int:round_id>")
def round(round_id: int) -> str:
    round_ = db.get_or_404(BudgetRound, round_id)
    counts, costs = queries.status_counts(round_.id)
    mine = queries.my_proposals(round_.id, current_user.member_id) if current_user.is_authenticated else []
    return render_template(
        "budgeting/round.html",
        round=round_,
        counts=counts,
        public_count=sum(n for s, n in counts.items() if s != ProposalStatus.DRAFT.value),
        mine=mine,
        may_propose=current_user.is_authenticated and round_.may_propose(current_user.member),
        may_vote=current_user.is_authenticated and round_.may_vote(current_user.member),
        waiting=counts.get(ProposalStatus.SUBMITTED.value, 0),
        ballot_total=sum(costs.get(s.value, 0) for s in (ProposalStatus.ON_BALLOT, ProposalStatus.FUNDED, ProposalStatus.NOT_FUNDED)),
        funded_total=costs.get(ProposalStatus.FUNDED.value, 0),
        phase_form=ActionForm(),
        neighbourhood_names=_names(neighbourhood_choices()),
        vote=_round_vote(round_),
    )


def _round_vote(round_: BudgetRound) -> Any:
    from ..voting.services import budget_vote

    return budget_vote(round_)


@bp.post("/rounds/<int:round_id>/phase")
@require_role(Role.BOARD)
def advance_phase(round_id: int) -> Any:
    round_ = db.get_or_404(BudgetRound, round_id)
    form = ActionForm()
    target = request.form.get("to", "")
    if form.validate_on_submit() and target in {p.value for p in Phase}:
        try:
            services.advance_phase(round_, by=current_user, to=Phase(target))
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("The round has moved to the next phase."), "success")
    else:
        flash(_("Choose the next phase."), "error")
    return redirect(url_for("budgeting.round", round_id=round_.id))


@bp.get("/rounds/<int:round_id>/proposals")
def proposals(round_id: int) -> str:
    round_ = db.get_or_404(BudgetRound, round_id)
    f = queries.ProposalFilter.from_args(request.args)
    page = queries.proposal_page(round_.id, f)
    return render_template(
        "budgeting/proposals.html",
        round=round_,
        page=page,
        f=f,
        neighbourhoods=[c for c in neighbourhood_choices() if c[0] in round_.neighbourhoods],
        neighbourhood_names=_names(neighbourhood_choices()),
        categories=category_choices(),
        category_names=_names(category_choices()),
        statuses=queries.PUBLIC_STATUSES,
    )


# --- proposals -------------------------------------------------------------------------


def _proposal_form(form: ProposalForm, round_: BudgetRound) -> None:
    form.neighbourhood.choices = [("", _("Choose…"))] + [c for c in neighbourhood_choices() if c[0] in round_.neighbourhoods]
    form.category.choices = [("", _("Choose…")), *category_choices()]


def _proposal_input(form: ProposalForm) -> services.ProposalInput | None:
    lines: list[tuple[str, int]] = []
    ok = True
    for entry in form.lines:
        description, amount = entry.form.description.data or "", entry.form.amount.data or ""
        if not description and not amount:
            continue
        try:
            cents = queries.parse_euros(amount)
        except ValueError:
            cents = None
        if cents is None or cents <= 0 or not description:
            entry.form.amount.errors = [
                *entry.form.amount.errors,
                _("Every budget line needs a description and an amount of more than € 0, for example 1250 or 1.250,50."),
            ]
            ok = False
            continue
        lines.append((description, cents))
    if not ok:
        return None
    return services.ProposalInput(
        title=form.title.data or "",
        summary=form.summary.data or "",
        description=form.description.data or "",
        neighbourhood=form.neighbourhood.data or "",
        category=form.category.data or "",
        lines=lines,
    )


def _image(form: ProposalForm) -> services.ImageUpload | None:
    upload = form.image.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return services.ImageUpload(data=upload.read(), alt=form.image_alt.data or "")


def _show_proposal_error(form: ProposalForm, error: ServiceError) -> None:
    if error.field == "lines":
        form.budget_error = error.message  # type: ignore[attr-defined]
        return
    show_error(form, error)


@bp.route("/rounds/<int:round_id>/proposals/new", methods=["GET", "POST"])
@require_right(Right.PROPOSE)
def new_proposal(round_id: int) -> Any:
    round_ = db.get_or_404(BudgetRound, round_id)
    if not round_.may_propose(current_user.member):
        abort(403)
    if round_.phase != Phase.SUBMISSION:
        flash(_("This round does not take new proposals now: the submission phase is closed."), "error")
        return redirect(url_for("budgeting.round", round_id=round_.id))
    form = ProposalForm()
    _proposal_form(form, round_)
    if form.validate_on_submit():
        values = _proposal_input(form)
        if values is not None:
            try:
                proposal = services.create_proposal(round_, by=current_user, values=values, image=_image(form))
            except ServiceError as error:
                _show_proposal_error(form, error)
            else:
                flash(_("Your draft is saved. Only you and your co-proposers can see it until you submit it."), "success")
                return redirect(url_for("budgeting.proposal", proposal_id=proposal.id))
    status = 422 if form.errors or _line_errors(form) else 200
    return render_template("budgeting/proposal_form.html", form=form, round=round_, proposal=None), status


def _line_errors(form: ProposalForm) -> bool:
    return bool(getattr(form, "budget_error", None)) or any(e.form.amount.errors or e.form.description.errors for e in form.lines)


def _visible(proposal: Proposal) -> bool:
    return proposal.status != ProposalStatus.DRAFT or services.is_proposer(proposal, current_user)


def _load(proposal_id: int) -> Proposal:
    proposal = db.get_or_404(Proposal, proposal_id)
    if not _visible(proposal):
        abort(404)
    return proposal


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> str:
    proposal = _load(proposal_id)
    me = current_user.member_id if current_user.is_authenticated else None
    proposer = services.is_proposer(proposal, current_user)
    co_form = None
    if proposer and proposal.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED):
        co_form = CoProposerForm()
        taken = proposal.member_ids(Party.PROPOSER, Party.CO_PROPOSER)
        co_form.member.choices = [("", _("Choose…"))] + [
            (m.id, m.name)
            for m in db.session.execute(
                sa.select(Member.id, Member.name).where(Member.status == MemberStatus.ACTIVE).order_by(Member.name)
            )
            if m.id not in taken
        ]
    return render_template(
        "budgeting/proposal.html",
        proposal=proposal,
        round=proposal.round,
        proposer=proposer,
        reviewer=services.may_review(proposal, current_user),
        reviews=queries.reviews(proposal.id),
        versions=queries.versions(proposal.id),
        endorsed=queries.endorsed(proposal.id, me),
        may_endorse=services.may_endorse(proposal, current_user),
        declared=me in proposal.member_ids(Party.INTEREST) if me else False,
        action_form=ActionForm(),
        co_form=co_form,
        interest_form=InterestForm(),
        neighbourhood_names=_names(neighbourhood_choices()),
        category_names=_names(category_choices()),
        withdrawable=proposal.status in services.WITHDRAWABLE and proposal.round.phase.before(Phase.VOTING),
    )


def _own(proposal_id: int) -> Proposal:
    proposal = _load(proposal_id)
    if not services.is_proposer(proposal, current_user) or not current_user.member.is_active:
        abort(403)
    return proposal


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_proposal(proposal_id: int) -> Any:
    proposal = _own(proposal_id)
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED) or not proposal.round.phase.before(Phase.VOTING):
        flash(_("After the review, the proposal can no longer change."), "error")
        return redirect(url_for("budgeting.proposal", proposal_id=proposal.id))
    if request.method == "GET":
        rows = [{"description": l.description, "amount": queries.format_euros(l.amount_cents)} for l in proposal.lines]
        form = ProposalForm(
            data={
                "title": proposal.title,
                "summary": proposal.summary,
                "description": proposal.description,
                "neighbourhood": proposal.neighbourhood,
                "category": proposal.category,
                "image_alt": proposal.image_alt,
                "lines": rows + [{}] * 2,
            }
        )
    else:
        form = ProposalForm()
    _proposal_form(form, proposal.round)
    if form.validate_on_submit():
        values = _proposal_input(form)
        if values is not None:
            try:
                changed = services.update_proposal(
                    proposal, by=current_user, values=values, image=_image(form), image_alt=form.image_alt.data
                )
            except ServiceError as error:
                _show_proposal_error(form, error)
            else:
                if changed and proposal.status == ProposalStatus.SUBMITTED:
                    flash(_("Saved as version %(n)d. Everyone can see what changed.", n=proposal.version), "success")
                else:
                    flash(_("Saved.") if changed else _("Nothing has changed."), "success")
                return redirect(url_for("budgeting.proposal", proposal_id=proposal.id))
    status = 422 if form.errors or _line_errors(form) else 200
    return render_template("budgeting/proposal_form.html", form=form, round=proposal.round, proposal=proposal), status


def _act(proposal: Proposal, action: Any, success: str, **kwargs: Any) -> Any:
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    else:
        try:
            action(proposal, by=current_user, **kwargs)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(success, "success")
    return redirect(url_for("budgeting.proposal", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/submit")
@login_required
def submit_proposal(proposal_id: int) -> Any:
    proposal = _own(proposal_id)
    return _act(proposal, services.submit, _("Your proposal is submitted. The reviewers will look at whether it is feasible."))


@bp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw_proposal(proposal_id: int) -> Any:
    proposal = _own(proposal_id)
    return _act(proposal, services.withdraw, _("Your proposal is withdrawn."))


@bp.post("/proposals/<int:proposal_id>/endorse")
@login_required
def endorse(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    if not current_user.member.is_active or not proposal.round.may_vote(current_user.member):
        abort(403)
    return _act(proposal, services.endorse, _("Thank you: you support this proposal."))


@bp.post("/proposals/<int:proposal_id>/interest")
@login_required
def declare_interest(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    if not current_user.member.is_active:
        abort(403)
    form = InterestForm()
    if form.validate_on_submit():
        try:
            services.declare_interest(proposal, by=current_user, note=form.note.data or "")
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Your interest is shown on the proposal. Thank you for being open."), "success")
    else:
        flash(_("Say briefly what your interest is."), "error")
    return redirect(url_for("budgeting.proposal", proposal_id=proposal.id, _anchor="interests"))


@bp.post("/proposals/<int:proposal_id>/co-proposers")
@login_required
def add_co_proposer(proposal_id: int) -> Any:
    proposal = _own(proposal_id)
    form = CoProposerForm()
    form.member.choices = []
    if form.validate_on_submit():
        try:
            services.add_co_proposer(proposal, by=current_user, member_id=form.member.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("The co-proposer is added."), "success")
    else:
        flash(_("Choose an active member from the list."), "error")
    return redirect(url_for("budgeting.proposal", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/review", methods=["GET", "POST"])
@require_role(Role.BOARD, Role.MODERATOR)
def review(proposal_id: int) -> Any:
    proposal = _load(proposal_id)
    form = ReviewForm()
    if request.method == "GET":
        form.cost.data = queries.format_euros(proposal.cost_cents)
        if proposal.status in (ProposalStatus.ELIGIBLE, ProposalStatus.NOT_ELIGIBLE):
            form.decision.data = proposal.status.value
            form.reason.data = proposal.review_reason
    if form.validate_on_submit():
        try:
            cost = queries.parse_euros(form.cost.data)
        except ValueError:
            form.cost.errors = [*form.cost.errors, _("Fill in an amount in euros, for example 1250 or 1.250,50.")]
        else:
            try:
                services.review(
                    proposal,
                    by=current_user,
                    eligible=form.decision.data == "eligible",
                    reason=form.reason.data or "",
                    cost_cents=cost,
                    cost_reason=form.cost_reason.data or "",
                )
            except ServiceError as error:
                show_error(form, error)
            else:
                flash(_("The review is saved and shown on the proposal."), "success")
                return redirect(url_for("budgeting.proposal", proposal_id=proposal.id))
    return (
        render_template(
            "budgeting/review.html",
            proposal=proposal,
            form=form,
            category_names=_names(category_choices()),
            neighbourhood_names=_names(neighbourhood_choices()),
        ),
        422 if form.errors else 200,
    )


@bp.get("/proposals/<int:proposal_id>/versions/<int:number>")
def version(proposal_id: int, number: int) -> str:
    proposal = _load(proposal_id)
    versions = {v.number: v for v in queries.versions(proposal.id)}
    if number not in versions:
        abort(404)
    names_n, names_c = _names(neighbourhood_choices()), _names(category_choices())

    def text(v: Any) -> list[str]:
        return queries.version_text(
            v, money=money, category_name=lambda k: names_c.get(k, k), neighbourhood_name=lambda k: names_n.get(k, k)
        )

    current = versions[number]
    previous = versions.get(number - 1)
    lines = queries.diff(text(previous) if previous else [], text(current))
    return render_template(
        "budgeting/version.html", proposal=proposal, version=current, previous=previous, lines=lines, count=len(versions)
    )


@bp.get("/proposals/<int:proposal_id>/image")
def image(proposal_id: int) -> Response:
    proposal = _load(proposal_id)
    picture = db.session.get(ProposalImage, proposal.id)
    if picture is None:
        abort(404)
    response = Response(picture.data, mimetype=picture.content_type)
    response.headers["Cache-Control"] = "public, max-age=3600" if proposal.status != ProposalStatus.DRAFT else "private, no-store"
    return response
