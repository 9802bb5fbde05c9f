"""Who may call which API route: every route × every kind of caller × every single scope.

The expected answer is derived from two small tables, not from the code under test:
``ROUTES`` (each route: the scope it needs, whether only a personal token will do, whether
the token must cover the centre, what success answers) and ``KINDS`` (each kind of caller:
whether it sends a valid token, which scopes that kind may hold, whether it is a person's,
whether it covers centre A). The rules (docs/api.md, "Tokens and scopes"):

- public routes answer everyone; a token sent there must be valid (else 401); the reference
  page ignores tokens;
- no token, the session cookie alone, a token in the query string, a calendar-feed key, an
  unknown, revoked or expired token: 401;
- a valid token without the scope (or holding one its kind may not hold: a volunteer's
  personal token with a staff scope, a service token with a personal one), a service token
  where a person is needed, or a token not covering the route's centre: 403 — consistently
  403, not 404, for a centre the token does not cover (the centres are public anyway);
- else the route's success (200, 201, 204), through the world's real objects.

Every refused request must leave the sign-ups, the slots' counts and the audit trail as they
were. ``test_every_api_route_has_an_entry`` walks ``app.url_map``: a new /api/ route fails
until it has a line in ``ROUTES``. Each (route, backend) is one test that sends every
(kind, scope) in turn to one world (tests/factories_api_world.py: built once per module on
SQLite and copied, built afresh on PostgreSQL); the writes' objects are chosen per kind so
that one kind's success does not change what the next kind meets.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pytest

from tests.factories_api import TOKEN_KINDS, bearer
from tests.factories_api_world import (  # noqa: F401 (the fixtures)
    STAFF_KINDS,
    ApiWorld,
    database_url_fixture,
    world_fixture,
    world_template_fixture,
)
from volunteer_app.activities.models import Slot
from volunteer_app.audit.models import AuditEntry
from volunteer_app.signups.models import Signup
from volunteer_app.tokens.scopes import SCOPES, allowed_scopes

PROBLEM = "application/problem+json"
PERSONAL_SCOPES = frozenset(allowed_scopes("personal", "volunteer"))
STAFF_SCOPES = frozenset(allowed_scopes("personal", "coordinator"))
SERVICE_SCOPES = frozenset(allowed_scopes("service", None))


# --- Who calls ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Kind:
    sends: str  # "nothing" | "session" | "query" | "bad token" | "token"
    may_hold: frozenset[str] = frozenset()  # the scopes this kind of token can really use
    personal: bool = False
    covers_a: bool = False  # covers centre A (the routes' centre)

    @property
    def per_scope(self) -> bool:
        """Tokens are tried with each single scope; the others send no scope at all."""
        return self.sends == "token" or (self.sends == "bad token" and self.may_hold)


KINDS: dict[str, Kind] = {
    "none": Kind("nothing"),
    "session_cookie": Kind("session"),  # a coordinator of A, logged in, second factor done
    "token_in_query": Kind("query"),  # a valid token, but as ?access_token=
    "feed_key": Kind("bad token"),  # the volunteer's calendar-feed key as a bearer token
    "unknown": Kind("bad token"),
    "revoked": Kind("bad token", STAFF_SCOPES),  # a coordinator of A's, with the scope
    "expired": Kind("bad token", STAFF_SCOPES),
    "personal_volunteer": Kind("token", PERSONAL_SCOPES, personal=True),
    "personal_coordinator": Kind("token", STAFF_SCOPES, personal=True, covers_a=True),
    "personal_coordinator_b": Kind("token", STAFF_SCOPES, personal=True),
    "personal_admin": Kind("token", STAFF_SCOPES, personal=True, covers_a=True),
    "service_centre": Kind("token", SERVICE_SCOPES, covers_a=True),
    "service_centre_b": Kind("token", SERVICE_SCOPES),
    "service_operator": Kind("token", SERVICE_SCOPES, covers_a=True),  # A's operator
    "service_operator_b": Kind("token", SERVICE_SCOPES),
}
#: Who a personal token kind acts as (whose own sign-up it cancels).
PERSON = {
    "personal_volunteer": "volunteer",
    "personal_coordinator": "coordinator_a",
    "personal_coordinator_b": "coordinator_b",
    "personal_admin": "admin",
}


# --- What each route needs ------------------------------------------------------------------


def _none(w: ApiWorld, kind: str) -> dict:
    return {}


def _slug_a(w: ApiWorld, kind: str) -> dict:
    return {"slug": w.slugs["centre_a"]}


def _slot_a(w: ApiWorld, kind: str) -> dict:
    return {"slot_id": w.id("slot_a")}


def _own_signup(w: ApiWorld, kind: str) -> dict:
    return {"signup_id": w.id(f"own_{PERSON.get(kind, 'volunteer')}")}


def _staff_kind(kind: str) -> str:
    return kind if kind in STAFF_KINDS else "service_centre"


def _assigned(w: ApiWorld, kind: str) -> dict:
    return {"signup_id": w.id(f"assigned_{_staff_kind(kind)}")}


def _assignee(w: ApiWorld, kind: str) -> dict:
    return {"volunteer_id": w.id(f"assignee_{_staff_kind(kind)}")}


@dataclasses.dataclass(frozen=True)
class Route:
    method: str
    scope: str | None = None  # None: public
    personal: bool = False  # only a personal token
    centre: bool = False  # the token must cover the centre
    success: int = 200
    ignores_tokens: bool = False  # not even a bad token is refused
    params: Callable[[ApiWorld, str], dict] = _none
    body: Callable[[ApiWorld, str], dict] | None = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"


PUBLIC = Route("GET")
ROUTES: dict[str, Route] = {
    "api.centres": PUBLIC,
    "api.centre": dataclasses.replace(PUBLIC, params=_slug_a),
    "api.programme": dataclasses.replace(PUBLIC, params=_slug_a),
    "api.programme_html": dataclasses.replace(PUBLIC, params=_slug_a),
    "api.openapi_json": PUBLIC,
    "api.docs": Route("GET", ignores_tokens=True),
    "api.activities": Route("GET", "staffing:read", centre=True, params=_slug_a),
    "api.slots": Route("GET", "staffing:read", centre=True, params=_slug_a),
    "api.me": Route("GET", "profile:read", personal=True),
    "api.my_signups": Route("GET", "profile:read", personal=True),
    "api.my_hours": Route("GET", "profile:read", personal=True),
    "api.sign_up": Route("POST", "signups:write", personal=True, success=201, params=_slot_a),
    "api.cancel_signup": Route(
        "DELETE", "signups:write", personal=True, success=204, params=_own_signup
    ),
    "api.assign": Route(
        "POST", "assignments:write", centre=True, success=201, params=_slot_a, body=_assignee
    ),
    "api.unassign": Route(
        "DELETE", "assignments:write", centre=True, success=204, params=_assigned
    ),
}


def expected(endpoint: str, kind: str, scope: str | None) -> int:
    route, caller = ROUTES[endpoint], KINDS[kind]
    if route.scope is None:
        return 401 if caller.sends == "bad token" and not route.ignores_tokens else 200
    if caller.sends != "token":
        return 401
    if scope != route.scope or scope not in caller.may_hold:
        return 403
    if route.personal and not caller.personal:
        return 403
    if route.centre and not caller.covers_a:
        return 403
    return route.success


CALLERS = [
    (kind, scope)
    for kind, caller in KINDS.items()
    for scope in (SCOPES if caller.per_scope else [None])
]


# --- The world --------------------------------------------------------------------------------


def _session_client(app, world: ApiWorld):
    """A browser logged in as centre A's coordinator (second factor done), and nothing else."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(world.id("coordinator_a"))
        session["_fresh"] = True
        session["login_at"] = session["auth_at"] = time.time()
        session["mfa_ok"] = True
    return client


