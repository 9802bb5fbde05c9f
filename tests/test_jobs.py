"""The task queue: the mail tasks, Redis storage and a real consumer process."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import peewee as pw
import pytest

from config import TestingConfig
from tests import factories_notifications, mailserver
from tests.factories_notifications import queue, reload
from volunteer_app import jobs, taskqueue
from volunteer_app.db import db
from volunteer_app.notifications import tasks
from volunteer_app.notifications.delivery import Result

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

# Fixtures (assigned, not imported by name, so that test arguments do not shadow an import).
smtp_sink = mailserver.smtp_sink
mail_templates = factories_notifications.mail_templates

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRED = os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("REQUIRE_BROWSER") == "1"


@pytest.fixture
def immediate():
    """Run jobs.huey's tasks synchronously (in memory) for one test."""
    before = jobs.huey.immediate
    jobs.huey.immediate = True
    yield jobs.huey
    jobs.huey.immediate = before


@pytest.fixture
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        if REQUIRED:
            pytest.fail(f"Redis required but unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    finally:
        client.close()
    # A queue of this process's own: parallel runs (the date reruns) share the database.
    return f"{REDIS_URL}?queue=thekiz-test-{os.getpid()}"


def _producer(url: str):
    """A second huey instance on the same storage, knowing the send_mail task by name."""
    producer = taskqueue.make_huey(url)
    task = producer.task(name="send_mail")(tasks.send_mail.func)
    return producer, task


def test_periodic_task_runs_every_minute():
    periodic = {t.__name__: t for t in jobs.huey._registry._periodic_tasks}
    assert "send_mail_periodically" in periodic
    task = periodic["send_mail_periodically"]()
    start = dt.datetime(2026, 3, 29, 0, 0)  # across the DST change: still every minute
    minutes = [start + dt.timedelta(minutes=n) for n in range(180)]
    assert all(task.validate_datetime(m) for m in minutes)


def test_make_huey_picks_storage(tmp_path):
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    assert isinstance(taskqueue.make_huey("memory://"), MemoryHuey)
    assert isinstance(taskqueue.make_huey("redis://127.0.0.1:6379/15"), RedisHuey)
    assert taskqueue.make_huey("redis://127.0.0.1:6379/15").name == "thekiz"
    named = taskqueue.make_huey("redis://127.0.0.1:6379/15?queue=centre-b")
    assert named.name == "centre-b"
    assert named.storage.conn.connection_pool.connection_kwargs["db"] == 15
    path = tmp_path / "sub" / "huey.db"
    sqlite_huey = taskqueue.make_huey(f"sqlite:///{path}")
    assert isinstance(sqlite_huey, SqliteHuey)
    assert sqlite_huey.storage.filename == str(path)
    with pytest.raises(ValueError, match="HUEY_URL"):
        taskqueue.make_huey("ftp://example.org/queue")


@pytest.mark.usefixtures("mail_templates", "conn")
def test_send_mail_task_delivers_in_the_active_app(app, smtp_sink, immediate):
    smtp_sink.configure(app)
    row = queue()
    assert tasks.send_mail().get() == {"sent": 1, "failed": 0, "retrying": 0}
    assert reload(row).status == "sent"
    assert len(smtp_sink.messages) == 1
    # The periodic task does the same; nothing is left, so nothing is sent again.
    tasks.send_mail_periodically()
    assert len(smtp_sink.messages) == 1


@pytest.mark.usefixtures("mail_templates")
def test_task_opens_and_closes_its_own_connection(app, smtp_sink, immediate):
    smtp_sink.configure(app)
    with db.connection_context():
        queue()
    assert db.is_closed()
    assert tasks.run_send_mail() == Result(1, 0, 0)
    assert db.is_closed()


def test_consumer_builds_the_app_lazily_and_once(monkeypatch, sqlite_template, tmp_path):
    """Without an active app context (the consumer), one app per process, built on first use."""
    import volunteer_app

    path = tmp_path / "jobs.db"
    shutil.copy(sqlite_template, path)
    built = []
    real_create_app = volunteer_app.create_app

    def create_app(*args, **kwargs):
        built.append(threading.current_thread().name)
        time.sleep(0.05)  # widen the window for a double build
        return real_create_app(TestingConfig, DATABASE_URL=f"sqlite:///{path}")

    monkeypatch.setattr(volunteer_app, "create_app", create_app)
    monkeypatch.setattr(taskqueue, "_app", None)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(tasks.run_send_mail())) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(built) == 1
    assert results == [Result(0, 0, 0)] * 3  # TestingConfig: outbox-only
    db.obj.close()


