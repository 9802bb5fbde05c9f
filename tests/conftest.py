"""Fixtures: every test runs on a fresh SQLite file and, with TEST_DATABASE_URL, on PostgreSQL.

CI sets REQUIRE_POSTGRES=1 and REQUIRE_BROWSER=1: then a skipped test fails the run.

``--today=YYYY-MM-DD`` (or ``TEST_TODAY``) runs the whole process as if it were that day, 10:00
in Berlin, with the clock ticking on from there (time-machine moves ``time.time``,
``datetime.now`` and ``date.today`` alike, for the app and the tests). Tests whose outcome
depends on the date carry the ``dates`` marker; CI runs them again at four fixed days
(``make test-dates``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import peewee as pw
import pytest
import time_machine
from flask import g

from config import TestingConfig
from volunteer_app import create_app
from volunteer_app.common.time import BERLIN
from volunteer_app.db import db, make_database
from volunteer_app.models import all_models

pytest_plugins = ["tests.mailserver", "tests.query_guard", "tests.gunicorn_server"]


def pytest_addoption(parser):
    parser.addoption(
        "--today",
        default=os.environ.get("TEST_TODAY") or None,
        metavar="YYYY-MM-DD",
        help="run as if today were this day (10:00 Europe/Berlin, clock ticking); also TEST_TODAY",
    )
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgres"),
        default=None,
        help="run the database tests on this backend only (default: both)",
    )


def pytest_configure(config):
    day = config.getoption("--today")
    if not day:
        return
    try:
        start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10, 0), BERLIN)
    except ValueError as exc:
        raise pytest.UsageError(f"--today needs a date as YYYY-MM-DD, not {day!r}") from exc
    # Started before any test module is imported, so module-level dates follow it too.
    traveller = time_machine.travel(start, tick=True)
    traveller.start()
    config.stash[_TRAVELLER] = traveller


def pytest_report_header(config):
    day = config.getoption("--today")
    return f"today: {day} (frozen by --today)" if day else None


def pytest_unconfigure(config):
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


_TRAVELLER = pytest.StashKey[time_machine.travel]()


_SEEDED: list[tuple[str, str]] = []


def _seeded_categories() -> list[tuple[str, str]]:
    """The rows migration 0004 seeds (the SQLite template keeps them; PostgreSQL re-creates)."""
    if not _SEEDED:
        _SEEDED.extend(_load_seeded_categories())
    return _SEEDED


def _load_seeded_categories() -> list[tuple[str, str]]:
    from playhouse.migrations import Migration

    from config import Config

    for m in Migration.load_directory(Config.MIGRATIONS_DIR):
        if m.name.startswith("0004_"):
            return m.load().BUILTIN_CATEGORIES
    raise LookupError("migration 0004 not found")


PG_URL = os.environ.get("TEST_DATABASE_URL", "")
REQUIRED = os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("REQUIRE_BROWSER") == "1"


def _migrate(url: str) -> None:
    app = create_app(TestingConfig, DATABASE_URL=url)
    with app.app_context(), db.connection_context():
        from volunteer_app import migrate

        migrate.upgrade()
    _close_all()


def _close_all() -> None:
    obj = db.obj
    if obj is None:
        return
    if hasattr(obj, "close_all"):
        obj.close_all()
    elif not obj.is_closed():
        obj.close()


def _release_all() -> None:
    """After a test: like ``_close_all``, but PostgreSQL's idle pooled connections stay open
    for the next test (as they do between requests in production). A new connection starts a
    new server process with cold catalogue caches, which made every PostgreSQL test's first
    statements several times slower. Connections other threads left checked out are closed."""
    obj = db.obj
    if obj is None:
        return
    if not hasattr(obj, "close_all"):
        if not obj.is_closed():
            # SQLite: closing the last connection checkpoints the WAL into the file and syncs
            # it to disk, which costs more than many a test; the file is thrown away anyway.
            obj.execute_sql("PRAGMA synchronous = OFF")
            obj.close()
        return
    try:
        obj.close()  # this thread's connection back to the pool (or closed, if unusable)
    except pw.OperationalError:  # left inside a transaction
        obj.close_all()
        return
    with obj._pool_lock:
        in_use, obj._in_use = obj._in_use, {}
        for pool_conn in in_use.values():
            obj._close_raw(pool_conn.connection)
        obj._pool_available.notify_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """One migrated SQLite file; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    _migrate(f"sqlite:///{path}")
    conn = pw.SqliteDatabase(str(path))
    conn.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return str(path)


