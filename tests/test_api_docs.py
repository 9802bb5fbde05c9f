"""The OpenAPI 3.1 document flask-smorest generates, and the reference page made from it."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from tests.factories import make_activity, make_centre, make_signup, make_slot, make_user
from tests.factories_api import bearer, personal_token, service_token
from volunteer_app.api import docs


@pytest.fixture
def spec(client, conn) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    errors = [str(error) for error in OPENAPI_31_VALIDATOR.iter_errors(spec)]
    assert not errors, "\n".join(errors[:10])
    # The OAS schema leaves the JSON Schemas inside alone: check each against 2020-12.
    for name, schema in spec["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
        ), name


def test_nullable_fields_are_type_arrays_as_3_1_wants(spec):
    """apispec writes ``nullable: true`` for 3.0 only; 3.1 has no such keyword."""
    text = json.dumps(spec)
    assert '"nullable"' not in text
    item = spec["components"]["schemas"]["ProgrammeItem"]["properties"]
    assert item["cancel_reason"]["type"] == ["string", "null"]


def test_schemathesis_loads_the_document(spec):
    import schemathesis

    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(
        1 for item in spec["paths"].values() for method in item if method != "parameters"
    )


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_document(app, spec):
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = spec["paths"].get(_openapi_path(rule.rule), {})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in path:
                missing.append(f"{method} {rule.rule}")
    assert not missing, missing
    documented = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    routes = {
        (method, _openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes


def test_every_operation_says_which_token_it_needs(spec):
    from flask_babel import force_locale

    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path.endswith("/docs"):
                continue
            assert operation.get("security"), f"{method} {path}"
            assert operation["operationId"] in docs.SUMMARIES
            with force_locale("en"):
                assert operation["summary"] == str(docs.SUMMARIES[operation["operationId"]])
            assert "default" in operation["responses"]


def test_errors_are_documented_as_problems(spec):
    responses = spec["components"]["responses"]
    for name in ("UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "DEFAULT_ERROR"):
        assert list(responses[name]["content"]) == ["application/problem+json"], name


def _validator(spec: dict, ref: str):
    schema = {"$ref": ref, "components": spec["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


def test_answers_match_their_documented_schemas(client, conn, spec):
    centre = make_centre(slug="zentrum-a")
    activity = make_activity(centre)
    slot = make_slot(activity)
    make_slot(activity, status="cancelled", cancel_reason="Regen")
    user = make_user()
    make_signup(slot, user, status="waitlisted")
    personal = bearer(personal_token(user)[1])
    service = bearer(service_token(centre=centre)[1])
    cases = [
        ("/api/v1/centres", None, "CentrePage"),
        ("/api/v1/centres/zentrum-a", None, "Centre"),
        ("/api/v1/centres/zentrum-a/programme?lang=uk", None, "ProgrammePage"),
        ("/api/v1/centres/zentrum-a/slots", service, "SlotPage"),
        ("/api/v1/centres/zentrum-a/activities", service, "ActivityList"),
        ("/api/v1/me", personal, "Me"),
        ("/api/v1/me/signups", personal, "MySignupPage"),
        ("/api/v1/me/hours", personal, "Hours"),
        ("/api/v1/centres/nix", None, "Problem"),
        ("/api/v1/me", None, "Problem"),
    ]
    for url, headers, name in cases:
        body = client.get(url, headers=headers or {}).get_json(force=True)
        errors = [
            str(e) for e in _validator(spec, f"#/components/schemas/{name}").iter_errors(body)
        ]
        assert not errors, (url, errors[:3])


@pytest.mark.parametrize(("lang", "heading"), [("de", "API-Referenz"), ("en", "API reference")])
def test_the_reference_page_lists_every_operation(client, conn, spec, lang, heading):
    response = client.get(f"/api/v1/docs?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert "<script" not in html and "cdn" not in html.lower()
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert f'id="op-{operation["operationId"]}"' in html
    for kind, _status, _text in docs.PROBLEMS:
        assert f'id="problem-{kind}"' in html
    assert "curl -X POST" in html and "Authorization: Bearer $TOKEN" in html
    assert "signups:write" in html and "staffing:read" in html
    if lang == "de":
        assert "Sich für einen Termin anmelden" in html
        assert 'lang="en"' in html  # the document's English descriptions are marked


def test_problem_types_link_to_entries_of_the_reference_page(client, conn):
    body = client.get("/api/v1/me").get_json(force=True)
    page = client.get("/api/v1/docs").get_data(as_text=True)
    anchor = body["type"].split("#", 1)[1]
    assert f'id="{anchor}"' in page


def test_the_reference_reads_types(conn):
    assert docs.type_of({"type": ["string", "null"], "format": "date-time"}) == (
        "string (date-time) | null",
        "",
    )
    assert docs.type_of({"type": "array", "items": {"$ref": "#/components/schemas/X"}}) == (
        "list of X",
        "X",
    )
    assert docs.type_of({"anyOf": [{"$ref": "#/c/Y"}, {"type": "null"}]}) == ("Y | null", "Y")
