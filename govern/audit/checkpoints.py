"""Checkpoints and proofs, backed by the database.

A checkpoint signs the Merkle root of the first ``size`` entries with the
cooperative's Ed25519 key (kept in a file, never in the database). Each checkpoint
stores the right edge of the tree (the compact range), so the next one hashes only
the entries added since. Roots of aligned chunks of 1,024 leaves are stored too, so
an inclusion proof for any entry reads at most a few thousand hashes, even at a
million entries.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db
from ..services import ServiceError, unit_of_work
from . import merkle
from .checkpoint import Signer, Verifier, generate_key, sign_checkpoint
from .log import AuditEntry, _lock_head

CHUNK = 1024


class AuditCheckpoint(db.Model):
    """A signed checkpoint of the record. Append-only, like the entries."""

    __tablename__ = "audit_checkpoint"

    #: How many entries the checkpoint covers; one checkpoint per size.
    size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    #: The RFC 6962 root of entries 1..size, hex.
    root: Mapped[str] = mapped_column(sa.String(64))
    #: The signed note, exactly as published.
    note: Mapped[str] = mapped_column(sa.Text)
    #: The tree's right edge (hex hashes, JSON list), to extend the tree without rehashing.
    edge: Mapped[str] = mapped_column(sa.Text)
    #: Why it was made: "board", "scheduler", "vote.opened", "vote.closed", "assembly.ended" ...
    reason: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditChunk(db.Model):
    """The Merkle root of leaves [index·1024, (index+1)·1024). Never changes once written."""

    __tablename__ = "audit_chunk"

    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(sa.String(64))


# --- the signing key --------------------------------------------------------------------


def key_path() -> Path:
    return Path(current_app.config["GOVERN_SIGNING_KEY"])


def create_key(origin: str | None = None) -> str:
    """Write a new signing key; refuse to overwrite one. Returns the public (verifier) key."""
    path = key_path()
    if path.exists():
        raise FileExistsError(f"{path} exists already; a signing key is never overwritten")
    name = origin or current_app.config["GOVERN_ORIGIN"]
    signer_key, verifier_key = generate_key(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer_key + "\n")
    return verifier_key


def load_signer() -> Signer:
    path = key_path()
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise ServiceError(
            _l("There is no signing key yet. Run: flask --app govern audit keygen")
        ) from None
    return Signer.from_string(text)


def public_key() -> str | None:
    try:
        return str(load_signer().verifier)
    except ServiceError:
        return None


# --- reading leaves and subtree roots ------------------------------------------------------


def _leaves(lo: int, hi: int) -> list[bytes]:
    """Leaf hashes of entries lo+1..hi (leaf indices lo..hi-1)."""
    rows = db.session.execute(
        sa.select(AuditEntry.hash).where(AuditEntry.seq > lo, AuditEntry.seq <= hi).order_by(AuditEntry.seq)
    ).scalars()
    return [bytes.fromhex(h) for h in rows]


def _chunk_roots(first: int, last: int) -> list[bytes] | None:
    rows = db.session.execute(
        sa.select(AuditChunk.root).where(AuditChunk.index >= first, AuditChunk.index < last).order_by(AuditChunk.index)
    ).scalars().all()
    return [bytes.fromhex(r) for r in rows] if len(rows) == last - first else None


def subtree_root(lo: int, hi: int) -> bytes:
    """The RFC 6962 root of leaves lo..hi-1, using stored chunk roots where they cover it."""
    n = hi - lo
    if n <= 0:
        return merkle.root([])
    if n & (n - 1) == 0 and n >= CHUNK and lo % CHUNK == 0:
        chunks = _chunk_roots(lo // CHUNK, hi // CHUNK)
        if chunks is not None:
            return merkle.root(chunks)  # a perfect tree over chunk roots is the subtree's root
    if n <= 2 * CHUNK:
        return merkle.root(_leaves(lo, hi))
    k = 1 << ((n - 1).bit_length() - 1)
    return merkle.node_hash(subtree_root(lo, lo + k), subtree_root(lo + k, hi))


def inclusion_proof(index: int, size: int) -> list[bytes]:
    """RFC 6962 audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError("the entry is not covered by this checkpoint")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index < lo + k:
            proof.append(subtree_root(lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree_root(lo, lo + k))
            lo = lo + k
    proof.reverse()
    return proof


def consistency_proof(m: int, n: int) -> list[bytes]:
    """RFC 6962 consistency proof between the trees of sizes m and n (0 < m ≤ n)."""
    if not 0 < m <= n:
        raise ValueError("need 0 < m <= n")

    def sub(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        if m == hi:
            return [] if complete else [subtree_root(lo, hi)]
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if m <= lo + k:
            return sub(m, lo, lo + k, complete) + [subtree_root(lo + k, hi)]
        return sub(m, lo + k, hi, False) + [subtree_root(lo, lo + k)]

    return sub(m, 0, n, True)


# --- making checkpoints ---------------------------------------------------------------------


def latest_checkpoint() -> AuditCheckpoint | None:
    return db.session.scalar(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1))


def _store_chunks(size: int) -> None:
    have = db.session.scalar(sa.select(sa.func.max(AuditChunk.index)))
    start = 0 if have is None else have + 1
    for index in range(start, size // CHUNK):
        leaves = _leaves(index * CHUNK, (index + 1) * CHUNK)
        db.session.add(AuditChunk(index=index, root=merkle.root(leaves).hex()))
    db.session.flush()


@unit_of_work
def make_checkpoint(*, by: Any = None, reason: str = "board") -> AuditCheckpoint | None:
    """Sign the root of the whole record as it stands.

    Returns None when the record is empty, and the existing checkpoint when nothing
    was appended since. A checkpoint is not itself an entry (it is a signed statement
    *about* the entries, kept in its own append-only table and in every export);
    recording it as an entry would leave every checkpoint one entry behind.
    ``by`` is kept for the caller's own logging.
    """
    signer = load_signer()
    _lock_head(db.session)  # PostgreSQL: no append can slip in while we read the head
    size = db.session.scalar(sa.select(sa.func.max(AuditEntry.seq))) or 0
    if size == 0:
        return None
    last = latest_checkpoint()
    if last is not None and last.size == size:
        return last
    if last is not None:
        tree = merkle.CompactRange(last.size, [bytes.fromhex(h) for h in json.loads(last.edge)])
        tree.extend(_leaves(last.size, size))
    else:
        tree = merkle.CompactRange()
        tree.extend(_leaves(0, size))
    root = tree.root()
    origin = signer.name
    checkpoint = AuditCheckpoint(
        size=size,
        root=root.hex(),
        note=sign_checkpoint(origin, size, root, signer),
        edge=json.dumps([e.hex() for e in tree.edge]),
        reason=reason[:40],
    )
    db.session.add(checkpoint)
    _store_chunks(size)
    return checkpoint


def verifier() -> Verifier:
    return load_signer().verifier
