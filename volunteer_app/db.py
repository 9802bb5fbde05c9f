"""Database binding: one proxy, a base model, per-request connections and write transactions."""

from __future__ import annotations

import contextlib
import datetime as dt
from urllib.parse import parse_qsl, unquote, urlparse

import peewee as pw
from playhouse.pool import PooledPostgresqlDatabase

db = pw.DatabaseProxy()


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
        return PooledPostgresqlDatabase(
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


def is_sqlite() -> bool:
    return isinstance(db.obj, pw.SqliteDatabase)


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
    def _connect():
        # Only a connection this request opened is closed at its end (tests and CLI
        # commands may already hold one).
        g.db_opened = db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if g.pop("db_opened", False) and not db.is_closed():
            db.close()


@contextlib.contextmanager
def connection():
    """A connection for CLI commands and jobs."""
    with db.connection_context():
        yield db


def all_models() -> list[type[BaseModel]]:
    """Every model, in foreign-key order."""
    from volunteer_app.accounts.models import (
        Consent,
        LoginToken,
        RecoveryCode,
        User,
    )
    from volunteer_app.activities.models import Activity, Category, Series, Slot
    from volunteer_app.audit.models import AuditEntry
    from volunteer_app.centres.models import (
        Centre,
        CentreMembership,
        ClosingDay,
        Invitation,
        Operator,
    )
    from volunteer_app.checks.models import CertificateCheck, MeaslesProof
    from volunteer_app.erasure.models import MODELS as erasure_models
    from volunteer_app.feeds.models import MODELS as feeds_models
    from volunteer_app.notifications.models import DigestSent, OutboxMessage
    from volunteer_app.partners.models import MODELS as partners_models
    from volunteer_app.privacy.models import MODELS as privacy_models
    from volunteer_app.programme.models import MODELS as programme_models
    from volunteer_app.proposals.models import MODELS as proposals_models
    from volunteer_app.reports.models import MODELS as reports_models
    from volunteer_app.retention.models import MODELS as retention_models
    from volunteer_app.rooms.models import MODELS as rooms_models
    from volunteer_app.signups.models import Signup
    from volunteer_app.volunteers.models import (
        AvailabilityWindow,
        Interest,
        ReachableCentre,
        VolunteerProfile,
    )
    from volunteer_app.wishes.models import MODELS as wishes_models

    feature_models = (
        feeds_models
        + partners_models
        + programme_models
        + proposals_models
        + reports_models
        + rooms_models
        + wishes_models
        + privacy_models
        + erasure_models
        + retention_models
    )
    return pw.sort_models(
        [
            User,
            Consent,
            LoginToken,
            RecoveryCode,
            Operator,
            Centre,
            ClosingDay,
            CentreMembership,
            Invitation,
            OutboxMessage,
            DigestSent,
            Category,
            Activity,
            Series,
            Slot,
            Signup,
            VolunteerProfile,
            Interest,
            AvailabilityWindow,
            ReachableCentre,
            CertificateCheck,
            MeaslesProof,
            AuditEntry,
            *feature_models,
        ]
    )
