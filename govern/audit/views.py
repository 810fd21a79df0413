"""The record, browsable: everyone sees public entries; the board and auditors see all."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import has_role, require_role
from ..extensions import db
from ..services import ServiceError
from ..membership.models import Role
from . import canonical, checkpoints
from .checkpoints import AuditCheckpoint
from .log import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")

#: Entry types about people (applications, accounts, roles): shown to the board and auditors only.
PRIVATE_PREFIXES = ("member.", "account.", "role.", "participation.", "assembly.checked_in", "assembly.checked_out", "assembly.proxy_")


def _private_filter() -> Any:
    return sa.or_(*[AuditEntry.type.startswith(p) for p in PRIVATE_PREFIXES])


def may_see_all() -> bool:
    return has_role(Role.BOARD, Role.AUDITOR)


def is_private(entry: AuditEntry) -> bool:
    return entry.type.startswith(PRIVATE_PREFIXES)


def _midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in Amsterdam, as UTC: people filter the record by their own calendar."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(), ZoneInfo("Europe/Amsterdam")).astimezone(dt.UTC)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("")
def index() -> str:
    args = request.args
    filters = {k: (args.get(k) or "").strip()[:64] for k in ("type", "subject", "actor")}
    start, until = _date(args.get("from")), _date(args.get("until"))
    query = sa.select(AuditEntry).order_by(AuditEntry.seq.desc())
    if not may_see_all():
        query = query.where(sa.not_(_private_filter()))
    if filters["type"]:
        kind = filters["type"]
        # "member." is a prefix (every kind of member entry); "member.approved" one kind.
        query = query.where(AuditEntry.type.startswith(kind) if kind.endswith(".") else AuditEntry.type == kind)
    if filters["subject"]:
        query = query.where(AuditEntry.subject == filters["subject"])
    if filters["actor"]:
        query = query.where(AuditEntry.actor == filters["actor"])
    # Entry times never go backwards (record() sees to it), so a date range is a range of
    # sequence numbers: two lookups on the ts index, then the primary key does the rest.
    if start:
        first = db.session.scalar(
            sa.select(AuditEntry.seq).where(AuditEntry.ts >= _midnight(start)).order_by(AuditEntry.ts, AuditEntry.seq).limit(1)
        )
        query = query.where(AuditEntry.seq >= (first if first is not None else 2**62))
    if until:
        last = db.session.scalar(
            sa.select(AuditEntry.seq)
            .where(AuditEntry.ts < _midnight(until + dt.timedelta(days=1)))
            .order_by(AuditEntry.ts.desc(), AuditEntry.seq.desc())
            .limit(1)
        )
        query = query.where(AuditEntry.seq <= (last if last is not None else 0))
    before = args.get("before", type=int)
    if before:
        query = query.where(AuditEntry.seq < before)
    per_page = 50
    rows = db.session.scalars(query.limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    head = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) or 0
    keep = {k: v for k, v in request.args.items() if v and k != "before"}
    older_url = url_for("audit.index", **keep, before=rows[-1].seq) if rows and more else None
    return render_template(
        "audit/index.html",
        entries=rows,
        more=more,
        older_url=older_url,
        checkpoint=checkpoints.latest_checkpoint(),
        filters=filters,
        start=args.get("from") or "",
        until=args.get("until") or "",
        head=head,
    )


@bp.get("/<int:seq>")
def entry(seq: int) -> str:
    row = db.get_or_404(AuditEntry, seq)
    if is_private(row) and not may_see_all():
        abort(404)
    body = canonical.decode(row.body)
    latest = checkpoints.latest_checkpoint()
    proof = None
    if latest is not None and row.seq <= latest.size:
        from .merkle import ProofError, verify_inclusion

        path = checkpoints.inclusion_proof(row.seq - 1, latest.size)
        try:
            verify_inclusion(row.seq - 1, latest.size, bytes.fromhex(row.hash), path, bytes.fromhex(latest.root))
            holds = True
        except ProofError:
            holds = False
        proof = {"checkpoint": latest, "path": [h.hex() for h in path], "holds": holds}
    return render_template(
        "audit/entry.html", entry=row, body=body, body_text=row.body.decode("utf-8"), proof=proof
    )


@bp.get("/checkpoints")
def checkpoint_list() -> str:
    rows = db.session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(200)).all()
    return render_template("audit/checkpoints.html", checkpoints=rows, public_key=checkpoints.public_key())


@bp.get("/checkpoints/<int:size>.note")
def checkpoint_note(size: int) -> Response:
    row = db.get_or_404(AuditCheckpoint, size)
    return Response(row.note, mimetype="text/plain", headers={"Content-Disposition": f"inline; filename={size}.note"})


@bp.get("/checkpoints/latest.note")
def latest_note() -> Response:
    row = checkpoints.latest_checkpoint()
    if row is None:
        abort(404)
    return Response(row.note, mimetype="text/plain")


@bp.post("/checkpoints")
@require_role(Role.BOARD)
def make_checkpoint() -> Response:
    try:
        row = checkpoints.make_checkpoint(by=current_user, reason="board")
    except ServiceError as error:
        flash(error.message, "error")
    else:
        if row is not None:
            flash(_("Checkpoint made: entries 1 to %(size)s are signed.", size=row.size), "success")
    return redirect(url_for("audit.checkpoint_list"))


@bp.get("/public-key.txt")
def public_key() -> Response:
    key = checkpoints.public_key()
    if key is None:
        abort(404)
    return Response(key + "\n", mimetype="text/plain")


@bp.get("/about")
def about() -> str:
    return render_template("audit/about.html", public_key=checkpoints.public_key())
