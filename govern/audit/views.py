"""The record, browsable: everyone sees public entries; the board and auditors see all."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for

from ..access import has_role
from ..extensions import db
from ..membership.models import Role
from . import canonical
from .log import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")

#: Entry types about people (applications, accounts, roles): shown to the board and auditors only.
PRIVATE_PREFIXES = ("member.", "account.", "role.")


def _private_filter() -> Any:
    return sa.or_(*[AuditEntry.type.startswith(p) for p in PRIVATE_PREFIXES])


def may_see_all() -> bool:
    return has_role(Role.BOARD, Role.AUDITOR)


def is_private(entry: AuditEntry) -> bool:
    return entry.type.startswith(PRIVATE_PREFIXES)


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
        query = query.where(AuditEntry.type.startswith(filters["type"]))
    if filters["subject"]:
        query = query.where(AuditEntry.subject == filters["subject"])
    if filters["actor"]:
        query = query.where(AuditEntry.actor == filters["actor"])
    if start:
        query = query.where(AuditEntry.ts >= dt.datetime.combine(start, dt.time(), dt.UTC))
    if until:
        query = query.where(AuditEntry.ts < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC))
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
    return render_template("audit/entry.html", entry=row, body=body, body_text=row.body.decode("utf-8"))