@pytest.fixture(scope="session")
def pg_database():
    """A private PostgreSQL database for this test run, migrated once, dropped at the end."""
    if not PG_URL:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    name = f"thekiz_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_database(PG_URL, pool_size=1)
    try:
        admin.connect()
    except pw.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    admin.execute_sql(f'CREATE DATABASE "{name}"')
    # A test database need not survive a crash of the server: a COMMIT returns without
    # waiting for its WAL to reach the disk (every test commits dozens of times).
    admin.execute_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    parsed = urlparse(PG_URL)
    url = urlunparse(parsed._replace(path="/" + name))
    _migrate(url)
    yield url
    _close_all()
    admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close_all()


_EMPTY_PG: list[str] = []


def _empty_pg_script() -> tuple[str, str]:
    """One script (one round trip) that empties every table, children first, restarts the id
    sequences and puts back the rows migrations seed (the built-in categories, ``%s`` for their
    ``created_at``: now, as ``Category.create`` would set it, also under ``--today``); the
    emptying and the seeding come as two parts.

    TRUNCATE of ~35 tables costs ~150 ms (new files for each); these DELETEs on the few rows a
    test leaves cost a few ms, and ids still start at 1 in every test. ``replica`` (when the
    user may set it: CI and the dev setup connect as ``postgres``) skips the triggers while
    emptying: the foreign-key checks of rows that go anyway, and the revision triggers, which
    would otherwise fill ``content_revision`` again at COMMIT with the revisions of the rows
    just deleted; the tables start as empty as SQLite's template."""
    if not _EMPTY_PG:
        from volunteer_app.activities.models import Category

        models = all_models()
        # Table names come from the models, not from input.
        statements = [f'DELETE FROM "{m._meta.table_name}"' for m in reversed(models)]  # noqa: S608
        serial = [m for m in models if isinstance(m._meta.primary_key, pw.AutoField)]
        statements.append(
            "SELECT "
            + ", ".join(
                f"setval(pg_get_serial_sequence('\"{m._meta.table_name}\"', "
                f"'{m._meta.primary_key.column_name}'), 1, false)"
                for m in serial
            )
        )
        seeded = _seeded_categories()
        table = Category._meta.table_name
        values = ", ".join(["(%s, %s, %s)"] * len(seeded))
        _EMPTY_PG.append(";\n".join(statements))
        _EMPTY_PG.append(f'INSERT INTO "{table}" (key, name, created_at) VALUES {values}')  # noqa: S608
    return _EMPTY_PG[0], _EMPTY_PG[1]


_REPLICA: list[bool] = []


