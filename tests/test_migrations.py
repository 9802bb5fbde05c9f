"""Every migration in migrations/ builds the models' schema from an empty database, and back.

The migrations are discovered from the folder (not listed here), so a new file is
tested as soon as it exists. Each backend gets databases of its own: new SQLite
files, and new PostgreSQL databases created and dropped around the test.

"The models' schema" is what ``create_tables()`` builds from the models in another empty
database, read from both databases' catalogues (``tests/schema_catalogue.py``): column
types, nullability, defaults, primary keys, foreign keys with ``ON DELETE``, unique and
partial indexes, and CHECK constraints. A difference is fixed by a new migration.
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
from tests.schema_catalogue import Index, Table, catalogue, differences, normalise_expression
from volunteer_app import create_app, migrate
from volunteer_app.db import db, make_database
from volunteer_app.models import all_models

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
def new_database(request, tmp_path):
    """Makes databases with no tables at all: ``new_database()`` returns the URL of one."""
    made: list[str] = []
    admin = None
    if request.param == "postgres":
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

    def make() -> str:
        name = f"thekiz_migr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        made.append(name)
        if admin is None:
            return f"sqlite:///{tmp_path / name}.db"
        admin.execute_sql(f'CREATE DATABASE "{name}"')
        return urlunparse(urlparse(PG_URL)._replace(path="/" + name))

    try:
        yield make
    finally:
        _close()
        if admin is not None:
            for name in made:
                admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close_all()


@pytest.fixture
def empty_database(new_database):
    """The URL of a database with no tables at all."""
    return new_database()


def _models_schema(url: str) -> dict:
    """The catalogue of what create_tables() builds from the models in an empty database."""
    database = make_database(url, pool_size=1)
    db.initialize(database)
    try:
        with db.connection_context():
            db.create_tables(all_models())
            return catalogue(db.obj)
    finally:
        _close()


def _assert_models_schema(wanted: dict) -> None:
    found = differences(catalogue(db.obj), wanted, "after the migrations", "in the models")
    assert not found, "The migrations build another schema than the models:\n" + "\n".join(found)


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


def test_migrations_build_the_models_schema_and_revert(new_database):
    wanted = _models_schema(new_database())
    assert covered_indexes(wanted) == []  # no index the models declare is covered by another
    app = create_app(TestingConfig, DATABASE_URL=new_database())
    files = _files()
    try:
        with app.app_context(), db.connection_context():
            assert db.get_tables() == []
            runner = migrate.runner()
            assert [m.name for m in runner.status()] == files  # discovered, in order

            assert migrate.upgrade() == files
            assert not diff_models(db.obj, all_models()), diff_models(db.obj, all_models())
            _assert_models_schema(wanted)
            assert _model_tables() <= set(db.get_tables())
            assert migrate.upgrade() == []  # nothing left to apply

            # Every down() in reverse order leaves only the history table …
            assert runner.down(target=files[0]) == list(reversed(files))
            assert set(db.get_tables()) == {"schema_migration"}
            assert all(m.applied is None for m in migrate.status())

            # … and up() again rebuilds the same schema.
            assert migrate.upgrade() == files
            _assert_models_schema(wanted)

            # One step down and up at the top, as a deployment rollback would do.
            assert runner.down() == [files[-1]]
            assert migrate.upgrade() == [files[-1]]
            _assert_models_schema(wanted)

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


# Covered, and kept on purpose (see migrations/0034_drop_covered_indexes.py).
KEPT_COVERED = frozenset({("slot", ("activity_id",))})


def covered_indexes(tables: dict) -> list[str]:
    """Plain indexes that another plain index of the same table already answers: one whose
    columns it begins with (a B-tree finds rows by any leading part of its key)."""
    found = []
    for name, table in sorted(tables.items()):
        plain = [i for i in table.indexes if i.where is None and i.method == "btree"]
        for index in plain:
            if index.unique:
                continue  # a unique index also enforces something
            width = len(index.columns)
            wider = [o for o in plain if o != index and o.columns[:width] == index.columns]
            if wider and (name, index.columns) not in KEPT_COVERED:
                found.append(f"{name}: {index} is covered by {wider[0]}")
    return found


def test_the_covered_index_check_finds_one():
    """``covered_indexes`` (asserted empty for the models in the schema test above) can fail.

    Every index costs a write on each insert, key update and delete, and space on disk; one
    whose columns lead another index answers nothing the other does not (migration 0034
    dropped 33 of them). A foreign key whose column leads an index gets ``index=False``."""
    covered = covered_indexes(
        {"t": Table(indexes={Index(("a",), False, None): [], Index(("a", "b"), True, None): []})}
    )
    assert covered == ["t: btree (a) is covered by unique btree (a, b)"]  # the check can fail


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


# --- the comparison itself ---------------------------------------------------------------


def test_equivalent_spellings_of_an_expression_compare_equal():
    same = normalise_expression('(("accepted_at" IS NULL) AND ("withdrawn_at" IS NULL))')
    assert same == normalise_expression("accepted_at IS NULL and withdrawn_at IS NULL")
    assert normalise_expression("(a AND b) AND c") == normalise_expression("a AND (b AND c)")
    assert normalise_expression("hours IS NULL OR (hours >= 0 AND hours <= 24)") == (
        "hours IS NULL OR hours >= 0 AND hours <= 24"
    )
    # … but parentheses that change the meaning stay.
    assert normalise_expression("(a OR b) AND c") != normalise_expression("a OR b AND c")
    assert normalise_expression("a - (b - c)") != normalise_expression("a - b - c")
    assert normalise_expression("(kind = 'staff') = (centre_id IS NOT NULL)") == (
        "(kind = 'staff') = (centre_id IS NOT NULL)"
    )
    assert normalise_expression("status IN ('a','b')") == "status IN ('a', 'b')"
    assert Index(("a",), True, "x > 0") != Index(("a",), True, "x > 1")


def _probe_schema(url: str, variant: str) -> dict:
    """A parent and a child table in one of two variants that differ in every property the
    comparison reads — and in one CHECK spelled two equivalent ways."""
    database = make_database(url, pool_size=1)
    first = variant == "first"

    class Parent(pw.Model):
        class Meta:
            table_name = "probe_parent"

    class Child(pw.Model):
        parent = pw.ForeignKeyField(
            Parent, null=not first, on_delete="CASCADE" if first else "SET NULL"
        )
        label = pw.CharField(max_length=20 if first else 30)
        amount = (
            pw.IntegerField(constraints=[pw.SQL("DEFAULT 0")])
            if first
            else pw.IntegerField(null=True)
        )
        kind = pw.TextField() if first else pw.IntegerField()

        class Meta:
            table_name = "probe_child"
            constraints = [
                pw.SQL("CHECK (amount >= 0)" if first else "CHECK (amount > 0)"),
                pw.SQL(
                    "CHECK ((\"kind\" IS NOT NULL) AND (label <> ''))"
                    if first
                    else "CHECK (kind IS NOT NULL and label <> '')"
                ),
            ]

    Child.add_index(
        Child.index(Child.label, unique=True, where=Child.amount > (0 if first else 1), name="lbl")
    )
    try:
        with database.bind_ctx([Parent, Child]), database.connection_context():
            database.create_tables([Parent, Child])
            return catalogue(database)
    finally:
        if hasattr(database, "close_all"):
            database.close_all()


def test_the_comparison_names_table_column_and_what_differs(new_database):
    first = _probe_schema(new_database(), "first")
    second = _probe_schema(new_database(), "second")
    assert differences(first, first, "a", "b") == []
    found = differences(first, second, "after the migrations", "in the models")
    postgres = first["probe_child"].columns["kind"].type == "text"

    def one(start: str, *parts: str) -> str:
        lines = [line for line in found if line.startswith(start) and all(p in line for p in parts)]
        assert len(lines) == 1, (start, parts, found)
        return lines[0]

    one("probe_child.parent_id: not_null is True after the migrations but False in the models")
    one("probe_child.parent_id: foreign key", "ON DELETE CASCADE", "only after the migrations")
    one("probe_child.parent_id: foreign key", "ON DELETE SET NULL", "only in the models")
    one("probe_child.amount: not_null is True after the migrations but False in the models")
    one("probe_child.amount: default is '0' after the migrations but None in the models")
    one(
        "probe_child.kind: type is",
        "text" if postgres else "TEXT",
        "integer" if postgres else "INTEGER",
    )
    one("probe_child: CHECK", ">= 0", "only after the migrations")
    one("probe_child: CHECK", "> 0", "only in the models")
    one("probe_child.label: index", "lbl", "> 0", "1× after the migrations but 0× in the models")
    one("probe_child.label: index", "lbl", "> 1", "0× after the migrations but 1× in the models")
    if postgres:  # PostgreSQL enforces a VARCHAR's length; SQLite ignores it
        one("probe_child.label: type is 'character varying(20)'", "'character varying(30)'")
    # The CHECK spelled two ways is one CHECK; nothing else differs.
    assert not [line for line in found if "IS NOT NULL" in line], found
    assert len(found) == (11 if postgres else 10), found
