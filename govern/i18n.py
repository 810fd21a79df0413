"""Language, time zone and the formatting of dates and money (Babel does the work)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, has_request_context, session
from flask_babel import format_currency, format_date, format_datetime, get_locale
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def money(cents: int | None) -> str:
    """Integer cents as the locale writes euros: "€ 1.234,56" in Dutch, "€1,234.56" in English."""
    if cents is None:
        return ""
    return format_currency(Decimal(int(cents)) / 100, "EUR")


def when(moment: dt.datetime | None, fmt: str = "medium") -> str:
    return "" if moment is None else format_datetime(moment, fmt)


def day(moment: dt.date | dt.datetime | None, fmt: str = "long") -> str:
    return "" if moment is None else format_date(moment, fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {"current_language": str(get_locale() or "nl")}
