"""Database binding: one proxy, a base model, per-request connections and write transactions.

PostgreSQL connections come from a pool that survives a server restart: a connection the
server dropped while it sat in the pool is noticed by its first statement, which is then
run once more on a new connection (``ReconnectingPool``). ``database_unavailable()`` tells
an error that means "the database cannot be reached right now" (down, restarting, the
connection lost, the pool exhausted) from one that means "this statement was wrong"; the
error pages answer the first with 503 and the job consumer waits (docs/operations.md).

SQLite connections are not pooled but kept: each worker thread opens one with its first
query and keeps it for the next requests (``SqliteDatabase`` keeps one per thread), so
the pragmas are set once per connection rather than once per request. The end of every
request rolls back a transaction it left open (``_end_sqlite_request``), and a forked
process (a gunicorn worker) forgets the connections it inherited and opens its own
(``_forget_inherited_connections``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import os
import re
import sqlite3
import weakref
from urllib.parse import parse_qsl, unquote, urlparse

import peewee as pw
from playhouse.pool import MaxConnectionsExceeded, PooledPostgresqlDatabase

log = logging.getLogger(__name__)

db = pw.DatabaseProxy()

# A client that cannot reach the server gives up after this many seconds (else the operating
# system's TCP timeout, minutes, would hold a worker). libpq reads it from the environment, so
# an operator's own PGCONNECT_TIMEOUT and DATABASE_URL's ?connect_timeout= both win.
CONNECT_TIMEOUT_SECONDS = "5"

# SQLSTATEs that mean the server is unavailable rather than the statement wrong: class 08
# (connection exception), 57P01-57P03 (admin or crash shutdown, "the database system is
# starting up / shutting down"), 53300 (too many connections).
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "53300")


# The largest id a row can have: ids and foreign keys are INTEGER columns, 32 bits on
# PostgreSQL (64 on SQLite). An id from a client is checked against it before any query
# (common/urls.py: IdConverter for URLs, common/forms.py: row_id for forms and query strings),
# so that a huge id is "not found", not a driver's overflow error.
MAX_ID = 2**31 - 1


def utcnow() -> dt.datetime:
    """Naive UTC now: every timestamp in the database is naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url: str, pool_size: int = 10) -> pw.Database:
    """Build a database from a URL: ``sqlite:///path`` or ``postgresql://user@host/db``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path[1:]) if parsed.path.startswith("/") else parsed.path
        if url.startswith("sqlite:///:memory:") or path == ":memory:":
            path = ":memory:"
        return pw.SqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 10000,
                "synchronous": "normal",
            },
            timeout=10,
        )
    if parsed.scheme in ("postgres", "postgresql"):
        params = dict(parse_qsl(parsed.query))
        os.environ.setdefault("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS)
        return ReconnectingPool(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname,
            port=parsed.port or 5432,
            max_connections=pool_size,
            stale_timeout=300,
            timeout=10,
            **params,
        )
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")


class ReconnectingPool(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool, made to survive a server restart without a failed request.

    When the server restarts, every connection in the pool is dead, but the driver does not
    know until it next talks to the server. Rather than a round trip on every checkout, the
    check on checkout is local (the driver's own state), and a connection's first statement
    after checkout, if it finds the connection dead, is run once more on a new one. Only a
    statement that cannot have changed anything is repeated: ``BEGIN`` or a ``SELECT``
    outside a transaction. The other pooled connections go too (they were connected to the
    same server). While the server is down the new connection fails, and so does the
    request, with an error ``database_unavailable()`` recognises.
    """

    def _is_closed(self, conn) -> bool:
        # Local only (no round trip): closed by the driver, broken, or left mid-transaction.
        if conn.closed:
            return True
        return self._adapter.txn_status(conn) != self._adapter.txn_idle

    def connect(self, reuse_if_open: bool = False) -> bool:
        opened = super().connect(reuse_if_open)
        if opened:
            self._state.untried = True  # no statement has run on it since checkout
        return opened

    def execute_sql(self, sql, params=None):
        run = super().execute_sql
        return self._first_statement(lambda: run(sql, params), _is_read(sql))

    def execute_prepared(self, name: str, sql: str, params: list):
        """Run ``sql`` (``%s`` parameters) as the server-side prepared statement ``name``:
        ``PREPARE`` with the first ``EXECUTE`` on each connection (one round trip), then
        ``EXECUTE`` only, so that the server parses and plans it once per connection
        instead of on every call (a generic plan: ``_GENERIC_PLANS``). Logged (and counted) as the text sent; a read is
        repeated on a new connection like any other (prepared there anew)."""
        run = super().execute_sql
        marks = ", ".join(["%s"] * len(params))

        def send():
            conn = self.connection()
            known = _SERVER_PREPARED.setdefault(conn, {})
            current = known.get(name)
            if current is not None:
                return run(f"EXECUTE {current}({marks})", params)
            # A PREPARE outlives a rollback, and an error may have come from it or from
            # the EXECUTE after it: after an error the next call prepares under a new name.
            attempt = f"{name}_{next(_PREPARED_NAMES)}"
            numbered = _numbered(sql)
            cursor = run(
                f"PREPARE {attempt} AS {numbered}; {_GENERIC_PLANS} EXECUTE {attempt}({marks})",
                params,
            )
            known[name] = attempt
            return cursor

        return self._first_statement(send, _is_read(sql))

    def begin(self, *args, **kwargs):
        run = super().begin
        return self._first_statement(lambda: run(*args, **kwargs), True)

    def _first_statement(self, run, repeatable: bool):
        if self.is_closed():
            self.connect()
        untried = getattr(self._state, "untried", False)
        self._state.untried = False
        try:
            return run()
        except (pw.OperationalError, pw.InterfaceError) as exc:
            if not (untried and repeatable and not self.in_transaction()):
                raise
            if not database_unavailable(exc):
                raise
            log.info("A pooled database connection was dead (%s); using a new one.", _line(exc))
            self._replace_connection()
            return run()

    def _replace_connection(self) -> None:
        """Drop this thread's dead connection and the idle ones; connect anew."""
        ctx = self._state.ctx  # connection_context() blocks stay open around the new connection
        self._close(self._state.conn, close_conn=True)
        self.close_idle()
        self._state.reset()
        try:
            self.connect()
        finally:
            self._state.ctx = ctx
        self._state.untried = False


