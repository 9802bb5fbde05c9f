"""The JSON API, version 1: one flask-smorest blueprint of thin routes under /api/v1.

Each route checks the token (``auth``), reads through ``api/queries.py`` (the features' own
queries) or changes through ``api/services.py`` (the features' own services), and lets the
schema write the answer. Errors are problems (``problems.py``). The first line of each
docstring is the operation's summary in the OpenAPI document, the rest its description.
"""

from __future__ import annotations

import hashlib
from http import HTTPStatus

from flask import current_app, json, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_smorest import Blueprint

from volunteer_app.activities.queries import activities_of
from volunteer_app.api import auth, docs, queries, schemas, services
from volunteer_app.api.problems import ApiProblem
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import centre_by_slug, today
from volunteer_app.db import utcnow
from volunteer_app.extensions import configured_limit, limiter
from volunteer_app.programme.embed import render_snippet
from volunteer_app.revisions.conditional import validator
from volunteer_app.revisions.queries import public_state


class ApiBlueprint(Blueprint):
    """Each operation's ``operationId`` is its endpoint's name (``programme``, ``sign_up``)."""

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, doc in self._docs[endpoint].items():
            if method != "parameters":
                doc.setdefault("manual_doc", {}).setdefault("operationId", endpoint)


bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="ThEKiZ volunteering: programme, staffing, sign-ups",
)
# One count per token (or address) over every route of the API: RATELIMIT_API.
limiter.shared_limit(configured_limit("RATELIMIT_API"), scope="api", key_func=auth.rate_limit_key)(
    bp
)

#: Routes anyone may call, from any web page (CORS: ``Access-Control-Allow-Origin: *``).
PUBLIC_ENDPOINTS = frozenset(
    {"api.centres", "api.centre", "api.programme", "api.programme_html", "api.openapi_json"}
)
# How long browsers and proxies may keep a public answer.
PUBLIC_MAX_AGE = 60

# The path parameters in words.
SLUG = {"in": "path", "name": "slug", "description": "The centre's name in its address"}
SLOT_ID = {"in": "path", "name": "slot_id", "description": "A date's id"}
SIGNUP_ID = {"in": "path", "name": "signup_id", "description": "A sign-up's id"}

CENTRES = "Centres and programme"
STAFF = "Staffing"
OWN = "Your own"
WRITE = "Sign-ups and assignments"
REFERENCE = "Reference"
#: The document's tags in the order of the reference page, with what each holds.
TAGS = (
    (CENTRES, "Public: no token needed."),
    (STAFF, "For coordinators and the centres' programs: staffing:read."),
    (OWN, "A person's own data through their personal token: profile:read."),
    (WRITE, "Changes, made through the same rules as on the pages."),
    (REFERENCE, "This document and its page."),
)


def errors(*statuses: int):
    """Documents the problems a route answers besides 401, 403, 422 and the default."""
    return Blueprint.doc(responses={str(code): HTTPStatus(code).name for code in statuses})


def _centre(slug: str):
    centre = centre_by_slug(slug)
    if centre is None:
        raise ApiProblem(404, _("This centre does not exist."), kind="centre-not-found")
    return centre


def _public(body: str, mimetype: str, etag: str | None = None):
    """A public answer: cacheable for a minute, 304 for a match; its ETag is ``etag`` (the
    centre's public revision, ``_programme_state``), else that of its bytes."""
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(etag or hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = PUBLIC_MAX_AGE
    response.vary.add("Accept-Language")
    return response.make_conditional(request)


def _programme_state(slug: str) -> tuple[Centre, str]:
    """The centre (its id and slug, all the JSON programme needs) and the ETag of its
    programme as this request would get it now: from the centre's public revision, the
    address, the language, the day and the moments a date starts or ends, as the centre's
    page (``revisions.conditional``), in one indexed lookup."""
    state = public_state(slug)
    if state is None:
        raise ApiProblem(404, _("This centre does not exist."), kind="centre-not-found")
    etag, _modified = validator(state, utcnow())
    return Centre(id=state.centre_id, slug=slug), etag


def _unchanged(etag: str, mimetype: str):
    """The 304 for a request whose copy is still good, before anything is rendered."""
    if request.if_none_match.contains_weak(etag):
        return _public("", mimetype, etag)
    return None


# --- Public: centres and their programme ----------------------------------------------------------


@bp.route("/centres", tags=[CENTRES])
@errors(400)
@auth.optional_token
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.CentrePageSchema)
def centres(limit: int, cursor: str | None = None, lang: str | None = None):
    """List the centres

    Every family centre with its address and contact, by town and name.
    """
    return queries.centres(cursor, limit)


