"""The home page and the language switch."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from .extensions import db
from .membership import services
from .membership.models import Member, MemberStatus
from .url import safe_next

bp = Blueprint("main", __name__)


class LanguageForm(FlaskForm):
    language = SelectField(choices=[("nl", "Nederlands"), ("en", "English")])
    next = HiddenField()


def page_url(number: int) -> str:
    """The current page's URL with another page number, keeping the filters."""
    args = {**(request.view_args or {}), **request.args.to_dict(), "page": number}
    return url_for(request.endpoint or "main.home", **args)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"page_url": page_url}


@bp.get("/")
def home() -> str:
    counts = dict(
        db.session.execute(sa.select(Member.status, sa.func.count()).group_by(Member.status)).tuples().all()
    )
    return render_template("main/home.html", active_members=counts.get(MemberStatus.ACTIVE, 0))


@bp.post("/language")
def set_language() -> Any:
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("main.home")
    if not form.validate_on_submit() or form.language.data not in current_app.config["LANGUAGES"]:
        return redirect(target)
    session["language"] = form.language.data
    if current_user.is_authenticated:
        services.set_language(current_user, form.language.data)
    return redirect(target)


