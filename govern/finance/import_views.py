"""Import expenditures from a bookkeeping export: upload, choose the columns, check every row, import all or none.

Each step is a normal form POST. No draft is kept on the server: the file travels in the
mapping form (compressed, base64) with its SHA-256, signed with the app's secret key for
the account that uploaded it; every step checks that the file still has that hash.
Who may import: the board (any project), or an initiative for its own projects.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import zlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.routing import BuildError

from ..forms import show_error
from ..services import ServiceError
from . import importer
from .import_forms import MappingForm, UploadForm
from .importer import FileRefused
from .services import ImportRefused

bp = Blueprint("money_import", __name__)

TAMPERED = _l("The file changed between the steps, so we cannot trust it. Upload the file again.")


def importer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in, and the board or an initiative with a project; otherwise 403 (anonymous visitors go to sign-in)."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not importer.may_import(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# --- the file between the steps -----------------------------------------------------------------------


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="govern.money-import")


def _carry(form: MappingForm, data: bytes, filename: str) -> str:
    sha = hashlib.sha256(data).hexdigest()
    form.content.data = base64.urlsafe_b64encode(zlib.compress(data, 6)).decode("ascii")
    form.filename.data = filename
    form.sha256.data = sha
    form.signature.data = _signer().dumps({"sha256": sha, "filename": filename, "account": current_user.id})
    return sha


def _carried(form: MappingForm) -> tuple[bytes, str, str]:
    """The file the form carries, its name and SHA-256, if it is the file uploaded by this account; else FileRefused."""
    try:
        signed = _signer().loads(form.signature.data or "")
        packed = base64.urlsafe_b64decode((form.content.data or "").encode("ascii"))
        inflater = zlib.decompressobj()
        data = inflater.decompress(packed, importer.MAX_BYTES + 1)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("not one whole compressed file, or too large")
    except (BadSignature, ValueError, binascii.Error, zlib.error):
        raise FileRefused(TAMPERED) from None
    sha = hashlib.sha256(data).hexdigest()
    filename = form.filename.data or ""
    if (
        not isinstance(signed, dict)
        or signed.get("sha256") != sha
        or form.sha256.data != sha
        or signed.get("filename") != filename
        or signed.get("account") != current_user.id
    ):
        raise FileRefused(TAMPERED)
    return data, filename, sha


# --- pages -------------------------------------------------------------------------------------------------


def project_url(project_id: int) -> str | None:
    """The project's page, once the project pages exist."""
    try:
        return url_for("finance.project", project_id=project_id)
    except BuildError:
        return None


@bp.app_context_processor
def _import_helpers() -> dict[str, Any]:
    return {"import_project_url": project_url}


def _upload_page(form: UploadForm, status: int = 200) -> Any:
    projects = importer.manageable_projects(current_user)
    return render_template("money_import/upload.html", form=form, projects=projects), status


def _start_again(error: ServiceError) -> Any:
    """Back to the upload page with the message (a changed or already imported file)."""
    form = UploadForm(formdata=None)
    show_error(form, error)
    return _upload_page(form, 400)


def _mapping_page(form: MappingForm, table: importer.Table, errors: list[tuple[int, Any]] | None = None, status: int = 200) -> Any:
    return render_template(
        "money_import/mapping.html",
        form=form,
        table=table,
        errors=errors or [],
        error_lines=len({line for line, _message in errors or []}),
        delimiter_name=_delimiter_name(table.delimiter),
    ), status


def _delimiter_name(delimiter: str) -> str:
    names = {";": _("semicolon (;)"), ",": _("comma (,)"), "\t": _("tab"), "|": _("vertical bar (|)")}
    return names.get(delimiter, delimiter)


