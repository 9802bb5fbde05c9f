"""Backup and restore of the application database (``flask db backup|restore``).

SQLite: Python's ``sqlite3`` backup API copies a consistent snapshot page by page,
also while the app writes in WAL mode; the copy is a single self-contained file.
PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --no-owner``,
run with the connection parameters of ``DATABASE_URL``; the password travels in the
``PGPASSWORD`` environment variable, never on the command line.

These functions need no Flask app; they raise :class:`OpsError` with a message meant
for the operator.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from volunteer_app.db import make_database

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Present in every database this app migrated (playhouse.migrations' history table).
HISTORY_TABLE = "schema_migration"
IN_USE_WAIT_SECONDS = 3.0


class OpsError(Exception):
    """An operation was refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Result:
    action: str  # "backup" or "restore"
    target: str  # the database, described without its password
    path: Path
    size_bytes: int
    seconds: float

    def summary(self) -> str:
        size = f"{self.size_bytes / 1024:,.0f} KiB"
        if self.action == "backup":
            return f"Backed up {self.target} to {self.path} ({size}, {self.seconds:.2f} s)."
        return f"Restored {self.target} from {self.path} ({size}, {self.seconds:.2f} s)."


# --- Public API -------------------------------------------------------------------------------


def describe(url: str) -> str:
    """The database of ``url`` in words, without the password."""
    database = _database(url)
    if isinstance(database, pw.SqliteDatabase):
        return f"SQLite database {database.database}"
    params = database.connect_params
    where = f"{params.get('host') or 'local socket'}:{params.get('port') or 5432}"
    return f"PostgreSQL database {database.database} on {where}"


def backup(url: str, path: str | os.PathLike, overwrite: bool = False) -> Result:
    """Write a consistent copy of the database to ``path`` (safe while the app runs).

    The copy is written next to ``path`` under a temporary name and renamed when
    complete, so ``path`` never holds half a backup. It is readable by its owner only.
    """
    database = _database(url)
    dest = _backup_destination(path, overwrite)
    started = time.monotonic()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if isinstance(database, pw.SqliteDatabase):
            _sqlite_backup(_sqlite_source(database), tmp)
        else:
            _pg_dump(database, tmp)
        tmp.chmod(0o600)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return Result("backup", describe(url), dest, dest.stat().st_size, time.monotonic() - started)


def check_backup(url: str, path: str | os.PathLike) -> Path:
    """Check that ``path`` is a backup this database can be restored from; return it."""
    source = Path(path)
    if not source.exists():
        raise OpsError(f"No backup at {source}.")
    if not source.is_file():
        raise OpsError(f"{source} is not a file.")
    try:
        with source.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise OpsError(f"Cannot read {source}: {exc.strerror}.") from exc
    sqlite_target = isinstance(_database(url), pw.SqliteDatabase)
    if head.startswith(SQLITE_MAGIC):
        if not sqlite_target:
            raise OpsError(f"{source} is a SQLite backup, but DATABASE_URL is PostgreSQL.")
        _check_sqlite_backup(source)
    elif head.startswith(PGDUMP_MAGIC):
        if sqlite_target:
            raise OpsError(f"{source} is a PostgreSQL dump, but DATABASE_URL is SQLite.")
    else:
        raise OpsError(
            f"{source} is neither a SQLite backup nor a PostgreSQL dump in custom format."
        )
    return source


def restore(url: str, path: str | os.PathLike, force: bool = False) -> Result:
    """Replace the database's contents with the backup at ``path``.

    Refuses while other connections are open (stop the web server and the job
    consumer first) unless ``force`` is set. Both backends restore in one
    transaction: on failure the database is left as it was.
    """
    source = check_backup(url, path)
    database = _database(url)
    started = time.monotonic()
    if isinstance(database, pw.SqliteDatabase):
        _sqlite_restore(source, _sqlite_target(database), force)
    else:
        _pg_restore(database, source, force)
    return Result(
        "restore", describe(url), source, source.stat().st_size, time.monotonic() - started
    )


# --- Shared helpers ---------------------------------------------------------------------------


def _database(url: str) -> pw.Database:
    try:
        return make_database(url, pool_size=1)
    except ValueError as exc:
        raise OpsError(str(exc)) from exc


def _backup_destination(path: str | os.PathLike, overwrite: bool) -> Path:
    dest = Path(path)
    if dest.is_dir():
        raise OpsError(f"{dest} is a directory; give the backup's file name.")
    if dest.exists() and not overwrite:
        raise OpsError(f"{dest} exists already; choose a new name or pass --overwrite.")
    if not dest.parent.is_dir():
        raise OpsError(f"Directory {dest.parent} does not exist.")
    if not os.access(dest.parent, os.W_OK):
        raise OpsError(f"Directory {dest.parent} is not writable.")
    return dest


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_path(database: pw.SqliteDatabase) -> Path:
    if database.database == ":memory:":
        raise OpsError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database.database)


