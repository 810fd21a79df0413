"""`flask --app govern ...` commands: demo data and the audit record."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(audit)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load the demo when the database has no members yet.")
def demo(if_empty: bool) -> None:
    """Load a Delfshaven-like cooperative (idempotent: running it twice adds nothing)."""
    from .demo import load_demo

    created = load_demo(only_if_empty=if_empty)
    click.echo(f"demo data: {created} new records" if created else "demo data: already present, nothing added")


audit = AppGroup("audit", help="The append-only record: verify, and (later) checkpoints and export.")


@audit.command("verify")
def audit_verify() -> None:
    """Replay the hash chain from the database; exit 1 naming the first bad entry."""
    from .audit.log import verify_chain

    try:
        checked, bad, reason = verify_chain(db.session)
    finally:
        db.session.remove()
    if bad is None:
        click.echo(f"OK: {checked} entries, the chain is intact.")
        return
    click.echo(f"FAILED at entry {bad}: {reason} ({checked} entries before it are intact).", err=True)
    sys.exit(1)
