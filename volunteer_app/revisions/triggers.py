"""The database triggers that move ``content_revision`` on every write a page or feed shows.

Why triggers: a revision that some service forgets to move serves stale pages and calendars
for good, and writes come from many places (services, cascades of ``ON DELETE``, the
erasure, imports, the job queue). A trigger sees every one of them, including the rows a
foreign key's ``CASCADE`` or ``SET NULL`` changes.

What each table moves (``WATCHED``): a row's centre (``public`` and/or ``staff``) or person
(``person``). On an update both the old and the new owner move (an activity moved to another
centre changes both). A slot whose update changed only ``taken`` (a sign-up) moves nothing:
families never see seats, and the coordinators' view of them moves with the sign-up that
changed them (``taken`` counts the confirmed sign-ups, so it changes only together with a
sign-up of the same slot, whose trigger moves the same centre's ``staff``). Such an update
does not even queue its trigger (``Watch.update_when``): a sign-up fires one trigger, not two.
A row's bumps are one statement (``_statement``).

PostgreSQL runs them as *deferred constraint triggers*: they fire at COMMIT, after every other
statement of the transaction, so the lock on the revision row is the last one a transaction
takes and is held only while it commits. Taken in the middle of a transaction it could
deadlock two writers (A holds the centre's revision and waits for a slot that B locked before
B asked for the same revision). SQLite has one writer at a time; its triggers fire at once.

A migration that rebuilds one of these tables on SQLite (``playhouse.migrations`` does for
some column changes) drops its triggers: it calls ``install(db)`` again afterwards.
``tests/test_feeds_revision.py`` checks that every trigger exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

TABLE = "content_revision"
_NOW = {
    "sqlite": "strftime('%Y-%m-%d %H:%M:%f', 'now')",
    "postgres": "(clock_timestamp() AT TIME ZONE 'UTC')",
}


@dataclass(frozen=True)
class Bump:
    scope: str
    owners: str  # SELECT … AS owner, with {r} for the row (NEW or OLD)
    only_if: str = ""  # on UPDATE: move only when this holds (it may use OLD and NEW)


@dataclass(frozen=True)
class Watch:
    table: str
    bumps: tuple[Bump, ...]
    columns: tuple[str, ...] = ()  # on UPDATE only of these columns (empty: any)
    inserts_and_deletes: bool = True
    # On UPDATE the trigger fires only when this holds (it may use OLD and NEW); checked as
    # the row changes, so an update it excludes queues nothing (empty: every update).
    update_when: str = ""

    @property
    def quoted(self) -> str:
        return f'"{self.table}"'


def _own(scope: str, column: str = "centre_id") -> Bump:
    return Bump(scope, f"SELECT {{r}}.{column} AS owner")


_OF_ACTIVITY = "SELECT centre_id AS owner FROM activity WHERE id = {r}.activity_id"
_OF_SLOT = (
    "SELECT a.centre_id AS owner FROM slot s JOIN activity a ON a.id = s.activity_id "
    "WHERE s.id = {r}.slot_id"
)
_OF_SIGNUP = (
    "SELECT a.centre_id AS owner FROM signup g JOIN slot s ON s.id = g.slot_id "
    "JOIN activity a ON a.id = s.activity_id WHERE g.id = {r}.signup_id"
)
_OF_OPERATOR = "SELECT id AS owner FROM centre WHERE operator_id = {r}.id"
# A category's label shows wherever it is used; a built-in one (no centre) is every centre's.
_OF_CATEGORY = (
    "SELECT centre_id AS owner FROM activity WHERE category_id = {r}.id "
    "UNION SELECT {r}.centre_id AS owner "
    "UNION SELECT id AS owner FROM centre WHERE {r}.centre_id IS NULL"
)
# A slot update that changed only the seats taken: its sign-up's trigger moves ``staff``
# (see above), and families never see seats.
_NOT_ONLY_TAKEN = (
    "NOT (OLD.taken <> NEW.taken AND OLD.starts_at = NEW.starts_at "
    "AND OLD.ends_at = NEW.ends_at AND OLD.status = NEW.status "
    "AND OLD.sequence = NEW.sequence AND OLD.cancel_reason = NEW.cancel_reason "
    "AND OLD.activity_id = NEW.activity_id AND OLD.capacity = NEW.capacity "
    "AND OLD.updated_at = NEW.updated_at)"
)
# A wish's supporters are not the desk's business; whether it awaits approval is.
_APPROVAL_CHANGED = (
    "(OLD.approved_at IS NULL) <> (NEW.approved_at IS NULL) OR OLD.centre_id <> NEW.centre_id"
)

WATCHED: tuple[Watch, ...] = (
    Watch(
        "centre",
        (Bump("public", "SELECT {r}.id AS owner"), Bump("staff", "SELECT {r}.id AS owner")),
    ),
    Watch("operator", (Bump("public", _OF_OPERATOR), Bump("staff", _OF_OPERATOR))),
    # ``staff`` also moves on what only the coordinators' dashboard shows (closures, wishes
    # awaiting approval, "I can't come" notices, certificate requests): the dashboard is
    # kept rendered per staff revision (coordination/fragments.py).
    Watch("closing_day", (_own("public"), _own("staff"))),
    Watch("activity", (_own("public"), _own("staff"))),
    Watch("series", (Bump("public", _OF_ACTIVITY),)),
    Watch(
        "slot",
        (Bump("public", _OF_ACTIVITY), Bump("staff", _OF_ACTIVITY)),
        update_when=_NOT_ONLY_TAKEN,
    ),
    Watch("activity_text", (Bump("public", _OF_ACTIVITY),)),
    Watch("category", (Bump("public", _OF_CATEGORY), Bump("staff", _OF_CATEGORY))),
    Watch("room", (_own("public"),)),
    Watch(
        "booking", (Bump("public", "SELECT centre_id AS owner FROM room WHERE id = {r}.room_id"),)
    ),
    Watch("partner", (_own("public"),)),
    Watch(
        "wish", (_own("public"), Bump("staff", "SELECT {r}.centre_id AS owner", _APPROVAL_CHANGED))
    ),
    Watch("cant_come", (Bump("staff", _OF_SIGNUP),)),
    Watch("volunteering_certificate", (_own("staff"),)),
    Watch("signup", (Bump("staff", _OF_SLOT), _own("person", "volunteer_id"))),
    # A renamed person: the staff feeds that name them, and (as the responsible person) the
    # volunteer feeds of the centres whose activities they lead (those follow ``public``).
    Watch(
        "user",
        (
            Bump(
                "staff",
                "SELECT DISTINCT a.centre_id AS owner FROM signup g "
                "JOIN slot s ON s.id = g.slot_id JOIN activity a ON a.id = s.activity_id "
                "WHERE g.volunteer_id = {r}.id",
            ),
            Bump("public", "SELECT centre_id AS owner FROM activity WHERE responsible_id = {r}.id"),
        ),
        columns=("name",),
        inserts_and_deletes=False,
    ),
)


def _dialect(database) -> str:
    return "sqlite" if isinstance(database, pw.SqliteDatabase) else "postgres"


def _statement(bumps: tuple[Bump, ...], rows: tuple[str, ...], dialect: str, update: bool) -> str:
    """One ``INSERT … ON CONFLICT`` that moves every bump's owners of the row: one statement
    per trigger call, however many scopes it moves. Rows are taken in the order of ``bumps``
    (then by owner), as separate statements took them, so that concurrent writers lock the
    revision rows in the same order."""
    selects = []
    for number, bump in enumerate(bumps):
        owners = " UNION ".join(
            f"SELECT owner FROM ({bump.owners.format(r=r)}) AS o_{r.lower()}"  # noqa: S608
            for r in rows
        )
        condition = f" WHERE ({bump.only_if})" if update and bump.only_if else ""
        selects.append(
            f"SELECT {number} AS k, '{bump.scope}' AS scope, owner "  # noqa: S608
            f"FROM ({owners}) AS o_{number}{condition}"
        )
    # Built from the constants above only: no value from outside reaches this SQL.
    return (
        f"INSERT INTO {TABLE} (scope, owner_id, value, changed_at) "  # noqa: S608
        f"SELECT scope, owner, 1, {_NOW[dialect]} "
        f"FROM ({' UNION ALL '.join(selects)}) AS o WHERE owner IS NOT NULL ORDER BY k, owner "
        f"ON CONFLICT (scope, owner_id) DO UPDATE SET value = {TABLE}.value + 1, "
        f"changed_at = CASE WHEN excluded.changed_at > {TABLE}.changed_at "
        f"THEN excluded.changed_at ELSE {TABLE}.changed_at END"
    )


def _body(watch: Watch, event: str, dialect: str) -> str:
    rows = {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("NEW", "OLD")}[event]
    return _statement(watch.bumps, rows, dialect, event == "UPDATE") + ";\n"


def _events(watch: Watch) -> tuple[str, ...]:
    return ("INSERT", "UPDATE", "DELETE") if watch.inserts_and_deletes else ("UPDATE",)


def _split(watch: Watch) -> bool:
    """PostgreSQL: whether the watch's UPDATE has a trigger of its own (for its ``WHEN``:
    a trigger that also fires on INSERT or DELETE may not look at OLD and NEW there)."""
    return bool(watch.update_when) and watch.inserts_and_deletes


def trigger_names(database) -> set[str]:
    """The names of the triggers ``install`` creates on this database."""
    if _dialect(database) == "postgres":
        names = {f"rev_{w.table}" for w in WATCHED}
        return names | {f"rev_{w.table}_update" for w in WATCHED if _split(w)}
    return {f"rev_{w.table}_{e.lower()}" for w in WATCHED for e in _events(w)}


def _sqlite_statements() -> list[str]:
    statements = []
    for watch in WATCHED:
        for event in _events(watch):
            name = f"rev_{watch.table}_{event.lower()}"
            of = f" OF {', '.join(watch.columns)}" if event == "UPDATE" and watch.columns else ""
            when = f" WHEN {watch.update_when}" if event == "UPDATE" and watch.update_when else ""
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event}{of} ON {watch.quoted} "
                f"FOR EACH ROW{when} BEGIN\n{_body(watch, event, 'sqlite')}END"
            )
    return statements


def _postgres_statements() -> list[str]:
    statements = []
    for watch in WATCHED:
        name = f"rev_{watch.table}"
        branches = []
        for event in _events(watch):
            keyword = "IF" if not branches else "ELSIF"
            branches.append(f"{keyword} TG_OP = '{event}' THEN\n{_body(watch, event, 'postgres')}")
        update = f"UPDATE OF {', '.join(watch.columns)}" if watch.columns else "UPDATE"
        # (name, events, WHEN): the UPDATE apart when it has a condition of its own.
        made = [(name, " OR ".join(update if e == "UPDATE" else e for e in _events(watch)), "")]
        if _split(watch):
            made = [
                (name, "INSERT OR DELETE", ""),
                (f"{name}_update", update, f" WHEN ({watch.update_when})"),
            ]
        elif watch.update_when:
            made = [(name, update, f" WHEN ({watch.update_when})")]
        for trigger in (name, f"{name}_update"):
            statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {watch.quoted}")
        statements.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{''.join(branches)}END IF;\nRETURN NULL;\nEND\n$$"
        )
        for trigger, events, when in made:
            statements.append(
                f"CREATE CONSTRAINT TRIGGER {trigger} AFTER {events} ON {watch.quoted} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW{when} EXECUTE FUNCTION {name}()"
            )
    return statements


def install(database) -> None:
    """Create (or re-create) every trigger; safe to run again."""
    sqlite = _dialect(database) == "sqlite"
    for sql in _sqlite_statements() if sqlite else _postgres_statements():
        database.execute_sql(sql)


def uninstall(database) -> None:
    for watch in WATCHED:
        if _dialect(database) == "sqlite":
            for event in _events(watch):
                database.execute_sql(f"DROP TRIGGER IF EXISTS rev_{watch.table}_{event.lower()}")
        else:
            for name in (f"rev_{watch.table}", f"rev_{watch.table}_update"):
                database.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON {watch.quoted}")
            database.execute_sql(f"DROP FUNCTION IF EXISTS rev_{watch.table}()")


def installed(database) -> set[str]:
    """The names of the revision triggers the database has."""
    if _dialect(database) == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    return {row[0] for row in database.execute_sql(sql).fetchall() if row[0].startswith("rev_")}
