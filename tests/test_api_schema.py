"""The whole API against its own OpenAPI document, property-based (schemathesis).

The document is loaded from the app (``/api/v1/openapi.json``); every operation is one test
per backend, called through WSGI (``case.call_and_validate(app=app)``). Schemathesis generates requests from the document, valid and invalid
(its coverage phase: edge values of every parameter and body, then its fuzzing phase), and
``case.call_and_validate`` checks each answer with its default checks: never a 5xx, the
status is documented, the content type and body match the documented ones, headers too,
invalid input is refused, a route needing a token refuses a request without one.

Generated slugs and ids would only ever meet a 404, so most of them are swapped for real ones
of the API world (tests/factories_api_world.py: centres A, A2 and B, dates open, full, waiting for
approval, cancelled and past, sign-ups of the caller and of others, volunteers to assign);
some generated ones stay, for the 404s. Each operation is called as its document says:
public ones without a token, staff ones with centre A's service token, own ones with the
volunteer's personal token, each holding every scope its kind may hold. The world is shared
by the examples of one test (sign-ups made by one example are there for the next). It is built
once per module and backend: on SQLite each test gets a copy of the file
(tests/factories_api_world.py), on PostgreSQL the first test builds it and each later one gets
its rows back (``tests/pg_state.py``, with the sequences where the build left them) in the
emptied tables.

``derandomize=True``: the same requests on every run and machine.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config import TestingConfig
from tests.factories_api import bearer
from tests.factories_api_world import (  # noqa: F401 (the fixtures)
    ApiWorld,
    database_url_fixture,
    world_fixture,
    world_template_fixture,
)
from volunteer_app import create_app

PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")  # <int:slot_id> → {slot_id}


def _load() -> tuple[schemathesis.BaseSchema, set[str]]:
    """The document as the app serves it (``from_wsgi`` would leave out the operation that
    serves the document itself; ``from_dict`` keeps every one), and the app's API routes."""
    app = create_app(TestingConfig, DATABASE_URL="sqlite:///:memory:")
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    routes = {
        method + " " + PATH_PARAMETER.sub(r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    return schemathesis.openapi.from_dict(response.get_json()), routes


SCHEMA, API_ROUTES = _load()
# Generated examples per operation, besides the coverage phase's.
EXAMPLES = 20

# What replaces a generated value (the generated one is kept for one choice in len + 1).
SLUGS = ("centre_a", "centre_a2", "centre_b")
SLOTS = (
    "slot_a",
    "slot_a2",
    "slot_b",
    "slot_full",
    "slot_approval",
    "slot_cancelled",
    "slot_past",
)
SIGNUPS = (
    "own_volunteer",
    "signup_other",
    "signup_b",
    "signup_waiting",
    "assigned_service_centre",
    "assigned_service_centre_b",
)
ASSIGNEES = ("assignee_service_centre", "volunteer", "other", "admin")


def _pick(seed: int, value, names: tuple[str, ...], real) -> object:
    """A real object for most cases, the generated value for the rest (one in len + 1)."""
    choice = seed % (len(names) + 1)
    return value if choice == len(names) else real(names[choice])


def _is_id(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and 1 <= int(text) <= 2**31 - 1


def _real_objects(case, world: ApiWorld) -> None:
    # Stable for a derandomized run: the case's own values choose (not the path alone: the
    # coverage phase varies one part of a request at a time and keeps the others).
    seed = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    path = case.path_parameters or {}
    if not case.meta or not case.meta.is_negative_at(ParameterLocation.PATH):
        if "slug" in path:
            path["slug"] = _pick(seed, path["slug"], SLUGS, lambda n: world.slugs[n])
        if "slot_id" in path and _is_id(path["slot_id"]):
            path["slot_id"] = _pick(seed, path["slot_id"], SLOTS, world.id)
        if "signup_id" in path and _is_id(path["signup_id"]):
            path["signup_id"] = _pick(seed, path["signup_id"], SIGNUPS, world.id)
    body = case.body
    if (
        isinstance(body, dict)
        and isinstance(body.get("volunteer_id"), int)
        and not isinstance(body["volunteer_id"], bool)
        and not (case.meta and case.meta.is_negative_at(ParameterLocation.BODY))
    ):
        body["volunteer_id"] = _pick(seed // 7, body["volunteer_id"], ASSIGNEES, world.id)


def _authenticate(case, world: ApiWorld) -> None:
    """The token the operation's document asks for, where schemathesis sends one.

    A case whose headers are the invalid part (no ``Authorization`` where it is required, or
    a generated one that is no token) is sent as it is: it must be refused (401). Otherwise
    staff operations get centre A's service token, own ones the volunteer's personal token,
    and public ones stay anonymous unless schemathesis sent a header (then a valid token).
    """
    if case.meta and case.meta.is_negative_at(ParameterLocation.HEADER):
        return
    definition = case.operation.definition.raw
    scopes = definition.get("x-scopes")
    headers = case.headers if case.headers is not None else {}
    if scopes is None:  # the reference page: no token at all
        return
    if not scopes:
        if "Authorization" in headers:
            headers["Authorization"] = bearer(world.token("personal_volunteer"))["Authorization"]
        return
    kind = (
        "personal_volunteer"
        if definition.get("x-token-kinds") == "personal tokens"
        else "service_centre"
    )
    headers["Authorization"] = bearer(world.token(kind))["Authorization"]
    case.headers = headers


def _day(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        return None


def _refused_for_what_the_document_cannot_say(response, case) -> bool:
    """Two refusals of well-formed requests that JSON Schema cannot express: a cursor this
    list did not hand out (400 ``bad-cursor``: the cursor is opaque), and a period whose days
    do not fit together (422 on ``from``/``to``: the last before the first, longer than ten
    years, a ``from`` after today without a ``to`` for the hours)."""
    query = case.query or {}
    if response.status_code == 400 and "cursor" in query:
        body = response.json()
        return body.get("type", "").endswith("#problem-bad-cursor")
    if response.status_code == 422 and ({"from", "to"} & set(query)):
        errors = set(response.json().get("errors") or {})
        days = [_day(query[name]) for name in ("from", "to") if name in query]
        return bool(errors) and errors <= {"from", "to"} and None not in days
    return False


def valid_data_is_accepted(ctx, response, case):
    """schemathesis' ``positive_data_acceptance`` but for the refusals above."""
    if _refused_for_what_the_document_cannot_say(response, case):
        return None
    return positive_data_acceptance(ctx, response, case)


OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def test_every_route_is_run():
    """Every /api/ route is an operation here (a filter, an error loading one or a route
    missing from the document would leave it out)."""
    assert {f"{op.method.upper()} {op.path}" for op in OPERATIONS} == API_ROUTES


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_document(case, app, world):
    # The checks' own probes (the request again without its token …) go to the schema's app.
    case.operation.schema.app = app
    _real_objects(case, world)
    _authenticate(case, world)
    case.call_and_validate(
        app=app,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[valid_data_is_accepted],
    )
