"""Project pages: where each funded project's money goes, its timeline, and the forms to record money and progress.

The pages are public. The forms are for the board and the initiative that carries the
project out (``services.may_manage``); allowing extra money is for the board only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import undefer

from ..extensions import db
from ..forms import show_error
from ..i18n import money
from ..services import ServiceError
from . import queries, services
from .forms import CorrectionForm, DecisionForm, MoneyForm, ProgressForm
from .models import MoneyDocument, MoneyEntry, MoneyKind, ProgressPhoto, ProgressUpdate, Project, ProjectStatus

bp = Blueprint("finance", __name__)

#: A money form may carry a 10 MB document plus the other fields; larger bodies get the 413 page.
UPLOAD_BODY_LIMIT = services.MAX_DOCUMENT_BYTES + 512 * 1024


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the CSRF check reads the body (the app's limit is 8 MB; documents may be 10 MB).
    if endpoint == "finance.new_money":
        request.max_content_length = UPLOAD_BODY_LIMIT


@bp.app_context_processor
def _finance_helpers() -> dict[str, Any]:
    def money_menu_url() -> str:
        # The public money overview is the menu's target once it exists; until then the project list.
        if "money.overview" in current_app.view_functions:
            return url_for("money.overview")
        return url_for("finance.projects")

    return {
        "ProjectStatus": ProjectStatus,
        "money_menu_url": money_menu_url,
        "project_ids_by_proposal": queries.project_ids_by_proposal,
    }


def _project(project_id: int) -> Project:
    return db.get_or_404(Project, project_id)


def manager_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in, and the board or the project's initiative; otherwise 403 (anonymous visitors go to sign-in)."""

    @functools.wraps(view)
    @login_required
    def wrapped(project_id: int, **kwargs: Any) -> Any:
        project = _project(project_id)
        if not services.may_manage(project, current_user):
            abort(403)
        return view(project, **kwargs)

    return wrapped


def board_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    @login_required
    def wrapped(project_id: int, **kwargs: Any) -> Any:
        project = _project(project_id)
        if not services.is_board(current_user):
            abort(403)
        return view(project, **kwargs)

    return wrapped


def _back(project: Project, anchor: str | None = None) -> Any:
    return redirect(url_for("finance.project", project_id=project.id, _anchor=anchor))


def _status(form: Any, refused: bool = False) -> int:
    return 422 if form.errors or refused else 200


# --- public pages --------------------------------------------------------------------------------------


@bp.get("/projects")
def projects() -> str:
    round_id = request.args.get("round", type=int)
    status = request.args.get("status", "")
    rows = queries.projects(round_id, status)
    return render_template(
        "finance/projects.html",
        rows=rows,
        total=queries.sum_totals(rows),
        rounds=queries.rounds_with_projects(),
        round_id=round_id,
        status=status if status in {s.value for s in ProjectStatus} else "",
    )


@bp.get("/projects/<int:project_id>")
def project(project_id: int) -> str:
    project = _project(project_id)
    return render_template(
        "finance/project.html",
        page=queries.project_page(project),
        project=project,
        manager=services.may_manage(project, current_user),
        board=services.is_board(current_user),
    )