def _state() -> tuple:
    """What a refused request must not change."""
    return (
        sorted(Signup.select(Signup.id, Signup.status).tuples()),
        sorted(Slot.select(Slot.id, Slot.taken).tuples()),
        AuditEntry.select().count(),
    )


def _send(app, client, world: ApiWorld, endpoint: str, kind: str, scope: str | None):
    route = ROUTES[endpoint]
    url = app.url_map.bind("localhost").build(endpoint, route.params(world, kind))
    caller = KINDS[kind]
    headers = {}
    if caller.sends == "session":
        client = _session_client(app, world)
    elif caller.sends == "query":
        url += "?access_token=" + world.token("personal_admin")
    elif kind == "feed_key":
        headers = bearer(world.feed_key)
    elif kind == "unknown":
        headers = bearer("thekiz_" + "A" * 43)
    elif caller.sends != "nothing":
        headers = bearer(world.token(kind, scope))
    body = route.body(world, kind) if route.body else None
    return client.open(url, method=route.method, headers=headers, json=body)


def _check(response, endpoint: str, kind: str, scope: str | None) -> str | None:
    """What is wrong with the answer, or None."""
    want = expected(endpoint, kind, scope)
    got = response.status_code
    if got != want:
        return f"{got} (expected {want}): {response.get_data(as_text=True)[:200]}"
    if got >= 400:
        if response.mimetype != PROBLEM:
            return f"{got} is not a problem but {response.mimetype}"
        challenge = response.headers.get("WWW-Authenticate", "")
        if got == 401 and not challenge.startswith('Bearer realm="api"'):
            return f"401 without the Bearer challenge: {challenge!r}"
        if got == 403 and 'error="insufficient_scope"' not in challenge:
            return f"403 without insufficient_scope: {challenge!r}"
    return None