def test_redis_queue_enqueues_and_runs_a_task(redis_url):
    huey = taskqueue.make_huey(redis_url)
    huey.flush()
    add = huey.task(name="test_add")(lambda a, b: a + b)
    try:
        result = add(2, 3)
        assert huey.pending_count() == 1
        task = huey.dequeue()
        assert task is not None and task.name == "test_add"
        huey.execute(task)
        assert result.get() == 5
        assert huey.pending_count() == 0
    finally:
        add.unregister()
        huey.flush()


@pytest.mark.usefixtures("mail_templates", "conn")
def test_redis_queue_runs_send_mail(app, smtp_sink, redis_url):
    smtp_sink.configure(app)
    row = queue()
    huey, send_mail = _producer(redis_url)
    huey.flush()
    try:
        result = send_mail()
        assert huey.pending_count() == 1
        assert reload(row).status == "pending"  # enqueued, not yet run
        huey.execute(huey.dequeue())
        assert result.get() == {"sent": 1, "failed": 0, "retrying": 0}
        assert reload(row).status == "sent"
        assert len(smtp_sink.messages) == 1
    finally:
        huey.flush()


def _start_consumer(env: dict, logfile: Path) -> subprocess.Popen:
    # The same command line as `make run` (Makefile), with the test's environment.
    cmd = [
        str(Path(sys.executable).with_name("huey_consumer")),
        "volunteer_app.jobs.huey",
        "--workers",
        "1",
        "--logfile",
        str(logfile),
    ]
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.stderr.read().decode(errors="replace") if proc.stderr else ""


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _outbox_row(db_path: Path, subject: str) -> None:
    conn = pw.SqliteDatabase(str(db_path))
    conn.execute_sql(
        "INSERT INTO outbox_message (recipient, locale, subject, body_text, body_html, status,"
        " attempts, next_attempt_at, last_error, created_at)"
        " VALUES (?, 'de', ?, ?, '<p>Hallo</p>', 'pending', 0, ?, '', ?)",
        (
            "erika.beispiel@example.org",
            subject,
            "Bitte bestätigen Sie Ihre E-Mail-Adresse: http://localhost/k/abc",
            "2000-01-01 00:00:00",
            "2000-01-01 00:00:00",
        ),
    )
    conn.close()


def _status(db_path: Path) -> str:
    conn = pw.SqliteDatabase(str(db_path))
    try:
        return conn.execute_sql("SELECT status FROM outbox_message").fetchone()[0]
    finally:
        conn.close()


def _consumer_env(db_path: Path, huey_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "HUEY_"))}
    env.update(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{db_path}",
        HUEY_URL=huey_url,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@pytest.mark.slow
def test_consumer_process_delivers_to_the_log_in_development(sqlite_template, tmp_path):
    """`make run`'s consumer line: a queued message shows up in instance/jobs.log."""
    db_path = tmp_path / "volunteer.db"
    shutil.copy(sqlite_template, db_path)
    _outbox_row(db_path, "Willkommen bei ThEKiZ Ehrenamt – bitte bestätigen")
    huey_url = f"sqlite:///{tmp_path / 'huey.db'}"
    logfile = tmp_path / "jobs.log"
    proc = _start_consumer(_consumer_env(db_path, huey_url, MAIL_BACKEND="log"), logfile)
    try:
        _, send_mail = _producer(huey_url)
        send_mail()
        assert _wait(lambda: logfile.exists() and "bitte bestätigen" in logfile.read_text()), (
            logfile.read_text() if logfile.exists() else "no log"
        )
        assert _wait(lambda: _status(db_path) == "sent")
    finally:
        err = _stop(proc)
    log = logfile.read_text()
    assert "To: erika.beispiel@example.org" in log
    assert "http://localhost/k/abc" in log
    assert "Traceback" not in log + err


@pytest.mark.slow
def test_consumer_process_with_redis_delivers_over_smtp(
    sqlite_template, tmp_path, redis_url, smtp_sink
):
    db_path = tmp_path / "volunteer.db"
    shutil.copy(sqlite_template, db_path)
    _outbox_row(db_path, "Neuer Termin im Saaletal")
    logfile = tmp_path / "jobs.log"
    producer, send_mail = _producer(redis_url)
    producer.flush()
    env = _consumer_env(
        db_path,
        redis_url,
        MAIL_BACKEND="smtp",
        MAIL_SERVER=smtp_sink.host,
        MAIL_PORT=str(smtp_sink.port),
    )
    proc = _start_consumer(env, logfile)
    try:
        send_mail()
        messages = smtp_sink.wait_for(1, timeout=30)
        assert [m["Subject"] for m in messages] == ["Neuer Termin im Saaletal"]
        assert _wait(lambda: _status(db_path) == "sent")
    finally:
        err = _stop(proc)
        producer.flush()
    assert "Traceback" not in logfile.read_text() + err
    assert len(smtp_sink.messages) == 1
