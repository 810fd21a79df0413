"""Access rows for "Where does the money go?" and the open data (govern/finance/public_views.py).

Everything here is public: anyone, signed in or not, may see where the money goes and
download it. ``{money_round}`` is a round with a funded project that has spent money;
a round without projects has no money page (``{round}``, in its submission phase, is
tested in tests/finance/test_overview.py).
"""

from __future__ import annotations

from typing import Any


def public(_: str) -> int:
    return 200


ROWS: dict[str, tuple[str, str, Any, dict[str, Any] | None]] = {
    "money.overview": ("GET", "/money", public, None),
    "money.round": ("GET", "/money/rounds/{money_round}", public, None),
    "money.open_data": ("GET", "/money/open-data", public, None),
    "money.allocations_csv": ("GET", "/money/allocations.csv?round={money_round}", public, None),
    "money.expenditures_csv": ("GET", "/money/expenditures.csv", public, None),
    "money.money_json": ("GET", "/money/money.json?round={money_round}", public, None),
}


def setup(people: dict[str, Any]) -> dict[str, Any]:
    import sqlalchemy as sa

    from govern.extensions import db
    from govern.membership.models import Tier
    from tests.finance.factories import make_project, spend

    board = people["accounts"]["board"]
    tiers = {t.slug: t for t in db.session.scalars(sa.select(Tier))}
    project = make_project(board, tiers, people["other"], title="Wijkbudget Geldpagina")
    spend(project, board, 10_000)
    return {"money_round": project.round_id}