@bp.route("/centres/<slug>", parameters=[SLUG], tags=[CENTRES])
@errors(404)
@auth.optional_token
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.CentreSchema)
def centre(slug: str, lang: str | None = None):
    """One centre

    The centre's public details, as its page shows them.
    """
    return _centre(slug)


@bp.route("/centres/<slug>/programme", parameters=[SLUG], tags=[CENTRES])
@errors(400, 404)
@auth.optional_token
@bp.arguments(schemas.DateRangeArgs, location="query", as_kwargs=True)
@bp.response(
    200,
    schemas.ProgrammePageSchema,
    headers={
        "ETag": {"schema": {"type": "string"}},
        "Cache-Control": {"schema": {"type": "string"}},
    },
)
@bp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
def programme(slug: str, limit: int, cursor: str | None = None, lang=None, from_=None, to=None):
    """The centre's programme

    The public dates that have not ended, cancelled ones included, by start: exactly what the
    centre's programme page shows. Titles in the caller's language where the centre wrote
    one. Answers carry an ETag and may be cached for a minute; send If-None-Match for a 304.
    """
    centre, etag = _programme_state(slug)
    unchanged = _unchanged(etag, "application/json")
    if unchanged is not None:
        return unchanged
    page = queries.programme(centre, cursor, limit, first=from_, last=to, now=utcnow())
    body = json.dumps(schemas.ProgrammePageSchema().dump(page), ensure_ascii=False)
    return _public(body, "application/json", etag)


@bp.route("/centres/<slug>/programme.html", parameters=[SLUG], tags=[CENTRES])
@errors(404)
@auth.optional_token
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.response(
    200,
    {"type": "string"},
    content_type="text/html",
    description="An HTML snippet (no page around it) for the centre's own website",
)
@bp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
def programme_html(slug: str, lang: str | None = None):
    """The programme as an HTML snippet

    For websites that cannot use a frame: the next dates as plain, escaped HTML in the
    caller's language, without scripts or styles of its own.
    """
    _ref, etag = _programme_state(slug)
    unchanged = _unchanged(etag, "text/html")
    if unchanged is not None:
        return unchanged
    snippet = render_snippet(_centre(slug), str(get_locale()))
    return _public(snippet, "text/html", etag)


# --- Staff: activities and slots with their fill levels --------------------------------------------


@bp.route("/centres/<slug>/activities", parameters=[SLUG], tags=[STAFF])
@errors(404)
@auth.requires("staffing:read")
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.ActivityListSchema)
def activities(slug: str, principal, lang: str | None = None):
    """The centre's activities

    Every activity, public or not, with its next date and how many upcoming dates still
    need helpers. The token must cover the centre.
    """
    centre = _centre(slug)
    auth.require_centre(principal, centre)
    return {"items": activities_of(centre)}


@bp.route("/centres/<slug>/slots", parameters=[SLUG], tags=[STAFF])
@errors(400, 404)
@auth.requires("staffing:read")
@bp.arguments(schemas.DateRangeArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.SlotPageSchema)
def slots(slug: str, principal, limit: int, cursor=None, lang=None, from_=None, to=None):
    """The centre's dates with their fill levels

    Dates from ``from`` (default today) to ``to`` (default a year on), cancelled ones
    included, by start: capacity, confirmed, waiting for approval, on the waiting list, free.
    The token must cover the centre.
    """
    centre = _centre(slug)
    auth.require_centre(principal, centre)
    return queries.slots(centre, cursor, limit, first=from_, last=to, now=utcnow())


# --- Your own: the token's person ----------------------------------------------------------------


@bp.route("/me", tags=[OWN])
@auth.requires("profile:read", personal=True)
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.MeSchema)
def me(principal, lang: str | None = None):
    """Who you are

    The account the personal token belongs to.
    """
    return principal.user


