"""The small world of the authorization matrix: two centres, their staff, a volunteer, an admin.

Every object a URL of the matrix points to belongs to centre A; centre B is the neighbour
whose rows must never change (and whose people must never show up) when somebody edits an
id in a URL of centre A.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
from collections.abc import Iterable

import peewee as pw

from tests import pg_state
from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_accounts import TOTP_SECRET
from tests.factories_centres import make_closing_day, make_invitation
from volunteer_app.accounts.models import RecoveryCode, User
from volunteer_app.accounts.twofactor import hash_recovery_code
from volunteer_app.centres.models import Centre, ClosingDay, Invitation, Operator
from volunteer_app.db import db, utcnow
from volunteer_app.models import all_models

ROLES = ("anonymous", "volunteer", "coordinator_a", "coordinator_b", "admin")
_MODELS = {"Operator": Operator, "Centre": Centre, "ClosingDay": ClosingDay}
_MODELS |= {"Invitation": Invitation, "User": User}


@dataclasses.dataclass
class World:
    operator_a: Operator
    operator_b: Operator
    centre_a: Centre
    centre_b: Centre
    day_a: ClosingDay
    day_b: ClosingDay
    invitation_a: Invitation
    invitation_b: Invitation
    volunteer: User
    unconfirmed: User
    coordinator_a: User
    coordinator_b: User
    admin: User

    def user(self, role: str) -> User | None:
        """The user acting in ``role`` (None for anonymous)."""
        return None if role == "anonymous" else getattr(self, role)

    def hidden_from(self, role: str) -> list[str]:
        """Names and addresses of people ``role`` has no business seeing on any page."""
        staff_a = [self.coordinator_a.name, self.coordinator_a.email, self.invitation_a.email]
        staff_a.append(self.invitation_a.name)
        staff_b = [self.coordinator_b.name, self.coordinator_b.email, self.invitation_b.email]
        staff_b.append(self.invitation_b.name)
        if role == "admin":
            return []
        if role == "coordinator_a":
            return staff_b
        if role == "coordinator_b":
            return staff_a
        people = [*staff_a, *staff_b, self.admin.name, self.admin.email]
        if role == "anonymous":
            people += [self.volunteer.name, self.volunteer.email]
        return people


def world_ids(world: World) -> dict[str, int]:
    return {f.name: getattr(world, f.name).id for f in dataclasses.fields(World)}


def load_world(ids: dict[str, int]) -> World:
    """The world of a database copied from one where ``build_world`` ran (same ids)."""
    models = {f.name: f.type for f in dataclasses.fields(World)}
    return World(**{name: _MODELS[models[name]].get_by_id(pk) for name, pk in ids.items()})


# Values a test cannot change in place (shared between the tests' copies of a row).
_SCALARS = (type(None), bool, int, float, str, bytes, datetime.date, datetime.time)

# Each object of the world as its row reads back from the database (field name: ``__data__``).
WorldRows = dict[str, dict]


def world_rows(world: World) -> WorldRows:
    """What ``rehydrate`` needs: the world's rows, read back once (as ``load_world`` would)."""
    fresh = load_world(world_ids(world))
    return {f.name: dict(getattr(fresh, f.name).__data__) for f in dataclasses.fields(World)}


def rehydrate(rows: WorldRows) -> World:
    """The world of a database that holds ``rows`` (a copy of it, or one restored by
    ``restore_pg_world``), without a query: new model instances, as a SELECT makes them, with
    copies of the rows, so a test that changes its world's objects (or hangs things on the
    world) leaves the next test's alone."""
    models = {f.name: _MODELS[f.type] for f in dataclasses.fields(World)}
    objects = {}
    for name, data in rows.items():
        obj = models[name](__no_default__=1)
        obj.__data__.update(
            {k: v if isinstance(v, _SCALARS) else copy.deepcopy(v) for k, v in data.items()}
        )
        obj._dirty.clear()
        objects[name] = obj
    return World(**objects)


def give_totp(user: User) -> User:
    """Switch TOTP on (staff must have it; a volunteer may) with two recovery codes."""
    User.update(totp_secret=TOTP_SECRET, totp_enabled_at=utcnow()).where(
        User.id == user.id
    ).execute()
    for code in ("aaaa-bbbb-cccc", "dddd-eeee-ffff"):
        RecoveryCode.create(user=user, code_hash=hash_recovery_code(code))
    return User.get_by_id(user.id)


