"""The money trail in the audit bundle: ``money.json``, written from the database's tables.

The verifier does not trust this file: it replays the record's own money entries
(:func:`govern.finance.ledger.replay`) and checks that the file lists exactly those
entries and the same totals. The file is there so an auditor can read the trail in one
place and compare it with the cooperative's books.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..audit import canonical
from ..audit.log import AuditEntry
from ..extensions import db
from .models import BoardDecision, MoneyEntry, Project

FORMAT = "govern-money"
VERSION = 1
LICENCE = "CC BY 4.0"


def _seqs(types: tuple[str, ...], key: str) -> dict[int, int]:
    """data[key] → seq of the record entries of these types."""
    found: dict[int, int] = {}
    rows = db.session.execute(sa.select(AuditEntry.seq, AuditEntry.body).where(AuditEntry.type.in_(types)))
    for seq, body in rows:
        value = canonical.decode(bytes(body))["data"].get(key)
        if isinstance(value, int):
            found[value] = seq
    return found


def money_document() -> dict[str, Any]:
    from .services import entry_data, totals_for

    projects = list(db.session.scalars(sa.select(Project).order_by(Project.id)))
    totals = totals_for(projects)
    created = {}
    for seq, subject in db.session.execute(
        sa.select(AuditEntry.seq, AuditEntry.subject).where(AuditEntry.type == "project.created")
    ):
        if subject and subject.startswith("project:"):
            created[int(subject[8:])] = seq
    entry_seq = _seqs(("money.committed", "money.spent", "money.reversed"), "entry")
    decision_seq = _seqs(("project.overspend_allowed",), "decision")
    entries = db.session.scalars(sa.select(MoneyEntry).options(sa.orm.selectinload(MoneyEntry.document)).order_by(MoneyEntry.id))
    decisions = db.session.scalars(sa.select(BoardDecision).order_by(BoardDecision.id))
    return {
        "format": FORMAT,
        "version": VERSION,
        "licence": LICENCE,
        "projects": [
            {
                "id": p.id,
                "proposal": p.proposal_id,
                "round": p.round_id,
                "title": p.title,
                "allocation_cents": p.allocation_cents,
                "extra_cents": p.extra_cents,
                "created_seq": created.get(p.id),
                "totals": totals[p.id].as_dict(),
            }
            for p in projects
        ],
        "entries": [{"seq": entry_seq.get(e.id), **entry_data(e)} for e in entries],
        "decisions": [
            {
                "seq": decision_seq.get(d.id),
                "decision": d.id,
                "project": d.project_id,
                "amount_cents": d.amount_cents,
                "reason": d.reason,
                "decided_on": d.decided_on.isoformat(),
            }
            for d in decisions
        ],
    }


def money_files() -> dict[str, bytes]:
    """Files for the audit bundle (govern.audit.export.FILE_SOURCES)."""
    return {"money.json": canonical.encode_plain(money_document())}