@bp.route("/me/signups", tags=[OWN])
@errors(400)
@auth.requires("profile:read", personal=True)
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.MySignupPageSchema)
def my_signups(principal, limit: int, cursor: str | None = None, lang: str | None = None):
    """Your sign-ups

    What "My slots" shows, upcoming and past, by the date's start.
    """
    return queries.signups_of(principal.user, cursor, limit, now=utcnow())


@bp.route("/me/hours", tags=[OWN])
@auth.requires("profile:read", personal=True)
@bp.arguments(schemas.HoursArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.HoursSchema)
def my_hours(principal, lang=None, year=None, from_=None, to=None):
    """Your hours

    Attended hours of a year (``year``), of a period (``from``, ``to``) or of this year so
    far, in all and by category and centre, as "My hours" shows them.
    """
    return queries.hours_of(principal.user, year=year, first=from_, last=to, today=today())


# --- Changes ---------------------------------------------------------------------------------------


@bp.route("/slots/<int:slot_id>/signups", parameters=[SLOT_ID], methods=["POST"], tags=[WRITE])
@errors(404, 409)
@auth.requires("signups:write", personal=True)
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.response(201, schemas.SignupSchema)
def sign_up(slot_id: int, principal, lang: str | None = None):
    """Sign yourself up for a date

    As the button on the date's page: confirmed if a place is free, waiting for approval
    where the activity asks for it, else on the waiting list (``outcome``). Refused (409)
    for a cancelled or started date, a date overlapping one of yours, a missing
    certificate of conduct, or a sign-up that exists already.
    """
    return services.sign_up(principal, slot_id)


@bp.route("/signups/<int:signup_id>", parameters=[SIGNUP_ID], methods=["DELETE"], tags=[WRITE])
@errors(404, 409)
@auth.requires("signups:write", personal=True)
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.response(204)
def cancel_signup(signup_id: int, principal, lang: str | None = None):
    """Cancel your sign-up

    As on the date's page: until the activity's cancellation deadline for a confirmed
    place, until the start otherwise; a freed place goes to the first on the waiting list.
    """
    services.cancel_signup(principal, signup_id)


@bp.route("/slots/<int:slot_id>/assignments", parameters=[SLOT_ID], methods=["POST"], tags=[WRITE])
@errors(404, 409)
@auth.requires("assignments:write")
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.arguments(schemas.AssignmentArgs, location="json")
@bp.response(201, schemas.SignupSchema)
def assign(body: dict, slot_id: int, principal, lang: str | None = None):
    """Assign a volunteer to a date

    As on the roster: the person is confirmed at once; refused when the date is full, the
    person is busy then or lacks a certificate of conduct. A coordinator's personal token,
    or a service token covering the centre (the change is made as the token's maker).
    """
    return services.assign(principal, slot_id, body["volunteer_id"])


@bp.route("/assignments/<int:signup_id>", parameters=[SIGNUP_ID], methods=["DELETE"], tags=[WRITE])
@errors(404, 409)
@auth.requires("assignments:write")
@bp.arguments(schemas.LangArgs, location="query", as_kwargs=True)
@bp.response(204)
def unassign(signup_id: int, principal, lang: str | None = None):
    """Take a volunteer off a date

    As on the roster, before the date starts; the place goes to the first on the waiting
    list.
    """
    services.unassign(principal, signup_id)


# --- Reference --------------------------------------------------------------------------------------


@bp.route("/openapi.json", tags=[REFERENCE])
@auth.optional_token
@bp.response(200, {"type": "object"}, description="The OpenAPI 3.1 document")
def openapi_json():
    """This API's OpenAPI document

    Generated from the code (flask-smorest): what this reference page shows.
    """
    body = json.dumps(docs.spec_dict(), sort_keys=False)
    return _public(body, "application/json")


@bp.route("/docs", endpoint="docs", tags=[REFERENCE])
@bp.response(200, {"type": "string"}, content_type="text/html", description="An HTML page")
def docs_page():
    """The reference page

    Every operation with its parameters, permissions and answers, in German or English.
    """
    return current_app.response_class(
        render_template("api/docs.html", reference=docs.reference()), mimetype="text/html"
    )
