"""Fixtures: one app per test session on a database built by the real migrations,
and every test inside a transaction that is rolled back at the end.

Set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run
the whole suite on PostgreSQL; without it, a temporary SQLite file is used.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session

from tests.support import database as dbsupport

PASSWORD = "een-goed-wachtwoord-42"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from config import TestConfig
    from govern import create_app

    outbox = tmp_path_factory.mktemp("outbox")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        MAIL_OUTBOX = str(outbox)
        GOVERN_SIGNING_KEY = str(tmp_path_factory.mktemp("keys") / "signing.key")

    app = create_app(Config)
    with app.app_context():
        dbsupport.reset_and_migrate(app)
        from govern.audit.checkpoints import create_key

        create_key()  # votes sign checkpoints when they open and close
    yield app
    dbsupport.dispose(app)


class TestSession(scoped_session):  # type: ignore[type-arg]
    """The test's one session. At the end of a request Flask-SQLAlchemy "removes" the
    session; here that only rolls back what the request left uncommitted, so the
    test's objects stay attached and the outer transaction stays open."""

    def remove(self) -> None:
        if self.registry.has():
            self.registry().rollback()


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context and
    ``g`` (Flask would otherwise reuse the test's app context, and Flask-Login would
    remember the previous request's user)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(FlaskClient.open, self, *args, **kwargs)

    def session_transaction(self, *args: Any, **kwargs: Any) -> Any:
        return _IsolatedSessionTransaction(self, args, kwargs)


class _IsolatedSessionTransaction:
    def __init__(self, client: Any, args: Any, kwargs: Any) -> None:
        self.ctx = contextvars.Context()
        self.cm = self.ctx.run(FlaskClient.session_transaction, client, *args, **kwargs)

    def __enter__(self) -> Any:
        return self.ctx.run(self.cm.__enter__)

    def __exit__(self, *exc: Any) -> Any:
        return self.ctx.run(self.cm.__exit__, *exc)


@pytest.fixture()
def db(app: Any) -> Iterator[Any]:
    """The database, inside a transaction that is rolled back after the test."""
    from sqlalchemy.orm import sessionmaker

    from govern.extensions import db as _db

    with app.test_request_context("/"):
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = TestSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield _db
        finally:
            _db.session.registry().close()
            _db.session.registry.clear()
            _db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture()
def outbox(app: Any) -> Iterator[Path]:
    path = Path(app.config["MAIL_OUTBOX"])
    for f in path.glob("*.eml"):
        f.unlink()
    yield path


@pytest.fixture()
def client(app: Any, db: Any) -> Any:
    app.test_client_class = IsolatedClient
    return app.test_client()


def csrf_token(client: Any, url: str = "/") -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    """Sign in through the real form, as a person would."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def sign_in(self, email: str, password: str = PASSWORD, **extra: Any) -> Any:
        token = csrf_token(self.client, "/sign-in")
        return self.client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password, **extra})

    def sign_out(self) -> Any:
        return self.client.post("/sign-out", data={"csrf_token": csrf_token(self.client)})

    def as_account(self, account: Any) -> None:
        """Sign in without the form (for the access matrix): put the account in the session."""
        with self.client.session_transaction() as session:
            session["_user_id"] = account.get_id()
            session["_fresh"] = True


@pytest.fixture()
def auth(client: Any) -> Auth:
    return Auth(client)


@pytest.fixture()
def post(client: Any) -> Any:
    """POST a form with a valid CSRF token taken from ``page`` (default: the same URL)."""

    def _post(url: str, data: dict[str, Any] | None = None, page: str | None = None, **kwargs: Any) -> Any:
        token = csrf_token(client, page or "/")
        return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)

    return _post


@pytest.fixture()
def tiers(db: Any) -> dict[str, Any]:
    from tests.support.factories import make_tiers

    return make_tiers()


@pytest.fixture()
def make_account(db: Any, tiers: dict[str, Any]) -> Any:
    from tests.support.factories import make_account as _make

    def factory(**kwargs: Any) -> Any:
        return _make(tiers, **kwargs)

    return factory


@pytest.fixture()
def board(make_account: Any) -> Any:
    from govern.membership.models import Role

    return make_account(email="board@example.org", roles=[Role.BOARD], name="Bestuurder")


def audit_count(db: Any) -> int:
    from govern.audit.log import AuditEntry

    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
