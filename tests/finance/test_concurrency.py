"""Two people booking on one project at the same moment cannot together pass its allocation.

Each thread has its own app context, session and connection on a fresh migrated database
(SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL names one). Every
attempt fits the allocation alone; all of them together do not. The project's row lock
(PostgreSQL) or the immediate write transaction (SQLite) must let exactly as many through
as fit, and the record must still show no overspend.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask_babel import force_locale
import sqlalchemy as sa

from tests.support.database import dispose, fresh_database, migrated_app

ATTEMPTS = 6
TIMEOUT = 15

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _english_messages() -> None:
    """Runs its own app on its own database, not the session's app."""


@pytest.fixture()
def world(tmp_path: Any, database_url: str) -> Iterator[tuple[Any, int, list[int]]]:
    with fresh_database(database_url, tmp_path) as url:
        app = migrated_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2 * ATTEMPTS, "max_overflow": 0, "pool_timeout": TIMEOUT})
        try:
            from govern.audit.checkpoints import create_key
            from govern.extensions import db
            from govern.membership.models import MemberKind, Role
            from tests.finance.factories import make_project
            from tests.support.factories import make_account, make_tiers

            with app.test_request_context("/"):
                create_key()
                tiers = make_tiers()
                board = make_account(tiers, roles=[Role.BOARD], language="en")
                initiative = make_account(tiers, tier="deelnemer", kind=MemberKind.ORGANISATION, name="Voedseltuin", language="en")
                delegates = [initiative.id] + [make_account(tiers, member=initiative.member, language="en").id for _ in range(ATTEMPTS - 1)]
                project = make_project(board, tiers, initiative)
                project_id = project.id
                db.session.remove()
            yield app, project_id, delegates
        finally:
            dispose(app)


def test_simultaneous_expenditures_never_pass_the_allocation_together(world):
    app, project_id, delegates = world
    from govern.extensions import db
    from govern.finance import services
    from govern.finance.models import MoneyKind, Project
    from govern.membership.models import Account
    from govern.services import ServiceError

    with app.app_context():
        allocation = db.session.get(Project, project_id).allocation_cents
        db.session.remove()
    amount = allocation // 3 + 1  # two fit, the third does not
    barrier = threading.Barrier(ATTEMPTS, timeout=TIMEOUT)
    results: list[str] = []
    lock = threading.Lock()

    def attempt(account_id: int) -> None:
        with app.test_request_context("/"):
            try:
                project = db.session.get(Project, project_id)
                by = db.session.get(Account, account_id)
                values = services.MoneyInput(MoneyKind.EXPENDITURE, dt.date(2026, 5, 4), amount, "Bouwmarkt", "Hout")
                _ = project.lines, by.member  # loaded before the start, like a request that got this far
                db.session.rollback()  # the booking's transaction starts fresh, at the same moment as the others
                barrier.wait()
                services.record_money(project, values, by=by)
                outcome = "ok"
            except ServiceError as error:
                with force_locale("en"):
                    outcome = "over" if "over the money" in str(error.message) else f"error: {error.message}"
            finally:
                db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(a,)) for a in delegates]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 2)
    assert sorted(results) == ["ok", "ok"] + ["over"] * (ATTEMPTS - 2), results
    with app.app_context():
        project = db.session.get(Project, project_id)
        totals = services.totals(project)
        assert totals.spent == 2 * amount <= allocation
        from govern.audit.log import AuditEntry

        spent = db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.type == "money.spent"))
        assert spent == 2
        from govern.audit.chain import replay  # the chain still holds
        bodies = [bytes(b) for b in db.session.scalars(sa.select(AuditEntry.body).order_by(AuditEntry.seq))]
        replay(bodies)
        db.session.remove()
