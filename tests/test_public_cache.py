"""Public pages that shared caches may keep: no session cookie for a visitor without a login
(the language switch and ``?lang=`` use a cookie of their own), and the families' programme
pages answered with ETag, Last-Modified, ``public, max-age=60`` and 304 from one indexed
lookup (volunteer_app/revisions/conditional.py, docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_activity, make_centre, make_user
from tests.factories_activities import make_slot
from tests.factories_authz import build_world
from tests.factories_centres import count_queries, make_closing_day
from tests.factories_feeds import days_from_today
from tests.factories_hub import make_partner
from volunteer_app import i18n
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Slot
from volunteer_app.db import utcnow
from volunteer_app.revisions import conditional
from volunteer_app.revisions import queries as revision_queries

pytestmark = pytest.mark.dates  # the programme shows the coming weeks


def _session_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


def _has_post_form(body: str) -> bool:
    return bool(re.search(r'<form[^>]*method="post"', body, re.I)) and "csrf_token" in body


# --- no session cookie without a login ------------------------------------------------------


def test_anonymous_pages_without_a_form_set_no_cookie(app, conn):
    """Every family page an anonymous visitor may see: one without a form of its own (the
    language switch needs none) sets no cookie at all; one with a form (log in, register,
    a wish) may start a session for its CSRF token."""
    from tests.test_authz_matrix import MATRIX

    world = build_world()
    adapter = app.url_map.bind("localhost")
    cookie_free, with_forms = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in rule.methods or not i18n.is_family_endpoint(rule.endpoint):
            continue
        route = MATRIX.get(rule.endpoint)
        if route is None or route.get is None or "anonymous" not in route.get:
            continue
        if 200 not in route.get["anonymous"].status:
            continue
        url = adapter.build(rule.endpoint, route.params(world))
        response = app.test_client().get(url)  # a first visit: no cookie yet
        if response.status_code != 200 or response.mimetype != "text/html":
            assert not response.headers.getlist("Set-Cookie"), url
            continue
        body = response.get_data(as_text=True)
        if _has_post_form(body):
            with_forms.append(rule.endpoint)
            continue
        assert not response.headers.getlist("Set-Cookie"), f"{url} sets a cookie"
        assert "csrf_token" not in body, url
        cookie_free.append(rule.endpoint)
    for endpoint in ("core.index", "centres.list_centres", "centres.show_centre"):
        assert endpoint in cookie_free, (cookie_free, with_forms)
    assert "accounts.login" in with_forms
    assert len(cookie_free) >= 8, cookie_free


def test_the_language_switch_works_without_a_session_and_without_javascript(app, client, conn):
    app.config["WTF_CSRF_ENABLED"] = True
    make_centre(slug="anger")
    body = client.get("/zentren/anger").get_data(as_text=True)
    # A plain form: a button per language that posts to /language, no token, no script.
    switch = re.search(r'<details class="lang-switch">(.*?)</details>', body, re.S).group(1)
    assert '<form method="post" action="/language" class="lang-menu">' in switch
    assert 'name="csrf_token"' not in switch
    assert '<button type="submit" name="lang" value="uk" lang="uk">' in switch
    assert "<script" not in body
    response = client.post("/language", data={"lang": "uk", "next": "/zentren/anger"})
    assert response.status_code == 302 and response.headers["Location"] == "/zentren/anger"
    cookies = response.headers.getlist("Set-Cookie")
    assert not _session_cookies(response), cookies
    assert any(
        c.startswith("lang=uk;") and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies
    )
    page = client.get("/zentren/anger")
    assert '<html lang="uk"' in page.get_data(as_text=True)
    assert not page.headers.getlist("Set-Cookie")
    assert page.headers["Cache-Control"] == "public, max-age=60"
    # An unknown language changes nothing.
    response = client.post("/language", data={"lang": "xx", "next": "/"})
    assert response.status_code == 302 and not response.headers.getlist("Set-Cookie")


def test_lang_in_the_address_is_kept_in_the_cookie_not_the_session(client, conn):
    make_centre(slug="anger")
    first = client.get("/zentren/anger?lang=ar")
    assert not _session_cookies(first)
    assert any(c.startswith("lang=ar;") for c in first.headers.getlist("Set-Cookie"))
    assert first.headers["Cache-Control"] == "private, no-cache"  # it set a cookie
    again = client.get("/zentren/anger?lang=ar")  # the cookie says so already
    assert not again.headers.getlist("Set-Cookie")
    assert again.headers["Cache-Control"] == "public, max-age=60"
    following = client.get("/")
    assert '<html lang="ar" dir="rtl"' in following.get_data(as_text=True)
    assert not following.headers.getlist("Set-Cookie")
    with client.session_transaction() as sess:
        assert "lang" not in sess


def test_signed_in_the_switch_needs_the_token_and_saves_the_account(app, client, conn, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(locale="de")
    login_as(user)
    assert client.post("/language", data={"lang": "ro", "next": "/"}).status_code == 400
    assert User.get_by_id(user.id).locale == "de"
    body = client.get("/").get_data(as_text=True)
    switch = re.search(r'<details class="lang-switch">(.*?)</details>', body, re.S).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', switch).group(1)
    response = client.post("/language", data={"lang": "ro", "next": "/", "csrf_token": token})
    assert response.status_code == 302
    assert User.get_by_id(user.id).locale == "ro"


def test_logging_out_keeps_the_language_in_its_cookie(client, conn, login_as):
    user = make_user(locale="de")
    login_as(user)
    client.post("/language", data={"lang": "pl", "next": "/"})
    client.post("/konto/abmelden")
    client.get("/")  # the page that shows "logged out"
    response = client.get("/zentren/")
    assert '<html lang="pl"' in response.get_data(as_text=True)
    assert not response.headers.getlist("Set-Cookie")
    with client.session_transaction() as sess:
        assert dict(sess) == {}


# --- ETag, Last-Modified, 304 ------------------------------------------------------------------


@pytest.fixture
def centre(conn):
    centre = make_centre(slug="anger", name="Zentrum Anger")
    activity = make_activity(centre, title="Krabbelgruppe")
    make_slot(activity, day=days_from_today(3))
    centre.activity = activity
    return centre


def _urls(centre) -> list[str]:
    return [
        "/zentren/anger",
        f"/zentren/anger/programm/{centre.activity.id}",
        "/zentren/anger/leichte-sprache",
    ]


def test_programme_pages_answer_with_validators_and_304(client, centre):
    for url in _urls(centre):
        first = client.get(url)
        assert first.status_code == 200, url
        assert first.headers["Cache-Control"] == "public, max-age=60", url
        assert {"Accept-Language", "Cookie"} <= set(
            first.headers["Vary"].replace(" ", "").split(",")
        )
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        with count_queries() as counted:
            again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", url
        assert counted.count == 1, counted.queries  # the centre and its revision, one lookup
        assert '"slot"' not in counted.queries[0]
        assert (
            again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=60"
        )
        assert "Cookie" in again.headers["Vary"]
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        assert client.head(url, headers={"If-None-Match": etag}).status_code == 304


def test_the_etag_follows_language_and_address(client, centre):
    de = client.get("/zentren/anger").headers["ETag"]
    assert client.get("/zentren/anger", headers={"Accept-Language": "uk"}).headers["ETag"] != de
    assert client.get("/zentren/anger?ab=2030-01-07").headers["ETag"] != de


def test_every_change_families_see_changes_the_etag(client, centre, login_as):
    etags = {url: client.get(url).headers["ETag"] for url in _urls(centre)}
    slot = Slot.get(Slot.activity == centre.activity.id)

    def moved():
        for url, old in etags.items():
            response = client.get(url, headers={"If-None-Match": old})
            assert response.status_code == 200, url
            etags[url] = response.headers["ETag"]

    make_closing_day(centre, days_ahead=4, reason="Teamtag")
    moved()
    Slot.update(cancel_reason="Krank", status="cancelled").where(Slot.id == slot.id).execute()
    moved()
    make_partner(centre, is_public=True)
    moved()
    User.update(name="x").where(User.id == make_user().id).execute()  # no one families see
    for url, old in etags.items():
        assert client.get(url, headers={"If-None-Match": old}).status_code == 304, url


def test_a_page_changes_by_itself_when_a_date_ends(app, centre):
    """No write, but the date that ended leaves the page: the ETag moves with the moment."""
    slot = Slot.get(Slot.activity == centre.activity.id)
    with app.test_request_context("/zentren/anger"):
        state = revision_queries.public_state("anger")
        before = conditional.validator(state, slot.ends_at - dt.timedelta(minutes=1))
        during = conditional.validator(state, slot.ends_at - dt.timedelta(seconds=1))
        after = conditional.validator(state, slot.ends_at + dt.timedelta(minutes=1))
    assert before[0] == during[0]
    assert after[0] != before[0] and after[1] >= slot.ends_at.replace(microsecond=0)


def test_logged_in_pages_are_never_stored(client, centre, login_as):
    anonymous = client.get("/zentren/anger").headers["ETag"]
    login_as(make_user())
    response = client.get("/zentren/anger", headers={"If-None-Match": anonymous})
    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] in ("no-store", "private, no-cache")
    assert "Cookie" in response.headers["Vary"]


def test_a_waiting_message_is_not_shared(client, centre):
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Gespeichert.")]
    response = client.get("/zentren/anger")
    assert "Gespeichert." in response.get_data(as_text=True)
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_an_unknown_centre_is_still_a_404(client, conn):
    assert client.get("/zentren/gibt-es-nicht").status_code == 404
    assert client.get("/zentren/gibt-es-nicht/leichte-sprache").status_code == 404


def test_moments_are_computed_once_per_change(app, centre):
    now = utcnow()
    since = now - dt.timedelta(hours=1)
    state = revision_queries.public_state("anger")
    revision_queries.page_moments(state, now, since)
    with count_queries() as counted:
        revision_queries.page_moments(state, now + dt.timedelta(seconds=5), since)
    assert counted.count == 0
    make_slot(centre.activity, day=days_from_today(2))
    changed = revision_queries.public_state("anger")
    assert changed.revision != state.revision
    with count_queries() as counted:
        revision_queries.page_moments(changed, now, since)
    assert counted.count == 2
