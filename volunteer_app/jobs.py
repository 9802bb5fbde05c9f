"""The task queue (huey): periodic jobs that also exist as ``flask jobs …`` commands.

Storage is a SQLite file by default and Redis in production (``HUEY_URL``). The
consumer runs beside the web server: ``huey_consumer volunteer_app.jobs.huey``.

Each task runs inside an app context and an open database connection. In the consumer
process the Flask app is built lazily, once, on the first task (there is no module-level
app); where an app context is already active (tests, immediate mode) that one is used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from urllib.parse import unquote, urlparse

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from config import config_from_env

log = logging.getLogger(__name__)


def make_huey(url: str, immediate: bool = False):
    """A huey instance for ``redis://…``, ``memory://`` or ``sqlite:///path``."""
    parsed = urlparse(url)
    if parsed.scheme in ("redis", "rediss", "unix"):
        return RedisHuey("thekiz", url=url, immediate=immediate)
    if parsed.scheme == "memory":
        return MemoryHuey("thekiz", immediate=immediate)
    if parsed.scheme != "sqlite":
        raise ValueError(f"Unsupported HUEY_URL scheme: {parsed.scheme!r}")
    # Same convention as DATABASE_URL: sqlite:///relative.db, sqlite:////absolute.db
    path = unquote(parsed.path[1:]) if parsed.path.startswith("/") else unquote(parsed.path)
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("thekiz", filename=path, immediate=immediate)


_config = config_from_env()
huey = make_huey(_config.HUEY_URL, immediate=_config.HUEY_IMMEDIATE)

_logging_lock = threading.Lock()


@huey.on_startup()
def share_consumer_logging():
    """The consumer sets up logging for the ``huey`` logger only: send ours to the same place.

    Without this, the app's own lines (e.g. the development mail log) would be lost.
    """
    huey_logger = logging.getLogger("huey")
    app_logger = logging.getLogger("volunteer_app")
    with _logging_lock:  # runs once per worker thread
        for handler in huey_logger.handlers:
            if handler not in app_logger.handlers:
                app_logger.addHandler(handler)
        if huey_logger.level and not app_logger.level:
            app_logger.setLevel(huey_logger.level)


_app: Flask | None = None
_app_lock = threading.Lock()


def flask_app() -> Flask:
    """The consumer process's Flask app, built on first use (config from ``APP_ENV``)."""
    global _app
    with _app_lock:
        if _app is None:
            from volunteer_app import create_app

            _app = create_app()
        return _app


@contextlib.contextmanager
def job_context():
    """An app context (the active one, else the process's own app) and an open connection."""
    from volunteer_app.db import db

    with contextlib.ExitStack() as stack:
        if not has_app_context():
            stack.enter_context(flask_app().app_context())
        stack.enter_context(db.connection_context())
        yield current_app


def run_send_mail(limit: int = 100):
    """Deliver due outbox mail (the body of the periodic task and of ``send_mail``)."""
    from volunteer_app.notifications import delivery

    with job_context():
        result = delivery.send_pending(limit=limit)
    if result.sent or result.failed or result.retrying:
        log.info(
            "Mail: sent %d, failed %d, retrying later %d.",
            result.sent,
            result.failed,
            result.retrying,
        )
    return result


@huey.periodic_task(crontab(minute="*"), name="send_mail_periodically")
def send_mail_periodically():
    """Every minute: deliver due outbox mail."""
    run_send_mail()


@huey.task(name="send_mail")
def send_mail(limit: int = 100):
    """On demand (e.g. right after a service queued an urgent mail)."""
    result = run_send_mail(limit=limit)
    return {"sent": result.sent, "failed": result.failed, "retrying": result.retrying}


def at_berlin_time(hour: int, minute: int = 0):
    """A periodic-task schedule at a Berlin wall-clock time, right across DST changes.

    huey runs with ``utc=True`` and hands its validators naive UTC times, so a crontab
    would fire at a UTC hour (08:00 Berlin in summer, 07:00 in winter).
    """
    from volunteer_app.common.time import to_berlin

    def validate(timestamp) -> bool:
        local = to_berlin(timestamp)
        return local.hour == hour and local.minute == minute

    return validate


def run_send_reminders():
    """Queue due reminders (the body of the periodic task and of ``flask jobs send-reminders``)."""
    from volunteer_app.notifications import reminders

    with job_context():
        return reminders.send_reminders()


@huey.periodic_task(crontab(minute="*/10"), name="send_reminders_periodically")
def send_reminders_periodically():
    """Every 10 minutes: reminders by each volunteer's preference."""
    run_send_reminders()


def run_send_digest():
    """Queue today's coordinator digests (once per coordinator and Berlin date)."""
    from volunteer_app.notifications import digest

    with job_context():
        return digest.send_digests()


@huey.periodic_task(at_berlin_time(7, 0), name="send_digest_daily")
def send_digest_daily():
    """Every day at 07:00 Berlin time: the coordinators' digest of unfilled slots."""
    run_send_digest()


def run_extend_slots():
    """Create the slots of running schedules up to the horizon (body of the periodic task)."""
    from volunteer_app.activities import services

    with job_context():
        result = services.extend_slots()
    if result.slots:
        log.info("Slots: created %d in %d schedule(s).", result.slots, result.series)
    return result


@huey.periodic_task(crontab(hour="2", minute="30"), name="extend_slots_daily")
def extend_slots_daily():
    """Every night: keep the rolling horizon of slots filled (running twice adds nothing)."""
    run_extend_slots()


def run_match(run_id: int) -> str:
    """Solve one queued matching run (the body of ``match_run``); progress goes to the run."""
    from volunteer_app.proposals import tasks

    with job_context():
        return tasks.execute_run(run_id)


@huey.task(name="match_run")
def match_run(run_id: int) -> str:
    """Queued by "Vorschläge erzeugen": never solved inside the web request."""
    return run_match(run_id)


def run_send_suggestions():
    """Queue this ISO week's "Passt zu dir" mail for everyone who opted in (once a week)."""
    from volunteer_app.proposals import services

    with job_context():
        return services.send_weekly_suggestions()


def weekly_at_berlin_time(weekday: int, hour: int, minute: int = 0):
    """A periodic-task schedule on one weekday (0 = Monday) at a Berlin wall-clock time."""
    from volunteer_app.common.time import to_berlin

    at_time = at_berlin_time(hour, minute)

    def validate(timestamp) -> bool:
        return at_time(timestamp) and to_berlin(timestamp).weekday() == weekday

    return validate


@huey.periodic_task(weekly_at_berlin_time(0, 8, 0), name="send_suggestions_weekly")
def send_suggestions_weekly():
    """Mondays at 08:00 Berlin time: the weekly suggestions (idempotent per ISO week)."""
    run_send_suggestions()


def run_retention():
    """Apply the retention rules (the body of the daily task and of ``flask jobs retention``)."""
    from volunteer_app.retention import services

    with job_context():
        return services.run_retention()


@huey.periodic_task(at_berlin_time(3, 15), name="retention_daily")
def retention_daily():
    """Every night at 03:15 Berlin time (outside the DST hour): delete what may no longer be
    kept (idempotent: a second run deletes nothing more)."""
    run_retention()
