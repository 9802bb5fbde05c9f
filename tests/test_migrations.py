"""Every migration in migrations/ builds the models' schema from an empty database, and back.

The migrations are discovered from the folder (not listed here), so a new file is
tested as soon as it exists. Each backend gets a database of its own: a new SQLite
file, and a new PostgreSQL database created and dropped around the test.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import peewee as pw
import pytest
from playhouse.schema_diff import diff_models

from config import TestingConfig
from volunteer_app import create_app, migrate
from volunteer_app.db import all_models, db, make_database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def _files() -> list[str]:
    return sorted(p.stem for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _close() -> None:
    if db.obj is None:
        return
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
    elif not db.obj.is_closed():
        db.obj.close()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """The URL of a database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not PG_URL:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    admin = make_database(PG_URL, pool_size=1)
    try:
        admin.connect()
    except pw.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"thekiz_migr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin.execute_sql(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(PG_URL)._replace(path="/" + name))
    finally:
        _close()
        admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close_all()


def _model_tables() -> set[str]:
    return {m._meta.table_name for m in all_models()}


def test_migration_numbers_are_unique():
    """Two files with one number would run in an order nobody chose."""
    files = _files()
    assert files and files[0] == "0001_initial"
    numbers = [f[:4] for f in files]
    assert len(set(numbers)) == len(numbers), files
    for path in MIGRATIONS.glob("*.py"):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", path.stem), f"odd migration file name {path.name}"


def test_migrations_build_the_models_schema_and_revert(empty_database):
    app = create_app(TestingConfig, DATABASE_URL=empty_database)
    files = _files()
    try:
        with app.app_context(), db.connection_context():
            assert db.get_tables() == []
            runner = migrate.runner()
            assert [m.name for m in runner.status()] == files  # discovered, in order

            assert migrate.upgrade() == files
            assert not diff_models(db.obj, all_models()), diff_models(db.obj, all_models())
            assert _model_tables() <= set(db.get_tables())
            assert migrate.upgrade() == []  # nothing left to apply

            # Every down() in reverse order leaves only the history table …
            assert runner.down(target=files[0]) == list(reversed(files))
            assert set(db.get_tables()) == {"schema_migration"}
            assert all(m.applied is None for m in migrate.status())

            # … and up() again rebuilds the same schema.
            assert migrate.upgrade() == files
            assert not diff_models(db.obj, all_models()), diff_models(db.obj, all_models())

            # One step down and up at the top, as a deployment rollback would do.
            assert runner.down() == [files[-1]]
            assert migrate.upgrade() == [files[-1]]
            assert not diff_models(db.obj, all_models())

        cli = app.test_cli_runner()
        status = cli.invoke(args=["db", "status"])
        assert status.exit_code == 0, status.output
        lines = [line for line in status.output.splitlines() if line.strip()]
        assert [line.split()[0] for line in lines] == files
        assert all(" applied " in line for line in lines), status.output
        assert "pending" not in status.output

        upgrade = cli.invoke(args=["db", "upgrade"])
        assert upgrade.exit_code == 0, upgrade.output
        assert "Database is up to date." in upgrade.output
    finally:
        _close()


def test_upgrade_command_on_an_empty_database(empty_database):
    app = create_app(TestingConfig, DATABASE_URL=empty_database)
    try:
        cli = app.test_cli_runner()
        result = cli.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Applied: ")
        assert result.output.strip().removeprefix("Applied: ").split(", ") == _files()
        with app.app_context(), db.connection_context():
            assert not diff_models(db.obj, all_models())
    finally:
        _close()
