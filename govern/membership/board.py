"""The board's work on membership: applications, members, levels (tiers) and roles."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import require_role
from ..extensions import db
from ..forms import show_error
from ..services import ServiceError
from . import services
from .forms import DecisionForm, MemberActionForm, RoleForm, TierForm
from .models import Account, Member, MemberStatus, Role, Tier
from .views import tier_choices

bp = Blueprint("board", __name__, url_prefix="/board")


@bp.get("/applications")
@require_role(Role.BOARD)
def applications() -> str:
    pending = db.session.scalars(
        sa.select(Member).where(Member.status == MemberStatus.PENDING).order_by(Member.applied_at, Member.id)
    ).all()
    return render_template("board/applications.html", pending=pending)


@bp.route("/applications/<int:member_id>", methods=["GET", "POST"])
@require_role(Role.BOARD)
def decide(member_id: int) -> Any:
    member = db.get_or_404(Member, member_id)
    form = DecisionForm(tier=member.tier_id)
    form.tier.choices = tier_choices()
    if form.validate_on_submit():
        decision = request.form.get("decision")
        try:
            if decision == "approve":
                services.approve(member, by=current_user, tier_id=form.tier.data)
                flash(_("%(name)s is now a member.", name=member.name), "success")
            elif decision == "reject":
                services.reject(member, by=current_user, reason=form.reason.data or "")
                flash(_("The application of %(name)s is rejected.", name=member.name), "success")
            else:
                abort(400)
        except ServiceError as error:
            show_error(form, error)
        else:
            return redirect(url_for("board.applications"))
    return render_template("board/decide.html", member=member, form=form), 422 if form.errors else 200


@bp.get("/members")
@require_role(Role.BOARD)
def members() -> str:
    status = request.args.get("status") or None
    query = sa.select(Member).order_by(Member.name, Member.id)
    if status in {s.value for s in MemberStatus}:
        query = query.where(Member.status == MemberStatus(status))
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("board/members.html", page=page, status=status, statuses=list(MemberStatus))


@bp.route("/members/<int:member_id>", methods=["GET", "POST"])
@require_role(Role.BOARD)
def member(member_id: int) -> Any:
    member = db.get_or_404(Member, member_id)
    form = MemberActionForm(tier=member.tier_id)
    form.tier.choices = tier_choices()
    if form.validate_on_submit():
        reason = form.reason.data or ""
        try:
            match form.action.data:
                case "change_tier":
                    services.change_tier(member, by=current_user, tier_id=form.tier.data, reason=reason)
                case "suspend":
                    services.suspend(member, by=current_user, reason=reason)
                case "reinstate":
                    services.reinstate(member, by=current_user, reason=reason)
                case "end":
                    services.end(member, by=current_user, reason=reason)
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("board.member", member_id=member.id))
    return (
        render_template("board/member.html", member=member, form=form, role_form=RoleForm()),
        422 if form.errors else 200,
    )


@bp.post("/accounts/<int:account_id>/roles")
@require_role(Role.BOARD)
def roles(account_id: int) -> Any:
    account = db.get_or_404(Account, account_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            if form.grant.data == "grant":
                services.grant_role(account, Role(form.role.data), by=current_user)
            else:
                services.revoke_role(account, Role(form.role.data), by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("Saved."), "success")
    else:
        flash(_("Choose a role and whether to give or take it away."), "error")
    return redirect(url_for("board.member", member_id=account.member_id))


@bp.get("/tiers")
@require_role(Role.BOARD)
def tiers() -> str:
    rows = db.session.scalars(sa.select(Tier).order_by(Tier.position, Tier.id)).all()
    counts = dict(
        db.session.execute(
            sa.select(Member.tier_id, sa.func.count()).where(Member.status == MemberStatus.ACTIVE).group_by(Member.tier_id)
        )
        .tuples()
        .all()
    )
    return render_template("board/tiers.html", tiers=rows, counts=counts)


def _tier_values(form: TierForm) -> dict[str, Any]:
    return {
        "name_nl": form.name_nl.data.strip(),
        "name_en": form.name_en.data.strip(),
        "can_propose": form.can_propose.data,
        "can_deliberate": form.can_deliberate.data,
        "can_vote_budget": form.can_vote_budget.data,
        "can_vote_assembly": form.can_vote_assembly.data,
        "vote_weight": form.vote_weight.data,
        "counts_for_quorum": form.counts_for_quorum.data,
        "open_for_applications": form.open_for_applications.data,
        "position": form.position.data or 0,
    }


@bp.route("/tiers/new", methods=["GET", "POST"])
@require_role(Role.BOARD)
def new_tier() -> Any:
    form = TierForm(vote_weight=1, open_for_applications=True)
    if form.validate_on_submit():
        try:
            services.create_tier(by=current_user, slug=form.slug.data, **_tier_values(form))
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("The level is created."), "success")
            return redirect(url_for("board.tiers"))
    return render_template("board/tier_form.html", form=form, tier=None), 422 if form.errors else 200


@bp.route("/tiers/<int:tier_id>", methods=["GET", "POST"])
@require_role(Role.BOARD)
def edit_tier(tier_id: int) -> Any:
    tier = db.get_or_404(Tier, tier_id)
    form = TierForm(obj=tier)
    if request.method == "POST":
        # The short name is part of links and the record; it cannot change.
        form.slug.data = tier.slug
    if form.validate_on_submit():
        try:
            services.update_tier(tier, by=current_user, **_tier_values(form))
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("board.tiers"))
    return render_template("board/tier_form.html", form=form, tier=tier), 422 if form.errors else 200
