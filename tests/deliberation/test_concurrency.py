"""Several first comments at the same moment make one thread, not an error (real connections, both databases)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.database import dispose, fresh_database, migrated_app


@pytest.mark.slow
def test_simultaneous_first_comments_share_one_thread(tmp_path: Any, database_url: str) -> None:
    workers = 6
    with fresh_database(database_url, tmp_path) as url:
        app = migrated_app(url, tmp_path)
        try:
            from govern.deliberation import services
            from govern.deliberation.models import Comment, Thread
            from govern.extensions import db
            from tests.support.factories import make_account, make_tiers

            with app.app_context():
                tiers = make_tiers()
                ids = [make_account(tiers).id for _ in range(workers)]
                db.session.remove()
            errors: list[BaseException] = []
            barrier = threading.Barrier(workers)

            def work(account_id: int) -> None:
                try:
                    with app.app_context():
                        from govern.membership.models import Account

                        account = db.session.get(Account, account_id)
                        db.session.rollback()  # start the write transaction fresh, at the same moment as the others
                        barrier.wait()
                        services.post_comment("motion:77", author=account, body=f"Ik was er eerst ({account_id})")
                        db.session.remove()
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(i,)) for i in ids]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors[:3]
            with app.app_context():
                assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 1
                assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == workers
                db.session.remove()
        finally:
            dispose(app)
