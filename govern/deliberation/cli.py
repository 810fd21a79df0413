"""`flask --app govern notifications ...`: the daily e-mail digest (run it from a scheduler, once a day)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

notifications = AppGroup("notifications", help="Notifications: the daily e-mail digest.")


@notifications.command("digest")
def digest() -> None:
    """Mail each account that asked for it its unread notifications of the last day (once per day)."""
    from ..extensions import db
    from .services import send_digests

    # Links in the mails point at the public address; there is no request to take it from.
    with current_app.test_request_context(base_url=current_app.config["GOVERN_BASE_URL"]):
        try:
            sent = send_digests()
        finally:
            db.session.remove()
    click.echo(f"daily digest: {sent} e-mail(s) sent")
