"""Finance tests match the English wording (the Dutch pages are checked in the browser tests)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _english_messages(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
