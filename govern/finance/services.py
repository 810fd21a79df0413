"""Where the money goes: the operations on funded projects.

Every operation validates first, then changes state and appends its audit entry in the
same transaction (``unit_of_work``). Money entries are never edited: a mistake is
corrected with :func:`reverse`. Spending past a project's ceiling (allocation + what the
board allowed) needs a board decision with a reason, taken before or with the entry.

Who may record money and progress: the board, and the accounts of the initiative that
carries the project out (the proposal's member and its co-proposers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.utils import secure_filename

from ..audit.log import record
from ..budgeting.models import BudgetRound, Party, Proposal, ProposalStatus
from ..documents import MAX_DOCUMENT_BYTES, document_kind, stored_filename
from ..extensions import db
from ..i18n import money
from ..membership.models import Account, Role
from ..services import ServiceError, unit_of_work
from .ledger import Totals, compute_totals
from .models import (
    BoardDecision,
    MoneyDocument,
    MoneyEntry,
    MoneyKind,
    ProgressPhoto,
    ProgressUpdate,
    Project,
    ProjectLine,
    ProjectStatus,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: One entry may not exceed ten million euros: larger amounts are typing errors here.
MAX_AMOUNT_CENTS = 10_000_000_00
#: Entries dated before this are refused as typing errors.
EARLIEST_DATE = dt.date(2000, 1, 1)
BOARD_ROLES = (Role.BOARD,)


def today() -> dt.date:
    """The calendar date in Amsterdam now (money entries carry dates as the books do)."""
    return dt.datetime.now(AMSTERDAM).date()


# --- who may do what ------------------------------------------------------------------------------


def is_board(account: Any) -> bool:
    return bool(getattr(account, "is_authenticated", False) and account.has_role(*BOARD_ROLES))


def initiative_member_ids(project: Project) -> set[int]:
    """The members that carry the project out: the proposer and co-proposers of the funded proposal."""
    return project.proposal.member_ids(Party.PROPOSER, Party.CO_PROPOSER) | {project.member_id}


def may_manage(project: Project, account: Any) -> bool:
    """The board, or an account of the initiative, may record money and progress for the project."""
    if not getattr(account, "is_authenticated", False) or not account.is_active:
        return False
    return is_board(account) or (account.member.is_active and account.member_id in initiative_member_ids(project))


def _require_manager(project: Project, account: Account) -> None:
    if not may_manage(project, account):
        raise ServiceError(_l("Only the board or the initiative that carries out this project can do this."))


def _require_board(account: Account) -> None:
    if not is_board(account):
        raise ServiceError(_l("Only the board can do this."))


# --- projects from a round's results -------------------------------------------------------------


def create_projects(round_: BudgetRound, *, by: Account | str | None) -> list[Project]:
    """Make a project of every funded proposal of the round (called when its results are recorded)."""
    proposals = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.FUNDED)
        .order_by(Proposal.id)
    ).all()
    existing = set(db.session.scalars(sa.select(Project.proposal_id).where(Project.round_id == round_.id)))
    projects = []
    for proposal in proposals:
        if proposal.id in existing:
            continue
        project = Project(
            proposal_id=proposal.id,
            round_id=round_.id,
            member_id=proposal.member_id,
            title=proposal.title,
            neighbourhood=proposal.neighbourhood,
            category=proposal.category,
            allocation_cents=proposal.cost_cents,
            lines=[
                ProjectLine(position=i, description=line.description, amount_cents=line.amount_cents)
                for i, line in enumerate(proposal.lines)
            ],
        )
        db.session.add(project)
        db.session.flush()
        record(
            "project.created",
            actor=by,
            subject=project.subject,
            data={
                "proposal": proposal.id,
                "round": round_.id,
                "member": proposal.member_id,
                "allocation_cents": project.allocation_cents,
                "lines": [[line.id, line.description, line.amount_cents] for line in project.lines],
            },
        )
        projects.append(project)
    return projects


# --- totals -------------------------------------------------------------------------------------


def _entry_rows(project_ids: Sequence[int] | None = None) -> dict[int, list[tuple[int, str, int, int | None, int | None]]]:
    t = MoneyEntry.__table__
    query = sa.select(t.c.project_id, t.c.id, t.c.kind, t.c.amount_cents, t.c.commitment_id, t.c.reverses_id).order_by(t.c.id)
    if project_ids is not None:
        query = query.where(t.c.project_id.in_(list(project_ids)))
    rows: dict[int, list[tuple[int, str, int, int | None, int | None]]] = {}
    for project_id, *rest in db.session.execute(query):
        rows.setdefault(project_id, []).append(tuple(rest))  # type: ignore[arg-type]
    return rows


def totals_for(projects: Sequence[Project]) -> dict[int, Totals]:
    """Totals of each project, from two queries whatever the number of projects."""
    rows = _entry_rows([p.id for p in projects]) if projects else {}
    return {p.id: compute_totals(p.allocation_cents, p.extra_cents, rows.get(p.id, ())) for p in projects}


def lock(project: Project) -> Project:
    """Hold the project's row until the transaction ends and reload it, so two people booking at once
    cannot both pass the ceiling check (PostgreSQL: SELECT … FOR UPDATE; SQLite: the write
    transaction already runs alone, BEGIN IMMEDIATE)."""
    db.session.execute(
        sa.select(Project).where(Project.id == project.id).with_for_update().execution_options(populate_existing=True)
    )
    return project


def totals(project: Project) -> Totals:
    return totals_for([project])[project.id]


def open_commitments(project: Project) -> list[tuple[MoneyEntry, int]]:
    """The project's commitments with money still open, and how much (cents)."""
    entries = _entries(project)
    settled: dict[int, int] = {}
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id is not None}
    for e in entries:
        if e.kind == MoneyKind.EXPENDITURE and e.commitment_id is not None:
            settled[e.commitment_id] = settled.get(e.commitment_id, 0) + e.amount_cents
    out = []
    for e in entries:
        if e.kind == MoneyKind.COMMITMENT and not e.is_reversal and e.id not in reversed_ids:
            open_ = e.amount_cents - settled.get(e.id, 0)
            if open_ > 0:
                out.append((e, open_))
    return out


