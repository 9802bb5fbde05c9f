"""Deliver the outbox: claim a row, send it, mark it; retry with back-off on SMTP errors.

Every row is claimed with one conditional update whose row count decides, so two runners
(two consumer workers, or a consumer and ``flask jobs send-mail``) never send one row
twice. A row is marked ``sent`` only after the server accepted it; a runner that dies in
between leaves the row in ``sending`` and the next run after ``STUCK_AFTER`` puts it back.
The ``Message-ID`` depends only on the row, so such a resend is recognisable as the same
message.

Backends (``MAIL_BACKEND``): ``smtp`` delivers, ``log`` (development) writes recipient,
subject and text to the log and marks the row sent, ``outbox-only`` (tests) leaves
every row pending.

Throttling (``MAIL_RATE_PER_MINUTE``): a run hands at most that many mails to the server,
less those sent (or being sent) in the last minute, so that runs every minute never exceed
the rate a small operator's shared mail host accepts. The rest stay pending, untouched, for
the next run.

Once a row is sent or has finally failed, its text is cleared (``BODY_CLEARED``): it may
hold a working one-time link (password reset, invitation), and nobody needs it any more.
Recipient, subject, status and times stay for the outbox's retention period
(docs/privacy.md).

A row queued with ``services.queue_later`` is written (subject and text) right after it is
claimed, and stored so before it is sent: a retry sends the same text. If what it reports
is gone (the slot deleted meanwhile), it fails at once without being sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app

from volunteer_app.common.errors import NotFound
from volunteer_app.db import database_unavailable, utcnow, write_transaction
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import written

log = logging.getLogger(__name__)

STUCK_AFTER = dt.timedelta(minutes=15)
# "The last minute" for the rate: a little shorter, so that the run a minute later (runs start
# every minute and take a few seconds) does not count the previous run's mails again.
RATE_WINDOW = dt.timedelta(seconds=50)
MAX_BACKOFF = dt.timedelta(hours=6)
ERROR_LENGTH = 500
BACKENDS = ("smtp", "log", "outbox-only")
# Characters that never belong in one bare address (header folding, lists, display names).
_ADDRESS_FORBIDDEN = frozenset('\r\n\t\0 ,;<>()"\\')
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?")
# Rows that are done with: their text (and a mail not written yet, its parameters) is cleared.
FINISHED = ("sent", "failed")
BODY_CLEARED = {"body_text": "", "body_html": "", "params": ""}


def has_body():
    """SQL: the row still holds its text, or its parameters (not cleared yet)."""
    return (
        (OutboxMessage.body_text != "")
        | (OutboxMessage.body_html != "")
        | (OutboxMessage.params != "")
    )


@dataclass(frozen=True)
class Result:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


class InvalidMessage(Exception):
    """The row can never be delivered as it is (e.g. a malformed recipient)."""


class TransportDown(Exception):
    """The server was unreachable earlier in this run; the row waits for the next one."""


def send_pending(limit: int = 100) -> Result:
    """Deliver up to ``limit`` due outbox rows; returns how many were sent, failed or deferred.

    Needs an app context (reads ``current_app.config`` now, so tests may change it) and an
    open connection. Safe to run concurrently: each row is claimed before it is sent.
    """
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    if backend not in BACKENDS:
        raise ValueError(f"Unknown MAIL_BACKEND {backend!r}; use one of {', '.join(BACKENDS)}.")
    if backend == "outbox-only":
        return Result()
    release_stuck()
    limit = min(limit, rate_budget(config["MAIL_RATE_PER_MINUTE"]))
    if limit <= 0:
        return Result()
    transport = SmtpTransport(config) if backend == "smtp" else LogTransport()
    sent = failed = retrying = 0
    try:
        for row_id in _due_ids(limit):
            row = _claim(row_id)
            if row is None:
                continue  # another runner took it
            if row.template and not _write(row):
                failed += 1
                continue
            outcome = _deliver(row, transport, config)
            sent += outcome == "sent"
            failed += outcome == "failed"
            retrying += outcome == "retrying"
    finally:
        transport.close()
    return Result(sent=sent, failed=failed, retrying=retrying)


def rate_budget(per_minute: int, now: dt.datetime | None = None) -> int:
    """How many mails may go out now: ``per_minute`` less those sent or being sent in the
    last minute (by any runner); unlimited (a large number) when ``per_minute`` is 0."""
    if per_minute <= 0:
        return 1_000_000
    now = now or utcnow()
    recent = (
        OutboxMessage.select()
        .where(
            ((OutboxMessage.status == "sent") & (OutboxMessage.sent_at > now - RATE_WINDOW))
            | (OutboxMessage.status == "sending")
        )
        .count()
    )
    return max(per_minute - recent, 0)


def release_stuck(now: dt.datetime | None = None) -> int:
    """Put rows back whose runner died while sending (claimed longer than ``STUCK_AFTER`` ago).

    The interrupted attempt counts, so a message that crashes the worker every time ends
    as ``failed`` instead of looping forever.
    """
    now = now or utcnow()
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    stuck = (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - STUCK_AFTER)
    note = "Delivery interrupted: the sending worker stopped before it finished."
    with write_transaction():
        given_up = (
            OutboxMessage.update(
                status="failed",
                attempts=OutboxMessage.attempts + 1,
                claimed_at=None,
                last_error=note,
                **BODY_CLEARED,
            )
            .where(stuck & (OutboxMessage.attempts + 1 >= max_attempts))
            .execute()
        )
        released = (
            OutboxMessage.update(
                status="pending",
                attempts=OutboxMessage.attempts + 1,
                claimed_at=None,
                next_attempt_at=now,
                last_error=note,
            )
            .where(stuck)
            .execute()
        )
    if given_up or released:
        log.warning("Outbox: %d stuck message(s) released, %d given up.", released, given_up)
    return released + given_up


def retry_failed(max_age_days: int = 3) -> int:
    """Put failed rows queued in the last ``max_age_days`` back to pending; returns how many.

    For after an outage longer than the retry schedule or a fixed mail setting. Older
    mail stays failed: a reminder for last week's activity should not arrive now. A row
    whose text has been cleared (every row that failed for good since the text is cleared
    then) stays failed too: it would go out empty.
    """
    now = utcnow()
    with write_transaction():
        return (
            OutboxMessage.update(status="pending", attempts=0, claimed_at=None, next_attempt_at=now)
            .where(
                (OutboxMessage.status == "failed")
                & (OutboxMessage.created_at >= now - dt.timedelta(days=max_age_days))
                & has_body()
            )
            .execute()
        )


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failures: 1, 2, 4 … minutes, at most 6 h."""
    minutes = 2 ** min(max(attempts - 1, 0), 16)
    return min(dt.timedelta(minutes=minutes), MAX_BACKOFF)


