"""When the database goes away: 503 pages, the health check, the pool, the job consumer.

The whole story (a PostgreSQL server restarted under sign-up load, through gunicorn) is
``test_fault_postgres_restart.py``; these are its parts, quick enough for every run:

- with the database unreachable, pages answer 503 with ``Retry-After`` in the person's
  language, and nothing else (a real SQL error) is mistaken for an outage;
- ``/healthz`` names the part that is down: database, task queue, rate limits, mail backlog;
- a pooled PostgreSQL connection the server cut is replaced on its first statement, which
  runs again only if it cannot have changed anything;
- a job waits for the database and then runs, or is queued again; it is never lost.
"""

from __future__ import annotations

import ast
import datetime as dt
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import peewee as pw
import psycopg2
import pytest
from huey import MemoryHuey
from playhouse.pool import MaxConnectionsExceeded

from config import TestingConfig
from tests.conftest import _close_all
from tests.mailserver import free_port
from volunteer_app import create_app, taskqueue
from volunteer_app.db import close_or_discard, database_unavailable, db, utcnow
from volunteer_app.notifications.models import OutboxMessage

H1 = re.compile(r"<h1>([^<]*)</h1>")


def _refused() -> pw.OperationalError:
    """The error peewee raises when nothing listens on the server's port."""
    cause = psycopg2.OperationalError(
        'connection to server at "127.0.0.1", port 1 failed: Connection refused'
    )
    return pw.OperationalError(cause, *cause.args)


def _server_error(name: str, pgcode: str) -> pw.OperationalError:
    """A driver error with a SQLSTATE, wrapped as peewee wraps it."""
    cause = type(name, (psycopg2.OperationalError,), {"pgcode": pgcode})("from the server")
    return pw.OperationalError(cause, *cause.args)


# --- Telling an outage from an error ------------------------------------------------------------


def test_outages_are_told_from_errors():
    assert database_unavailable(_refused())
    assert database_unavailable(_server_error("AdminShutdown", "57P01"))  # fast shutdown
    assert database_unavailable(_server_error("CannotConnectNow", "57P03"))  # starting up
    assert database_unavailable(_server_error("TooManyConnections", "53300"))
    assert database_unavailable(_server_error("ConnectionFailure", "08006"))
    closed = psycopg2.InterfaceError("connection already closed")
    assert database_unavailable(pw.InterfaceError(closed, *closed.args))
    assert database_unavailable(MaxConnectionsExceeded("Exceeded maximum connections."))
    lost = psycopg2.DatabaseError("error with status PGRES_TUPLES_OK and no message from the libpq")
    assert database_unavailable(pw.DatabaseError(lost, *lost.args))

    # A statement that is wrong, a conflict, a lock: errors, not outages.
    assert not database_unavailable(_server_error("DeadlockDetected", "40P01"))
    assert not database_unavailable(_server_error("QueryCanceled", "57014"))
    assert not database_unavailable(pw.OperationalError("Connection already opened."))
    assert not database_unavailable(pw.IntegrityError("duplicate key"))
    unique = type("UniqueViolation", (psycopg2.IntegrityError,), {"pgcode": "23505"})("dup")
    assert not database_unavailable(pw.IntegrityError(unique, *unique.args))
    wrong = type("UndefinedTable", (psycopg2.ProgrammingError,), {"pgcode": "42P01"})("no")
    assert not database_unavailable(pw.ProgrammingError(wrong, *wrong.args))
    assert not database_unavailable(ValueError("no"))
    sqlite = pw.SqliteDatabase(":memory:")
    with pytest.raises(pw.OperationalError) as missing:
        sqlite.execute_sql("SELECT * FROM no_such_table")
    assert not database_unavailable(missing.value)


# --- Pages while the database is down -----------------------------------------------------------


