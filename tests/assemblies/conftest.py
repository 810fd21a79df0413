"""Assembly tests match the English wording (the Dutch catalogue is checked in tests/test_translations.py)."""

from __future__ import annotations

from typing import Any

import pytest

from govern.membership.models import Role
from tests.assemblies.factories import make_assembly


@pytest.fixture(autouse=True)
def _english_messages(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")


@pytest.fixture(autouse=True)
def _signing_key(app: Any) -> None:
    """Opening votes and ending a meeting sign a checkpoint: the key must exist."""
    from govern.audit.checkpoints import create_key, key_path

    with app.app_context():
        if not key_path().exists():
            create_key()


@pytest.fixture()
def assembly(db: Any, board: Any) -> Any:
    return make_assembly(board)


@pytest.fixture()
def teller(make_account: Any) -> Any:
    return make_account(roles=[Role.TELLER], name="Teller Een")


@pytest.fixture()
def teller2(make_account: Any) -> Any:
    return make_account(roles=[Role.TELLER], name="Teller Twee")