# --- Tests ------------------------------------------------------------------------------------


def test_every_api_route_has_an_entry(app):
    """A new route (or method) under /api/ needs a line in ROUTES first."""
    found = {
        rule.endpoint: sorted(rule.methods - {"HEAD", "OPTIONS"})
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert set(found) == set(ROUTES), {
        "routes without an entry": sorted(set(found) - set(ROUTES)),
        "entries without a route": sorted(set(ROUTES) - set(found)),
    }
    for endpoint, methods in found.items():
        assert methods == [ROUTES[endpoint].method], endpoint


def test_the_table_says_what_the_document_says(client, conn):
    """The scopes and token kinds here are those the OpenAPI document promises."""
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {
        operation["operationId"]: operation
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }
    for endpoint, route in ROUTES.items():
        operation = operations[endpoint.removeprefix("api.")]
        scopes = operation.get("x-scopes")
        if route.ignores_tokens:
            assert not operation.get("security"), endpoint
        elif route.scope is None:
            assert scopes == [], endpoint
        else:
            assert scopes == [route.scope], endpoint
            only_personal = operation.get("x-token-kinds") == "personal tokens"
            assert only_personal == route.personal, endpoint
            assert str(route.success) in operation["responses"], endpoint


def test_every_kind_of_token_the_factories_make_is_in_the_matrix():
    assert set(TOKEN_KINDS) - {"personal_admin"} <= set(KINDS)
    assert "personal_admin" in KINDS
    assert set(PERSON) == {kind for kind, caller in KINDS.items() if caller.personal}


@pytest.mark.parametrize("endpoint", list(ROUTES))
def test_route_for_every_caller_and_scope(app, client, world, endpoint):
    wrong = []
    # A page that ignores tokens is asked once per kind of caller (it is the costly one).
    callers = CALLERS if not ROUTES[endpoint].ignores_tokens else dict(CALLERS).items()
    for kind, scope in callers:
        before = _state() if ROUTES[endpoint].writes else None
        response = _send(app, client, world, endpoint, kind, scope)
        what = f"{kind} with {scope or 'no scope'}"
        problem = _check(response, endpoint, kind, scope)
        if problem:
            wrong.append(f"{what}: {problem}")
        elif before is not None and response.status_code >= 400 and _state() != before:
            wrong.append(f"{what}: refused with {response.status_code} but changed data")
    assert not wrong, f"{endpoint}:\n  " + "\n  ".join(wrong)


# --- Centres, operators, other people's sign-ups -----------------------------------------------


def _status(client, method: str, url: str, raw: str, **kwargs) -> int:
    return client.open(url, method=method, headers=bearer(raw), **kwargs).status_code


def test_an_operators_token_covers_all_its_centres_and_no_other(client, world):
    read = world.token("service_operator", "staffing:read")
    write = world.token("service_operator", "assignments:write")
    slugs = world.slugs
    assert _status(client, "GET", f"/api/v1/centres/{slugs['centre_a']}/slots", read) == 200
    assert _status(client, "GET", f"/api/v1/centres/{slugs['centre_a2']}/slots", read) == 200
    assert _status(client, "GET", f"/api/v1/centres/{slugs['centre_b']}/slots", read) == 403
    body = {"volunteer_id": world.id("assignee_service_operator")}
    assert (
        _status(
            client, "POST", f"/api/v1/slots/{world.id('slot_a2')}/assignments", write, json=body
        )
        == 201
    )
    before = _state()
    other = {"volunteer_id": world.id("other")}
    assert (
        _status(
            client, "POST", f"/api/v1/slots/{world.id('slot_b')}/assignments", write, json=other
        )
        == 403
    )
    assert _status(client, "DELETE", f"/api/v1/assignments/{world.id('signup_b')}", write) == 403
    assert _state() == before
    # The other operator's token is refused on A2 as on A.
    other_read = world.token("service_operator_b", "staffing:read")
    assert _status(client, "GET", f"/api/v1/centres/{slugs['centre_a2']}/slots", other_read) == 403
    assert _status(client, "GET", f"/api/v1/centres/{slugs['centre_b']}/slots", other_read) == 200


def test_a_centres_token_on_another_centre_is_403_everywhere(client, world):
    """403 (not 404) and the same problem for reads and writes: the centres are public, so
    hiding one would hide nothing."""
    read = world.token("service_centre", "staffing:read")
    write = world.token("service_centre", "assignments:write")
    b = world.slugs["centre_b"]
    before = _state()
    answers = [
        client.get(f"/api/v1/centres/{b}/activities", headers=bearer(read)),
        client.get(f"/api/v1/centres/{b}/slots", headers=bearer(read)),
        client.post(
            f"/api/v1/slots/{world.id('slot_b')}/assignments",
            json={"volunteer_id": world.id("other")},
            headers=bearer(write),
        ),
        client.delete(f"/api/v1/assignments/{world.id('signup_b')}", headers=bearer(write)),
    ]
    for response in answers:
        assert response.status_code == 403, response.get_data(as_text=True)
        assert response.get_json(force=True)["type"].endswith("#problem-centre-not-covered")
    assert _state() == before


def test_a_personal_token_cannot_cancel_someone_elses_sign_up(client, world):
    """404, as the page answers: whether someone else's sign-up exists is nobody's business."""
    raw = world.token("personal_volunteer", "signups:write")
    before = _state()
    for signup in ("signup_other", "own_coordinator_a", "signup_b"):
        response = client.delete(f"/api/v1/signups/{world.id(signup)}", headers=bearer(raw))
        assert response.status_code == 404, (signup, response.get_data(as_text=True))
    # Nor take someone off a date: that is a staff scope the volunteer cannot hold.
    response = client.delete(
        f"/api/v1/assignments/{world.id('signup_other')}",
        headers=bearer(world.token("personal_volunteer", "assignments:write")),
    )
    assert response.status_code == 403
    assert _state() == before
    own = client.delete(f"/api/v1/signups/{world.id('own_volunteer')}", headers=bearer(raw))
    assert own.status_code == 204
