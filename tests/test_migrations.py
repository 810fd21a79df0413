"""Migrations: one head, they build an empty database, and they agree with the models."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.support.database import dispose, fresh_database, migrated_app


def _script(app: Any) -> ScriptDirectory:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        return ScriptDirectory.from_config(config)


def test_single_head(app: Any) -> None:
    heads = _script(app).get_heads()
    assert len(heads) == 1, f"several heads: {heads}"


def test_upgrade_head_on_an_empty_database_and_models_agree(tmp_path: Any, database_url: str) -> None:
    with fresh_database(database_url, tmp_path) as url:
        app = migrated_app(url, tmp_path)
        try:
            with app.app_context():
                from govern.extensions import db

                with db.engine.connect() as conn:
                    context = MigrationContext.configure(conn, opts={"compare_type": True})
                    assert context.get_current_revision() == _script(app).get_current_head()
                    diff = compare_metadata(context, db.metadata)
                    assert diff == [], f"models and migrations differ: {diff}"
                    tables = set(sa.inspect(conn).get_table_names())
                    assert {"audit_entry", "member", "account", "tier", "role_grant"} <= tables
        finally:
            dispose(app)