def _is_read(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


# The statements the app prepares are written for one plan whatever their parameters (ids,
# times, arrays of ids): left to itself, PostgreSQL plans the first five executions anew
# each time and then keeps planning anew whenever a generic plan looks costlier on paper,
# which it did for the slot list (planning cost more than running it). Set with each
# PREPARE: a rollback may undo a SET, never a PREPARE's effect on the server's choice.
_GENERIC_PLANS = "SET plan_cache_mode = force_generic_plan;"

# Per PostgreSQL connection: which ``Prepared`` statements it holds, under which name.
_SERVER_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _numbered(sql: str) -> str:
    """``%s`` parameters as ``$1``, ``$2``… (``%%``, a literal percent sign, stays)."""
    parts = sql.split("%%")
    count = 0

    def number(_match) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return "%%".join(re.sub(r"%s", number, part) for part in parts)


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def database_unavailable(exc: BaseException) -> bool:
    """True if ``exc`` means the database cannot be reached now (down, restarting, the
    connection cut, every pooled connection busy), not that the statement was wrong."""
    if isinstance(exc, MaxConnectionsExceeded):
        return True
    if not isinstance(exc, pw.OperationalError | pw.InterfaceError | pw.DatabaseError):
        return False
    # peewee wraps the driver's error: it keeps it as ``orig`` (and it is the context).
    cause = getattr(exc, "orig", None) or exc.__context__
    if cause is None:
        return False  # peewee's own complaint (e.g. "Connection already opened.")
    if isinstance(cause, sqlite3.Error):
        return "unable to open database file" in str(cause)
    names = {cls.__name__ for cls in type(cause).__mro__}
    if "InterfaceError" in names:  # psycopg: "connection already closed"
        return True
    if type(cause).__name__ == "DatabaseError" and getattr(cause, "pgcode", None) is None:
        # libpq lost the server in the middle of a statement ("error with status PGRES_… and
        # no message from the libpq"): psycopg2 raises its base class, without a SQLSTATE.
        return True
    if "OperationalError" not in names:
        return False
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    # No SQLSTATE: the client's own error (refused, reset, "server closed the connection").
    return code is None or code.startswith("08") or code in _UNAVAILABLE_STATES


def is_sqlite() -> bool:
    return isinstance(db.obj, pw.SqliteDatabase)


_PREPARED_NAMES = itertools.count(1)

#: A peewee cursor wrapper's own state, not its layout of the columns (``Prepared.rows``).
_PER_CURSOR = frozenset({"cursor", "count", "index", "initialized", "populated", "row_cache"})


class Prepared:
    """A read whose SQL is generated once per process (and kind of database); each call
    only supplies new parameters. For the few reads that run on (nearly) every request or
    every sign-up, where peewee building the SQL text of a wide join costs more CPU than
    the database spends answering it.

        _USER = Prepared(lambda user_id: User.select().where(User.id == user_id))
        user = _USER.first(42)

    ``build`` is called once with integer stand-ins (see ``_STAND_INS``) for the arguments;
    each must become one parameter of the SQL (an id compared with a column, say), which is
    then replaced by the argument. Rows come back as the built query returns them (joined
    models included), counted and guarded like any other statement.

    ``execute`` runs a write the same way (an ``INSERT`` or a conditional ``UPDATE`` on every
    sign-up) and returns the driver's cursor; its arguments may also be text or dates (a
    stand-in for a text column becomes the stand-in's digits, and is found as such).

    On PostgreSQL the statement is also prepared on the server, once per connection
    (``ReconnectingPool.execute_prepared``): parsing and planning a statement cost the
    server more than running these ones.
    """

    # Integers no id or constant of the app takes, one per argument.
    _STAND_INS = tuple(range(-918_273_645, -918_273_653, -1))

    def __init__(self, build, name: str = "prepared"):
        """``name``: how the statement shows in the server's and the app's logs."""
        self._build = build
        self._compiled: dict[type, tuple] = {}
        self._name = f"{name}_{next(_PREPARED_NAMES)}"
        self._layouts: dict[type, dict] = {}

    def _compile(self, arity: int) -> tuple:
        kind = type(db.obj)
        compiled = self._compiled.get(kind)
        if compiled is None:
            stand_ins = self._STAND_INS[:arity]
            query = self._build(*stand_ins)
            sql, params = query.sql()
            found = [
                [i for i, p in enumerate(params) if p == value or p == str(value)]
                for value in stand_ins
            ]
            if any(len(places) != 1 for places in found):
                raise ValueError("each argument must become exactly one parameter of the SQL")
            positions = [places[0] for places in found]
            compiled = self._compiled[kind] = (query, sql, tuple(params), positions)
        return compiled

    def rows(self, *args: int) -> list:
        query, sql, params, positions = self._compile(len(args))
        values = list(params)
        for position, value in zip(positions, args, strict=True):
            values[position] = int(value)
        wrapper = query._get_cursor_wrapper(self._send(sql, values))
        # What peewee works out from the first row (which column goes to which model and
        # field, the converters, the joins) depends only on the SQL: kept from the first call.
        kind = type(db.obj)
        layout = self._layouts.get(kind)
        if layout is not None:
            vars(wrapper).update(layout)
            wrapper.initialized = True
        found = list(wrapper)
        if layout is None and wrapper.initialized:
            self._layouts[kind] = {
                name: value for name, value in vars(wrapper).items() if name not in _PER_CURSOR
            }
        return found

    def first(self, *args: int):
        found = self.rows(*args)
        return found[0] if found else None

    def execute(self, *args):
        """Run the statement (a write) with these arguments, as given; the driver's cursor."""
        _query, sql, params, positions = self._compile(len(args))
        values = list(params)
        for position, value in zip(positions, args, strict=True):
            values[position] = value
        return self._send(sql, values)

    def _send(self, sql: str, values: list):
        database = db.obj
        if isinstance(database, ReconnectingPool):
            return database.execute_prepared(self._name, sql, values)
        return db.execute_sql(sql, values)


def write_transaction():
    """A write transaction that is correct on both backends.

    SQLite takes the write lock at BEGIN (IMMEDIATE) so that two writers never
    deadlock on lock upgrade; on PostgreSQL ``atomic()``'s argument would mean an
    isolation level, so a plain transaction (READ COMMITTED + row locks) is used.
    Nested calls become savepoints.
    """
    if is_sqlite() and not db.in_transaction():
        return db.atomic("IMMEDIATE")
    return db.atomic()


def init_app(app) -> None:
    database = make_database(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    db.initialize(database)

    from flask import g

    @app.before_request
    def _note_connection():
        # The connection opens with the request's first query (peewee connects on demand),
        # so that a request without one (the health check while the database is down, a
        # static file) needs none. Only a connection this request opened is given back at
        # its end: tests and CLI commands may already hold one. A SQLite connection stays
        # open for the thread's next request; only what the request left open is ended.
        g.db_was_closed = db.is_closed()
        g.db_outer_transaction = not g.db_was_closed and db.in_transaction()

    @app.teardown_request
    def _close(exc):
        opened_here = g.pop("db_was_closed", False)
        outer_transaction = g.pop("db_outer_transaction", False)
        if db.is_closed():
            return
        if is_sqlite():
            if not outer_transaction:
                _end_sqlite_request()
        elif opened_here:
            close_or_discard()


def _end_sqlite_request() -> None:
    """Keep this thread's SQLite connection for its next request, but never with a
    transaction open: one the request left open (an error between ``BEGIN`` and the end
    of its block, a ``BEGIN`` never ended) is rolled back. A connection that cannot be
    rolled back is closed; the next request opens a new one."""
    database = db.obj
    conn = database._state.conn
    if not database.in_transaction() and not conn.in_transaction:
        return
    log.warning("A request left a database transaction open; it is rolled back.")
    try:
        conn.rollback()
    except Exception:
        log.warning("The rollback failed; the connection is closed.", exc_info=True)
        database._state.transactions = []
        close_or_discard()
        return
    # peewee's stack of open transactions and savepoints: all of them ended with the rollback.
    database._state.transactions = []
    database._state.commit_callbacks = []


# Connections a forked process inherited: kept referenced so that they are never closed
# there (closing a SQLite connection in a child can delete the parent's WAL files; closing
# a PostgreSQL one would end the parent's session on the shared socket).
_INHERITED: list = []


def _forget_inherited_connections() -> None:
    """In a forked child (a gunicorn worker of a master that had connected, as with
    ``--preload``): forget the parent's open connections without closing them, so that
    the child opens its own with its first query (and sets the pragmas on it)."""
    database = db.obj
    if database is None:
        return
    state = database._state
    if state.conn is not None:
        _INHERITED.append(state.conn)
    state.reset()
    if isinstance(database, PooledPostgresqlDatabase):
        _INHERITED.extend(database._in_use.values())
        _INHERITED.extend(database._connections)
        database._in_use = {}
        database._connections = []


os.register_at_fork(after_in_child=_forget_inherited_connections)


@contextlib.contextmanager
def connection():
    """A connection for CLI commands and jobs."""
    with db.connection_context():
        yield db


def close_or_discard() -> None:
    """Give this thread's connection back; if that fails (a transaction left open by an
    error, a connection the server cut), drop it without returning it to the pool."""
    try:
        db.close()
    except Exception as exc:
        if database_unavailable(exc):
            log.info("A database connection the server cut is dropped (%s).", _line(exc))
        else:
            log.warning("A database connection could not be returned; dropped.", exc_info=True)
        database = db.obj
        conn, ctx = database._state.conn, database._state.ctx
        database._state.reset()  # also when close() raised before resetting it
        database._state.ctx = ctx
        if conn is None:
            return
        if isinstance(database, PooledPostgresqlDatabase):
            database._close(conn, close_conn=True)  # forget it, close the socket
        else:
            with contextlib.suppress(Exception):
                conn.close()