def _filename(upload: Any) -> str:
    name = (getattr(upload, "filename", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    return " ".join(name.split())[:200]


def _suggested_project(value: str | None, projects: list[Any]) -> int | None:
    if value and value.isdigit() and int(value) in {p.id for p in projects}:
        return int(value)
    return None


@bp.route("/money/import", methods=["GET", "POST"])
@importer_required
def upload() -> Any:
    form = UploadForm()
    if request.method == "GET":
        form.project.data = request.args.get("project", "")
    if not form.validate_on_submit():
        return _upload_page(form, 422 if form.errors else 200)
    upload = form.file.data
    filename = _filename(upload)
    if not filename:
        form.file.errors = [_("Choose the CSV file with the payments.")]
        return _upload_page(form, 422)
    data = upload.read(importer.MAX_BYTES + 1)
    try:
        table = importer.read_table(data)
        when = importer.imported_on(hashlib.sha256(data).hexdigest())
        if when is not None:
            raise FileRefused(importer.already_imported_message(when))
    except FileRefused as error:
        show_error(form, error)
        return _upload_page(form, 422)
    projects = importer.manageable_projects(current_user)
    mapping = MappingForm(formdata=None)
    mapping.set_choices(table.columns, projects)
    _carry(mapping, data, filename)
    guess = importer.guess_columns(table.header)
    mapping.fill(
        guess,
        _suggested_project(form.project.data, projects),
        importer.guess_date_format(table.column(guess["date"])),
    )
    return _mapping_page(mapping, table)


def _read_carried(form: MappingForm) -> tuple[importer.Table, str, str]:
    data, filename, sha = _carried(form)
    table = importer.read_table(data)
    form.set_choices(table.columns, importer.manageable_projects(current_user))
    return table, filename, sha


@bp.post("/money/import/check")
@importer_required
def check() -> Any:
    form = MappingForm()
    try:
        table, _name, sha = _read_carried(form)
    except FileRefused as error:
        return _start_again(error)
    if request.form.get("edit"):
        return _mapping_page(form, table)  # "Change the choices" on the summary page
    if not form.validate_on_submit():
        return _mapping_page(form, table, status=422)
    try:
        checked = importer.check(table, importer.Choices(**form.chosen()), by=current_user, file_sha256=sha)
    except FileRefused as error:
        return _start_again(error)
    if not checked.ok:
        return _mapping_page(form, table, checked.errors, status=422)
    return render_template(
        "money_import/summary.html",
        form=form,
        table=table,
        summary=importer.summarize(checked.rows),
        first_rows=checked.rows[:10],
    )


@bp.post("/money/import/confirm")
@importer_required
def confirm() -> Any:
    form = MappingForm()
    try:
        table, filename, sha = _read_carried(form)
    except FileRefused as error:
        return _start_again(error)
    if not form.validate_on_submit():
        return _mapping_page(form, table, status=422)
    try:
        entries = importer.import_file(
            table, importer.Choices(**form.chosen()), by=current_user, file_sha256=sha, filename=filename
        )
    except FileRefused as error:
        return _start_again(error)
    except ImportRefused as refused:
        # Something changed since the check (another entry, a decision): show every problem again.
        return _mapping_page(form, table, refused.errors, status=422)
    except ServiceError as error:
        flash(error.message, "error")
        return _mapping_page(form, table, status=422)
    flash(ngettext("%(num)d expenditure imported.", "%(num)d expenditures imported.", len(entries)), "success")
    return redirect(url_for("money_import.result", file_sha256=sha))


@bp.get("/money/import/<string(length=64):file_sha256>")
@importer_required
def result(file_sha256: str) -> Any:
    entries = importer.imported_entries(file_sha256)
    if not entries:
        abort(404)
    groups: dict[int, dict[str, Any]] = {}
    for entry in entries:
        group = groups.setdefault(entry.project_id, {"project": entry.project, "entries": [], "total": 0})
        group["entries"].append(entry)
        group["total"] += entry.amount_cents
    return render_template(
        "money_import/result.html",
        file_sha256=file_sha256,
        groups=list(groups.values()),
        total=sum(e.amount_cents for e in entries),
        count=len(entries),
        record=importer.import_record(file_sha256),
    )