def _entries(project: Project) -> list[MoneyEntry]:
    return list(db.session.scalars(sa.select(MoneyEntry).where(MoneyEntry.project_id == project.id).order_by(MoneyEntry.id)))


# --- checking input -------------------------------------------------------------------------------


def check_amount(value: Any, field: str = "amount") -> int:
    """A positive whole number of cents, not absurdly large."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(_l("Fill in an amount in euros, for example 125,50."), field)
    if value <= 0:
        raise ServiceError(_l("The amount must be more than € 0. To correct an entry, use “Correct”."), field)
    if value > MAX_AMOUNT_CENTS:
        raise ServiceError(_l("This amount is too large. Check the amount."), field)
    return value


def check_date(value: Any, field: str = "booked_on") -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ServiceError(_l("Fill in a date, for example 14-03-2026."), field)
    if value > today():
        raise ServiceError(_l("The date is in the future. Use the date on the invoice or order."), field)
    if value < EARLIEST_DATE:
        raise ServiceError(_l("This date is too long ago. Check the year."), field)
    return value


def _text(value: Any, field: str, limit: int, *, required: bool, message: Any = None) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ServiceError(message or _l("Fill in this field."), field)
    if len(text) > limit:
        raise ServiceError(_l("This is too long: at most %(n)d characters.", n=limit), field)
    return text


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _document(upload: Upload | None) -> MoneyDocument | None:
    if upload is None or not upload.data:
        return None
    if len(upload.data) > MAX_DOCUMENT_BYTES:
        raise ServiceError(_l("This file is too large. A document can be at most 10 MB."), "document")
    kind = document_kind(upload.data)
    if kind is None:
        raise ServiceError(_l("This file is not a PDF, PNG or JPEG. Save it as PDF and try again."), "document")
    content_type, extension = kind
    name = stored_filename(upload.filename, extension)
    document = MoneyDocument(
        filename=name,
        content_type=content_type,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        data=upload.data,
    )
    db.session.add(document)
    return document


# --- money ---------------------------------------------------------------------------------------------


@dataclass
class MoneyInput:
    """What a form or an import row says about one commitment or expenditure."""

    kind: MoneyKind
    booked_on: dt.date
    amount_cents: int
    payee: str
    description: str
    invoice_ref: str = ""
    line_id: int | None = None
    commitment_id: int | None = None


def check_money(project: Project, values: MoneyInput) -> MoneyInput:
    """Validate one entry for the project without writing anything; returns the cleaned values."""
    try:
        kind = MoneyKind(values.kind)
    except ValueError:
        raise ServiceError(_l("Choose commitment or expenditure."), "kind") from None
    amount = check_amount(values.amount_cents)
    booked_on = check_date(values.booked_on)
    payee = _text(values.payee, "payee", 200, required=True, message=_l("Fill in who is paid: the name of the shop, company or organisation."))
    description = _text(values.description, "description", 500, required=True, message=_l("Say in a few words what the money is for."))
    invoice_ref = _text(values.invoice_ref, "invoice_ref", 100, required=False)
    line_id = values.line_id
    if line_id is not None and line_id not in {line.id for line in project.lines}:
        raise ServiceError(_l("Choose a budget line of this project."), "line_id")
    commitment_id = values.commitment_id
    if commitment_id is not None:
        if kind != MoneyKind.EXPENDITURE:
            raise ServiceError(_l("Only an expenditure can pay a commitment."), "commitment_id")
        open_amounts = {entry.id: open_ for entry, open_ in open_commitments(project)}
        if commitment_id not in open_amounts:
            raise ServiceError(_l("Choose an open commitment of this project."), "commitment_id")
        if amount > open_amounts[commitment_id]:
            raise ServiceError(
                _l(
                    "This is more than the commitment still has open (%(open)s). Record the rest as a separate expenditure.",
                    open=money(open_amounts[commitment_id]),
                ),
                "amount",
            )
    return MoneyInput(kind, booked_on, amount, payee, description, invoice_ref, line_id, commitment_id)


def in_use_after(current: Totals, values: MoneyInput) -> int:
    """Spent + open commitments after adding the entry (paying a commitment moves money, it adds none)."""
    if values.kind == MoneyKind.EXPENDITURE and values.commitment_id is not None:
        return current.in_use
    return current.in_use + values.amount_cents


class OverCeiling(ServiceError):
    """The entry would take the project past its ceiling, and no board decision came with it."""


def over_message(project: Project, current: Totals, values: MoneyInput) -> Any:
    over = in_use_after(current, values) - current.ceiling
    return _l(
        "This goes %(over)s over the money for this project (%(left)s left). Only the board can allow that, with a reason.",
        over=money(over),
        left=money(max(0, current.left)),
    )


def _add_entry(
    project: Project,
    clean: MoneyInput,
    *,
    by: Account,
    current: Totals,
    overspend_reason: str = "",
    document: MoneyDocument | None = None,
    import_sha256: str | None = None,
) -> MoneyEntry:
    decision = None
    after = in_use_after(current, clean)
    if after > current.ceiling:
        reason = " ".join((overspend_reason or "").split())
        if not is_board(by) or not reason:
            raise OverCeiling(over_message(project, current, clean), "amount")
        decision = _decide(project, by=by, amount_cents=after - current.ceiling, reason=reason, decided_on=today())
    if document is not None:
        db.session.flush()
    entry = MoneyEntry(
        project_id=project.id,
        kind=clean.kind,
        booked_on=clean.booked_on,
        amount_cents=clean.amount_cents,
        payee=clean.payee,
        description=clean.description,
        invoice_ref=clean.invoice_ref,
        line_id=clean.line_id,
        commitment_id=clean.commitment_id,
        decision_id=decision.id if decision else None,
        document_id=document.id if document else None,
        import_sha256=import_sha256,
        account_id=by.id,
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "money.committed" if clean.kind == MoneyKind.COMMITMENT else "money.spent",
        actor=by,
        subject=project.subject,
        data=entry_data(entry, document),
    )
    return entry


def entry_data(entry: MoneyEntry, document: MoneyDocument | None = None) -> dict[str, Any]:
    """What the record says of a money entry (also what the export lists and the verifier compares)."""
    data: dict[str, Any] = {
        "project": entry.project_id,
        "entry": entry.id,
        "kind": entry.kind.value,
        "booked_on": entry.booked_on.isoformat(),
        "amount_cents": entry.amount_cents,
        "payee": entry.payee,
        "description": entry.description,
        "invoice_ref": entry.invoice_ref,
    }
    if entry.line_id is not None:
        data["line"] = entry.line_id
    if entry.commitment_id is not None:
        data["commitment"] = entry.commitment_id
    if entry.reverses_id is not None:
        data["reverses"] = entry.reverses_id
    if entry.decision_id is not None:
        data["decision"] = entry.decision_id
    document = document or entry.document
    if document is not None:
        data["document_sha256"] = document.sha256
    if entry.import_sha256:
        data["import_sha256"] = entry.import_sha256
    return data


@unit_of_work
def record_money(
    project: Project,
    values: MoneyInput,
    *,
    by: Account,
    document: Upload | None = None,
    overspend_reason: str = "",
) -> MoneyEntry:
    """Record a commitment or an expenditure. Past the ceiling only the board can, with a reason (a board decision)."""
    _require_manager(project, by)
    lock(project)
    clean = check_money(project, values)
    current = totals(project)
    doc = _document(document)
    return _add_entry(project, clean, by=by, current=current, overspend_reason=overspend_reason, document=doc)


@unit_of_work
def reverse(entry: MoneyEntry, *, by: Account, reason: str) -> MoneyEntry:
    """Correct an entry by a new one that cancels it (the negated amount, today's date). The original stays."""
    project = entry.project
    _require_manager(project, by)
    lock(project)
    clean_reason = _text(reason, "reason", 500, required=True, message=_l("Say why this entry is corrected."))
    if entry.is_reversal:
        raise ServiceError(_l("A correction cannot be corrected. Record the entry again instead."))
    already = db.session.scalar(sa.select(MoneyEntry.id).where(MoneyEntry.reverses_id == entry.id))
    if already is not None:
        raise ServiceError(_l("This entry has already been corrected."))
    if entry.kind == MoneyKind.COMMITMENT:
        settled = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(MoneyEntry.amount_cents), 0)).where(MoneyEntry.commitment_id == entry.id)
        )
        if settled:
            raise ServiceError(_l("Expenditures already pay this commitment. Correct those first."))
    reversal = MoneyEntry(
        project_id=project.id,
        kind=entry.kind,
        booked_on=today(),
        amount_cents=-entry.amount_cents,
        payee=entry.payee,
        description=clean_reason,
        invoice_ref=entry.invoice_ref,
        line_id=entry.line_id,
        commitment_id=entry.commitment_id,
        reverses_id=entry.id,
        account_id=by.id,
    )
    db.session.add(reversal)
    db.session.flush()
    record("money.reversed", actor=by, subject=project.subject, data=entry_data(reversal))
    return reversal


