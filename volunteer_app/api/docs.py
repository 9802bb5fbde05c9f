"""The API's reference page, made from the generated OpenAPI document (no script needed).

``spec_dict()`` is the OpenAPI 3.1 document flask-smorest generated at start-up;
``reference()`` turns it into plain rows for ``templates/api/docs.html``: each operation
with its method, path, summary, parameters, the scopes and token kinds it needs, request
and response schemas and an example ``curl`` line; then every schema with its fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l

from volunteer_app.common.urls import base_url

#: Each operation's summary (its docstring's first line, English in the OpenAPI document) in
#: the page's language; tests/test_api_docs.py keeps the two equal.
SUMMARIES = {
    "centres": _l("List the centres"),
    "centre": _l("One centre"),
    "programme": _l("The centre's programme"),
    "programme_html": _l("The programme as an HTML snippet"),
    "activities": _l("The centre's activities"),
    "slots": _l("The centre's dates with their fill levels"),
    "me": _l("Who you are"),
    "my_signups": _l("Your sign-ups"),
    "my_hours": _l("Your hours"),
    "sign_up": _l("Sign yourself up for a date"),
    "cancel_signup": _l("Cancel your sign-up"),
    "assign": _l("Assign a volunteer to a date"),
    "unassign": _l("Take a volunteer off a date"),
    "openapi_json": _l("This API's OpenAPI document"),
    "docs": _l("The reference page"),
}

#: The problems' ``type`` anchors (api/problems.py: ``#problem-<kind>``) and what they mean.
PROBLEMS = (
    ("token-needed", 401, _l("No token was sent.")),
    ("invalid-token", 401, _l("The token is unknown, expired or revoked.")),
    ("insufficient-scope", 403, _l("The token lacks the permission the operation needs.")),
    ("personal-token-needed", 403, _l("Only a personal token may do this.")),
    ("centre-not-covered", 403, _l("The token does not cover this centre.")),
    (
        "token-without-person",
        403,
        _l("The person who made the service token no longer has an account."),
    ),
    ("not-allowed", 403, _l("The rules of the centre do not allow it (as on the pages).")),
    ("centre-not-found", 404, _l("No centre has this address.")),
    ("not-found", 404, _l("The date, sign-up or person does not exist or is not yours.")),
    ("bad-cursor", 400, _l("The cursor was not handed out by this list.")),
    ("already-signed-up", 409, _l("There is a sign-up for this date already.")),
    ("slot-full", 409, _l("No place is free (for an assignment).")),
    ("slot-cancelled", 409, _l("The date has been cancelled.")),
    ("slot-started", 409, _l("The date has started or is over.")),
    ("overlap-error", 409, _l("The person has another date at that time.")),
    ("certificate-required", 409, _l("A valid certificate of conduct is needed.")),
    ("deadline-passed", 409, _l("Too late to cancel online.")),
    ("wrong-state", 409, _l("The sign-up is not in a state this applies to.")),
    ("conflict", 409, _l("Something changed in the meantime.")),
    ("invalid-input", 422, _l("A value is not valid; errors names the field.")),
    ("domain-error", 422, _l("A value is not valid; errors names the field.")),
)

#: The tags of the document (api/views.py) in the page's language.
TAG_TITLES = {
    "Centres and programme": _l("Centres and programme"),
    "Staffing": _l("Staffing"),
    "Your own": _l("Your own"),
    "Sign-ups and assignments": _l("Sign-ups and assignments"),
    "Reference": _l("Reference"),
}


def spec_dict() -> dict:
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return api.spec.to_dict()


@dataclass(frozen=True)
class Problem:
    kind: str
    status: int
    text: str


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str = ""
    ref: str = ""  # the schema it refers to, for a link


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # path | query | header
    type: str
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_type: str = ""
    schema: str = ""  # name of a component schema, or a type
    ref: str = ""


_CODE = re.compile(r"``?([^`]+)``?")


def code_spans(text: str) -> list[tuple[str, bool]]:
    """A description in pieces: (text, is code) for ``code`` spans (CommonMark's backticks)."""
    pieces, at = [], 0
    for match in _CODE.finditer(text or ""):
        if match.start() > at:
            pieces.append((text[at : match.start()], False))
        pieces.append((match.group(1), True))
        at = match.end()
    if at < len(text or ""):
        pieces.append((text[at:], False))
    return pieces


def _status_order(answer: Answer) -> tuple:
    return (answer.status == "default", answer.status)


@dataclass
class Operation:
    id: str
    method: str
    path: str
    summary: str
    description: list[tuple[str, bool]]
    tag: str
    scopes: list[str]
    token: str  # "none" | "optional" | "required"
    token_kinds: str
    parameters: list[Parameter]
    body: Answer | None
    answers: list[Answer]
    curl: str


@dataclass
class Reference:
    title: str
    version: str
    openapi: str
    tags: list[tuple[str, str, list[Operation]]]
    schemas: list[tuple[str, str, list[Field]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict) -> tuple[str, str]:
    """A schema in a few words (``string``, ``integer | null``, ``list of Centre``) and the
    component it refers to, if any."""
    if not schema:
        return "any", ""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return name, name
    if "anyOf" in schema or "oneOf" in schema:
        parts = [type_of(s) for s in schema.get("anyOf") or schema.get("oneOf")]
        ref = next((r for _t, r in parts if r), "")
        return " | ".join(t for t, _r in parts), ref
    types = schema.get("type", "any")
    types = types if isinstance(types, list) else [types]
    fmt = schema.get("format")
    if "array" in types and "items" in schema:
        inner, ref = type_of(schema["items"])
        return " | ".join(f"list of {inner}" if t == "array" else t for t in types), ref
    if isinstance(schema.get("additionalProperties"), dict):
        inner, ref = type_of(schema["additionalProperties"])
        return f"object of {inner}", ref
    return " | ".join(f"{t} ({fmt})" if fmt and t != "null" else t for t in types), ""


def _fields(schema: dict) -> list[Field]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind, ref = type_of(prop)
        rows.append(Field(name, kind, name in required, prop.get("description", ""), ref))
    return rows


def _parameters(operation: dict, shared: list) -> list[Parameter]:
    rows = []
    for param in [*shared, *operation.get("parameters", [])]:
        kind, _ref = type_of(param.get("schema", {}))
        rows.append(
            Parameter(
                param["name"],
                param["in"],
                kind,
                bool(param.get("required")),
                param.get("description", ""),
            )
        )
    return rows


def _answer(status: str, response: dict, responses: dict) -> Answer:
    if "$ref" in response:
        response = responses.get(_ref_name(response["$ref"]), {})
    for media_type, media in (response.get("content") or {}).items():
        kind, ref = type_of(media.get("schema", {}))
        return Answer(status, response.get("description", ""), media_type, kind, ref)
    return Answer(status, response.get("description", ""))


def _token(operation: dict) -> tuple[str, list[str]]:
    security = operation.get("security")
    if not security:
        return "none", []
    scopes = sorted({s for requirement in security for v in requirement.values() for s in v})
    if any(requirement == {} for requirement in security):
        return "optional", scopes
    return "required", scopes


def _example_value(param: Parameter) -> str:
    if param.name == "slug":
        return "mein-zentrum"
    return "1" if "integer" in param.type else param.name


def _curl(method: str, path: str, params: list[Parameter], token: str, body: Answer | None):
    url = path
    for param in params:
        if param.where == "path":
            url = url.replace("{" + param.name + "}", _example_value(param))
    parts = ["curl"]
    if method != "GET":
        parts += ["-X", method]
    if token == "required":
        parts += ["-H", '"Authorization: Bearer $TOKEN"']
    if body is not None:
        parts += ["-H", '"Content-Type: application/json"', "-d", "'{\"volunteer_id\": 7}'"]
    parts.append(f'"{base_url()}{url}"')
    return " ".join(parts)


def reference(spec: dict | None = None) -> Reference:
    spec = spec or spec_dict()
    components = spec.get("components", {})
    responses = components.get("responses", {})
    order = [tag["name"] for tag in spec.get("tags", [])]
    tag_texts = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    by_tag: dict[str, list[Operation]] = {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = _parameters(operation, item.get("parameters", []))
            body = None
            if "requestBody" in operation:
                content = operation["requestBody"].get("content", {})
                for media_type, media in content.items():
                    kind, ref = type_of(media.get("schema", {}))
                    body = Answer("", "", media_type, kind, ref)
            token, scopes = _token(operation)
            tag = (operation.get("tags") or ["API"])[0]
            op_id = operation.get("operationId") or f"{method}-{path}"
            op = Operation(
                id=op_id,
                method=method.upper(),
                path=path,
                summary=str(SUMMARIES.get(op_id) or operation.get("summary", "")),
                description=code_spans(operation.get("description", "")),
                tag=tag,
                scopes=scopes,
                token=token,
                token_kinds=operation.get("x-token-kinds", ""),
                parameters=params,
                body=body,
                answers=sorted(
                    (
                        _answer(status, response, responses)
                        for status, response in operation.get("responses", {}).items()
                    ),
                    key=_status_order,
                ),
                curl=_curl(method.upper(), path, params, token, body),
            )
            by_tag.setdefault(tag, []).append(op)
            if tag not in order:
                order.append(tag)
    schemas = [
        (name, schema.get("description", ""), _fields(schema))
        for name, schema in sorted(components.get("schemas", {}).items())
    ]
    info = spec.get("info", {})
    return Reference(
        title=info.get("title", ""),
        version=info.get("version", ""),
        openapi=spec.get("openapi", ""),
        tags=[
            (str(TAG_TITLES.get(tag, tag)), tag_texts.get(tag, ""), by_tag[tag])
            for tag in order
            if tag in by_tag
        ],
        schemas=schemas,
        problems=[Problem(kind, status, str(text)) for kind, status, text in PROBLEMS],
    )
