"""The JSON API's reads, tokens and errors (api/): public programme, staff lists, own data.

Writes (sign-ups, assignments) are in tests/test_api_writes.py, the OpenAPI document and the
reference page in tests/test_api_docs.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from tests.factories import (
    make_activity,
    make_centre,
    make_operator,
    make_signup,
    make_slot,
    make_user,
)
from tests.factories_api import bearer, personal_token, service_token, token_for
from tests.factories_centres import count_queries
from volunteer_app.activities.models import ActivityText
from volunteer_app.activities.recurrence import utc_to_berlin
from volunteer_app.db import utcnow
from volunteer_app.tokens import services as token_services

PROBLEM = "application/problem+json"


def _slot_in(activity, days: float, **fields):
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=days)
    return make_slot(activity, starts_at=start, **fields)


def problem(response, status: int) -> dict:
    """The body of a problem answer, checked for RFC 9457's shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def centre(conn):
    return make_centre(
        slug="zentrum-a",
        name="Zentrum A",
        street="Anger 1",
        postcode="99084",
        contact_email="a@zentrum.example",
        operator=make_operator(name="Träger A"),
    )


# --- Public: centres ----------------------------------------------------------------------------


def test_centres_are_listed_with_their_public_details(client, centre):
    response = client.get("/api/v1/centres")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["next_cursor"] is None
    (item,) = body["items"]
    assert item["slug"] == "zentrum-a" and item["operator"] == "Träger A"
    assert item["url"].endswith("/zentren/zentrum-a")
    assert item["programme_url"].endswith("/api/v1/centres/zentrum-a/programme")
    assert client.get("/api/v1/centres/zentrum-a").get_json() == item


def test_unknown_centre_is_a_problem_in_the_callers_language(client, conn):
    body = problem(
        client.get("/api/v1/centres/gibt-es-nicht", headers={"Accept-Language": "en"}), 404
    )
    assert body["detail"] == "This centre does not exist."
    assert body["type"].endswith("/api/v1/docs#problem-centre-not-found")
    german = problem(client.get("/api/v1/centres/gibt-es-nicht"), 404)
    assert german["detail"] != body["detail"]
    # A family's language works on public routes (?lang= beats the browser's).
    uk = client.get("/api/v1/centres/x?lang=uk", headers={"Accept-Language": "en"})
    assert problem(uk, 404)["detail"] not in (body["detail"], german["detail"])
    assert uk.headers["Content-Language"] == "uk"