def _decide(project: Project, *, by: Account, amount_cents: int, reason: str, decided_on: dt.date) -> BoardDecision:
    decision = BoardDecision(
        project_id=project.id, amount_cents=amount_cents, reason=reason, decided_on=decided_on, account_id=by.id
    )
    db.session.add(decision)
    project.extra_cents += amount_cents
    db.session.flush()
    record(
        "project.overspend_allowed",
        actor=by,
        subject=project.subject,
        data={
            "project": project.id,
            "decision": decision.id,
            "amount_cents": amount_cents,
            "reason": reason,
            "decided_on": decided_on.isoformat(),
            "ceiling_cents": project.ceiling_cents,
        },
    )
    return decision


@unit_of_work
def allow_overspend(project: Project, *, by: Account, amount_cents: Any, reason: str, decided_on: Any) -> BoardDecision:
    """A board decision: the project may use ``amount_cents`` more than its allocation, for this reason."""
    _require_board(by)
    lock(project)
    amount = check_amount(amount_cents)
    clean_reason = _text(reason, "reason", 2000, required=True, message=_l("Give the reason for the board's decision."))
    day = check_date(decided_on, "decided_on")
    return _decide(project, by=by, amount_cents=amount, reason=clean_reason, decided_on=day)


# --- progress ---------------------------------------------------------------------------------------


