"""A world for the API's property-based run and its token × scope × route matrix.

Two operators: Ahorn with centres A (``zentrum-a``) and A2 (``zentrum-a2``), Birke with
centre B (``zentrum-b``); a coordinator of A and one of B, an administrator, a volunteer and
a few more volunteers to assign. Centre A has a future date with room for everybody
(``slot_a``), a full one, one of an activity with approval, a cancelled and a past one;
A2 and B a date each. Each person who may hold a personal token has a confirmed sign-up of
their own on another day (``own_<person>``) to cancel, and each staff token kind has a
volunteer to assign (``assignee_<kind>``, who chose centres A and A2, so that A's
coordinator may see them) and a confirmed sign-up to take off (``assigned_<kind>``).

Tokens are rows written directly (their stored scopes may be ones the kind could not be
given on the pages, which is how a token looks after its owner lost the coordinator role):
``token(kind, scope)`` is the raw token of ``kind`` holding exactly ``scope``;
``token(kind, ALL)`` one holding every scope its kind may hold.

Built once per module on SQLite (``template``: a migrated file with the world in it, copied
for each test, as tests/test_authz_matrix.py does); on PostgreSQL built by the first test of a
process and put back by one script for each later one (``tests/pg_state.py``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest

from config import TestingConfig
from tests import pg_state
from tests.factories import (
    make_activity,
    make_centre,
    make_coordinator,
    make_operator,
    make_signup,
    make_slot,
    make_user,
)
from tests.factories_accounts import use_fast_hashing
from volunteer_app.common.security import hash_token
from volunteer_app.db import db, make_database, utcnow
from volunteer_app.tokens.models import TOKEN_MARKER, ApiToken
from volunteer_app.tokens.scopes import SCOPES, allowed_scopes
from volunteer_app.tokens.services import new_raw_token
from volunteer_app.volunteers.models import ReachableCentre

ALL = "*"

#: Token kinds that are rows in ApiToken: kind → (row kind, whose, covers centre A).
#: "Whose" names a person of the world (personal) or a centre/operator (service).
TOKEN_ROWS = {
    "personal_volunteer": ("personal", "volunteer"),
    "personal_coordinator": ("personal", "coordinator_a"),
    "personal_coordinator_b": ("personal", "coordinator_b"),
    "personal_admin": ("personal", "admin"),
    "service_centre": ("service", "centre_a"),
    "service_centre_b": ("service", "centre_b"),
    "service_operator": ("service", "operator_a"),
    "service_operator_b": ("service", "operator_b"),
    # Invalid ones: a coordinator of A's personal token, revoked or expired.
    "revoked": ("personal", "coordinator_a"),
    "expired": ("personal", "coordinator_a"),
}
#: The persons with a personal token (each has a sign-up of their own to cancel).
PERSONS = ("volunteer", "coordinator_a", "coordinator_b", "admin")
#: The staff token kinds (each has a volunteer to assign and a sign-up to take off).
STAFF_KINDS = (
    "personal_coordinator",
    "personal_coordinator_b",
    "personal_admin",
    "service_centre",
    "service_centre_b",
    "service_operator",
    "service_operator_b",
)


def _role(whose: str) -> str | None:
    return {"volunteer": "volunteer", "admin": "admin"}.get(whose, "coordinator")


def _maker(whose: str) -> str:
    """Who makes a service token: the centre's coordinator, or an admin for an operator."""
    return {"centre_a": "coordinator_a", "centre_b": "coordinator_b"}.get(whose, "admin")


@dataclasses.dataclass
class ApiWorld:
    ids: dict[str, int]
    slugs: dict[str, str]
    tokens: dict[str, str]  # "kind scope" → raw token
    feed_key: str

    def id(self, name: str) -> int:
        return self.ids[name]

    def token(self, kind: str, scope: str = ALL) -> str:
        return self.tokens[f"{kind} {scope}"]


def _token_row(kind: str, scopes: str, objects: dict, now: dt.datetime) -> str:
    row_kind, whose = TOKEN_ROWS[kind]
    raw = new_raw_token()
    fields = {
        "kind": row_kind,
        "name": f"{kind} {scopes}"[:80],
        "prefix": raw[len(TOKEN_MARKER) :][:8],
        "token_hash": hash_token(raw),
        "scopes": scopes,
        "created_at": now - dt.timedelta(days=1),
    }
    if row_kind == "personal":
        fields["owner"] = fields["created_by"] = objects[whose]
    else:
        fields["created_by"] = objects[_maker(whose)]
        fields["centre" if whose.startswith("centre") else "operator"] = objects[whose]
    if kind == "revoked":
        fields["revoked_at"] = now - dt.timedelta(minutes=5)
    if kind == "expired":
        fields["expires_at"] = now - dt.timedelta(minutes=5)
    ApiToken.create(**fields)
    return raw