def build_world() -> World:
    operator_a = make_operator(name="Träger Ahorn")
    operator_b = make_operator(name="Träger Birke")
    centre_a = make_centre(name="Zentrum A", slug="zentrum-a", town="Erfurt", operator=operator_a)
    centre_b = make_centre(name="Zentrum B", slug="zentrum-b", town="Weimar", operator=operator_b)
    admin = give_totp(make_user(role="admin", name="Ada Adminova", email="ada.admin@example.org"))
    coordinator_a = give_totp(
        make_coordinator(centre_a, name="Clara Auerbach", email="clara.auerbach@example.org")
    )
    coordinator_b = give_totp(
        make_coordinator(centre_b, name="Bruno Berger", email="bruno.berger@example.org")
    )
    volunteer = make_user(name="Vera Freiwillig", email="vera.freiwillig@example.org")
    unconfirmed = make_user(
        name="Ulla Unbestaetigt", email="ulla.neu@example.org", email_confirmed_at=None
    )
    invitation_a, _token_a = make_invitation(
        centre_a, "ines.abendroth@example.org", name="Ines Abendroth", invited_by=admin
    )
    invitation_b, _token_b = make_invitation(
        centre_b, "ben.bruckner@example.org", name="Ben Bruckner", invited_by=admin
    )
    return World(
        operator_a=operator_a,
        operator_b=operator_b,
        centre_a=centre_a,
        centre_b=centre_b,
        day_a=make_closing_day(centre_a, days_ahead=10, reason="Teamfortbildung"),
        day_b=make_closing_day(centre_b, days_ahead=10, reason="Betriebsausflug"),
        invitation_a=invitation_a,
        invitation_b=invitation_b,
        volunteer=volunteer,
        unconfirmed=unconfirmed,
        coordinator_a=coordinator_a,
        coordinator_b=coordinator_b,
        admin=admin,
    )


# --- PostgreSQL: the world put back by one script instead of the factories ------------------


@dataclasses.dataclass(frozen=True)
class SavedWorld:
    """A database's state after ``build_world`` (``tests/pg_state.py``), and the world's rows."""

    state: pg_state.Saved
    rows: WorldRows


def save_pg_world(world: World) -> SavedWorld:
    """Every row and id sequence right after ``build_world``, to put back for the next test."""
    return SavedWorld(pg_state.save(), world_rows(world))


def restore_pg_world(saved: SavedWorld) -> World:
    """The saved world back in the (emptied) database, and its objects (``rehydrate``)."""
    pg_state.restore(saved.state)
    return rehydrate(saved.rows)


restorable_pg = pg_state.can_restore


# --- Database snapshots ------------------------------------------------------------------

Snapshot = dict[str, dict[object, dict]]


_SNAPSHOT_SQL: dict[type, tuple[str, list[str], int]] = {}


def _snapshot_query(model) -> tuple[str, list[str], int]:
    """``SELECT <columns> FROM <table>``, the field names, and the primary key's position.

    Built once per model: letting peewee build the same SELECT for ~45 tables twice per case
    was half the matrix's time."""
    if model not in _SNAPSHOT_SQL:
        fields = list(model._meta.sorted_fields)
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        sql = f'SELECT {columns} FROM "{model._meta.table_name}"'  # noqa: S608 (model names)
        pk = fields.index(model._meta.primary_key)
        _SNAPSHOT_SQL[model] = (sql, [f.name for f in fields], pk)
    return _SNAPSHOT_SQL[model]


def snapshot(names: Iterable[str] | None = None) -> Snapshot:
    """Every row of every model, by table and primary key (values as the driver returns them,
    which is all a before/after comparison needs); only the models ``names`` if given."""
    wanted = None if names is None else set(names)
    result = {}
    for model in all_models():
        if wanted is not None and model.__name__ not in wanted:
            continue
        sql, names_, pk = _snapshot_query(model)
        rows = db.execute_sql(sql).fetchall()
        result[model.__name__] = {row[pk]: dict(zip(names_, row, strict=True)) for row in rows}
    return result


class Rows:
    """``snapshot()`` again and again, reading only the tables written since the last time.

    ``Rows(base, log)``: ``base`` is the snapshot of the database as it was when ``log``
    (a ``tests/write_log.py`` ``WriteLog`` whose triggers were already in place, with nothing
    noted yet) started to note writes. ``now()`` then equals ``snapshot()`` exactly: a table
    the log names is read again, and a table it does not name had no row inserted, deleted or
    changed in any value, so its rows are still those of the last answer. ``Rows(None, None)``
    reads every table each time (where no log is in place)."""

    def __init__(self, base: Snapshot | None, log=None):
        self.current, self.log = base, log

    def now(self) -> Snapshot:
        if self.log is None:
            return snapshot()
        written = self.log.changed()
        if written:
            self.current = {**self.current, **snapshot(written)}
        return self.current


# Kept by the database itself: triggers move a revision with every write it watches
# (volunteer_app/revisions/), so it says nothing of its own about what a route changed.
DERIVED_TABLES = {"ContentRevision"}


def changed_tables(before: Snapshot, after: Snapshot) -> set[str]:
    return {name for name in before if name not in DERIVED_TABLES and before[name] != after[name]}


def _centre_columns(model) -> list[str]:
    return [
        field.name
        for field in model._meta.fields.values()
        if isinstance(field, pw.ForeignKeyField) and field.rel_model is Centre
    ]


def rows_of_centre(snap: Snapshot, centre_id: int) -> dict[str, dict]:
    """The centre's own row and every row that points at it (closing days, memberships,
    invitations — and whatever table with a centre column comes next)."""
    by_name = {model.__name__: model for model in all_models()}
    owned = {}
    for name, rows in snap.items():
        if by_name[name] is Centre:
            owned[name] = {pk: row for pk, row in rows.items() if pk == centre_id}
            continue
        columns = _centre_columns(by_name[name])
        if columns:
            owned[name] = {
                pk: row
                for pk, row in rows.items()
                if any(row[column] == centre_id for column in columns)
            }
    return owned
