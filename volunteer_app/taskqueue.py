"""The task queue binding (huey): the instance, the job context and the schedule helpers.

Storage is a SQLite file by default and Redis in production (``HUEY_URL``). Each feature
defines its tasks in its own ``tasks.py`` with this module's ``huey``; ``jobs.py`` imports
all of them for the consumer (``huey_consumer volunteer_app.jobs.huey``). This module knows
no feature, as ``db.py`` knows no model.

Each task runs inside an app context and an open database connection. In the consumer
process the Flask app is built lazily, once, on the first task (there is no module-level
app); where an app context is already active (tests, immediate mode) that one is used.

When the database cannot be reached, a task in the consumer waits for it (checking every
few seconds, up to ``DATABASE_WAIT_SECONDS``) and then runs; if it is still down, or goes
away during the task, the task is queued again for later (huey's ``RetryTask``) instead of
failing. Every task is idempotent, so running one again is safe. Elsewhere (a ``flask
jobs`` command, the tests) the error is raised at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlencode, urlparse, urlunparse

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.exceptions import RetryTask
from huey.registry import Registry

from config import config_from_env
from volunteer_app.common.time import to_berlin
from volunteer_app.db import database_unavailable, db

log = logging.getLogger(__name__)

# A task in the consumer waits this long for an unreachable database (checking after 1, 2,
# 4, … and then every 15 seconds), then goes back into the queue for RETRY_DELAY_SECONDS.
DATABASE_WAIT_SECONDS = 60
RETRY_DELAY_SECONDS = 30

# Tasks were all defined in ``volunteer_app/jobs.py`` before each feature got its own
# ``tasks.py``, and huey names a queued task by module and name. Every task keeps that
# identifier wherever it is defined, so that messages queued before still run (and producer
# and consumer agree whichever module defines a task).
TASK_PREFIX = "volunteer_app.jobs"


class _StableTaskNames(Registry):
    """huey's registry with ``volunteer_app.jobs.<name>`` as every task's identifier."""

    def task_to_string(self, task_class) -> str:
        return f"{TASK_PREFIX}.{task_class.__name__}"


def make_huey(url: str, immediate: bool = False):
    """A huey instance for ``redis://…``, ``memory://`` or ``sqlite:///path``.

    ``redis://…?queue=<name>`` names the queue (default ``thekiz``), so that installations
    (or test runs) sharing one Redis database keep their tasks apart.
    """
    parsed = urlparse(url)
    if parsed.scheme in ("redis", "rediss", "unix"):
        query = parse_qs(parsed.query)
        name = query.pop("queue", ["thekiz"])[0]
        url = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
        instance = RedisHuey(name, url=url, immediate=immediate)
    elif parsed.scheme == "memory":
        instance = MemoryHuey("thekiz", immediate=immediate)
    elif parsed.scheme == "sqlite":
        # Same convention as DATABASE_URL: sqlite:///relative.db, sqlite:////absolute.db
        path = unquote(parsed.path[1:]) if parsed.path.startswith("/") else unquote(parsed.path)
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        instance = SqliteHuey("thekiz", filename=path, immediate=immediate)
    else:
        raise ValueError(f"Unsupported HUEY_URL scheme: {parsed.scheme!r}")
    instance._registry = _StableTaskNames()  # before any task is registered
    return instance


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
            from volunteer_app import create_app  # the factory imports every feature

            _app = create_app()
        return _app


class DatabaseUnavailable(RetryTask):
    """The database could not be reached: huey queues the task again after a delay."""


@contextlib.contextmanager
def job_context(wait_seconds: float | None = None):
    """An app context (the active one, else the process's own app) and an open connection.

    ``wait_seconds``: how long to wait for an unreachable database before the task is queued
    again (``DatabaseUnavailable``); by default ``DATABASE_WAIT_SECONDS`` in the consumer
    (where no app context is active yet) and 0 elsewhere, where the error is raised as is.
    """
    with contextlib.ExitStack() as stack:
        in_consumer = not has_app_context()
        if in_consumer:
            stack.enter_context(flask_app().app_context())
        if wait_seconds is None:
            wait_seconds = DATABASE_WAIT_SECONDS if in_consumer else 0
        if wait_seconds > 0:
            wait_for_database(wait_seconds)
        stack.enter_context(db.connection_context())
        try:
            yield current_app
        except Exception as exc:
            if wait_seconds > 0 and database_unavailable(exc):
                # The transaction was rolled back with the connection: run it all again later.
                log.warning("The database went away during a job; it will run again.")
                raise DatabaseUnavailable(delay=RETRY_DELAY_SECONDS) from exc
            raise


def wait_for_database(
    max_seconds: float,
    *,
    probe: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once the database answers; raise ``DatabaseUnavailable`` after ``max_seconds``.

    Logs one line when it starts waiting and one when the database is back.
    """
    probe = probe or _select_one
    deadline = time.monotonic() + max_seconds
    pause, waited = 1.0, False
    while True:
        try:
            probe()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            if not waited:
                reason = " ".join(str(exc).split())[:200]
                log.warning("The database cannot be reached (%s); the job waits for it.", reason)
                waited = True
            if time.monotonic() + pause > deadline:
                log.warning("The database is still unreachable; the job will run again later.")
                raise DatabaseUnavailable(delay=RETRY_DELAY_SECONDS) from exc
            sleep(pause)
            pause = min(pause * 2, 15.0)
        else:
            if waited:
                log.warning("The database answers again; the job goes on.")
            return


def _select_one() -> None:
    with db.connection_context():
        db.execute_sql("SELECT 1")


def at_berlin_time(hour: int, minute: int = 0):
    """A periodic-task schedule at a Berlin wall-clock time, right across DST changes.

    huey runs with ``utc=True`` and hands its validators naive UTC times, so a crontab
    would fire at a UTC hour (08:00 Berlin in summer, 07:00 in winter).
    """

    def validate(timestamp) -> bool:
        local = to_berlin(timestamp)
        return local.hour == hour and local.minute == minute

    return validate


def weekly_at_berlin_time(weekday: int, hour: int, minute: int = 0):
    """A periodic-task schedule on one weekday (0 = Monday) at a Berlin wall-clock time."""
    at_time = at_berlin_time(hour, minute)

    def validate(timestamp) -> bool:
        return at_time(timestamp) and to_berlin(timestamp).weekday() == weekday

    return validate
