"""Fixtures for deliberation: members who talk, a moderator, and a helper to count what is stored."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from govern.membership.models import Role


@pytest.fixture()
def ama(make_account: Any) -> Any:
    return make_account(name="Ama Mensah", tier="bewoner")


@pytest.fixture()
def bram(make_account: Any) -> Any:
    return make_account(name="Bram de Vries", tier="lid")


@pytest.fixture()
def moderator(make_account: Any) -> Any:
    return make_account(name="Lotte Moderator", roles=[Role.MODERATOR])


def counts(db: Any) -> dict[str, int]:
    """How many rows each deliberation table and the record hold (to check that nothing was stored)."""
    from govern.audit.log import AuditEntry
    from govern.deliberation.models import Comment, CommentReport, CommentRevision, Notification, Thread

    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Thread, Comment, CommentRevision, CommentReport, Notification, AuditEntry)
    }


@pytest.fixture(autouse=True)
def _english_messages(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests match the English wording of messages; the Dutch catalogue is checked
    for completeness in tests/test_translations.py and the Dutch pages in the browser tests."""
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
