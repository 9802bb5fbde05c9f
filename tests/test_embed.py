"""The programme on the centre's own website: the page other sites frame (no navigation, any
ancestor, no session, cached a minute, every language), the HTML snippet for sites without
frames, and the copy-ready code on the coordinator's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.factories import make_activity, make_coordinator, make_user
from tests.factories_centres import count_queries
from tests.factories_hub import make_booking, make_partner, make_room
from tests.factories_programme import (
    freeze_now,
    many_slots,
    programme_centre,
    reading_hour,
    slot_at,
)
from volunteer_app.activities.models import ActivityText
from volunteer_app.programme import embed, queries

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

# Tuesday 20 October 2026, 11:00 in Berlin (summer time); the clocks go back on Sunday the 25th.
NOW = dt.datetime(2026, 10, 20, 9, 0)
FRIDAY = dt.date(2026, 10, 23)  # CEST, +02:00
NEXT_TUESDAY = dt.date(2026, 10, 27)  # CET, +01:00
URL = "/zentren/pusteblume/einbetten"
HOSTILE = "</script><script>alert(1)</script>"

LANGUAGES = {
    "de": ("de", "ltr"),
    "en": ("en", "ltr"),
    "uk": ("uk", "ltr"),
    "ar": ("ar", "rtl"),
    "ru": ("ru", "ltr"),
    "pl": ("pl", "ltr"),
    "ro": ("ro", "ltr"),
    "fa_AF": ("fa-AF", "rtl"),
}


@pytest.fixture
def centre(conn, monkeypatch):
    freeze_now(monkeypatch, NOW)
    return programme_centre()


@pytest.fixture
def reading(centre):
    activity = reading_hour(centre)
    slot_at(activity, FRIDAY, 15, 30)
    slot_at(activity, NEXT_TUESDAY, 15, 30)
    slot_at(
        activity,
        NEXT_TUESDAY + dt.timedelta(days=1),
        15,
        30,
        status="cancelled",
        cancel_reason="Krankheit",
    )
    return activity


def html_attrs(body: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', body)
    return match.group(1), match.group(2)


def dates_of(body: str) -> list[str]:
    return re.findall(r'<li class="thekiz-date[^"]*">(.*?)</li>', body, re.S)


# --- The framed page ------------------------------------------------------------------------


def test_page_shows_the_next_dates_without_our_navigation(client, reading):
    response = client.get(URL + "?lang=de")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for absent in ("<header", "<nav", "<footer", "site-header", "lang-switch", "<form", "<script"):
        assert absent not in body, absent
    dates = dates_of(body)
    assert len(dates) == 3
    assert "Vorlesestunde" in dates[0] and "15:30" in dates[0]
    # Each date opens the activity's page here, in a new tab, without a handle on this window.
    link = f'href="http://localhost/zentren/pusteblume/programm/{reading.id}"'
    assert all(f'{link} target="_blank" rel="noopener"' in d for d in dates)
    assert "Freitag, 23. Oktober" in body and "Dienstag, 27. Oktober" in body
    # The subscribe page of the centre's family calendar, and the whole programme.
    assert (
        'class="thekiz-subscribe" href="http://localhost/zentren/pusteblume/kalender" '
        'target="_blank" rel="noopener"'
    ) in body
    assert 'href="http://localhost/zentren/pusteblume" target="_blank"' in body
    assert '<meta name="robots" content="noindex">' in body


def test_cancelled_dates_are_shown_as_cancelled(client, reading):
    body = client.get(URL + "?lang=de").get_data(as_text=True)
    cancelled = re.findall(r'<li class="thekiz-date thekiz-cancelled">(.*?)</li>', body, re.S)
    assert len(cancelled) == 1
    assert "Abgesagt" in cancelled[0] and "Fällt aus: Krankheit" in cancelled[0]
    assert "Mittwoch, 28. Oktober" in body


def test_only_public_activities_of_this_centre_and_no_ended_dates(client, centre, reading):
    hidden = make_activity(centre, title="Teamsitzung", is_public=False)
    slot_at(hidden, FRIDAY, 9)
    slot_at(reading, NOW.date(), 8, hours=1)  # ended this morning
    other = reading_hour(programme_centre(slug="anderswo", name="Anderswo"), title="Fremd")
    slot_at(other, FRIDAY, 10)
    body = client.get(URL).get_data(as_text=True)
    assert "Teamsitzung" not in body and "Fremd" not in body
    assert len(dates_of(body)) == 3


def test_frameable_by_any_site_and_only_this_page(client, reading):
    response = client.get(URL + "?lang=de")
    csp = response.headers.getlist("Content-Security-Policy")
    assert len(csp) == 1
    assert "frame-ancestors *" in csp[0] and "'none'" not in csp[0].split("frame-ancestors")[1]
    assert "default-src 'self'" in csp[0] and "object-src 'none'" in csp[0]
    assert "X-Frame-Options" not in response.headers
    # Every other page keeps refusing frames, the centre's own page too.
    for url in ("/zentren/pusteblume", f"/zentren/pusteblume/programm/{reading.id}", "/"):
        other = client.get(url)
        assert other.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"], url


def test_no_session_no_cookie_no_csrf_token_and_cached_a_minute(client, reading):
    response = client.get(URL + "?lang=ar")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "csrf" not in response.get_data(as_text=True).lower()
    # ``?lang=`` is not kept for later pages: there is no session to keep it in.
    with client.session_transaction() as sess:
        assert "lang" not in sess
    # Without ``?lang=`` the browser chooses, and caches must know.
    plain = client.get(URL, headers={"Accept-Language": "uk"})
    assert html_attrs(plain.get_data(as_text=True)) == ("uk", "ltr")
    assert "Accept-Language" in plain.headers.get("Vary", "")
    assert "Cookie" not in plain.headers.get("Vary", "")


def test_a_logged_in_person_gets_the_same_public_page_and_no_cookie(client, login_as, reading):
    coordinator = make_coordinator(reading.centre, name="Carla Koordina")
    login_as(coordinator)
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    response = client.get(URL)  # neither the session's language nor the account's
    body = response.get_data(as_text=True)
    assert html_attrs(body) == ("de", "ltr")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Carla" not in body and "abmelden" not in body
    # The person is still logged in on our own pages.
    assert client.get("/zentren/pusteblume/bearbeiten").status_code == 200


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_language_with_its_direction(app, client, reading, code):
    web, direction = LANGUAGES[code]
    body = client.get(f"{URL}?lang={web}").get_data(as_text=True)
    assert html_attrs(body) == (web, direction)
    assert f'<section class="thekiz-programme" lang="{web}" dir="{direction}">' in body
    with app.test_request_context(), force_locale(code):
        subscribe = _("Subscribe to the calendar")
        cancelled = _("Cancelled")
    if code != "en":
        assert subscribe != "Subscribe to the calendar", f"{code} lacks a translation"
    assert f">{subscribe}</a>" in body
    assert f">{cancelled}</strong>" in body
    if code != "de":
        # The centre's German words are marked as German (and left to right in rtl pages).
        mark = ' lang="de" dir="ltr"' if direction == "rtl" else ' lang="de"'
        place = f'<span class="thekiz-place"><bdi{mark}>Leseecke im Erdgeschoss</bdi></span>'
        assert place in body
        # Links keep the family's language.
        assert f"/programm/{reading.id}?lang={web}" in body
        assert f"/zentren/pusteblume/kalender?lang={web}" in body


def test_partners_public_consultation_hours_are_shown_without_their_people(client, reading):
    partner = make_partner(reading.centre, contact_name="Anna Hebamme")
    room = make_room(reading.centre)
    make_booking(room, FRIDAY, dt.time(9), dt.time(11), partner=partner, is_public=True)
    make_booking(room, FRIDAY, dt.time(12), dt.time(13), title="Teamsitzung intern")
    body = client.get(URL + "?lang=de").get_data(as_text=True)
    dates = dates_of(body)
    assert len(dates) == 4
    assert "Hebammensprechstunde" in dates[0] and "href" not in dates[0]  # no page of its own
    assert "Anna" not in body and "Teamsitzung" not in body


def test_a_translated_title_is_shown_in_the_familys_language(client, reading):
    ActivityText.create(activity=reading, language="uk", title="Година читання")
    body = client.get(URL + "?lang=uk").get_data(as_text=True)
    assert "Година читання" in body and "Vorlesestunde" not in body


def test_unknown_centre_is_not_found_and_not_for_frames(client, centre):
    response = client.get("/zentren/gibt-es-nicht/einbetten")
    assert response.status_code == 404
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in response.headers


def test_hostile_title_is_escaped(client, centre):
    slot_at(reading_hour(centre, title=HOSTILE), FRIDAY, 10)
    body = client.get(URL).get_data(as_text=True)
    assert HOSTILE not in body
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_at_most_twenty_dates_and_a_constant_number_of_queries(client, centre):
    reading = reading_hour(centre)
    many_slots(reading, FRIDAY, 3)
    client.get(URL + "?lang=ar")
    with count_queries() as few:
        assert client.get(URL + "?lang=ar").status_code == 200
    many_slots(make_activity(centre, title="Basteln"), FRIDAY, 50)
    with count_queries() as many:
        body = client.get(URL + "?lang=ar").get_data(as_text=True)
    assert len(dates_of(body)) == queries.EMBED_DATES == 20
    # centre, the activities' dates, their Arabic texts, consultation hours
    assert few.count == many.count == 4


def test_dates_beyond_eight_weeks_wait(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, NOW.date() + dt.timedelta(weeks=9), 10)
    body = client.get(URL).get_data(as_text=True)
    assert dates_of(body) == []
    assert "Zurzeit sind keine weiteren Termine geplant." in body


# --- The HTML snippet -----------------------------------------------------------------------


def test_snippet_is_plain_escaped_html_in_the_language_asked(app, centre):
    slot_at(reading_hour(centre, title=HOSTILE), FRIDAY, 10)
    with app.test_request_context("/api/v1/centres/pusteblume/programme.html"):
        arabic = embed.render_snippet(centre, "ar", now=NOW)
        dari = embed.render_snippet(centre, "fa-AF", now=NOW)
        unknown = embed.render_snippet(centre, "xx", now=NOW)
    assert arabic.lstrip().startswith('<section class="thekiz-programme" lang="ar" dir="rtl">')
    assert '<section class="thekiz-programme" lang="fa-AF" dir="rtl">' in dari
    assert '<section class="thekiz-programme" lang="de" dir="ltr">' in unknown
    for snippet in (arabic, dari, unknown):
        assert HOSTILE not in snippet
        assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
        for absent in ("<script", "style", "<link", "<html", "<form", "on" + "click"):
            assert absent not in snippet, absent
        assert 'target="_blank" rel="noopener"' in snippet
        assert 'href="http://localhost/zentren/pusteblume/programm/' in snippet  # absolute
    assert "Programm von" not in arabic and "Kalender abonnieren" not in arabic


def test_snippet_and_page_show_the_same_dates(app, client, reading):
    page = client.get(URL + "?lang=pl").get_data(as_text=True)
    with app.test_request_context("/"):
        snippet = embed.render_snippet(reading.centre, "pl", now=NOW)
    assert snippet.strip() in page


# --- The copy-ready code for the coordinator ------------------------------------------------

EDIT = "/zentren/pusteblume/bearbeiten"


def test_coordinator_finds_the_code_in_the_chosen_language(client, login_as, reading):
    login_as(make_coordinator(reading.centre))
    body = client.get(EDIT).get_data(as_text=True)
    assert 'id="website"' in body and "Auf der eigenen Website zeigen" in body
    frame = re.search(r'<textarea id="embed-frame"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert frame.startswith("&lt;iframe src=&#34;http://localhost/zentren/pusteblume/einbetten")
    assert "einbetten?lang=de" in frame and "Programm von ThEKiZ Pusteblume" in frame
    html = re.search(r'<textarea id="embed-html"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert html == "http://localhost/api/v1/centres/pusteblume/programme.html?lang=de"
    # Every family language can be chosen, each named in itself.
    for web, name in (("uk", "Українська"), ("ar", "العربية"), ("fa-AF", "Dari — دری")):
        assert f'<option value="{web}" lang="{web}">{name}</option>' in body
    arabic = client.get(EDIT + "?sprache=ar").get_data(as_text=True)
    assert "einbetten?lang=ar" in arabic and "programme.html?lang=ar" in arabic
    assert "برنامج ThEKiZ Pusteblume" in arabic  # the frame's title in the families' language
    assert '<option value="ar" lang="ar" selected>' in arabic
    assert "einbetten?lang=de" in client.get(EDIT + "?sprache=xx").get_data(as_text=True)


def test_only_coordinators_see_the_code(client, login_as, reading):
    public = client.get("/zentren/pusteblume").get_data(as_text=True)
    assert "einbetten" not in public and "embed-frame" not in public
    assert client.get(EDIT).status_code == 302  # to the login page
    login_as(make_user())
    assert client.get(EDIT).status_code == 403
    other = programme_centre(slug="anderswo", name="Anderswo")
    login_as(make_coordinator(other))
    assert client.get(EDIT).status_code in (403, 404)