@unit_of_work
def post_progress(
    project: Project,
    *,
    by: Account,
    status: Any,
    text: str,
    photo: bytes | None = None,
    photo_alt: str = "",
) -> ProgressUpdate:
    """Tell how the project is doing: a status, a short text, an optional photo with a description for screen readers."""
    from ..budgeting.services import check_image

    _require_manager(project, by)
    try:
        new_status = ProjectStatus(status)
    except ValueError:
        raise ServiceError(_l("Choose how far the project is."), "status") from None
    clean_text = (text or "").strip()
    if not clean_text:
        raise ServiceError(_l("Write a few sentences about how the project is doing."), "text")
    if len(clean_text) > 2000:
        raise ServiceError(_l("This is too long: at most %(n)d characters.", n=2000), "text")
    alt = " ".join((photo_alt or "").split())
    image = None
    if photo:
        try:
            image = check_image(photo)
        except ServiceError as error:
            raise ServiceError(error.message, "photo") from None
        if not alt:
            raise ServiceError(_l("Describe the photo in one sentence, for people who cannot see it."), "photo_alt")
        if len(alt) > 300:
            raise ServiceError(_l("This is too long: at most %(n)d characters.", n=300), "photo_alt")
    update = ProgressUpdate(
        project_id=project.id,
        status=new_status,
        text=clean_text,
        has_photo=image is not None,
        photo_alt=alt if image else "",
        account_id=by.id,
    )
    db.session.add(update)
    db.session.flush()
    data: dict[str, Any] = {"project": project.id, "update": update.id, "status": new_status.value, "text": clean_text}
    if image is not None:
        digest = hashlib.sha256(image.data).hexdigest()
        db.session.add(
            ProgressPhoto(
                update_id=update.id,
                content_type=image.content_type,
                sha256=digest,
                data=image.data,
                width=image.width,
                height=image.height,
            )
        )
        data.update(photo_sha256=digest, photo_alt=alt)
    if project.status != new_status:
        data["from"] = project.status.value
        project.status = new_status
        project.status_changed_at = update.created_at
    record("project.progress", actor=by, subject=project.subject, data=data)
    return update


