"""Checkpoints and proofs from the database, the export, and the standalone verifier on it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govern.audit import checkpoints, merkle
from govern.audit.checkpoint import verify_checkpoint
from govern.audit.checkpoints import AuditCheckpoint
from govern.audit.log import AuditEntry, record
from govern.services import ServiceError


@pytest.fixture()
def signing_key(app: Any, db: Any) -> str:
    if not checkpoints.key_path().exists():
        checkpoints.create_key()
    return checkpoints.public_key()


def _append(n: int) -> None:
    for i in range(n):
        record("test.entry", data={"i": i})


def _all_leaves(db: Any) -> list[bytes]:
    return [bytes.fromhex(h) for h in db.session.scalars(sa.select(AuditEntry.hash).order_by(AuditEntry.seq))]


def test_keygen_refuses_to_overwrite(app: Any, signing_key: str) -> None:
    with pytest.raises(FileExistsError):
        checkpoints.create_key()
    assert checkpoints.public_key() == signing_key


def test_checkpoint_signs_the_root_and_is_not_repeated(db: Any, signing_key: str) -> None:
    _append(5)
    first = checkpoints.make_checkpoint(reason="test")
    parsed = verify_checkpoint(first.note, signing_key, checkpoints.load_signer().name)
    assert parsed.size == 5 and parsed.root == merkle.root(_all_leaves(db))
    assert checkpoints.make_checkpoint(reason="test").size == 5  # nothing new: same checkpoint
    _append(3)
    second = checkpoints.make_checkpoint(reason="test")
    assert second.size == 8 and bytes.fromhex(second.root) == merkle.root(_all_leaves(db))


def test_checkpoints_are_append_only(db: Any, signing_key: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(checkpoints, "CHUNK", 1)  # so that chunk rows exist
    _append(2)
    checkpoints.make_checkpoint(reason="test")
    for statement in ("UPDATE audit_checkpoint SET root = 'x'", "DELETE FROM audit_checkpoint", "DELETE FROM audit_chunk"):
        with pytest.raises(sa.exc.DatabaseError):
            with db.session.begin_nested():
                db.session.execute(sa.text(statement))


def test_no_key_gives_a_clear_message(app: Any, db: Any, tmp_path: Path) -> None:
    old = app.config["GOVERN_SIGNING_KEY"]
    app.config["GOVERN_SIGNING_KEY"] = str(tmp_path / "missing.key")
    try:
        _append(1)
        with pytest.raises(ServiceError) as info:
            checkpoints.make_checkpoint(reason="test")
        assert "keygen" in str(info.value.message)
    finally:
        app.config["GOVERN_SIGNING_KEY"] = old


def test_proofs_from_the_database_match_the_pure_tree(db: Any, signing_key: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(checkpoints, "CHUNK", 4)  # small chunks, so the stored-chunk path is exercised
    _append(23)
    checkpoints.make_checkpoint(reason="test")  # stores chunk roots for 5 chunks of 4
    _append(14)
    leaves = _all_leaves(db)
    size = len(leaves)
    root = merkle.root(leaves)
    for index in range(size):
        proof = checkpoints.inclusion_proof(index, size)
        assert proof == merkle.inclusion_proof(index, size, leaves)
        merkle.verify_inclusion(index, size, leaves[index], proof, root)
    for m in range(1, size + 1, 3):
        proof = checkpoints.consistency_proof(m, size)
        assert proof == merkle.consistency_proof(m, size, leaves)
        merkle.verify_consistency(m, size, merkle.root(leaves[:m]), root, proof)


def test_entry_page_shows_a_proof_that_holds(client: Any, db: Any, signing_key: str) -> None:
    _append(6)
    checkpoints.make_checkpoint(reason="test")
    seq = db.session.scalar(sa.select(sa.func.min(AuditEntry.seq)))
    html = client.get(f"/audit/{seq}").get_data(as_text=True)
    assert "6.note" in html and 'class="proof"' in html
    assert client.get("/audit/public-key.txt").get_data(as_text=True).strip() == signing_key


def test_export_then_verify_standalone(app: Any, db: Any, signing_key: str, tmp_path: Path) -> None:
    from govern.audit.export import export_bundle

    _append(10)
    bundle = tmp_path / "record.zip"
    summary = export_bundle(str(bundle))
    assert summary["entries"] == db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    with zipfile.ZipFile(bundle) as z:
        lines = z.read("entries.jsonl").splitlines()
    stored = db.session.scalars(sa.select(AuditEntry.body).order_by(AuditEntry.seq)).all()
    assert lines == [bytes(b) for b in stored]  # exact bytes, one per line
    saved = tmp_path / "mine.note"
    saved.write_text(checkpoints.latest_checkpoint().note)
    result = subprocess.run(
        [sys.executable, "-m", "govern.audit.verify", str(bundle), "--trusted-checkpoint", str(saved), "--key", signing_key],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The same bundle with one byte of one entry changed fails, naming that entry.
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "entries.jsonl":
                data = data.replace(b'"i":3', b'"i":4', 1)
            dst.writestr(item, data)
    result = subprocess.run(
        [sys.executable, "-m", "govern.audit.verify", str(forged)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "entry" in result.stdout.lower()


def test_cli_checkpoint_and_export(app: Any, tmp_path: Path, database_url: str) -> None:
    from tests.support.database import dispose, fresh_database, migrated_app

    with fresh_database(database_url, tmp_path) as url:
        other = migrated_app(url, tmp_path)
        try:
            runner = other.test_cli_runner()
            assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 1  # no key yet: clear message
            assert runner.invoke(args=["audit", "keygen"]).exit_code == 0
            assert runner.invoke(args=["audit", "keygen"]).exit_code == 1  # never overwrites
            assert runner.invoke(args=["demo"]).exit_code == 0
            result = runner.invoke(args=["audit", "checkpoint"])
            assert result.exit_code == 0 and result.output.startswith(other.config["GOVERN_ORIGIN"])
            bundle = tmp_path / "b.zip"
            result = runner.invoke(args=["audit", "export", str(bundle)])
            assert result.exit_code == 0, result.output
            verify = subprocess.run([sys.executable, "-m", "govern.audit.verify", str(bundle)], capture_output=True, text=True)
            assert verify.returncode == 0, verify.stdout
        finally:
            dispose(other)