def _sqlite_source(database: pw.SqliteDatabase) -> Path:
    source = _sqlite_path(database)
    if not source.is_file():
        raise OpsError(f"Database file {source} does not exist.")
    return source


def _sqlite_target(database: pw.SqliteDatabase) -> Path:
    target = _sqlite_path(database)
    if not target.parent.is_dir():
        raise OpsError(f"Directory {target.parent} of the database does not exist.")
    return target


def _sqlite_backup(source: Path, dest: Path) -> None:
    # One backup step (pages=-1) copies a consistent snapshot; in WAL mode writers go on.
    with (
        contextlib.closing(sqlite3.connect(source, timeout=10)) as src,
        contextlib.closing(sqlite3.connect(dest)) as dst,
    ):
        src.backup(dst)
        # A self-contained single file: no -wal/-shm needed to read it later.
        dst.execute("PRAGMA journal_mode=DELETE")
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise OpsError("The copy failed its integrity check; the database may be damaged.")


def _check_sqlite_backup(source: Path) -> None:
    try:
        with contextlib.closing(
            sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        ) as conn:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            has_history = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (HISTORY_TABLE,)
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise OpsError(f"{source} is not a readable SQLite database: {exc}.") from exc
    if not ok:
        raise OpsError(f"{source} failed its integrity check.")
    if not has_history:
        raise OpsError(f"{source} is a SQLite database, but not a backup of this app.")


def _sqlite_restore(source: Path, target: Path, force: bool) -> None:
    with contextlib.closing(sqlite3.connect(target, timeout=10)) as dst:
        # Leaving WAL mode needs the only connection to the file: a cheap in-use test.
        dst.execute("PRAGMA busy_timeout = 200")
        try:
            dst.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError as exc:
            if not force:
                raise OpsError(
                    f"{target} is in use by another connection. Stop the web server and the "
                    "job consumer first (or pass --force to restore anyway)."
                ) from exc
        dst.execute("PRAGMA busy_timeout = 10000")
        with contextlib.closing(sqlite3.connect(source, timeout=10)) as src:
            # The backup API writes the destination in one transaction under its lock.
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_command(database: pw.Database, tool: str) -> tuple[list[str], dict[str, str]]:
    """The tool with connection options, and an environment carrying the password."""
    exe = shutil.which(tool)
    if exe is None:
        raise OpsError(
            f"{tool} is not installed; install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) in the server's major version or newer."
        )
    params = dict(database.connect_params)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    args = [exe, "--no-password"]
    host, port, user = params.pop("host", None), params.pop("port", None), params.pop("user", None)
    if host:
        args += ["--host", str(host)]
    if port:
        args += ["--port", str(port)]
    if user:
        args += ["--username", str(user)]
    # Further URL parameters (sslmode=…) are libpq keywords: pass them in a conninfo string.
    conninfo = " ".join(
        f"{key}={_conninfo_value(value)}"
        for key, value in [("dbname", database.database), *params.items()]
        if value is not None
    )
    args += ["--dbname", conninfo]
    return args, env


def _conninfo_value(value) -> str:
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    # The arguments are the tool's path, fixed flags and values from DATABASE_URL; no shell.
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        detail = "\n".join(proc.stderr.strip().splitlines()[-5:]) or f"exit code {proc.returncode}"
        raise OpsError(f"{what} failed:\n{detail}")


def _pg_dump(database: pw.Database, dest: Path) -> None:
    args, env = _pg_command(database, "pg_dump")
    _run([*args, "--format=custom", "--file", str(dest)], env, "pg_dump")


def _pg_restore(database: pw.Database, source: Path, force: bool) -> None:
    if not force:
        others = _pg_other_sessions(database)
        if others:
            raise OpsError(
                f"{others} other session(s) are connected to database {database.database}. "
                "Stop the web server and the job consumer first (or pass --force to restore "
                "anyway; it waits for their locks)."
            )
    args, env = _pg_command(database, "pg_restore")
    _run(
        [*args, "--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
        env,
        "pg_restore",
    )


def _pg_other_sessions(database: pw.Database) -> int:
    """Client sessions on this database other than ours (waits briefly for closing ones)."""
    import psycopg2

    params = {k: v for k, v in database.connect_params.items() if v is not None}
    try:
        conn = psycopg2.connect(dbname=database.database, connect_timeout=10, **params)
    except psycopg2.Error as exc:
        raise OpsError(f"Cannot connect to database {database.database}: {exc}".strip()) from exc
    try:
        conn.autocommit = True
        deadline = time.monotonic() + IN_USE_WAIT_SECONDS
        while True:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
                others = cur.fetchone()[0]
            # A client that just closed its connection may take a moment to leave the list.
            if not others or time.monotonic() > deadline:
                return others
            time.sleep(0.2)
    finally:
        conn.close()
