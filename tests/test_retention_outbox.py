"""Retention of the mail outbox, the audit log and wishers' addresses; the command and the
daily task. Every date is relative to now; each rule runs twice, the second time deleting
nothing more."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories_notifications
from tests.factories import make_centre, make_user
from tests.factories_accounts import last_link, use_fast_hashing
from tests.factories_notifications import queue
from tests.factories_wishes import make_wish
from volunteer_app import jobs
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.queries import today
from volunteer_app.checks.services import months_before
from volunteer_app.db import utcnow
from volunteer_app.notifications.delivery import Result, send_pending
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.retention import services, tasks
from volunteer_app.wishes.models import Wish

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

# Fixtures (assigned, not imported by name, so that test arguments do not shadow an import).
mail_templates = factories_notifications.mail_templates


def outbox_row(status: str, days_ago: float, body: str = "Ihr Link: https://x.example/t/abc"):
    """An outbox row queued ``days_ago`` days ago, with or without its text."""
    created = utcnow() - dt.timedelta(days=days_ago)
    return OutboxMessage.create(
        recipient="anna@example.org",
        subject="Passwort zurücksetzen",
        body_text=body,
        body_html=f"<p>{body}</p>" if body else "",
        status=status,
        created_at=created,
        next_attempt_at=created,
        sent_at=created if status == "sent" else None,
    )


def reload(row):
    return type(row).get_or_none(type(row).id == row.id)


def everything_in_the_outbox() -> str:
    return "\n".join(
        " ".join(str(value) for value in row.values()) for row in OutboxMessage.select().dicts()
    )


# --- Cleared at once by the delivery ------------------------------------------------------


@pytest.mark.usefixtures("mail_templates")
def test_a_sent_mail_keeps_recipient_subject_and_times_but_not_its_text(app, conn):
    app.config["MAIL_BACKEND"] = "log"
    row = queue(link="http://localhost/konto/passwort-neu/geheim-123")
    assert "geheim-123" in reload(row).body_text

    assert send_pending() == Result(sent=1)
    row = reload(row)
    assert (row.status, row.body_text, row.body_html) == ("sent", "", "")
    assert row.recipient == "anna.muster@example.org"
    assert row.subject.startswith("Ihr Einsatz beim Gartentag")
    assert row.sent_at is not None and row.created_at is not None
    assert "geheim-123" not in everything_in_the_outbox()


@pytest.mark.usefixtures("mail_templates")
def test_a_mail_that_fails_for_good_loses_its_text(app, conn):
    app.config["MAIL_BACKEND"] = "log"
    row = queue("kein-gueltiger-empfaenger", link="http://localhost/einladung/geheim-456")
    assert send_pending() == Result(failed=1)
    row = reload(row)
    assert (row.status, row.body_text, row.body_html) == ("failed", "", "")
    assert row.last_error == "Invalid recipient address."
    assert "geheim-456" not in everything_in_the_outbox()


@pytest.mark.usefixtures("mail_templates")
def test_a_mail_waiting_for_delivery_keeps_its_text(app, conn):
    row = queue()  # testing: MAIL_BACKEND=outbox-only leaves it pending
    assert send_pending() == Result()
    services.run_retention()
    assert reload(row).body_text != ""


def test_a_sent_password_reset_link_is_not_readable_in_the_database(app, client, monkeypatch):
    use_fast_hashing(monkeypatch)
    app.config["MAIL_BACKEND"] = "log"
    make_user(email="anna@example.org")
    client.post("/konto/passwort-vergessen", data={"email": "anna@example.org"})
    link = last_link("anna@example.org", "/konto/passwort-neu/")
    token = link.rsplit("/", 1)[1]
    assert token in everything_in_the_outbox()

    assert send_pending() == Result(sent=1)
    assert token not in everything_in_the_outbox()
    assert OutboxMessage.get().recipient == "anna@example.org"


# --- The job: old rows -------------------------------------------------------------------


def test_job_clears_sent_and_failed_text_and_deletes_rows_after_90_days(conn):
    sent = outbox_row("sent", 10)
    failed = outbox_row("failed", 20)
    waiting = outbox_row("pending", 0.1)
    kept = outbox_row("sent", 89, body="")
    old_sent = outbox_row("sent", 91, body="")
    old_pending = outbox_row("pending", 91)

    first = services.run_retention()
    assert first.counts["outbox_bodies"] == 2
    assert first.counts["outbox_messages"] == 2
    for row in (sent, failed):
        assert (reload(row).body_text, reload(row).body_html) == ("", "")
        assert reload(row).subject == "Passwort zurücksetzen"
    assert reload(waiting).body_text.startswith("Ihr Link")
    assert reload(kept) is not None
    assert reload(old_sent) is None and reload(old_pending) is None

    second = services.run_retention()
    assert second.deleted == 0, second.counts


def test_outbox_period_is_a_setting(app, conn):
    app.config["RETENTION_OUTBOX_DAYS"] = 30
    gone = outbox_row("sent", 31, body="")
    stays = outbox_row("sent", 29, body="")
    assert services.delete_old_outbox_messages(utcnow()) == 1
    assert services.delete_old_outbox_messages(utcnow()) == 0
    assert reload(gone) is None and reload(stays) is not None


# --- Audit log -------------------------------------------------------------------------------


def _audit(centre, when: dt.datetime) -> AuditEntry:
    return AuditEntry.create(centre=centre, action="signup.assigned", created_at=when)


def test_audit_entries_go_after_three_years(conn):
    centre = make_centre()
    three_years_ago = dt.datetime.combine(months_before(today(), 36), dt.time(12))
    old = _audit(centre, three_years_ago - dt.timedelta(days=1))
    young = _audit(centre, three_years_ago + dt.timedelta(days=1))
    recent = _audit(centre, utcnow() - dt.timedelta(days=30))

    first = services.run_retention()
    assert first.counts["audit_entries"] == 1
    assert reload(old) is None
    assert reload(young) is not None and reload(recent) is not None
    assert services.run_retention().deleted == 0


def test_audit_period_is_a_setting(app, conn):
    app.config["AUDIT_RETENTION_YEARS"] = 1
    centre = make_centre()
    year_ago = dt.datetime.combine(months_before(today(), 12), dt.time(12))
    old = _audit(centre, year_ago - dt.timedelta(days=1))
    young = _audit(centre, year_ago + dt.timedelta(days=1))
    assert services.delete_old_audit_entries(utcnow()) == 1
    assert reload(old) is None and reload(young) is not None


# --- Wishers' addresses ------------------------------------------------------------------


def test_finally_answered_wishes_keep_no_address(conn):
    centre = make_centre()
    now = utcnow()
    declined = make_wish(centre, status="declined", email="w1@example.org", email_consent_at=now)
    realised = make_wish(centre, status="realised", email="w2@example.org", email_consent_at=now)
    open_ = make_wish(centre, status="planned", email="w3@example.org", email_consent_at=now)

    assert services.run_retention().counts["wish_emails"] == 2
    assert reload(declined).email is None and reload(declined).email_consent_at is None
    assert reload(realised).email is None
    assert reload(open_).email == "w3@example.org"  # still waiting for the answer
    assert services.run_retention().deleted == 0
    assert Wish.select().count() == 3


# --- The command and the daily task -------------------------------------------------------


def test_command_prints_the_counts_and_a_second_run_deletes_nothing(runner, conn):
    outbox_row("sent", 10)
    outbox_row("sent", 100, body="")

    result = runner.invoke(args=["jobs", "retention"])
    assert result.exit_code == 0, result.output
    assert "Mail bodies cleared: 1" in result.output
    assert "Outbox messages deleted: 1" in result.output
    assert "Certificate records deleted: 0" in result.output
    assert "Measles notes deleted: 0" in result.output
    assert "Audit entries deleted: 0" in result.output
    assert "Deleted or cleared in total: 2." in result.output

    again = runner.invoke(args=["jobs", "retention"])
    assert again.exit_code == 0, again.output
    assert "Deleted or cleared in total: 0." in again.output


def test_daily_task_runs_at_night_berlin_time_across_the_dst_changes():
    periodic = {t.__name__: t for t in jobs.huey._registry._periodic_tasks}
    task = periodic["retention_daily"]()
    for day in range(366):  # every day of a year, summer and winter time
        start = dt.datetime(2026, 1, 1) + dt.timedelta(days=day)
        fired = [
            start + dt.timedelta(minutes=m)
            for m in range(0, 24 * 60, 15)  # a firing minute is :15, so on this grid
            if task.validate_datetime(start + dt.timedelta(minutes=m))
        ]
        assert len(fired) == 1, (start, fired)
        assert fired[0].hour in (1, 2) and fired[0].minute == 15  # 03:15 in Berlin


def test_daily_task_applies_the_rules(app, conn):
    outbox_row("sent", 100, body="")
    result = tasks.run_retention()
    assert result.counts["outbox_messages"] == 1
    assert OutboxMessage.select().count() == 0
