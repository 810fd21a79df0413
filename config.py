"""Configuration classes.

Everything secret or specific to a deployment comes from the environment:
``DATABASE_URL``, ``SECRET_KEY``, ``GOVERN_SIGNING_KEY`` (path), ``MAIL_*``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("GOVERN_INSTANCE", ROOT / "instance"))


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'govern.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    #: The cooperative's name in the record's checkpoints ("origin" line).
    GOVERN_ORIGIN = os.environ.get("GOVERN_ORIGIN", "govern.delfshaven.example/audit")
    #: Where the Ed25519 signing key lives: outside the database, never in it.
    GOVERN_SIGNING_KEY = os.environ.get("GOVERN_SIGNING_KEY", str(INSTANCE / "signing.key"))
    GOVERN_NAME = os.environ.get("GOVERN_NAME", "Coöperatie Delfshaven Samen")
    #: Where the service is reached; used for links in mails sent from commands.
    GOVERN_BASE_URL = os.environ.get("GOVERN_BASE_URL", "http://127.0.0.1:5000")

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")

    #: "outbox" writes each mail as an .eml file under MAIL_OUTBOX; "smtp" sends it.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "outbox")
    MAIL_OUTBOX = os.environ.get("MAIL_OUTBOX", str(INSTANCE / "outbox"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "noreply@govern.delfshaven.example")

    #: Argon2id cost; tests lower it, production keeps the library's defaults.
    ARGON2_TIME_COST = 3
    ARGON2_PARALLELISM = 4
    ARGON2_MEMORY_COST = 65536
    #: Failed sign-ins allowed per e-mail address (and 4x that per IP) within the window.
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15
    PASSWORD_RESET_HOURS = 2
    PASSWORD_MIN_LENGTH = 10

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; the session cookie expires instead
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    PER_PAGE = 50


class DevelopmentConfig(Config):
    # A fixed key is acceptable on a developer's own machine only; production refuses to start without one.
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 64
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in the environment for production")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in the environment for production")


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}
