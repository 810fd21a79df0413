"""Friendly error pages, in the visitor's language."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from .extensions import db


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        db.session.rollback()
        return render_template("errors/400_csrf.html"), 400

    for code in (400, 403, 404, 405, 413):

        @app.errorhandler(code)
        def _client_error(error: Any, code: int = code) -> Any:
            db.session.rollback()
            return render_template("errors/error.html", code=code), code

    @app.errorhandler(500)
    def _server_error(error: Any) -> Any:
        db.session.rollback()
        return render_template("errors/error.html", code=500), 500
