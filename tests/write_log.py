"""Which tables a request wrote: database triggers note every row written, in one query.

``WriteLog(db, skip=..., ignore_columns=...)`` as a context manager puts a row trigger on
every table of ``all_models()`` (but ``skip``) that notes the model's name in a table of its
own, ``_test_writes``; ``changed()`` answers which models were written since it last asked
(and forgets them). Leaving the block drops the triggers and the table.

Exact, as the before/after snapshot of every table it replaces where a test asks after every
request (a snapshot cost 15-60 ms per request, most of ``test_no_get_changes_the_database``
and of the route fuzzer): a row counts when the transaction that wrote it commits (a rolled
back write leaves no note, as it leaves no row); an UPDATE only when it changed a value
(``OLD`` differs from ``NEW``, as a snapshot would see it; columns in ``ignore_columns`` do
not count); writes of any connection and thread count, whatever SQL they used. Unlike a
snapshot it also sees a row written and deleted again by committed transactions.
``tests/test_security_csrf.py::test_the_crawl_notices_a_get_that_writes`` proves it on
routes that write.
"""

from __future__ import annotations

from volunteer_app.db import is_sqlite
from volunteer_app.models import all_models

TABLE = "_test_writes"
_NOTE = "_test_writes_note"


class WriteLog:
    def __init__(self, database, *, skip=(), ignore_columns: dict[str, set[str]] | None = None):
        self.database = database
        self.postgres = not is_sqlite()
        self.models = [m for m in all_models() if m.__name__ not in set(skip)]
        self.ignore = ignore_columns or {}

    def _columns(self, model) -> list[str]:
        ignored = self.ignore.get(model.__name__, set())
        return [f.column_name for f in model._meta.sorted_fields if f.name not in ignored]

    def _create(self) -> list[str]:
        # Table and model names come from the models, not from input.
        if self.postgres:
            sql = [
                f"CREATE UNLOGGED TABLE {TABLE} (tbl text NOT NULL)",
                "CREATE FUNCTION _test_writes_note() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN INSERT INTO _test_writes VALUES (TG_ARGV[0]); RETURN NULL; END $$",
            ]
            for m in self.models:
                table, name = f'"{m._meta.table_name}"', m.__name__
                if m.__name__ in self.ignore:
                    old = ", ".join(f'OLD."{c}"' for c in self._columns(m))
                    new = ", ".join(f'NEW."{c}"' for c in self._columns(m))
                    differs = f"ROW({old})::text IS DISTINCT FROM ROW({new})::text"
                else:
                    differs = "OLD::text IS DISTINCT FROM NEW::text"
                sql += [
                    f"CREATE TRIGGER {TABLE}_a AFTER INSERT OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {_NOTE}('{name}')",
                    f"CREATE TRIGGER {TABLE}_u AFTER UPDATE ON {table} FOR EACH ROW "
                    f"WHEN ({differs}) EXECUTE FUNCTION {_NOTE}('{name}')",
                    f"CREATE TRIGGER {TABLE}_t AFTER TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {_NOTE}('{name}')",
                ]
            return sql
        sql = [f"CREATE TABLE {TABLE} (tbl TEXT NOT NULL)"]
        for i, m in enumerate(self.models):
            table, name = f'"{m._meta.table_name}"', m.__name__
            note = f"BEGIN INSERT INTO {TABLE} VALUES ('{name}'); END"  # noqa: S608
            differs = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in self._columns(m))
            sql += [
                f"CREATE TRIGGER {TABLE}_{i}_i AFTER INSERT ON {table} {note}",
                f"CREATE TRIGGER {TABLE}_{i}_d AFTER DELETE ON {table} {note}",
                f"CREATE TRIGGER {TABLE}_{i}_u AFTER UPDATE ON {table} WHEN {differs} {note}",
            ]
        return sql

    def _drop(self) -> list[str]:
        if self.postgres:
            sql = [
                f'DROP TRIGGER IF EXISTS {TABLE}_{kind} ON "{m._meta.table_name}"'
                for m in self.models
                for kind in "aut"
            ]
            return [*sql, f"DROP FUNCTION IF EXISTS {_NOTE}()", f"DROP TABLE IF EXISTS {TABLE}"]
        sql = [
            f"DROP TRIGGER IF EXISTS {TABLE}_{i}_{k}"
            for i in range(len(self.models))
            for k in "idu"
        ]
        return [*sql, f"DROP TABLE IF EXISTS {TABLE}"]

    def _run(self, statements: list[str]) -> None:
        with self.database.atomic():
            # One round trip: psycopg2 and sqlite3's executescript would both take the lot,
            # but peewee's execute_sql runs one statement on SQLite.
            if self.postgres:
                self.database.execute_sql(";\n".join(statements))
            else:
                for sql in statements:
                    self.database.execute_sql(sql)

    def __enter__(self) -> WriteLog:
        self._run(self._create())
        return self

    def __exit__(self, *exc) -> None:
        self._run(self._drop())

    def changed(self) -> list[str]:
        """The models written since the last call, sorted by name."""
        rows = self.database.execute_sql("SELECT DISTINCT tbl FROM _test_writes").fetchall()
        if rows:
            self.database.execute_sql("DELETE FROM _test_writes")
        return sorted(row[0] for row in rows)

    def forget(self) -> None:
        """Forget what was written so far (e.g. by a test's own set-up)."""
        self.database.execute_sql("DELETE FROM _test_writes")
