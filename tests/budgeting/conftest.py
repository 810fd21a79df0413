from __future__ import annotations

from typing import Any

import pytest

from govern.membership.models import Role
from tests.budgeting.factories import make_round


@pytest.fixture()
def round_(db: Any, board: Any, tiers: dict[str, Any]) -> Any:
    return make_round(board, tiers)


@pytest.fixture()
def proposer(make_account: Any) -> Any:
    return make_account(tier="deelnemer", name="Voedseltuin")


@pytest.fixture()
def reviewer(make_account: Any) -> Any:
    return make_account(roles=[Role.MODERATOR], name="Moderator")


@pytest.fixture(autouse=True)
def _english_messages(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests match the English wording of messages; the Dutch catalogue is checked
    for completeness in tests/test_translations.py and the Dutch pages in the browser tests."""
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
