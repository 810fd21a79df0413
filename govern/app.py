"""The application factory. Nothing here touches the database or the disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, request

from config import CONFIGS, ProductionConfig

from .db import install_sqlite_pragmas
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Any = None) -> Flask:
    if config is None:
        config = os.environ.get("GOVERN_ENV", "development")
    if isinstance(config, str):
        config = CONFIGS[config]
    if config is ProductionConfig or (isinstance(config, type) and issubclass(config, ProductionConfig)):
        config.check()

    app = Flask(
        "govern",
        template_folder=str(ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
        instance_path=str(ROOT / "instance"),
    )
    if isinstance(config, dict):
        app.config.from_object(CONFIGS["development"])
        app.config.update(config)
    else:
        app.config.from_object(config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            install_sqlite_pragmas(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app)

    from .access import init_app as init_access

    init_access(app)

    from .audit.views import bp as audit_bp
    from .budgeting.views import bp as budgeting_bp
    from .assemblies.views import bp as assemblies_bp
    from .deliberation.views import bp as deliberation_bp
    from .finance.views import bp as finance_bp
    from .main import bp as main_bp
    from .membership.views import bp as membership_bp
    from .membership.board import bp as board_bp
    from .voting.results_views import bp as results_bp
    from .voting.views import bp as voting_bp
    from .finance.report_views import bp as report_bp
    from .finance.public_views import bp as money_bp
    from .finance.import_views import bp as money_import_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(membership_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(budgeting_bp)
    app.register_blueprint(deliberation_bp)
    app.register_blueprint(voting_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(assemblies_bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(finance_bp)
    app.register_blueprint(money_bp)
    app.register_blueprint(money_import_bp)

    from .errors import init_app as init_errors

    init_errors(app)

    from .cli import init_app as init_cli

    init_cli(app)

    from .deliberation.cli import notifications as notifications_cli

    app.cli.add_command(notifications_cli)

    @app.before_request
    def _write_transaction_for_posts() -> None:
        # On SQLite a request that will write must hold the write lock from its first
        # statement (BEGIN IMMEDIATE); see govern.db.begin_write.
        if request.method not in ("GET", "HEAD", "OPTIONS") and db.engine.dialect.name == "sqlite":
            from .db import begin_write

            begin_write(db.session)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"
        )
        return response

    return app


def database_is_empty() -> bool:
    return not sa.inspect(db.engine).has_table("tier")
