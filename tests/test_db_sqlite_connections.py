"""SQLite: one connection per worker thread, kept from request to request.

The app no longer opens a SQLite connection (and sets its four pragmas) for every request:
each thread keeps the one its first query opened (``volunteer_app/db.py``). What that must
not break: a transaction a failed request left open is rolled back before the thread's
next request, a forked worker opens its own connection instead of using its parent's, and
the CLI's ``connection()`` and the migrations still work beside a kept connection.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from flask import jsonify

from tests.conftest import _close_all
from volunteer_app.activities.models import Category
from volunteer_app.db import _forget_inherited_connections, db

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def connects(app, monkeypatch):
    """How many SQLite connections were opened, and by which threads."""
    _close_all()  # start with this thread's connection closed
    opened: list[int] = []
    database = db.obj
    real = database._connect

    def counting():
        opened.append(threading.get_ident())
        return real()

    monkeypatch.setattr(database, "_connect", counting)
    return opened


def test_requests_on_one_thread_share_one_connection(client, connects):
    for _ in range(5):
        assert client.get("/zentren/").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert len(connects) == 1
    assert not db.is_closed()  # kept for the next request


def test_each_thread_opens_one_connection_and_keeps_it(app, connects):
    errors: list[str] = []
    # All three threads live until each has made its requests: a thread that ended could
    # otherwise hand its identity to one started after it (on a busy machine), and the
    # test would count two threads where there were three.
    all_done = threading.Barrier(3, timeout=60)

    def worker():
        client = app.test_client()
        try:
            for _ in range(4):
                response = client.get("/zentren/")
                if response.status_code != 200:
                    errors.append(str(response.status_code))
        except Exception as error:  # a thread's exception would otherwise only be printed
            errors.append(repr(error))
        finally:
            all_done.wait()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(connects) == 3, connects  # 12 requests, one connection per thread
    assert len(set(connects)) == 3, connects


def test_the_pragmas_are_set_once_per_connection(client, connects, monkeypatch):
    database = db.obj
    pragma_runs: list[int] = []
    real = database._set_pragmas
    monkeypatch.setattr(database, "_set_pragmas", lambda conn: (pragma_runs.append(1), real(conn)))
    for _ in range(3):
        assert client.get("/zentren/").status_code == 200
    assert pragma_runs == [1]
    assert db.execute_sql("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.execute_sql("PRAGMA busy_timeout").fetchone() == (10000,)


@pytest.fixture
def leaky_app(app):
    """Routes that fail in the middle of a transaction they began, and one that tells the
    state of the thread's connection."""

    def write_then_fail():
        Category.insert(key="leaked", name="Leaked").execute()
        raise RuntimeError("the request fails mid-transaction")

    @app.get("/_test/begin-and-fail")
    def begin_and_fail():
        db.begin()  # a BEGIN that nothing ends
        write_then_fail()

    @app.get("/_test/enter-atomic-and-fail")
    def enter_atomic_and_fail():
        db.atomic().__enter__()  # a block entered and never left
        db.atomic().__enter__()  # and a savepoint in it
        write_then_fail()

    @app.get("/_test/state")
    def state():
        conn = db.obj._state.conn
        return jsonify(
            peewee=db.in_transaction(),
            sqlite=conn.in_transaction,
            leaked=Category.select().where(Category.key == "leaked").count(),
        )

    return app


@pytest.mark.own_app
@pytest.mark.parametrize("route", ["/_test/begin-and-fail", "/_test/enter-atomic-and-fail"])
def test_a_request_that_failed_mid_transaction_leaves_none_open(leaky_app, connects, route):
    client = leaky_app.test_client()
    with pytest.raises(RuntimeError):
        client.get(route)
    assert not db.in_transaction()
    assert client.get("/_test/state").json == {"peewee": False, "sqlite": False, "leaked": 0}
    # The same connection serves on: the rollback did not need a new one.
    assert len(connects) == 1
    assert client.get("/zentren/").status_code == 200
    assert len(connects) == 1


@pytest.mark.own_app
def test_a_request_inside_a_transaction_of_the_caller_leaves_it_alone(leaky_app, client):
    """A test (or a command) that holds a transaction around a request keeps it."""
    client = leaky_app.test_client()
    with db.atomic() as outer:
        Category.insert(key="leaked", name="Mine").execute()
        assert client.get("/_test/state").json == {"peewee": True, "sqlite": True, "leaked": 1}
        assert db.in_transaction()
        outer.rollback()
    assert Category.select().where(Category.key == "leaked").count() == 0


def test_a_forked_process_opens_its_own_connection(client, connects):
    assert client.get("/zentren/").status_code == 200
    parent_conn = db.obj._state.conn
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running any cleanup
        code = 1
        try:
            os.close(read)
            fresh = db.is_closed() and db.obj._state.conn is None
            db.execute_sql("SELECT count(*) FROM category").fetchone()
            own = db.obj._state.conn is not parent_conn
            wal = db.execute_sql("PRAGMA journal_mode").fetchone() == ("wal",)
            fks = db.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)
            os.write(write, f"{fresh} {own} {wal} {fks}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked process did not finish")
        time.sleep(0.02)
    report = os.read(read, 100).decode()
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0
    assert report == "True True True True"
    # The parent's connection was neither closed nor disturbed by the child.
    assert db.obj._state.conn is parent_conn
    assert client.get("/zentren/").status_code == 200
    assert len(connects) == 1


def test_forgetting_inherited_connections_does_not_close_them(client):
    assert client.get("/healthz").status_code == 200
    conn = db.obj._state.conn
    _forget_inherited_connections()  # what a forked child runs first
    assert db.is_closed()
    assert conn.execute("SELECT 1").fetchone() == (1,)  # still open: never closed in a child
    assert client.get("/healthz").status_code == 200
    assert db.obj._state.conn is not conn


def test_commands_and_migrations_work_beside_a_kept_connection(app, client, runner, connects):
    assert client.get("/zentren/").status_code == 200
    assert not db.is_closed()
    status = runner.invoke(args=["db", "status"])
    assert status.exit_code == 0, status.output
    assert "0001_" in status.output and "pending" not in status.output
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    assert "up to date" in upgrade.output
    # A command's connection context ends with the connection closed: ``status`` used the
    # kept one, ``upgrade`` opened its own, the next request opens a new one and keeps it.
    assert db.is_closed()
    assert client.get("/zentren/").status_code == 200
    assert client.get("/healthz").json["database"] == "ok"
    assert len(connects) == 3
