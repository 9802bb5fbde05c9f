"""``flask db``, ``flask seed`` and ``flask jobs``: thin commands that call services."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from volunteer_app.db import connection

db_cli = AppGroup("db", help="Database schema migrations.")
seed_cli = AppGroup("seed", help="Demo and initial data.")
jobs_cli = AppGroup("jobs", help="Background jobs (also run periodically by the task queue).")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply all pending migrations."""
    from volunteer_app import migrate

    with connection():
        applied = migrate.upgrade()
    click.echo("Applied: " + ", ".join(applied) if applied else "Database is up to date.")


@db_cli.command("status")
def db_status():
    """List migrations and whether they are applied."""
    from volunteer_app import migrate

    with connection():
        for m in migrate.status():
            mark = f"applied {m.applied:%Y-%m-%d %H:%M}" if m.applied else "pending"
            click.echo(f"{m.name:40} {mark}")


@db_cli.command("new")
@click.argument("name")
def db_new(name):
    """Write a new migration from the difference between models and database."""
    from volunteer_app import migrate

    with connection():
        path = migrate.new(name)
    click.echo(f"Wrote {path}")


@seed_cli.command("demo")
def seed_demo():
    """Load the demo network (idempotent: running it twice changes nothing)."""
    from volunteer_app import demo

    with connection():
        created = demo.seed_demo()
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")


@jobs_cli.command("send-mail")
@click.option("--limit", default=100, show_default=True, help="Messages per run.")
def jobs_send_mail(limit):
    """Deliver queued mail from the outbox."""
    from volunteer_app.notifications import delivery

    with connection():
        result = delivery.send_pending(limit=limit)
    click.echo(f"Sent {result.sent}, failed {result.failed}, retrying later {result.retrying}.")


def init_app(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(jobs_cli)
