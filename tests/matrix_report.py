"""Access rows for the yearly accountability report (govern/finance/report_views.py).

The report is public: it says what the public record says. ``{report_year}`` is this
year (the people fixture makes a budget round in it); 1999 has nothing on the record.
"""

from __future__ import annotations

from typing import Any


def public(_: str) -> int:
    return 200


ROWS: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "report.years": ("GET", "/money/report", public, None),
    "report.year": ("GET", "/money/report/{report_year}", public, None),
    "report.pdf": ("GET", "/money/report/{report_year}.pdf", public, None),
}


def setup(people: dict[str, Any]) -> dict[str, Any]:
    from govern.finance.services import today

    return {"report_year": today().year}