def message_id(row: OutboxMessage, mail_from: str) -> str:
    """A stable Message-ID: the same row always gets the same one (a resend is recognisable)."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "thekiz.example"
    created = row.created_at.strftime("%Y%m%d%H%M%S") if row.created_at else "0"
    return f"<outbox.{row.id}.{created}@{domain}>"


def build_message(row: OutboxMessage, config) -> EmailMessage:
    """The row as a multipart/alternative mail (plain text first, then HTML)."""
    recipient = check_address(row.recipient)
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = _one_line(row.subject)
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = recipient
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = message_id(row, config["MAIL_FROM"])
    msg["Auto-Submitted"] = "auto-generated"
    # Asks Exchange/Outlook not to answer with out-of-office replies.
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(row.body_text or "", charset="utf-8")
    msg.add_alternative(row.body_html or "", subtype="html", charset="utf-8")
    # After the parts: set_content()/add_alternative() move or drop Content-* headers.
    msg["Content-Language"] = row.locale if _LANGUAGE_TAG.fullmatch(row.locale or "") else "de"
    return msg


def check_address(value: str) -> str:
    """One bare address (``name@domain``) or ``InvalidMessage``: nothing that could add a header."""
    value = (value or "").strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or _ADDRESS_FORBIDDEN.intersection(value):
        raise InvalidMessage("Invalid recipient address.")
    if any(ord(c) < 32 or ord(c) == 127 for c in value) or len(value) > 254:
        raise InvalidMessage("Invalid recipient address.")
    return value


class LogTransport:
    """Development: write the mail to the log instead of sending it."""

    def send(self, msg: EmailMessage, sender: str, recipient: str) -> None:
        text = msg.get_body(("plain",))
        # WARNING, not INFO: visible with any default logging set-up (``flask jobs send-mail``
        # included), and the mail was in fact not delivered.
        log.warning(
            "Mail (log backend, not sent)\nTo: %s\nSubject: %s\n\n%s",
            recipient,
            msg["Subject"],
            text.get_content() if text is not None else "",
        )

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP connection per run, opened on the first message.

    After a connection-level failure the server is not tried again in this run: the
    remaining rows are deferred at once instead of each waiting for a timeout.
    """

    def __init__(self, config):
        self.config = config
        self.conn: smtplib.SMTP | None = None
        self.down: BaseException | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        timeout = c["MAIL_TIMEOUT"]
        if c["MAIL_USE_SSL"]:
            conn = smtplib.SMTP_SSL(
                c["MAIL_SERVER"],
                c["MAIL_PORT"],
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=timeout)
        try:
            if c["MAIL_USE_TLS"] and not c["MAIL_USE_SSL"]:
                conn.starttls(context=ssl.create_default_context())
            if c["MAIL_USERNAME"]:
                conn.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"])
        except BaseException:
            _quietly_close(conn)
            raise
        return conn

    def send(self, msg: EmailMessage, sender: str, recipient: str) -> None:
        if self.down is not None:
            raise TransportDown(describe_error(self.down, self.config))
        if self.conn is None:
            try:
                self.conn = self._connect()
            except Exception as exc:  # unreachable, TLS or login failed: nothing will go out
                self._drop(exc)
                raise
        # smtplib's exceptions are OSErrors: the message-level ones come first.
        try:
            self.conn.send_message(msg, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            if any(code == 421 for code, _ in exc.recipients.values()):
                self._drop(exc)  # the server is closing the connection
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:
                self._drop(exc)
            raise
        except smtplib.SMTPNotSupportedError:
            raise  # e.g. an address needing SMTPUTF8: this message only
        except OSError as exc:  # connection lost or timed out (incl. SMTPServerDisconnected)
            self._drop(exc)
            raise

    def _drop(self, exc: BaseException) -> None:
        self.down = exc
        if self.conn is not None:
            _quietly_close(self.conn)
            self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                _quietly_close(self.conn)
            self.conn = None


def describe_error(exc: BaseException, config) -> str:
    """A short, single-line description for ``last_error``: no credentials, no CR/LF."""
    if isinstance(exc, TransportDown):
        text = f"Server unavailable earlier in this run: {exc}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(f"{code} {_decode(resp)}" for code, resp in exc.recipients.values())
        text = f"Recipient refused: {codes}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{type(exc).__name__}: {exc.smtp_code} {_decode(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    for secret in (config["MAIL_PASSWORD"], config["MAIL_USERNAME"]):
        if secret:
            text = text.replace(secret, "***")
    return _one_line(text)[:ERROR_LENGTH]


def _deliver(row: OutboxMessage, transport, config) -> str:
    claimed_at = row.claimed_at
    try:
        msg = build_message(row, config)
        sender = parseaddr(config["MAIL_FROM"])[1]
        transport.send(msg, sender, row.recipient.strip())
    except InvalidMessage as exc:
        _finish_failed(row, claimed_at, str(exc))
        log.warning("Outbox message %s failed for good: %s", row.id, exc)
        return "failed"
    except smtplib.SMTPRecipientsRefused as exc:
        error = describe_error(exc, config)
        if all(code >= 500 for code, _ in exc.recipients.values()):
            # A permanent refusal (unknown mailbox): retrying would only repeat it.
            _finish_failed(row, claimed_at, error)
            log.warning("Outbox message %s refused for good: %s", row.id, error)
            return "failed"
        return _retry(row, claimed_at, error, config)
    except (OSError, smtplib.SMTPException, TransportDown) as exc:
        return _retry(row, claimed_at, describe_error(exc, config), config)
    except Exception as exc:
        # A bug or a bad setting (e.g. MAIL_FROM): keep the row, let the back-off slow it down.
        log.exception("Outbox message %s could not be sent", row.id)
        return _retry(row, claimed_at, describe_error(exc, config), config)
    marked = (
        OutboxMessage.update(status="sent", sent_at=utcnow(), last_error="", **BODY_CLEARED)
        .where(_still_ours(row, claimed_at))
        .execute()
    )
    if not marked:
        log.warning("Outbox message %s was sent but had been taken over meanwhile.", row.id)
    return "sent"


def _write(row: OutboxMessage) -> bool:
    """Write a row queued with ``queue_later`` and store its text (still claimed by this
    runner); False, and the row failed, if what it reports is gone or it cannot be written."""
    try:
        subject, text, html = written(row)
    except NotFound as exc:
        _finish_failed(row, row.claimed_at, f"Not written: {exc.message}"[:ERROR_LENGTH])
        log.warning("Outbox message %s not written: what it reports is gone.", row.id)
        return False
    except Exception as exc:
        if database_unavailable(exc):
            raise  # the run stops; the row is released after STUCK_AFTER and written then
        log.exception("Outbox message %s could not be written", row.id)
        _finish_failed(row, row.claimed_at, f"Not written: {type(exc).__name__}")
        return False
    fields = {
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "template": "",
        "params": "",
    }
    OutboxMessage.update(**fields).where(_still_ours(row, row.claimed_at)).execute()
    for name, value in fields.items():
        setattr(row, name, value)
    return True


def _retry(row: OutboxMessage, claimed_at, error: str, config) -> str:
    attempts = row.attempts + 1
    if attempts >= config["MAIL_MAX_ATTEMPTS"]:
        _finish_failed(row, claimed_at, error)
        log.warning("Outbox message %s failed after %d attempts: %s", row.id, attempts, error)
        return "failed"
    (
        OutboxMessage.update(
            status="pending",
            attempts=attempts,
            claimed_at=None,
            next_attempt_at=utcnow() + backoff(attempts),
            last_error=error,
        )
        .where(_still_ours(row, claimed_at))
        .execute()
    )
    log.info("Outbox message %s deferred (attempt %d): %s", row.id, attempts, error)
    return "retrying"


def _finish_failed(row: OutboxMessage, claimed_at, error: str) -> None:
    (
        OutboxMessage.update(
            status="failed",
            attempts=row.attempts + 1,
            claimed_at=None,
            last_error=error[:ERROR_LENGTH],
            **BODY_CLEARED,
        )
        .where(_still_ours(row, claimed_at))
        .execute()
    )


def _still_ours(row: OutboxMessage, claimed_at):
    return (
        (OutboxMessage.id == row.id)
        & (OutboxMessage.status == "sending")
        & (OutboxMessage.claimed_at == claimed_at)
    )


def _due_ids(limit: int) -> list[int]:
    now = utcnow()
    query = (
        OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(max(int(limit), 0))
    )
    return [row_id for (row_id,) in query.tuples()]


def _claim(row_id: int) -> OutboxMessage | None:
    """Take one row for this runner; the conditional update's row count decides."""
    now = utcnow()
    with write_transaction():
        taken = (
            OutboxMessage.update(status="sending", claimed_at=now)
            .where(
                (OutboxMessage.id == row_id)
                & (OutboxMessage.status == "pending")
                & (OutboxMessage.next_attempt_at <= now)
            )
            .execute()
        )
        if taken != 1:
            return None
        return OutboxMessage.get_by_id(row_id)


def _one_line(value) -> str:
    text = str(value or "")
    for ch in ("\r\n", "\r", "\n", "\t", "\x0b", "\x0c", "\x00", "\u2028", "\u2029"):
        text = text.replace(ch, " ")
    return " ".join(text.split())


def _decode(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _quietly_close(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()