def _may_skip_triggers(database) -> bool:
    if not _REPLICA:
        row = database.execute_sql(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        _REPLICA.append(bool(row and row[0]))
    return _REPLICA[0]


def _truncate_pg(database) -> None:
    """Empty every table but keep the rows migrations seed (the built-in categories)."""
    from volunteer_app.db import utcnow

    now = utcnow()
    params: list = []
    for key, name in _seeded_categories():
        params += [key, name, now]
    empty, seed = _empty_pg_script()
    script = f"{empty};\n{seed}"
    if _may_skip_triggers(database):  # the seeded rows are written with the triggers on
        script = f"SET LOCAL session_replication_role = replica;\n{empty};\n"
        script += f"SET LOCAL session_replication_role = DEFAULT;\n{seed}"
    with database.atomic():
        database.execute_sql(script, params)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def _sqlite_dir(tmp_path_factory) -> Iterator[Path]:
    """Where the tests' SQLite copies live: in memory (``/dev/shm``) where there is one, so
    that copying the template and the checkpoint when a connection closes write no disk (a
    disk's sync cost more than many a test); else under pytest's temporary folder."""
    shm = Path("/dev/shm")  # noqa: S108 (a folder of our own in it, removed at the end)
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="thekiz-tests-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("sqlite")


@pytest.fixture
def sqlite_copy(_sqlite_dir) -> Callable[[str], str]:
    """``sqlite_copy(template_path) -> url``: a fresh copy of a SQLite file for this test.

    The copies of the tests before go when a test makes its first one (not at the end of their
    own test: a fixture torn down after this one, an autouse check say, may still read it)."""
    for old in _sqlite_dir.iterdir():
        old.unlink(missing_ok=True)

    def copy(template: str) -> str:
        path = _sqlite_dir / f"{uuid.uuid4().hex}.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"

    return copy


@pytest.fixture
def database_url(request, backend) -> str:
    if backend == "sqlite":
        copy = request.getfixturevalue("sqlite_copy")
        return copy(request.getfixturevalue("sqlite_template"))
    return request.getfixturevalue("pg_database")


@pytest.fixture(scope="session")
def _shared_apps() -> dict:
    """One app per backend for the whole run: building one compiles ~130 URL rules (~100 ms),
    which used to be most of a short test's time. Each test still gets its own database."""
    return {}


def _bind_database(app, url: str) -> None:
    """Point the app (and the global database proxy) at this test's database."""
    from volunteer_app.db import make_database

    app.config["DATABASE_URL"] = url
    if db.obj is None or getattr(db.obj, "_test_url", None) != url:
        database = make_database(url, app.config["DATABASE_POOL_SIZE"])
        database._test_url = url
        db.initialize(database)


@pytest.fixture
def app(request, database_url, backend, _shared_apps):
    # ``own_app``: the test adds routes or handlers, which Flask allows only before an app's
    # first request, so it gets an app of its own.
    own = request.node.get_closest_marker("own_app") is not None
    app = None if own else _shared_apps.get(backend)
    if app is None:
        app = create_app(TestingConfig, DATABASE_URL=database_url)
        # The test keeps one app context open and the test client reuses it, so ``g`` would
        # carry the cached user and locale from one request to the next: start each clean.
        app.url_value_preprocessor(lambda endpoint, values: g.__dict__.clear())
        app._pristine = (dict(app.config), app.jinja_env.loader)
        if not own:
            _shared_apps[backend] = app
    _bind_database(app, database_url)
    if backend == "postgres":
        with db.connection_context():
            _truncate_pg(db.obj)
    from volunteer_app.extensions import limiter

    limiter.reset()
    # Reads kept for seconds (volunteer_app.common.kept) came from the last test's database.
    app.extensions.pop("volunteer_app.kept", None)
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        ctx.pop()
        _release_all()
        # Whatever a test changed on the shared app goes back (settings, template loader).
        config, loader = app._pristine
        app.config.clear()
        app.config.update(config)
        if app.jinja_env.loader is not loader:
            app.jinja_env.loader = loader
            app.jinja_env.cache.clear()


@pytest.fixture
def conn(app):
    """An open connection for tests that call services or factories directly."""
    with db.connection_context():
        yield db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """Log a user in by session (second factor done): ``login_as(user)``."""

    def _login(user, mfa_ok: bool = True):
        g.pop("_login_user", None)
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess["login_at"] = time.time()
            sess["auth_at"] = time.time()
            sess["mfa_ok"] = mfa_ok
        return client

    return _login


def pytest_collection_modifyitems(config, items):
    """``--backend`` keeps one backend's cases; a module may run only some of its cases on
    PostgreSQL: ``on_postgres(params) -> bool`` (the authorization matrix runs its full role
    set on SQLite only)."""
    only = config.getoption("--backend")
    keep, drop = [], []
    for item in items:
        wanted = getattr(getattr(item, "module", None), "on_postgres", None)
        params = getattr(getattr(item, "callspec", None), "params", {})
        backend = params.get("backend")
        if (only and backend and backend != only) or (
            wanted and backend == "postgres" and not wanted(params)
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --- In CI a skip is a failure -------------------------------------------------------------

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if REQUIRED and _skipped:
        session.exitstatus = 1
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"FAILED: {len(_skipped)} test(s) skipped while REQUIRE_POSTGRES/REQUIRE_BROWSER "
                f"is set, e.g. {_skipped[0]}",
                red=True,
            )