# --- importing expenditures from the books -----------------------------------------------------------


@dataclass
class ImportRow:
    """One data row of a bookkeeping file, as the importer understood it (``error`` when it could not)."""

    line: int
    project: Project | None
    values: MoneyInput | None
    error: Any = None


class ImportRefused(ServiceError):
    """Some rows are wrong; nothing was imported. ``errors``: (line, message), in file order."""

    def __init__(self, errors: list[tuple[int, Any]]) -> None:
        super().__init__(_l("Nothing was imported: %(n)d rows have a problem.", n=len(errors)))
        self.errors = errors


def check_rows(rows: Sequence[ImportRow], *, by: Account) -> list[tuple[int, Any]]:
    """Every problem of every row, by line; the ceiling is checked with the rows before it counted in."""
    errors: list[tuple[int, Any]] = []
    if not rows:
        return [(0, _l("The file has no rows with expenditures."))]
    running: dict[int, Totals] = {}
    for row in rows:
        if row.error is not None:
            errors.append((row.line, row.error))
            continue
        if row.project is None or row.values is None:
            errors.append((row.line, _l("Unknown project.")))
            continue
        project = row.project
        if not may_manage(project, by):
            errors.append((row.line, _l("You cannot record money for project %(n)d.", n=project.id)))
            continue
        try:
            clean = check_money(project, row.values)
        except ServiceError as error:
            errors.append((row.line, error.message))
            continue
        current = running.get(project.id) or totals(project)
        if in_use_after(current, clean) > current.ceiling:
            errors.append((row.line, over_message(project, current, clean)))
            continue
        running[project.id] = current + Totals(spent=clean.amount_cents)
    return errors


@unit_of_work
def import_expenditures(rows: Sequence[ImportRow], *, by: Account, file_sha256: str, filename: str) -> list[MoneyEntry]:
    """Import every row as an expenditure, or none: any problem raises :class:`ImportRefused` with all of them."""
    for project in sorted({row.project.id: row.project for row in rows if row.project is not None}.values(), key=lambda p: p.id):
        lock(project)  # in id order, so two imports never wait on each other crosswise
    errors = check_rows(rows, by=by)
    if errors:
        raise ImportRefused(errors)
    entries = []
    running: dict[int, Totals] = {}
    for row in rows:
        assert row.project is not None and row.values is not None
        clean = check_money(row.project, row.values)
        current = running.get(row.project.id) or totals(row.project)
        entries.append(_add_entry(row.project, clean, by=by, current=current, import_sha256=file_sha256))
        running[row.project.id] = current + Totals(spent=clean.amount_cents)
    record(
        "money.imported",
        actor=by,
        subject=None,
        data={
            "file_sha256": file_sha256,
            "filename": secure_filename(filename)[:200],
            "rows": len(entries),
            "total_cents": sum(e.amount_cents for e in entries),
            "entries": [e.id for e in entries],
        },
    )
    return entries


def _register_export() -> None:
    from ..audit.export import FILE_SOURCES
    from .export import money_files

    if money_files not in FILE_SOURCES:
        FILE_SOURCES.append(money_files)


_register_export()