@pytest.fixture
def down_app():
    """An app whose PostgreSQL server does not answer (nothing listens on its port)."""
    app = create_app(TestingConfig, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    yield app
    _close_all()


def test_pages_answer_503_in_the_persons_language(down_app):
    client = down_app.test_client()
    german = client.get("/zentren/?seite=2", headers={"Accept-Language": "de"})
    assert german.status_code == 503
    assert german.headers["Retry-After"] == "30"
    page = german.get_data(as_text=True)
    assert H1.findall(page) == ["Der Dienst ist vorübergehend nicht erreichbar"]
    assert 'href="/zentren/?seite=2">Noch einmal versuchen</a>' in page
    assert "Traceback" not in page

    english = client.get("/zentren/", headers={"Accept-Language": "en"})
    assert english.status_code == 503
    assert H1.findall(english.get_data(as_text=True)) == ["The service is temporarily unavailable"]


def test_a_logged_in_person_gets_the_page_too_and_keeps_their_messages(down_app):
    client = down_app.test_client()
    with client.session_transaction() as session:
        session.update(_user_id="7:abc", _fresh=True, mfa_ok=True, lang="en")
        session["_flashes"] = [("success", "You are signed up.")]
    response = client.post("/termine/3/anmelden")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "What you just sent may not have been saved." in page
    assert "Try again" not in page  # a form is not sent again by a link
    # The message waiting in the session is shown on the next page that works.
    with client.session_transaction() as session:
        assert session["_flashes"] == [("success", "You are signed up.")]


def test_an_error_page_while_the_database_is_down_is_no_500(down_app):
    client = down_app.test_client()
    assert client.get("/gibt-es-nicht").status_code == 404
    with client.session_transaction() as session:
        session.update(_user_id="7:abc", _fresh=True, mfa_ok=True, lang="de")
    # Whether the person is looked up first (503) or the address is (404): never a 500.
    assert client.get("/gibt-es-nicht").status_code in (404, 503)
    assert client.get("/termine/keine-zahl").status_code in (404, 503)


def test_the_language_switch_needs_no_database(down_app):
    response = down_app.test_client().post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302


def test_a_real_database_error_is_still_a_500(app, client, monkeypatch):
    from volunteer_app.core import health

    def broken():
        raise pw.ProgrammingError("syntax error at or near SELEC")

    monkeypatch.setattr(health, "_database", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert client.get("/healthz").status_code == 500


# --- The health check ---------------------------------------------------------------------------


def test_health_check_names_the_database_when_it_is_down(down_app):
    response = down_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json == {
        "status": "down",
        "database": "down",
        "task_queue": "ok",
        "rate_limits": "ok",
        "mail_outbox": "unknown",
    }


def test_health_check_is_ok_when_every_part_is(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "task_queue": "ok",
        "rate_limits": "ok",
        "mail_outbox": "ok",
    }


def test_health_check_names_the_task_queue_and_the_rate_limits(client, monkeypatch):
    from volunteer_app.extensions import limiter

    def refused():
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(taskqueue.huey.storage, "queue_size", refused)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["task_queue"] == "down"
    assert response.json["database"] == "ok"

    monkeypatch.undo()
    monkeypatch.setattr(limiter.storage, "check", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.json["rate_limits"], response.json["task_queue"]) == ("down", "ok")


def _mail(**fields) -> OutboxMessage:
    values = {"recipient": "a@example.org", "subject": "Hallo", "body_text": "x", "body_html": "x"}
    return OutboxMessage.create(**{**values, **fields})


@pytest.mark.usefixtures("conn")
def test_health_check_reports_mail_nobody_delivers(app, client):
    now = utcnow()
    _mail(next_attempt_at=now - dt.timedelta(minutes=3))  # due: the next run takes it
    _mail(next_attempt_at=now + dt.timedelta(hours=2), attempts=5)  # SMTP down: retried later
    _mail(status="sent", next_attempt_at=now - dt.timedelta(days=2))
    assert client.get("/healthz").json["mail_outbox"] == "ok"

    _mail(next_attempt_at=now - dt.timedelta(minutes=40))  # the consumer is not running
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["mail_outbox"] == "backlog"
    assert 40 <= response.json["mail_overdue_minutes"] <= 41
    assert response.json["database"] == "ok"

    app.config["HEALTH_MAIL_OVERDUE_MINUTES"] = 0  # not checked
    assert client.get("/healthz").status_code == 200


# --- The pool after the server cut its connections (PostgreSQL) ---------------------------------


def _cut_connections(url: str) -> int:
    """What a server restart does to the pool: end every other session on the database."""
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (count,) = cur.fetchone()
    admin.close()
    return count


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_request_on_a_connection_the_server_cut_does_not_fail(app, client, caplog):
    assert client.get("/zentren/").status_code == 200  # its connection goes back to the pool
    assert _cut_connections(app.config["DATABASE_URL"]) >= 1
    with caplog.at_level(logging.INFO, logger="volunteer_app.db"):
        assert client.get("/zentren/").status_code == 200
        assert client.get("/healthz").json["database"] == "ok"
    assert "pooled database connection was dead" in caplog.text


@pytest.mark.parametrize("backend", ["postgres"])
def test_only_a_statement_that_changes_nothing_runs_again(app):
    url = app.config["DATABASE_URL"]
    db.connect()
    _cut_connections(url)
    with pytest.raises(pw.OperationalError) as cut:  # a write is not repeated: it may have run
        db.execute_sql("UPDATE outbox_message SET attempts = attempts WHERE id = -1")
    assert database_unavailable(cut.value)
    close_or_discard()

    with db.connection_context():
        db.execute_sql("SELECT 1")  # connected anew
        with pytest.raises((pw.OperationalError, pw.InterfaceError)), db.atomic():
            db.execute_sql("SELECT 1")
            _cut_connections(url)
            db.execute_sql("SELECT 1")  # inside a transaction: never repeated
    with db.connection_context():
        assert db.execute_sql("SELECT 1").fetchone() == (1,)


@pytest.mark.usefixtures("app")
def test_a_connection_left_in_a_transaction_is_dropped_not_kept():
    db.connect()  # as a request does
    db.atomic().__enter__()  # an error path that never closed its transaction
    close_or_discard()
    assert db.is_closed()
    with db.connection_context():
        assert not db.in_transaction()
        assert db.execute_sql("SELECT 1").fetchone() == (1,)


# --- The job consumer ---------------------------------------------------------------------------


class FlakyDatabase:
    """A probe that finds the database down ``times`` times, then up."""

    def __init__(self, times: int):
        self.left, self.calls = times, 0

    def __call__(self) -> None:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise _refused()


def test_a_job_waits_for_the_database_and_goes_on(caplog):
    pauses: list[float] = []
    probe = FlakyDatabase(times=3)
    with caplog.at_level(logging.WARNING, logger="volunteer_app.taskqueue"):
        taskqueue.wait_for_database(60, probe=probe, sleep=pauses.append)
    assert probe.calls == 4
    assert pauses == [1.0, 2.0, 4.0]
    assert "the job waits for it" in caplog.text
    assert "answers again" in caplog.text


def test_a_job_goes_back_into_the_queue_when_the_database_stays_down():
    clock = {"now": 0.0}

    def sleep(seconds: float) -> None:
        clock["now"] += seconds

    probe = FlakyDatabase(times=1000)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(taskqueue.time, "monotonic", lambda: clock["now"])
        with pytest.raises(taskqueue.DatabaseUnavailable) as raised:
            taskqueue.wait_for_database(60, probe=probe, sleep=sleep)
    assert raised.value.delay == taskqueue.RETRY_DELAY_SECONDS
    assert clock["now"] <= 60
    with pytest.raises(pw.ProgrammingError):  # not an outage: raised as it is
        taskqueue.wait_for_database(60, probe=_raise(pw.ProgrammingError("no such column")))


def _raise(error: Exception):
    def probe():
        raise error

    return probe


@pytest.mark.usefixtures("app")
def test_a_job_whose_database_goes_away_is_queued_again_not_lost():
    huey = MemoryHuey("fault-test", immediate=False, utc=True)
    runs: list[int] = []

    @huey.task()
    def deliver():
        with taskqueue.job_context(wait_seconds=1):
            runs.append(1)
            if len(runs) == 1:
                raise _refused()  # the connection was cut halfway
            return "done"

    result = deliver()
    huey.execute(huey.dequeue())
    assert runs == [1]
    # Not failed: scheduled again, RETRY_DELAY_SECONDS later.
    assert huey.pending_count() == 0 and huey.scheduled_count() == 1
    later = utcnow() + dt.timedelta(seconds=taskqueue.RETRY_DELAY_SECONDS + 1)
    (task,) = huey.read_schedule(later)
    huey.execute(task, timestamp=later)
    assert result.get() == "done" and runs == [1, 1]


@pytest.mark.usefixtures("app")
def test_outside_the_consumer_a_job_fails_at_once():
    """A ``flask jobs`` command (or a test) has an app context: no waiting, no retry."""
    with pytest.raises(pw.OperationalError), taskqueue.job_context():
        raise _refused()


def test_rate_limited_pages_work_while_the_limit_storage_is_down(tmp_path, sqlite_template):
    """Redis for the rate limits unreachable: the login page still answers (counted in
    memory until it is back), never a 500. In a process of its own: the limiter is global.
    (On a copy of the session's migrated SQLite file: migrating in the process cost seconds.)"""
    shutil.copy(sqlite_template, tmp_path / "limits.db")
    script = f"""
from config import TestingConfig
from volunteer_app import create_app
app = create_app(TestingConfig, DATABASE_URL="sqlite:///{tmp_path / "limits.db"}",
                 RATELIMIT_STORAGE_URI="redis://127.0.0.1:{free_port()}/0")
client = app.test_client()
answers = [client.get("/konto/anmelden").status_code for _ in range(3)]
answers += [client.post("/konto/anmelden", data={{"email": "x@example.org",
            "password": "falsch"}}).status_code for _ in range(3)]
print("ANSWERS", answers)
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = ast.literal_eval(done.stdout.split("ANSWERS", 1)[1].strip())
    assert answers[0] == 200 and 500 not in answers, answers
