"""``flask db``, ``flask seed`` and ``flask jobs``: thin commands that call services."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
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


@db_cli.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing file at PATH.")
def db_backup(path, overwrite):
    """Write a consistent backup of the database to PATH (safe while the app runs)."""
    from volunteer_app import ops

    try:
        result = ops.backup(current_app.config["DATABASE_URL"], path, overwrite=overwrite)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.summary())


@db_cli.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Restore even while other connections are open.")
def db_restore(path, yes, force):
    """Replace all data with the backup at PATH (stop the app and the job consumer first)."""
    from volunteer_app import ops

    url = current_app.config["DATABASE_URL"]
    try:
        ops.check_backup(url, path)
        if not yes:
            click.confirm(f"Replace all data in the {ops.describe(url)} with {path}?", abort=True)
        result = ops.restore(url, path, force=force)
    except ops.OpsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.summary())
    click.echo("If the backup is older than this release, run `flask db upgrade` next.")


@db_cli.command("reencrypt-secrets")
def db_reencrypt_secrets():
    """Re-encrypt stored secrets under the current SECRET_KEY (after a key rotation)."""
    from volunteer_app.accounts import services as account_services

    with connection():
        result = account_services.reencrypt_secrets()
    click.echo(
        f"Re-encrypted {result.moved} secret(s) under the current SECRET_KEY; "
        f"{result.current} already were."
    )
    if result.unreadable:
        ids = ", ".join(map(str, result.unreadable))
        raise click.ClickException(
            f"{len(result.unreadable)} secret(s) open with no configured key (users {ids}): "
            "add the old key to SECRET_KEY_FALLBACKS and run this again."
        )


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


@jobs_cli.command("retry-failed-mail")
@click.option("--days", default=3, show_default=True, help="Only mail queued this recently.")
def jobs_retry_failed_mail(days):
    """Queue failed mail again (e.g. after a long SMTP outage or a fixed mail setting)."""
    from volunteer_app.notifications import delivery

    with connection():
        count = delivery.retry_failed(max_age_days=days)
    click.echo(f"{count} failed message(s) queued again.")


@jobs_cli.command("send-reminders")
def jobs_send_reminders():
    """Queue reminders for slots starting within each volunteer's reminder time."""
    from volunteer_app.notifications import reminders

    with connection():
        result = reminders.send_reminders()
    click.echo(f"Reminders queued: {result.sent} (already taken by another run: {result.skipped}).")


@jobs_cli.command("send-digest")
def jobs_send_digest():
    """Queue today's digest of unfilled slots for each coordinator (once per Berlin date)."""
    from volunteer_app.notifications import digest

    with connection():
        result = digest.send_digests()
    click.echo(
        f"Digests queued: {result.sent}, already sent today: {result.already_sent}, "
        f"nothing to report: {result.nothing_to_report}."
    )


@jobs_cli.command("extend-slots")
def jobs_extend_slots():
    """Create the slots of running schedules up to the rolling horizon (idempotent)."""
    from volunteer_app.activities import schedules

    with connection():
        result = schedules.extend_slots()
    click.echo(f"Created {result.slots} slot(s) in {result.series} schedule(s).")


@jobs_cli.command("match")
@click.argument("run_id", type=int)
def jobs_match(run_id):
    """Solve a queued matching run now (instead of waiting for the task queue)."""
    from volunteer_app.proposals import tasks

    with connection():
        status = tasks.execute_run(run_id)
    click.echo(f"Run {run_id}: {status}.")


@jobs_cli.command("send-suggestions")
def jobs_send_suggestions():
    """Queue this week's "Passt zu dir" mail for volunteers who opted in (once per ISO week)."""
    from volunteer_app.proposals import suggestions

    with connection():
        result = suggestions.send_weekly_suggestions()
    click.echo(
        f"Suggestions queued: {result.sent}, already sent this week: {result.already_sent}, "
        f"nothing to suggest: {result.nothing_to_suggest}."
    )


@jobs_cli.command("retention")
def jobs_retention():
    """Delete what may no longer be kept (docs/privacy.md); a second run deletes nothing more."""
    from volunteer_app.retention import services

    with connection():
        result = services.run_retention()
    for line in result.lines():
        click.echo(line)
    click.echo(f"Deleted or cleared in total: {result.deleted}.")


@jobs_cli.command("erase-accounts")
def jobs_erase_accounts():
    """Erase accounts whose deletion is due, inactive and never confirmed ones (idempotent;
    also part of ``flask jobs retention``)."""
    from volunteer_app.erasure import services

    with connection():
        due = services.erase_due()
        inactive = services.run_inactive_accounts()
        unconfirmed = services.delete_unconfirmed()
    click.echo(f"Deletions due: {due} account(s) erased.")
    click.echo(
        f"Inactive accounts: {inactive.warned} told, {inactive.erased} erased, "
        f"{inactive.no_successor} kept for lack of a successor."
    )
    click.echo(f"Registrations never confirmed: {unconfirmed} erased.")


def init_app(app) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(jobs_cli)
