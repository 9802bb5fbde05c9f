"""The health check's parts: database, task queue storage, rate-limit storage, mail outbox.

``GET /healthz`` answers 200 when every part is fine and 503 (with ``Retry-After``) when one
is not, naming it (docs/operations.md, "Health check"):

- ``database``: ``SELECT 1`` answers (``ok``) or the database cannot be reached (``down``);
- ``task_queue``: the job queue's storage (Redis, or the SQLite file) answers;
- ``rate_limits``: the rate-limit storage answers (``memory://`` always does);
- ``mail_outbox``: no mail has been due for longer than ``HEALTH_MAIL_OVERDUE_MINUTES``
  (``backlog`` means nothing delivers it: the job consumer is stopped or stuck; an SMTP
  outage shows as mail waiting to be retried, which is not due yet). ``unknown`` while the
  database is down.

Each check is one cheap statement or command; none writes anything.
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee as pw
from flask import current_app

from volunteer_app.db import database_unavailable, db, utcnow

log = logging.getLogger(__name__)

OK, DOWN, BACKLOG, UNKNOWN = "ok", "down", "backlog", "unknown"


def report() -> tuple[dict, bool]:
    """The parts' states, and whether all of them are fine."""
    parts: dict = {"database": _database()}
    parts["task_queue"] = _task_queue()
    parts["rate_limits"] = _rate_limits()
    if parts["database"] == OK:
        parts.update(_mail_outbox())
    else:
        parts["mail_outbox"] = UNKNOWN
    healthy = all(parts[name] == OK for name in ("database", "task_queue", "rate_limits")) and (
        parts["mail_outbox"] == OK
    )
    return {"status": OK if healthy else DOWN, **parts}, healthy


def _database() -> str:
    try:
        db.execute_sql("SELECT 1")
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        return DOWN
    return OK


def _task_queue() -> str:
    from volunteer_app.taskqueue import huey

    try:
        huey.storage.queue_size()
    except Exception as exc:  # Redis refused, the SQLite file unreadable, …
        log.warning("Health check: the task queue storage does not answer: %s", exc)
        return DOWN
    return OK


def _rate_limits() -> str:
    from volunteer_app.extensions import limiter

    try:
        answers = limiter.storage.check()
    except Exception as exc:
        log.warning("Health check: the rate-limit storage does not answer: %s", exc)
        return DOWN
    return OK if answers else DOWN


def _mail_outbox() -> dict:
    """``mail_outbox``: ok or backlog; with a backlog, how many minutes the oldest is overdue."""
    from volunteer_app.notifications.models import OutboxMessage

    limit = current_app.config["HEALTH_MAIL_OVERDUE_MINUTES"]
    if not limit:
        return {"mail_outbox": OK}
    oldest = (
        OutboxMessage.select(pw.fn.MIN(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == "pending")
        .scalar()
    )
    if isinstance(oldest, str):  # SQLite hands back the text of an aggregate
        oldest = dt.datetime.fromisoformat(oldest)
    overdue = (utcnow() - oldest).total_seconds() / 60 if oldest else 0
    if overdue <= limit:
        return {"mail_outbox": OK}
    return {"mail_outbox": BACKLOG, "mail_overdue_minutes": int(overdue)}