def build() -> ApiWorld:
    from volunteer_app.feeds.services import create_link, link_token

    now = utcnow().replace(microsecond=0)
    o: dict = {}
    o["operator_a"] = make_operator(name="Träger Ahorn")
    o["operator_b"] = make_operator(name="Träger Birke")
    o["centre_a"] = make_centre(
        name="Zentrum A", slug="zentrum-a", town="Erfurt", operator=o["operator_a"]
    )
    o["centre_a2"] = make_centre(
        name="Zentrum A2", slug="zentrum-a2", town="Gotha", operator=o["operator_a"]
    )
    o["centre_b"] = make_centre(
        name="Zentrum B", slug="zentrum-b", town="Weimar", operator=o["operator_b"]
    )
    o["admin"] = make_user(role="admin", name="Ada Admin")
    o["coordinator_a"] = make_coordinator(o["centre_a"], name="Clara Auerbach")
    o["coordinator_b"] = make_coordinator(o["centre_b"], name="Bruno Berger")
    o["volunteer"] = make_user(name="Vera Freiwillig")
    o["other"] = make_user(name="Otto Andere")

    def slot(centre: str, days: float, **fields):
        activity = make_activity(o[centre], title=f"Vorlesen {centre} {days}", **fields)
        return make_slot(activity, starts_at=now + dt.timedelta(days=days), capacity=30)

    o["slot_a"] = slot("centre_a", 3)
    o["slot_a2"] = slot("centre_a2", 3.5)
    o["slot_b"] = slot("centre_b", 4)
    o["slot_approval"] = slot("centre_a", 6, signup_mode="approval")
    o["slot_cancelled"] = slot("centre_a", 7, status="cancelled", cancel_reason="Regen")
    o["slot_full"] = full = make_slot(
        o["slot_a"].activity, starts_at=now + dt.timedelta(days=8), capacity=1
    )
    make_signup(full, o["other"])
    o["slot_past"] = make_slot(
        o["slot_a"].activity, starts_at=now - dt.timedelta(days=2), capacity=4
    )
    own_slot = slot("centre_a", 5)
    for person in PERSONS:
        o[f"own_{person}"] = make_signup(own_slot, o[person])
    o["signup_other"] = make_signup(own_slot, o["other"])
    o["signup_b"] = make_signup(o["slot_b"], make_user(name="Bea Birke"))
    o["signup_waiting"] = make_signup(o["slot_a"], o["other"], status="waitlisted")
    make_signup(o["slot_past"], o["volunteer"], attendance="attended", hours=2)
    for kind in STAFF_KINDS:
        # Chose the centres of operator A: a coordinator of A may see (and assign) them.
        o[f"assignee_{kind}"] = assignee = make_user(name=f"Anna {kind}")
        for centre in ("centre_a", "centre_a2"):
            ReachableCentre.create(user=assignee, centre=o[centre])
        o[f"assigned_{kind}"] = make_signup(o["slot_a"], make_user(name=f"Max {kind}"))

    tokens = {}
    for kind, (row_kind, whose) in TOKEN_ROWS.items():
        role = _role(whose) if row_kind == "personal" else None
        for scope in SCOPES:
            tokens[f"{kind} {scope}"] = _token_row(kind, scope, o, now)
        tokens[f"{kind} {ALL}"] = _token_row(kind, " ".join(allowed_scopes(row_kind, role)), o, now)
    feed_key = link_token(create_link("volunteer", None, actor=o["volunteer"]))
    return ApiWorld(
        ids={name: row.id for name, row in o.items()},
        slugs={name: o[name].slug for name in ("centre_a", "centre_a2", "centre_b")},
        tokens=tokens,
        feed_key=feed_key,
    )


def template(sqlite_template: str, directory) -> tuple[str, ApiWorld]:
    """A migrated SQLite file with the world in it (copy it per test), and the world."""
    import pytest

    from volunteer_app import create_app

    path = directory / "api_world.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_fast_hashing(monkeypatch)
        with create_app(TestingConfig, DATABASE_URL=url).app_context():
            database = make_database(url)
            db.initialize(database)
            with db.connection_context():
                world = build()
                db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            database.close()
    return str(path), world


# --- Fixtures shared by test_api_authz.py and test_api_schema.py (imported there) ------------


@pytest.fixture(scope="module", name="world_template")
def world_template_fixture(sqlite_template, tmp_path_factory) -> tuple[str, ApiWorld]:
    return template(sqlite_template, tmp_path_factory.mktemp("api_world"))


@pytest.fixture(name="database_url")
def database_url_fixture(request, backend) -> str:
    """On SQLite a copy of the world's file; PostgreSQL builds it in ``world``."""
    if backend == "sqlite":
        return request.getfixturevalue("sqlite_copy")(request.getfixturevalue("world_template")[0])
    return request.getfixturevalue("pg_database")


_PG_WORLD: list = []  # [(world, pg_state.Saved)]: built once per process on PostgreSQL


@pytest.fixture(name="world")
def world_fixture(request, app, backend, monkeypatch) -> ApiWorld:
    """The world: on SQLite in the copied file; on PostgreSQL built by the first test and put
    back for each later one (``tests/pg_state.py``, ids and sequences as the build left them)."""
    use_fast_hashing(monkeypatch)
    # Many requests with one token: the limit is not what these tests are about (test_api.py).
    app.config["RATELIMIT_API"] = "100000 per minute"
    if backend == "sqlite":
        return request.getfixturevalue("world_template")[1]
    with db.connection_context():
        if _PG_WORLD:
            world, saved = _PG_WORLD[0]
            pg_state.restore(saved)
            return world
        world = build()
        if pg_state.can_restore():  # else (no ``replica`` role) each test builds its own
            _PG_WORLD.append((world, pg_state.save()))
        return world
