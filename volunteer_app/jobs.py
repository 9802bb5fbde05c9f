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
