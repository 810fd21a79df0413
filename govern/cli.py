"""`flask --app govern ...` commands: demo data and the audit record."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from .extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(audit)
    app.cli.add_command(votes)


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only load the demo when the database has no members yet.")
def demo(if_empty: bool) -> None:
    """Load a Delfshaven-like cooperative (idempotent: running it twice adds nothing)."""
    from .demo import load_demo

    created = load_demo(only_if_empty=if_empty)
    click.echo(f"demo data: {created} new records" if created else "demo data: already present, nothing added")


audit = AppGroup("audit", help="The append-only record: keys, checkpoints, verification and export.")


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


@audit.command("keygen")
@click.option("--if-missing", is_flag=True, help="Do nothing when a key exists already (for `make run`).")
def audit_keygen(if_missing: bool) -> None:
    """Create the cooperative's Ed25519 signing key at GOVERN_SIGNING_KEY (never overwrites)."""
    from .audit.checkpoints import create_key, key_path, public_key

    if key_path().exists():
        if if_missing:
            click.echo(f"signing key: {key_path()} (exists)")
            return
        click.echo(f"refusing: {key_path()} exists already; a signing key is never overwritten", err=True)
        sys.exit(1)
    verifier = create_key()
    click.echo(f"signing key written to {key_path()} (keep it secret; back it up apart from the database)")
    click.echo(f"public key (publish this): {verifier or public_key()}")


@audit.command("checkpoint")
@click.option("--reason", default="scheduler", show_default=True, help="Why the checkpoint is made.")
def audit_checkpoint(reason: str) -> None:
    """Sign a checkpoint of the whole record now (run it from a scheduler, e.g. hourly)."""
    from .audit.checkpoints import make_checkpoint
    from .services import ServiceError

    try:
        checkpoint = make_checkpoint(reason=reason)
    except ServiceError as error:
        click.echo(str(error.message), err=True)
        sys.exit(1)
    if checkpoint is None:
        click.echo("the record is empty; nothing to sign")
        return
    click.echo(checkpoint.note, nl=False)


@audit.command("export")
@click.argument("bundle", type=click.Path(dir_okay=False, writable=True))
def audit_export(bundle: str) -> None:
    """Write the whole record, its checkpoints, the public key and every closed vote to BUNDLE (a zip)."""
    from .audit.export import export_bundle
    from .services import ServiceError

    try:
        summary = export_bundle(bundle)
    except ServiceError as error:
        click.echo(str(error.message), err=True)
        sys.exit(1)
    click.echo(f"wrote {bundle}: {summary['entries']} entries, {summary['checkpoints']} checkpoints, {summary['votes']} votes")


votes = AppGroup("votes", help="Votes: open and close those whose time has come.")


@votes.command("tick")
def votes_tick() -> None:
    """Open votes whose opening time has passed and close (count) those whose closing time has passed.

    Run it every minute from a scheduler (cron, a systemd timer). Ballots are refused after the
    closing time even before this runs; this makes the count and the record.
    """
    from .voting.services import tick

    opened, closed = tick()
    click.echo(f"opened: {', '.join(map(str, opened)) or '-'}; closed: {', '.join(map(str, closed)) or '-'}")

