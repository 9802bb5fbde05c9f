"""What the indexes of migration 0034 cost: database size and sign-up inserts, with and without.

    .venv/bin/python benchmarks/indexes.py                  # SQLite and PostgreSQL, 3 rounds
    .venv/bin/python benchmarks/indexes.py --no-postgres --rounds 5

It builds the regional dataset of ``benchmarks/dataset.py`` once per backend (this checkout's
schema: without the 33 single-column indexes that migration 0034 dropped) and a copy of it
with those indexes put back (the migration's ``down``): the same rows, byte for byte, so the
indexes are the only difference. Printed per backend: the size of the database and, on
PostgreSQL, of all its indexes and of the sign-ups' indexes; then, in alternating rounds, the
time to insert all 150,000 sign-ups again (in a transaction that is rolled back, the
revision triggers off: the index writes are what is measured), as wall time on PostgreSQL
(the server does the work) and as CPU time on SQLite (in this process). The load average is
printed before and after. Reads are not measured here: docs/benchmarks.md ("Indexes covered
by others") says how the pages' statements were compared.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import dataset
from _common import (
    DEFAULT_PG,
    load_average,
    machine,
    pg_connect,
    postgres_database,
    postgres_reachable,
)

MIGRATION = Path(__file__).resolve().parent.parent / "migrations/0034_drop_covered_indexes.py"
REINSERT = "INSERT INTO signup SELECT * FROM reinsert"


def covered() -> tuple:
    spec = importlib.util.spec_from_file_location("m0034", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.COVERED


def put_back_sql() -> list[str]:
    """The migration's ``down``: the dropped indexes created again."""
    return [f'CREATE INDEX "{n}" ON "{t}" ("{c}")' for t, c, n in covered()]


def build(database_url: str, sizes, seed: int) -> None:
    app = dataset.app_for(database_url)
    with app.app_context():
        try:
            dataset.generate(sizes, seed, log=lambda *a, **k: None)
        finally:
            dataset.close_database()


# --- SQLite -----------------------------------------------------------------------------------


def sqlite_run(args) -> None:
    folder = tempfile.mkdtemp(prefix="thekiz-indexes-")
    try:
        without = os.path.join(folder, "without.db")
        build(f"sqlite:///{without}", args.sizes, args.seed)
        with_ = os.path.join(folder, "with.db")
        shutil.copy(without, with_)
        con = sqlite3.connect(with_)
        for sql in put_back_sql():
            con.execute(sql)
        con.commit()
        con.close()
        for path in (without, with_):
            con = sqlite3.connect(path)
            con.execute("VACUUM")
            con.close()
        print(
            f"[sqlite] file: with the indexes {os.path.getsize(with_) / 1e6:.1f} MB, "
            f"without {os.path.getsize(without) / 1e6:.1f} MB"
        )
        times = {"with": [], "without": []}
        for _ in range(args.rounds):
            for name, path in (("with", with_), ("without", without)):
                times[name].append(_sqlite_reinsert(path))
        _print_times("sqlite", "CPU", times)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sqlite_reinsert(path: str) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("BEGIN")
        con.execute("CREATE TEMP TABLE reinsert AS SELECT * FROM signup")
        triggers = con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'signup'"
        ).fetchall()
        for (name,) in triggers:  # dropped inside the transaction, back with the rollback
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute("DELETE FROM signup")
        started = time.process_time()
        con.execute(REINSERT)
        return time.process_time() - started
    finally:
        con.execute("ROLLBACK")
        con.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_run(args) -> None:
    with postgres_database(args.postgres_url) as without:
        build(without, args.sizes, args.seed)
        with_name = f"thekiz_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = pg_connect(args.postgres_url, timeout=5)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(
                f'CREATE DATABASE "{with_name}" TEMPLATE "{urlparse(without).path.lstrip("/")}"'
            )
        with_ = urlunparse(urlparse(args.postgres_url)._replace(path="/" + with_name))
        try:
            con = pg_connect(with_, timeout=5)
            con.autocommit = True
            with con.cursor() as cur:
                for sql in put_back_sql():
                    cur.execute(sql)
            con.close()
            urls = {"with": with_, "without": without}
            for url in urls.values():
                con = pg_connect(url, timeout=5)
                con.autocommit = True
                with con.cursor() as cur:
                    cur.execute("VACUUM ANALYZE")
                con.close()
            for name, url in urls.items():
                print(f"[postgres] {name} the indexes: {_pg_sizes(url)}")
            times = {"with": [], "without": []}
            for _ in range(args.rounds):
                for name, url in urls.items():
                    times[name].append(_pg_reinsert(url))
            _print_times("postgres", "wall", times)
        finally:
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{with_name}" WITH (FORCE)')
            admin.close()


def _pg_sizes(url: str) -> str:
    con = pg_connect(url, timeout=5)
    with con.cursor() as cur:
        cur.execute(
            "SELECT pg_database_size(current_database()),"
            " (SELECT sum(pg_indexes_size(c.oid)) FROM pg_class c"
            "  JOIN pg_namespace n ON n.oid = c.relnamespace"
            "  WHERE n.nspname = 'public' AND c.relkind = 'r'),"
            " pg_indexes_size('signup')"
        )
        database, indexes, signup = cur.fetchone()
    con.close()
    mb = 1024 * 1024
    return (
        f"database {database / mb:.1f} MB, all indexes {int(indexes) / mb:.1f} MB, "
        f"the sign-ups' indexes {signup / mb:.1f} MB"
    )


def _pg_reinsert(url: str) -> float:
    con = pg_connect(url, timeout=5)
    try:
        with con.cursor() as cur:  # psycopg2 opens the transaction
            cur.execute("CREATE TEMP TABLE reinsert AS SELECT * FROM signup")
            cur.execute("SET LOCAL session_replication_role = replica")  # triggers off
            cur.execute("DELETE FROM signup")
            started = time.perf_counter()
            cur.execute(REINSERT)
            return time.perf_counter() - started
    finally:
        con.rollback()
        con.close()


def _print_times(backend: str, kind: str, times: dict) -> None:
    for name, values in times.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"[{backend}] all sign-ups inserted again, {name} the indexes: {shown} s {kind}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    dataset.add_size_arguments(parser)
    args = parser.parse_args(argv)
    args.sizes = dataset.sizes_from(parser, args)
    print(machine())
    print(f"load average before: {load_average()}")
    sqlite_run(args)
    if not args.no_postgres:
        reason = postgres_reachable(args.postgres_url)
        if reason:
            print(f"[postgres] skipped: {reason}")
        else:
            postgres_run(args)
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