def test_paging_through_centres_has_no_duplicates_or_gaps_when_rows_arrive(client, conn):
    for n in range(7):
        make_centre(town=f"Ort {n:02d}", name=f"Zentrum {n}")
    seen, cursor = [], None
    first = client.get("/api/v1/centres?limit=3").get_json()
    seen += [c["slug"] for c in first["items"]]
    cursor = first["next_cursor"]
    # Inserted between two pages: one before the cursor (never shown), one after it (shown).
    early = make_centre(town="Ort 00", name="Aaa früh")
    late = make_centre(town="Ort 99", name="Zzz spät")
    while cursor:
        page = client.get(f"/api/v1/centres?limit=3&cursor={cursor}").get_json()
        seen += [c["slug"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 8
    assert early.slug not in seen and seen[-1] == late.slug


@pytest.mark.parametrize(
    "cursor",
    [
        "kaputt!",
        base64.urlsafe_b64encode(b"[1]").decode(),
        base64.urlsafe_b64encode(b'["a", "b", "c"]').decode(),  # id not a number
        base64.urlsafe_b64encode(b'["a", "b", true]').decode(),
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b'["Erfurt\\u0000", "a", 1]').decode(),  # no NUL in text
        base64.urlsafe_b64encode(b'["a", "b", 99999999999999999999]').decode(),
        "A" * 401,
    ],
)
def test_a_cursor_not_handed_out_is_a_400_problem(client, conn, cursor):
    body = problem(client.get(f"/api/v1/centres?cursor={cursor}&lang=en"), 400)
    assert body["type"].endswith("#problem-bad-cursor") or cursor == "A" * 401


@pytest.mark.parametrize("limit", ["0", "101", "-1", "zehn", "1.5"])
def test_limit_outside_1_to_100_is_a_field_problem(client, conn, limit):
    body = problem(client.get(f"/api/v1/centres?limit={limit}&lang=en"), 422)
    assert list(body["errors"]) == ["limit"]


# --- Public: the programme ------------------------------------------------------------------------


@pytest.fixture
def programme(centre):
    reading = make_activity(centre, title="Vorlesestunde", place="Leseecke", audience="Kinder")
    ActivityText.create(activity=reading, language="en", title="Story time", description="")
    baking = make_activity(centre, title="Backen", category_key="baking")
    hidden = make_activity(centre, title="Intern: Aufräumen", is_public=False)
    slots = {
        "reading": _slot_in(reading, 2),
        "baking": _slot_in(baking, 3, status="cancelled", cancel_reason="Ofen kaputt"),
        "hidden": _slot_in(hidden, 2.5),
        "over": _slot_in(reading, -1),
    }
    volunteer = make_user(name="Greta Geheim")
    make_signup(slots["reading"], volunteer)
    return slots


def test_programme_shows_what_the_public_page_shows(client, programme):
    response = client.get("/api/v1/centres/zentrum-a/programme?lang=en")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept-Language" in response.headers["Vary"]
    items = response.get_json()["items"]
    assert [i["title"] for i in items] == ["Story time", "Backen"]
    story, baking = items
    assert story["title_language"] is None and baking["title_language"] == "de"
    assert story["place"] == "Leseecke" and story["audience"] == "Kinder"
    assert story["cancelled"] is False and story["cancel_reason"] is None
    assert baking["cancelled"] is True and baking["cancel_reason"] == "Ofen kaputt"
    assert story["starts_at"].endswith(("+01:00", "+02:00"))
    start = dt.datetime.fromisoformat(story["starts_at"])
    assert start.astimezone(dt.UTC).replace(tzinfo=None) == programme["reading"].starts_at
    assert story["url"].endswith(f"/zentren/zentrum-a/programm/{programme['reading'].activity_id}")
    text = response.get_data(as_text=True)
    # Never a person, never a seat count, never an internal activity.
    for secret in ("Greta", "Intern", "capacity", "taken", "free"):
        assert secret not in text
    german = client.get("/api/v1/centres/zentrum-a/programme").get_json()["items"]
    assert [i["title"] for i in german] == ["Vorlesestunde", "Backen"]


def test_programme_answers_304_for_its_etag_and_a_new_etag_after_a_change(client, programme):
    first = client.get("/api/v1/centres/zentrum-a/programme")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/centres/zentrum-a/programme", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    other_language = client.get(
        "/api/v1/centres/zentrum-a/programme?lang=en", headers={"If-None-Match": etag}
    )
    assert other_language.status_code == 200
    _slot_in(programme["reading"].activity, 5)
    changed = client.get("/api/v1/centres/zentrum-a/programme", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_programme_dates_filter_by_berlin_days(client, programme):
    day = utc_to_berlin(programme["baking"].starts_at).date()  # 3 days on, its Berlin day
    body = client.get(f"/api/v1/centres/zentrum-a/programme?from={day}&to={day}").get_json()
    assert [i["title"] for i in body["items"]] in (["Backen"], [])
    body = problem(client.get(f"/api/v1/centres/zentrum-a/programme?from={day}&to=2000-01-01"), 422)
    assert "to" in body["errors"]


def test_paging_through_the_programme_is_stable_under_inserts(client, centre):
    activity = make_activity(centre)
    originals = [_slot_in(activity, 1 + n / 4) for n in range(30)]
    seen, cursor, added = [], None, []
    while True:
        url = "/api/v1/centres/zentrum-a/programme?limit=7" + (
            f"&cursor={cursor}" if cursor else ""
        )
        page = client.get(url).get_json()
        seen += [i["starts_at"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        # A date before the cursor and one far after it arrive while the client pages.
        added.append(_slot_in(activity, 0.5 + len(added) / 100))
        added.append(_slot_in(activity, 40 + len(added)))
    assert len(seen) == len(set(seen))
    expected = {s.starts_at for s in originals} | {s.starts_at for s in added[1::2]}
    got = {dt.datetime.fromisoformat(v).astimezone(dt.UTC).replace(tzinfo=None) for v in seen}
    assert got == expected
    assert seen == sorted(seen, key=dt.datetime.fromisoformat)


def test_programme_html_is_the_embed_snippet(client, programme):
    response = client.get("/api/v1/centres/zentrum-a/programme.html?lang=uk")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers
    html = response.get_data(as_text=True)
    assert 'lang="uk"' in html and "<script" not in html and "Greta" not in html


def test_a_programme_read_token_counts_by_itself_but_is_not_needed(client, programme, app):
    app.config["RATELIMIT_API"] = "2 per minute"
    raw, _user = token_for("personal_volunteer", scopes=["programme:read"])
    for _ in range(2):
        assert client.get("/api/v1/centres").status_code == 200
    assert problem(client.get("/api/v1/centres"), 429)
    # The token has its own count, whatever the address used up.
    assert client.get("/api/v1/centres", headers=bearer(raw)).status_code == 200


# --- Tokens: who may call ------------------------------------------------------------------------


def test_no_token_is_401_with_a_bearer_challenge(client, centre):
    for method, url in (
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/centres/zentrum-a/slots"),
        ("POST", "/api/v1/slots/1/signups"),
        ("DELETE", "/api/v1/assignments/1"),
    ):
        response = client.open(url, method=method, headers={"Accept-Language": "en"})
        body = problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert body["type"].endswith("#problem-token-needed")
        assert "Authorization: Bearer" in body["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer thekiz_" + "x" * 43, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer", ""],
)
def test_an_invalid_token_is_401_even_on_public_routes(client, centre, header):
    for url in ("/api/v1/me", "/api/v1/centres"):
        response = client.get(url, headers={"Authorization": header, "Accept-Language": "en"})
        body = problem(response, 401)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        assert body["type"].endswith("#problem-invalid-token")


def test_a_revoked_token_is_refused_at_once(client, conn):
    user = make_user()
    token, raw = personal_token(user)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    token_services.revoke_token(token.id, actor=user)
    problem(client.get("/api/v1/me", headers=bearer(raw)), 401)


def test_the_calendar_feed_key_is_no_api_token(client, conn):
    from volunteer_app.feeds import services as feed_services

    user = make_user()
    link = feed_services.create_link("volunteer", None, actor=user)
    key = feed_services.link_token(link)
    for header in (f"Bearer {key}", f"Bearer thekiz_{key}"[:57]):
        problem(client.get("/api/v1/me", headers={"Authorization": header}), 401)
    problem(client.get(f"/api/v1/me?token={key}"), 401)


def test_a_session_cookie_authorises_nothing(client, login_as, centre):
    """A logged-in browser (even an admin's, second factor done) is anonymous to the API, and
    its posts are neither CSRF-refused pages nor changes: 401 problems."""
    admin = make_user(role="admin")
    slot = _slot_in(make_activity(centre), 2)
    login_as(admin)
    for method, url, data in (
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/centres/zentrum-a/slots", None),
        ("POST", f"/api/v1/slots/{slot.id}/signups", None),
        ("POST", f"/api/v1/slots/{slot.id}/assignments", {"volunteer_id": admin.id}),
    ):
        response = client.open(url, method=method, json=data)
        problem(response, 401)
        assert "Set-Cookie" not in response.headers
    # Public routes answer as to anyone: cacheable, not "no-store" for a logged-in person.
    response = client.get("/api/v1/centres/zentrum-a/programme")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    from volunteer_app.signups.models import Signup

    assert Signup.select().count() == 0


def test_missing_scope_is_403_naming_it(client, centre):
    raw, _user = token_for("personal_volunteer", scopes=["programme:read"])
    response = client.get("/api/v1/me?lang=en", headers=bearer(raw))
    body = problem(response, 403)
    assert "profile:read" in body["detail"]
    assert 'scope="profile:read"' in response.headers["WWW-Authenticate"]
    assert body["type"].endswith("#problem-insufficient-scope")


def test_staff_routes_need_a_token_covering_the_centre(client, centre):
    other = make_centre(slug="zentrum-b")
    for kind in ("personal_coordinator", "service_centre"):
        raw, _user = token_for(kind, centre=other)
        body = problem(
            client.get("/api/v1/centres/zentrum-a/slots?lang=en", headers=bearer(raw)), 403
        )
        assert body["type"].endswith("#problem-centre-not-covered")
        assert client.get("/api/v1/centres/zentrum-b/slots", headers=bearer(raw)).status_code == 200
    # An operator's token covers each of its centres; an admin's personal token every centre.
    raw, _user = token_for("service_operator", centre=centre)
    assert (
        client.get("/api/v1/centres/zentrum-a/activities", headers=bearer(raw)).status_code == 200
    )
    problem(client.get("/api/v1/centres/zentrum-b/activities", headers=bearer(raw)), 403)
    raw, _user = token_for("personal_admin")
    assert (
        client.get("/api/v1/centres/zentrum-b/activities", headers=bearer(raw)).status_code == 200
    )


def test_own_routes_need_a_personal_token(client, centre):
    raw, _user = token_for("service_centre", centre=centre)
    # A service token cannot even hold profile:read (tokens/scopes.py): refused by scope.
    problem(client.get("/api/v1/me", headers=bearer(raw)), 403)


def test_staff_language_rules_apply(client, centre):
    """Staff routes speak German and English only (i18n.STAFF_LANGUAGES)."""
    raw, _user = token_for("personal_volunteer")
    uk = client.get("/api/v1/centres/zentrum-a/slots?lang=uk", headers=bearer(raw))
    assert uk.headers["Content-Language"] == "de"
    en = client.get(
        "/api/v1/centres/zentrum-a/slots", headers=bearer(raw) | {"Accept-Language": "en"}
    )
    assert en.headers["Content-Language"] == "en"


def test_unknown_api_address_and_wrong_method_are_problems(client, conn):
    problem(client.get("/api/v1/nichts"), 404)
    problem(client.get("/api/v2/centres"), 404)
    response = client.put("/api/v1/centres")
    problem(response, 405)
    assert "GET" in response.headers["Allow"]
    # Web pages keep their HTML error pages.
    assert client.get("/gibt-es-nicht").mimetype == "text/html"


def test_rate_limit_is_a_429_problem_per_token(client, centre, app):
    app.config["RATELIMIT_API"] = "3 per minute"
    raw_a, _a = token_for("personal_volunteer")
    raw_b, _b = token_for("personal_volunteer")
    for _ in range(3):
        assert client.get("/api/v1/me", headers=bearer(raw_a)).status_code == 200
    response = client.get("/api/v1/me?lang=en", headers=bearer(raw_a))
    body = problem(response, 429)
    assert int(response.headers["Retry-After"]) >= 1
    assert body["title"] == "Too many requests"
    assert client.get("/api/v1/me", headers=bearer(raw_b)).status_code == 200


def test_a_server_error_is_a_500_problem(client, conn, monkeypatch, app):
    from volunteer_app.api import queries

    def boom(*args, **kwargs):
        raise RuntimeError("kaputt")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(queries, "centres", boom)
    body = problem(client.get("/api/v1/centres?lang=en"), 500)
    assert "kaputt" not in json.dumps(body)
    assert body["detail"] == "The error has been logged. Please try again in a few minutes."


def test_a_database_outage_is_a_503_problem(client, conn, monkeypatch, app):
    import peewee as pw
    import psycopg2

    from volunteer_app.api import queries

    def down(*args, **kwargs):
        cause = psycopg2.OperationalError("connection to server failed: Connection refused")
        raise pw.OperationalError(cause, *cause.args)

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(queries, "centres", down)
    response = client.get("/api/v1/centres?lang=en")
    body = problem(response, 503)
    assert int(response.headers["Retry-After"]) >= 30  # Flask-Limiter keeps the later one
    assert body["title"] == "Service unavailable"


# --- Staff: activities and slots ---------------------------------------------------------------


def test_slots_show_fill_levels(client, centre):
    activity = make_activity(centre, title="Gartentag", volunteers_needed=3)
    slot = _slot_in(activity, 2, capacity=3)
    make_signup(slot, make_user())
    make_signup(slot, make_user(), status="pending")
    for _ in range(2):
        make_signup(slot, make_user(), status="waitlisted")
    cancelled = _slot_in(activity, 4, status="cancelled", cancel_reason="Regen")
    raw, _user = token_for("service_centre", centre=centre)
    body = client.get("/api/v1/centres/zentrum-a/slots", headers=bearer(raw)).get_json()
    first, second = body["items"]
    assert first["id"] == slot.id and first["activity"] == "Gartentag"
    assert (first["capacity"], first["confirmed"], first["pending_approval"]) == (3, 1, 1)
    assert (first["waiting_list"], first["free"]) == (2, 2)
    assert second["id"] == cancelled.id and second["free"] == 0
    assert second["cancel_reason"] == "Regen"
    day = utc_to_berlin(slot.starts_at).date()  # the Berlin day, not UTC's (an hour apart)
    only = client.get(
        f"/api/v1/centres/zentrum-a/slots?from={day}&to={day}", headers=bearer(raw)
    ).get_json()
    assert [s["id"] for s in only["items"]] == [slot.id]


def test_activities_list_every_activity_of_the_centre(client, centre):
    make_activity(centre, title="Öffentlich")
    make_activity(centre, title="Intern", is_public=False)
    make_activity(make_centre(), title="Anderswo")
    raw, _user = token_for("personal_coordinator", centre=centre)
    body = client.get("/api/v1/centres/zentrum-a/activities", headers=bearer(raw)).get_json()
    assert sorted(a["title"] for a in body["items"]) == ["Intern", "Öffentlich"]


# --- Own data ----------------------------------------------------------------------------------------


def test_me_signups_and_hours(client, centre):
    user = make_user(name="Vera", locale="en")
    raw = personal_token(user)[1]
    me = client.get("/api/v1/me", headers=bearer(raw)).get_json()
    assert me == {
        "id": user.id,
        "name": "Vera",
        "email": user.email,
        "language": "en",
        "role": "volunteer",
    }
    activity = make_activity(centre, title="Vorlesestunde")
    ActivityText.create(activity=activity, language="en", title="Story time", description="")
    past = _slot_in(activity, -10)
    make_signup(past, user, attendance="attended", hours=2.5)
    upcoming = _slot_in(activity, 3)
    make_signup(upcoming, user, status="waitlisted")
    own_cancel = _slot_in(activity, 5)
    make_signup(own_cancel, user, status="cancelled")
    body = client.get("/api/v1/me/signups?lang=en", headers=bearer(raw)).get_json()
    assert [s["slot_id"] for s in body["items"]] == [past.id, upcoming.id]
    assert body["items"][0]["hours"] == "2.50" and body["items"][0]["activity"] == "Story time"
    assert body["items"][1]["status"] == "waitlisted"
    year = past.starts_at.year
    hours = client.get(f"/api/v1/me/hours?year={year}", headers=bearer(raw)).get_json()
    assert hours["total"] == "2.50" and hours["dates"] == 1
    assert hours["by_centre"] == [{"label": "Zentrum A", "hours": "2.50", "dates": 1}]
    bad = problem(
        client.get("/api/v1/me/hours?from=2024-05-01&to=2024-01-01&lang=en", headers=bearer(raw)),
        422,
    )
    assert bad["errors"] == {"to": ["The last day must not be before the first day."]}


# --- Query counts: constant in the number of rows -------------------------------------------------


def _queries(client, url, headers=None) -> int:
    with count_queries() as counter:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return counter.count


def _grow(centre, user, n):
    activity = make_activity(centre)
    ActivityText.create(activity=activity, language="en", title="Reading", description="")
    for k in range(n):
        slot = _slot_in(activity, 1 + k / 10, capacity=3)
        make_signup(slot, user)
        make_signup(slot, make_user(), status="waitlisted")
        make_centre()


@pytest.mark.parametrize(
    ("url", "token", "expected"),
    [
        # A token costs one query (its row joined with its person); its last use is written
        # at most once a minute (the warm-up request below).
        ("/api/v1/centres?limit=100", None, 1),
        ("/api/v1/centres/zentrum-a", None, 1),
        ("/api/v1/centres/zentrum-a/programme?limit=100", None, 2),
        ("/api/v1/centres/zentrum-a/programme?limit=100&lang=en", None, 3),
        ("/api/v1/centres/zentrum-a/slots?limit=100", "service", 3),
        ("/api/v1/centres/zentrum-a/activities", "service", 3),
        ("/api/v1/me", "personal", 1),
        ("/api/v1/me/signups?limit=100&lang=en", "personal", 3),
        ("/api/v1/me/hours", "personal", 2),
    ],
)
def test_query_counts_are_pinned_and_constant_in_rows(client, centre, url, token, expected):
    user = make_user()
    raws = {"personal": personal_token(user)[1], "service": service_token(centre=centre)[1]}
    headers = bearer(raws[token]) if token else None
    _grow(centre, user, 3)
    client.get(url, headers=headers)  # the token's last use is written once a minute at most
    few = _queries(client, url, headers)
    _grow(centre, user, 12)
    client.get(url, headers=headers)  # after a change the programme's ETag finds the next moment
    many = _queries(client, url, headers)
    assert few == many == expected
