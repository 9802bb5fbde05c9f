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
import time
import uuid
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

pytest_plugins = ["tests.mailserver", "tests.query_guard"]


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


def _seeded_categories() -> list[tuple[str, str]]:
    """The rows migration 0004 seeds (the SQLite template keeps them; PostgreSQL re-creates)."""
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
    parsed = urlparse(PG_URL)
    url = urlunparse(parsed._replace(path="/" + name))
    _migrate(url)
    yield url
    _close_all()
    admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close_all()


_EMPTY_PG: list[str] = []


def _empty_pg_statements() -> list[str]:
    """DELETE every table, children first, then restart the id sequences.

    TRUNCATE of ~35 tables costs ~150 ms (new files for each); these DELETEs on the few rows a
    test leaves cost ~10 ms, and ids still start at 1 in every test."""
    if not _EMPTY_PG:
        models = all_models()
        # Table names come from the models, not from input.
        _EMPTY_PG.extend(f'DELETE FROM "{m._meta.table_name}"' for m in reversed(models))  # noqa: S608
        serial = [m for m in models if isinstance(m._meta.primary_key, pw.AutoField)]
        _EMPTY_PG.append(
            "SELECT "
            + ", ".join(
                f"setval(pg_get_serial_sequence('\"{m._meta.table_name}\"', "
                f"'{m._meta.primary_key.column_name}'), 1, false)"
                for m in serial
            )
        )
    return _EMPTY_PG


def _truncate_pg(database) -> None:
    """Empty every table but keep the rows migrations seed (the built-in categories)."""
    from volunteer_app.activities.models import Category

    with database.atomic():
        for statement in _empty_pg_statements():
            database.execute_sql(statement)
        for key, name in _seeded_categories():
            Category.create(key=key, name=name)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(request, backend, tmp_path) -> str:
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
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
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        ctx.pop()
        _close_all()
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
