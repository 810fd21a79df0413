"""The audit bundle, from the database (the zip layout is in :mod:`govern.audit.bundle`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from .bundle import write_bundle
from .checkpoints import AuditCheckpoint, make_checkpoint, verifier
from .log import AuditEntry

#: Vote exporters register here (the voting package adds closed votes); each yields bundle vote mappings.
VOTE_SOURCES: list[Any] = []
#: Other exporters (the money trail) register here; each returns {file name: bytes} for the bundle.
FILE_SOURCES: list[Any] = []

README = """govern audit bundle

Check it with the standalone verifier (no database, no web server needed):

    python -m govern.audit.verify BUNDLE.zip --trusted-checkpoint MY-SAVED-CHECKPOINT.note

Keep a copy of the newest checkpoints/*.note file somewhere outside the
cooperative's server; next time, pass it as --trusted-checkpoint.
"""


def _bodies(batch: int = 10000) -> Iterator[bytes]:
    last = 0
    while True:
        rows = db.session.execute(
            sa.select(AuditEntry.seq, AuditEntry.body).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for seq, body in rows:
            yield bytes(body)
            last = seq


def export_bundle(path: str) -> dict[str, int]:
    """Make a fresh checkpoint (so the bundle is pinned), then write the bundle."""
    make_checkpoint(reason="export")
    notes = list(db.session.execute(sa.select(AuditCheckpoint.note).order_by(AuditCheckpoint.size)).scalars())
    votes = [vote for source in VOTE_SOURCES for vote in source()]
    entries = list(_bodies())
    extra = {"README.txt": README.encode()}
    for source in FILE_SOURCES:
        extra.update(source())
    write_bundle(
        path,
        origin=current_app.config["GOVERN_ORIGIN"],
        entries=entries,
        checkpoints=notes,
        public_key=str(verifier()),
        votes=votes,
        extra_files=extra,
    )
    return {"entries": len(entries), "checkpoints": len(notes), "votes": len(votes)}
