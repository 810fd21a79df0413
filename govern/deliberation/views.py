"""Threads and comments, moderation, and notifications. Views parse, call one service, then redirect or render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import has_role, require_right, require_role
from ..extensions import db
from ..forms import show_error
from ..membership.models import Right, Role
from ..services import ServiceError
from ..url import safe_next
from . import markdown, queries, services
from .forms import CommentForm, DigestForm, HideForm, KeepForm, MarkReadForm, ReportForm
from .models import Comment, Notification

bp = Blueprint("deliberation", __name__)

MODERATORS = (Role.MODERATOR, Role.BOARD)


def new_comment_form() -> CommentForm:
    """An empty form for the thread include (never filled from this request's form data)."""
    return CommentForm(prefix="comment", formdata=None, next=request.path)


def unread_notifications() -> int:
    return queries.unread_count(current_user.id) if current_user.is_authenticated else 0


def open_reports() -> int:
    return queries.open_report_count() if has_role(*MODERATORS) else 0


@bp.app_context_processor
def _deliberation_helpers() -> dict[str, Any]:
    return {
        "thread_for": queries.thread_for,
        "new_comment_form": new_comment_form,
        "unread_notifications": unread_notifications,
        "open_reports": open_reports,
        "subject_url": queries.subject_url,
        "subject_label": queries.subject_label,
        "subject_name": queries.subject_name,
        "author_name": queries.author_name,
    }


@bp.app_template_filter("markdown")
def _markdown(text: str) -> Any:
    return markdown.render(text)


def _subject_or_404(subject: str) -> str:
    if not services.subject_exists(subject):
        abort(404)
    return subject


def _comment_or_404(comment_id: int) -> Comment:
    comment = queries.comment_with_author(comment_id)
    if comment is None:
        abort(404)
    return comment


def _comment_url(comment: Comment) -> str:
    return queries.subject_url(comment.thread.subject, anchor=f"comment-{comment.id}")


# --- threads and comments ---------------------------------------------------------------------


@bp.get("/threads/<path:subject>")
def thread(subject: str) -> str:
    return render_template("deliberation/thread.html", thread_subject=_subject_or_404(subject))


@bp.post("/threads/<path:subject>")
@require_right(Right.DELIBERATE)
def post_comment(subject: str) -> Any:
    _subject_or_404(subject)
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        try:
            comment = services.post_comment(
                subject, author=current_user, body=form.body.data, stance=form.stance.data or ""
            )
        except ServiceError as error:
            show_error(form, error)
        else:
            flash(_("Your comment is posted."), "success")
            back = safe_next(form.next.data)
            target = f"{back}#comment-{comment.id}" if back else _comment_url(comment)
            return redirect(target)
    return render_template("deliberation/thread.html", thread_subject=subject, comment_form=form), 422


@bp.route("/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@require_right(Right.DELIBERATE)
def reply(comment_id: int) -> Any:
    parent = _comment_or_404(comment_id)
    form = CommentForm(prefix="reply")
    refused = False
    if form.validate_on_submit():
        try:
            comment = services.post_comment(
                parent.thread.subject,
                author=current_user,
                body=form.body.data,
                stance=form.stance.data or "",
                parent_id=parent.id,
            )
        except ServiceError as error:
            show_error(form, error)
            refused = True
        else:
            flash(_("Your reply is posted."), "success")
            return redirect(_comment_url(comment))
    return render_template("deliberation/reply.html", parent=parent, form=form), 422 if form.errors or refused else 200


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@require_right(Right.DELIBERATE)
def edit(comment_id: int) -> Any:
    comment = _comment_or_404(comment_id)
    if comment.author_id != current_user.id:
        abort(403)
    form = CommentForm(prefix="edit", obj=comment if request.method == "GET" else None)
    if request.method == "GET":
        form.stance.data = comment.stance.value
    refused = False
    if form.validate_on_submit():
        try:
            services.edit_comment(comment, by=current_user, body=form.body.data, stance=form.stance.data or "")
        except ServiceError as error:
            show_error(form, error)
            refused = True
        else:
            flash(_("Your comment is changed. The earlier text stays in its history."), "success")
            return redirect(_comment_url(comment))
    return render_template("deliberation/edit.html", comment=comment, form=form), 422 if form.errors or refused else 200


@bp.get("/comments/<int:comment_id>/history")
def history(comment_id: int) -> str:
    comment = _comment_or_404(comment_id)
    return render_template(
        "deliberation/history.html", comment=comment, show_text=not comment.is_hidden or has_role(*MODERATORS)
    )


@bp.route("/comments/<int:comment_id>/report", methods=["GET", "POST"])
@require_right(Right.DELIBERATE)
def report(comment_id: int) -> Any:
    comment = _comment_or_404(comment_id)
    form = ReportForm()
    refused = False
    if form.validate_on_submit():
        try:
            services.report_comment(comment, by=current_user, reason=form.reason.data)
        except ServiceError as error:
            show_error(form, error)
            refused = True
        else:
            flash(_("Thank you. The moderators will look at this comment."), "success")
            return redirect(_comment_url(comment))
    return render_template("deliberation/report.html", comment=comment, form=form), 422 if form.errors or refused else 200


# --- moderation -------------------------------------------------------------------------------


@bp.get("/moderation")
@require_role(*MODERATORS)
def moderation() -> str:
    return render_template("deliberation/moderation.html", items=queries.moderation_queue(), keep_form=KeepForm())


@bp.route("/comments/<int:comment_id>/hide", methods=["GET", "POST"])
@require_role(*MODERATORS)
def hide(comment_id: int) -> Any:
    comment = _comment_or_404(comment_id)
    form = HideForm()
    refused = False
    if form.validate_on_submit():
        try:
            services.hide_comment(comment, by=current_user, reason=form.reason.data)
        except ServiceError as error:
            show_error(form, error)
            refused = True
        else:
            flash(_("The comment is hidden. The reason is shown in its place."), "success")
            return redirect(safe_next(request.args.get("next")) or _comment_url(comment))
    return render_template("deliberation/hide.html", comment=comment, form=form), 422 if form.errors or refused else 200


@bp.post("/comments/<int:comment_id>/keep")
@require_role(*MODERATORS)
def keep(comment_id: int) -> Any:
    comment = _comment_or_404(comment_id)
    if KeepForm().validate_on_submit():
        try:
            services.keep_comment(comment, by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(_("The comment stays. The reports about it are closed."), "success")
    return redirect(url_for("deliberation.moderation"))


# --- notifications ----------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications() -> str:
    page = queries.notifications_page(current_user.id, request.args.get("page", 1, type=int))
    return render_template(
        "deliberation/notifications.html",
        page=page,
        items=queries.describe(page.items),
        unread=queries.unread_count(current_user.id),
        read_form=MarkReadForm(),
        digest_form=DigestForm(daily_digest=services.digest_enabled(current_user)),
    )


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int) -> Any:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.account_id != current_user.id:
        abort(404)
    if MarkReadForm().validate_on_submit():
        services.mark_read(current_user, [notification.id])
    return redirect(url_for("deliberation.notifications"))


@bp.post("/notifications/read")
@login_required
def mark_all_read() -> Any:
    if MarkReadForm().validate_on_submit():
        count = services.mark_read(current_user)
        if count:
            flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("deliberation.notifications"))


@bp.post("/notifications/settings")
@login_required
def notification_settings() -> Any:
    form = DigestForm()
    if form.validate_on_submit():
        services.set_daily_digest(current_user, bool(form.daily_digest.data))
        flash(
            _("You will get one e-mail a day when you have new notifications.")
            if form.daily_digest.data
            else _("You will not get a daily e-mail."),
            "success",
        )
    return redirect(url_for("deliberation.notifications"))
