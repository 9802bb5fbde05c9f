"""Outbox delivery against a real SMTP server (aiosmtpd): arrival, retries, outages, races."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest

from tests import factories_notifications, mailserver
from tests.factories_notifications import make_due, queue, reload
from tests.mailserver import SmtpSink, free_port
from volunteer_app.db import db, utcnow
from volunteer_app.notifications import delivery
from volunteer_app.notifications.delivery import Result, send_pending
from volunteer_app.notifications.models import OutboxMessage

# Fixtures (assigned, not imported by name, so that test arguments do not shadow an import).
smtp_sink = mailserver.smtp_sink
mail_templates = factories_notifications.mail_templates

pytestmark = pytest.mark.usefixtures("mail_templates", "conn")

EXPECTED_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "auto-submitted",
    "x-auto-response-suppress",
    "content-language",
    "content-type",
    "mime-version",
}


def test_queued_mail_arrives_once_with_both_parts(app, smtp_sink):
    smtp_sink.configure(app)
    row = queue()

    assert send_pending() == Result(sent=1, failed=0, retrying=0)

    assert len(smtp_sink.messages) == 1
    msg = smtp_sink.messages[0]
    assert msg["Subject"] == "Ihr Einsatz beim Gartentag – Größe der Gruppe: 12 Kinder"
    assert msg["From"].addresses[0].addr_spec == "noreply@thekiz.example"
    assert msg["From"].addresses[0].display_name == "ThEKiZ Ehrenamt"
    assert msg["To"].addresses[0].addr_spec == "anna.muster@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = (part.get_content_type() for part in msg.iter_parts())
    assert (plain, html) == ("text/plain", "text/html")
    assert "Wir treffen uns um 10 Uhr am Gartentor." in msg.get_body(("plain",)).get_content()
    body_html = msg.get_body(("html",)).get_content()
    assert '<html lang="de"' in body_html
    assert "Hallo Anna," in body_html
    assert 'href="http://localhost/termine/7"' in body_html
    assert msg["Message-ID"] == delivery.message_id(row, app.config["MAIL_FROM"])
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Content-Language"] == "de"
    assert msg["Date"].datetime.tzinfo is not None
    assert abs(msg["Date"].datetime - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert {k.lower() for k in msg} == EXPECTED_HEADERS
    assert smtp_sink.envelopes[0].mail_from == "noreply@thekiz.example"
    assert smtp_sink.envelopes[0].rcpt_tos == ["anna.muster@example.org"]

    row = reload(row)
    assert row.status == "sent"
    assert row.sent_at is not None and row.attempts == 0 and row.last_error == ""

    # A second run finds nothing to do.
    assert send_pending() == Result(0, 0, 0)
    assert len(smtp_sink.messages) == 1


def test_english_mail_is_labelled_english(app, smtp_sink):
    smtp_sink.configure(app)
    queue(locale="en", title="Your shift at the garden day")
    send_pending()
    msg = smtp_sink.messages[0]
    assert msg["Content-Language"] == "en"
    assert '<html lang="en"' in msg.get_body(("html",)).get_content()
    assert "Please do not reply to it." in msg.get_body(("html",)).get_content()


def test_message_id_is_stable_per_row(app):
    row = queue()
    other = queue()
    first = delivery.message_id(row, app.config["MAIL_FROM"])
    assert first == delivery.message_id(reload(row), app.config["MAIL_FROM"])
    assert first != delivery.message_id(other, app.config["MAIL_FROM"])
    assert first.startswith("<") and first.endswith("@thekiz.example>")


def test_smtp_outage_loses_nothing_and_sends_nothing_twice(app, smtp_sink):
    rows = [queue(name=f"Person {n}") for n in range(3)]
    smtp_sink.configure(app, MAIL_PORT=free_port())  # nobody listens there
    before = utcnow()

    assert send_pending() == Result(sent=0, failed=0, retrying=3)

    for row in map(reload, rows):
        assert row.status == "pending"
        assert row.attempts == 1
        assert row.claimed_at is None
        assert row.next_attempt_at >= before + dt.timedelta(seconds=55)
        assert "ConnectionRefused" in row.last_error
    assert smtp_sink.messages == []

    # Not due yet: a run right away touches nothing.
    assert send_pending() == Result(0, 0, 0)
    assert {reload(r).attempts for r in rows} == {1}

    # Still down after the first back-off: the wait doubles.
    make_due(*rows)
    before = utcnow()
    assert send_pending() == Result(0, 0, 3)
    for row in map(reload, rows):
        assert row.attempts == 2
        assert row.next_attempt_at >= before + dt.timedelta(seconds=115)

    # The server is back and the time has come: each is delivered exactly once.
    smtp_sink.configure(app)
    assert send_pending() == Result(0, 0, 0)  # still waiting for the back-off
    make_due(*rows)
    assert send_pending() == Result(sent=3, failed=0, retrying=0)
    assert send_pending() == Result(0, 0, 0)
    ids = sorted(m["Message-ID"] for m in smtp_sink.messages)
    assert ids == sorted(delivery.message_id(r, app.config["MAIL_FROM"]) for r in rows)
    assert all(reload(r).status == "sent" for r in rows)


def test_temporary_server_error_is_retried_later(app, smtp_sink):
    smtp_sink.configure(app)
    smtp_sink.fail_data = True
    row = queue()
    assert send_pending() == Result(0, 0, 1)
    row = reload(row)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in row.last_error
    assert smtp_sink.messages == []

    smtp_sink.fail_data = False
    make_due(row)
    assert send_pending() == Result(1, 0, 0)
    assert len(smtp_sink.messages) == 1


def test_after_max_attempts_the_row_fails(app, smtp_sink):
    smtp_sink.configure(app, MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=3)
    row = queue()
    outcomes = []
    for _ in range(3):
        outcomes.append(send_pending())
        make_due(row)
    assert outcomes == [Result(0, 0, 1), Result(0, 0, 1), Result(0, 1, 0)]
    row = reload(row)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error

    # A failed row is never picked up again, even when the server is back.
    smtp_sink.configure(app)
    assert send_pending() == Result(0, 0, 0)
    assert smtp_sink.messages == []


def test_permanently_refused_recipient_fails_at_once(app, smtp_sink):
    smtp_sink.configure(app)
    smtp_sink.reject_recipients.add("gibt.es.nicht@example.org")
    bad = queue("gibt.es.nicht@example.org")
    good = queue("anna.muster@example.org")
    assert send_pending() == Result(sent=1, failed=1, retrying=0)
    bad = reload(bad)
    assert bad.status == "failed"
    assert "550" in bad.last_error
    assert reload(good).status == "sent"
    assert [e.rcpt_tos for e in smtp_sink.envelopes] == [["anna.muster@example.org"]]


@pytest.mark.parametrize(
    "subject",
    [
        "Hallo\r\nBcc: evil@example.com",
        "Hallo\nX-Evil: 1\n\n<script>alert(1)</script>",
        "Hallo\rContent-Type: text/plain",
    ],
)
def test_crlf_in_subject_adds_no_header(app, smtp_sink, subject):
    smtp_sink.configure(app)
    queue(title=subject)
    assert send_pending() == Result(1, 0, 0)
    msg = smtp_sink.messages[0]
    assert {k.lower() for k in msg} == EXPECTED_HEADERS
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg["Subject"].startswith("Hallo ")
    head = smtp_sink.raw[0].split(b"\r\n\r\n", 1)[0]
    for name in (b"Bcc:", b"X-Evil:", b"Content-Type: text/plain"):
        assert b"\n" + name not in head
    assert smtp_sink.envelopes[0].rcpt_tos == ["anna.muster@example.org"]


@pytest.mark.parametrize(
    "recipient",
    [
        "anna@example.org\r\nBcc: evil@example.com",
        "anna@example.org\nTo: evil@example.com",
        "anna@example.org, evil@example.com",
        "Anna <anna@example.org>",
        "",
        "ohne-at-zeichen",
    ],
)
def test_bad_recipient_via_queue_mail_is_never_sent(app, smtp_sink, recipient):
    smtp_sink.configure(app)
    row = queue(recipient)
    assert send_pending() == Result(sent=0, failed=1, retrying=0)
    row = reload(row)
    assert row.status == "failed"
    assert row.last_error == "Invalid recipient address."
    assert smtp_sink.messages == []


def test_rows_written_past_queue_mail_are_cleaned_too(app, smtp_sink):
    """Delivery does not rely on queue_mail: a raw row with CR/LF is still safe."""
    smtp_sink.configure(app)
    bad = OutboxMessage.create(
        recipient="anna@example.org\nBcc: evil@example.com",
        subject="x",
        body_text="t",
        body_html="<p>h</p>",
    )
    odd = OutboxMessage.create(
        recipient="anna@example.org",
        subject="Termin\r\nBcc: evil@example.com",
        locale="en\nX:",
        body_text="t",
        body_html="<p>h</p>",
    )
    assert send_pending() == Result(sent=1, failed=1, retrying=0)
    assert reload(bad).status == "failed"
    assert reload(odd).status == "sent"
    msg = smtp_sink.messages[0]
    assert {k.lower() for k in msg} == EXPECTED_HEADERS
    assert msg["Subject"] == "Termin Bcc: evil@example.com"
    assert msg["Content-Language"] == "de"  # not a language tag: the default
    assert [e.rcpt_tos for e in smtp_sink.envelopes] == [["anna@example.org"]]


def test_concurrent_runners_deliver_each_row_once(app, smtp_sink):
    smtp_sink.configure(app)
    rows = [queue(f"person{n}@example.org") for n in range(30)]
    barrier = threading.Barrier(2)
    results: list[Result] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context(), db.connection_context():
                barrier.wait(timeout=10)
                results.append(send_pending())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sum(r.sent for r in results) == 30
    assert sum(r.failed + r.retrying for r in results) == 0
    received = [m["Message-ID"] for m in smtp_sink.messages]
    assert len(received) == 30
    assert sorted(received) == sorted(delivery.message_id(r, app.config["MAIL_FROM"]) for r in rows)
    recipients = sorted(e.rcpt_tos[0] for e in smtp_sink.envelopes)
    assert recipients == sorted(f"person{n}@example.org" for n in range(30))
    assert OutboxMessage.select().where(OutboxMessage.status != "sent").count() == 0


def test_claim_is_decided_by_the_row_count(app):
    row = queue()
    assert delivery._claim(row.id) is not None
    assert delivery._claim(row.id) is None  # already "sending"
    assert reload(row).status == "sending"


def test_rows_stuck_in_sending_go_back_to_pending(app, smtp_sink):
    smtp_sink.configure(app, MAIL_MAX_ATTEMPTS=3)
    crashed = queue("crashed@example.org")
    busy = queue("busy@example.org")
    hopeless = queue("hopeless@example.org")
    now = utcnow()
    OutboxMessage.update(status="sending", claimed_at=now - dt.timedelta(minutes=20)).where(
        OutboxMessage.id.in_([crashed.id, hopeless.id])
    ).execute()
    OutboxMessage.update(attempts=2).where(OutboxMessage.id == hopeless.id).execute()
    OutboxMessage.update(status="sending", claimed_at=now - dt.timedelta(minutes=5)).where(
        OutboxMessage.id == busy.id
    ).execute()

    assert send_pending() == Result(sent=1, failed=0, retrying=0)

    crashed = reload(crashed)
    assert (crashed.status, crashed.attempts) == ("sent", 1)
    assert reload(busy).status == "sending"  # its worker may still be at it
    hopeless = reload(hopeless)
    assert (hopeless.status, hopeless.attempts) == ("failed", 3)
    assert [e.rcpt_tos for e in smtp_sink.envelopes] == [["crashed@example.org"]]


def test_limit_is_respected_and_oldest_first(app, smtp_sink):
    smtp_sink.configure(app)
    rows = [queue(f"p{n}@example.org") for n in range(5)]
    assert send_pending(limit=2) == Result(2, 0, 0)
    assert [e.rcpt_tos[0] for e in smtp_sink.envelopes] == ["p0@example.org", "p1@example.org"]
    assert send_pending(limit=0) == Result(0, 0, 0)
    assert send_pending() == Result(3, 0, 0)
    assert all(reload(r).status == "sent" for r in rows)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_credentials_and_no_secret_in_last_error(app):
    sink = SmtpSink(username="mailer", password="Geheim-Passwort-123").start()
    try:
        sink.configure(app, MAIL_USERNAME="mailer", MAIL_PASSWORD="Geheim-Passwort-123")
        good = queue()
        assert send_pending() == Result(1, 0, 0)
        assert sink.logins == ["mailer"]
        assert reload(good).status == "sent"

        app.config["MAIL_PASSWORD"] = "Falsches-Passwort-456"
        bad = queue()
        assert send_pending() == Result(0, 0, 1)
        bad = reload(bad)
        assert bad.status == "pending" and "535" in bad.last_error
        assert "Falsches-Passwort-456" not in bad.last_error
        assert "mailer" not in bad.last_error
        assert len(sink.messages) == 1
    finally:
        sink.stop()


def test_log_backend_logs_and_marks_sent(app, caplog):
    app.config["MAIL_BACKEND"] = "log"
    row = queue(body="Bitte bestätigen Sie Ihre Adresse.")
    with caplog.at_level(logging.INFO, logger="volunteer_app.notifications.delivery"):
        assert send_pending() == Result(1, 0, 0)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "anna.muster@example.org" in logged
    assert "Ihr Einsatz beim Gartentag" in logged
    assert "Bitte bestätigen Sie Ihre Adresse." in logged
    assert reload(row).status == "sent"


def test_outbox_only_backend_leaves_rows_pending(app):
    assert app.config["MAIL_BACKEND"] == "outbox-only"  # the TestingConfig default
    row = queue()
    assert send_pending() == Result(0, 0, 0)
    row = reload(row)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 0, None)


def test_unknown_backend_is_refused(app):
    app.config["MAIL_BACKEND"] = "carrier-pigeon"
    with pytest.raises(ValueError, match="MAIL_BACKEND"):
        send_pending()


def test_cli_send_mail_prints_counts(app, runner, smtp_sink):
    smtp_sink.configure(app)
    queue()
    queue("gibt.es.nicht@example.org")
    smtp_sink.reject_recipients.add("gibt.es.nicht@example.org")
    result = runner.invoke(args=["jobs", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 1, retrying later 0." in result.output
    assert len(smtp_sink.messages) == 1


def test_retry_failed_mail_after_a_long_outage(app, runner, smtp_sink):
    smtp_sink.configure(app, MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=1)
    recent = queue("recent@example.org")
    old = queue("old@example.org")
    OutboxMessage.update(created_at=utcnow() - dt.timedelta(days=5)).where(
        OutboxMessage.id == old.id
    ).execute()
    assert send_pending() == Result(0, 2, 0)
    # Failed for good: the text is cleared (it may hold a one-time link), so nothing could
    # go out again but an empty mail.
    assert {(r.body_text, r.body_html) for r in OutboxMessage.select()} == {("", "")}
    assert runner.invoke(args=["jobs", "retry-failed-mail"]).output.startswith("0 failed")

    # Rows that failed before the text was cleared still hold it: those are queued again.
    for row in (recent, old):
        OutboxMessage.update(body_text=row.body_text, body_html=row.body_html).where(
            OutboxMessage.id == row.id
        ).execute()
    result = runner.invoke(args=["jobs", "retry-failed-mail"])
    assert result.exit_code == 0, result.output
    assert "1 failed message(s) queued again." in result.output
    recent = reload(recent)
    assert (recent.status, recent.attempts) == ("pending", 0)
    assert reload(old).status == "failed"  # too old to be useful now

    smtp_sink.configure(app)
    assert send_pending() == Result(1, 0, 0)
    assert [e.rcpt_tos for e in smtp_sink.envelopes] == [["recent@example.org"]]
    assert runner.invoke(args=["jobs", "retry-failed-mail"]).output.startswith("0 failed")
