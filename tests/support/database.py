"""Building test databases with the real migrations, on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def reset_and_migrate(app: Any) -> None:
    """Empty the database (PostgreSQL: drop the public schema) and run every migration."""
    from flask_migrate import upgrade

    from govern.extensions import db

    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade()
    db.session.remove()


@contextlib.contextmanager
def fresh_database(base_url: str, tmp_path: Any) -> Iterator[str]:
    """A new, empty database of the same kind as ``base_url``, dropped afterwards.

    Tests that need real concurrent connections (or a live server) cannot run inside
    the rolled-back test transaction, and must not leave rows in the shared database.
    """
    url = make_url(base_url)
    if url.get_backend_name() == "postgresql":
        name = f"govern_t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"


def migrated_app(url: str, tmp_path: Any, **overrides: Any) -> Any:
    """A separate app on ``url`` with every migration applied."""
    from flask_migrate import upgrade

    from config import TestConfig
    from govern import create_app

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        MAIL_OUTBOX = str(tmp_path / "outbox")
        GOVERN_SIGNING_KEY = str(tmp_path / "signing.key")

    for key, value in overrides.items():
        setattr(Config, key, value)
    app = create_app(Config)
    with app.app_context():
        upgrade()
    return app


def dispose(app: Any) -> None:
    from govern.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
