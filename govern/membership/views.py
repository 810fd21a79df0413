"""Applying, signing in, passwords, the member directory, profiles and account settings."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import get_locale
from flask_login import current_user, login_required, login_user, logout_user

from ..access import has_role
from ..extensions import db
from ..forms import show_error
from ..services import ServiceError
from ..url import safe_next
from . import services
from .forms import (
    ApplyForm,
    ChangePasswordForm,
    DelegateForm,
    ForgotPasswordForm,
    LanguageSettingForm,
    ProfileForm,
    ResetPasswordForm,
    SignInForm,
    neighbourhood_choices,
)
from .models import Member, MemberKind, MemberStatus, Role, Tier

bp = Blueprint("membership", __name__)


def tier_choices(*, open_only: bool = False) -> list[tuple[int, str]]:
    query = sa.select(Tier).order_by(Tier.position, Tier.id)
    if open_only:
        query = query.where(Tier.open_for_applications)
    locale = str(get_locale())
    return [(t.id, t.name(locale)) for t in db.session.scalars(query)]


@bp.route("/apply", methods=["GET", "POST"])
def apply() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("membership.profile", member_id=current_user.member_id))
    form = ApplyForm()
    form.neighbourhood.choices = [("", _("Choose…")), *neighbourhood_choices()]
    form.tier.choices = tier_choices(open_only=True)
    if form.validate_on_submit():
        try:
            account = services.apply(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                neighbourhood=form.neighbourhood.data,
                kind=form.kind.data,
                tier_id=form.tier.data,
                description=form.description.data or "",
                language=str(get_locale()),
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            login_user(account)
            flash(_("Thank you! Your application has been received. The board will look at it soon."), "success")
            return redirect(url_for("membership.profile", member_id=account.member_id))
    return render_template("membership/apply.html", form=form), 200 if not form.errors else 422


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            account = services.sign_in(form.email.data, form.password.data, ip=request.remote_addr or "")
        except services.TooManyAttempts as error:
            show_error(form, error)
            status = 429
        except ServiceError as error:
            show_error(form, error)
            status = 422
        else:
            login_user(account, remember=form.remember.data)
            session.pop("language", None)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    elif form.errors:
        status = 422
    return render_template("membership/sign_in.html", form=form), status


@bp.post("/sign-out")
@login_required
def sign_out() -> Any:
    language = current_user.language
    logout_user()
    session["language"] = language
    flash(_("You are signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            _("If this e-mail address belongs to an account, we have sent a link to choose a new password. Look in your mail."),
            "success",
        )
        return redirect(url_for("membership.sign_in"))
    return render_template("membership/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    if services.find_reset(token) is None:
        return render_template("membership/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            account = services.reset_password(token, form.password.data)
        except ServiceError as error:
            show_error(form, error)
        else:
            logout_user()
            login_user(account)
            flash(_("Your new password is set. You are signed in."), "success")
            return redirect(url_for("main.home"))
    return render_template("membership/reset.html", form=form), 422 if form.errors else 200


@bp.get("/members")
def directory() -> str:
    neighbourhood = request.args.get("neighbourhood") or None
    query = (
        sa.select(Member)
        .where(Member.status == MemberStatus.ACTIVE, Member.listed)
        .order_by(Member.kind.desc(), Member.name, Member.id)
    )
    if neighbourhood:
        query = query.where(Member.neighbourhood == neighbourhood)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template(
        "membership/directory.html", page=page, neighbourhoods=neighbourhood_choices(), selected=neighbourhood
    )


def _may_manage(member: Member) -> bool:
    return current_user.is_authenticated and (current_user.member_id == member.id or current_user.has_role(Role.BOARD))


def _visible(member: Member) -> bool:
    if member.status == MemberStatus.ACTIVE and member.listed:
        return True
    return _may_manage(member) or has_role(Role.BOARD, Role.AUDITOR)


@bp.get("/members/<int:member_id>")
def profile(member_id: int) -> str:
    member = db.get_or_404(Member, member_id)
    if not _visible(member):
        abort(404)
    return render_template(
        "membership/profile.html",
        member=member,
        manage=_may_manage(member),
        delegate_form=DelegateForm() if member.kind == MemberKind.ORGANISATION else None,
    )


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit_profile(member_id: int) -> Any:
    member = db.get_or_404(Member, member_id)
    if not _may_manage(member):
        abort(403)
    form = ProfileForm(obj=member)
    form.neighbourhood.choices = neighbourhood_choices()
    if form.validate_on_submit():
        try:
            services.update_profile(
                member,
                by=current_user,
                description=form.description.data or "",
                neighbourhood=form.neighbourhood.data,
                listed=form.listed.data,
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("membership.profile", member_id=member.id))
    return render_template("membership/edit_profile.html", form=form, member=member), 422 if form.errors else 200


@bp.post("/members/<int:member_id>/delegates")
@login_required
def add_delegate(member_id: int) -> Any:
    member = db.get_or_404(Member, member_id)
    if not _may_manage(member) or member.kind != MemberKind.ORGANISATION:
        abort(403)
    form = DelegateForm()
    if form.validate_on_submit():
        try:
            services.add_delegate(member, by=current_user, email=form.email.data, display_name=form.display_name.data)
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("The new delegate gets an e-mail with a link to choose a password."), "success")
            return redirect(url_for("membership.profile", member_id=member.id))
    return (
        render_template("membership/profile.html", member=member, manage=True, delegate_form=form),
        422,
    )


@bp.route("/account", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    language_form = LanguageSettingForm(prefix="lang", language=current_user.language)
    password_form = ChangePasswordForm(prefix="pw")
    status = 200
    if request.method == "POST":
        if "lang-language" in request.form:
            if language_form.validate_on_submit():
                services.set_language(current_user, language_form.language.data)
                flash(_("Your language is saved."), "success")
                return redirect(url_for("membership.settings"))
        elif password_form.validate_on_submit():
            try:
                services.change_password(
                    current_user, current=password_form.current_password.data, new=password_form.password.data
                )
            except ServiceError as error:
                show_error(password_form, error)
            else:
                # The password change invalidated the session; sign in again with the new key.
                login_user(current_user._get_current_object())
                flash(_("Your password is changed."), "success")
                return redirect(url_for("membership.settings"))
        status = 422
    return (
        render_template("membership/settings.html", language_form=language_form, password_form=password_form),
        status,
    )