@bp.get("/projects/<int:project_id>/documents/<int:document_id>")
def document(project_id: int, document_id: int) -> Response:
    project = _project(project_id)
    belongs = db.session.scalar(
        sa.select(MoneyEntry.id).where(MoneyEntry.project_id == project.id, MoneyEntry.document_id == document_id).limit(1)
    )
    if belongs is None:
        abort(404)
    doc = db.session.get(MoneyDocument, document_id, options=[undefer(MoneyDocument.data)])
    if doc is None:
        abort(404)
    response = Response(doc.data, mimetype=doc.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{doc.filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/projects/<int:project_id>/progress/<int:update_id>/photo")
def photo(project_id: int, update_id: int) -> Response:
    update = db.session.get(ProgressUpdate, update_id)
    if update is None or update.project_id != project_id:
        abort(404)
    picture = db.session.get(ProgressPhoto, update.id, options=[undefer(ProgressPhoto.data)])
    if picture is None:
        abort(404)
    response = Response(picture.data, mimetype=picture.content_type)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# --- money ---------------------------------------------------------------------------------------------


def _money_choices(form: MoneyForm, project: Project) -> list[tuple[MoneyEntry, int]]:
    form.line_id.choices = [("", _("No budget line"))] + [(line.id, line.description) for line in project.lines]
    commitments = services.open_commitments(project)
    form.commitment_id.choices = [("", _("No, this does not pay a commitment"))] + [
        (entry.id, _("%(payee)s, %(what)s: %(open)s still open", payee=entry.payee, what=entry.description, open=money(left)))
        for entry, left in commitments
    ]
    return commitments


@bp.route("/projects/<int:project_id>/money/new", methods=["GET", "POST"])
@manager_required
def new_money(project: Project) -> Any:
    form = MoneyForm()
    board = services.is_board(current_user)
    if not board:
        del form.overspend_reason
    commitments = _money_choices(form, project)
    refused = False
    if request.method == "GET":
        form.booked_on.data = services.today()
        wanted = request.args.get("commitment", type=int)
        if wanted in {entry.id for entry, _left in commitments}:
            form.kind.data = MoneyKind.EXPENDITURE.value
            form.commitment_id.data = wanted
    if form.validate_on_submit():
        values = services.MoneyInput(
            kind=MoneyKind(form.kind.data),
            booked_on=form.booked_on.data,
            amount_cents=form.amount.cents,  # type: ignore[arg-type]
            payee=form.payee.data or "",
            description=form.description.data or "",
            invoice_ref=form.invoice_ref.data or "",
            line_id=form.line_id.data,
            commitment_id=form.commitment_id.data,
        )
        upload = form.document.data
        document = None
        if upload is not None and getattr(upload, "filename", ""):
            document = services.Upload(filename=upload.filename or "", data=upload.read())
        reason = form.overspend_reason.data if board else ""
        try:
            entry = services.record_money(project, values, by=current_user, document=document, overspend_reason=reason or "")
        except ServiceError as error:
            show_error(form, error)
            refused = True
            if board and not (reason or "").strip() and isinstance(error, services.OverCeiling):
                form.overspend_reason.errors = [
                    _("To allow this as the board, write the reason for the board decision here.")
                ]
        else:
            if entry.decision_id is not None:
                flash(_("Recorded, with a board decision to allow the extra money."), "success")
            elif entry.kind == MoneyKind.COMMITMENT:
                flash(_("The commitment is recorded."), "success")
            else:
                flash(_("The expenditure is recorded."), "success")
            return _back(project, f"entry-{entry.id}")
    return render_template(
        "finance/money_form.html", form=form, project=project, board=board, totals=services.totals(project)
    ), _status(form, refused)


@bp.route("/projects/<int:project_id>/money/<int:entry_id>/correct", methods=["GET", "POST"])
@manager_required
def correct(project: Project, entry_id: int) -> Any:
    entry = db.session.get(MoneyEntry, entry_id)
    if entry is None or entry.project_id != project.id:
        abort(404)
    corrected = db.session.scalar(sa.select(MoneyEntry).where(MoneyEntry.reverses_id == entry.id))
    form = CorrectionForm()
    refused = False
    if entry.is_reversal or corrected is not None:
        flash(_("This entry cannot be corrected again: a correction is already on the record."), "error")
        return _back(project, f"entry-{entry.id}")
    if form.validate_on_submit():
        try:
            reversal = services.reverse(entry, by=current_user, reason=form.reason.data or "")
        except ServiceError as error:
            show_error(form, error)
            refused = True
        else:
            flash(_("The entry is cancelled by a correction. Now record the right entry, if there is one."), "success")
            return _back(project, f"entry-{reversal.id}")
    return render_template("finance/correct_form.html", form=form, project=project, entry=entry), _status(form, refused)


@bp.route("/projects/<int:project_id>/decisions/new", methods=["GET", "POST"])
@board_required
def new_decision(project: Project) -> Any:
    form = DecisionForm()
    refused = False
    if request.method == "GET":
        form.decided_on.data = services.today()
    if form.validate_on_submit():
        try:
            decision = services.allow_overspend(
                project, by=current_user, amount_cents=form.amount.cents, reason=form.reason.data or "", decided_on=form.decided_on.data
            )
        except ServiceError as error:
            show_error(form, error)
            refused = True
        else:
            flash(_("The board decision is recorded: the project may use %(amount)s more.", amount=money(decision.amount_cents)), "success")
            return _back(project, "decisions")
    return render_template(
        "finance/decision_form.html", form=form, project=project, totals=services.totals(project)
    ), _status(form, refused)


# --- progress ------------------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/progress/new", methods=["GET", "POST"])
@manager_required
def new_progress(project: Project) -> Any:
    form = ProgressForm()
    refused = False
    if request.method == "GET":
        form.status.data = project.status.value
    if form.validate_on_submit():
        upload = form.photo.data
        data = upload.read() if upload is not None and getattr(upload, "filename", "") else None
        try:
            services.post_progress(
                project, by=current_user, status=form.status.data, text=form.text.data or "", photo=data, photo_alt=form.photo_alt.data or ""
            )
        except ServiceError as error:
            show_error(form, error)
            refused = True
        else:
            flash(_("The progress update is posted."), "success")
            return _back(project, "progress")
    return render_template("finance/progress_form.html", form=form, project=project), _status(form, refused)
