"""Easy German (Leichte Sprache): the overview, one centre's page with this week's and next
week's dates, links from the family pages, and the easy summaries beside the legal texts."""

import datetime as dt
import re

import pytest

from tests.factories import make_activity
from tests.factories_centres import count_queries
from tests.factories_programme import programme_centre, reading_hour, slot_at
from volunteer_app.core import easy

# Wednesday 16 December 2026, 12:00 in Berlin: this week runs to Sunday 20 December.
NOW = dt.datetime(2026, 12, 16, 11, 0)
WED = dt.date(2026, 12, 16)


@pytest.fixture
def centre(conn, monkeypatch):
    monkeypatch.setattr("volunteer_app.core.views.utcnow", lambda: NOW)
    return programme_centre()


def text_of(html: str) -> str:
    main = html[html.index("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_clock_writes_hours_the_easy_way():
    assert easy.clock(dt.datetime(2026, 12, 16, 14, 0)) == "15 Uhr"  # UTC in, Berlin out
    assert easy.clock(dt.datetime(2026, 7, 1, 13, 30)) == "15:30 Uhr"  # summer time
    assert easy.clock(dt.datetime(2026, 12, 16, 8, 5)) == "9:05 Uhr"


def test_centre_page_lists_this_and_next_weeks_dates_in_easy_german(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, WED + dt.timedelta(days=1), 15, 30, hours=1)
    slot_at(reading, WED + dt.timedelta(days=6), 10, status="cancelled")
    slot_at(reading, WED + dt.timedelta(days=20), 10)  # in three weeks: not shown
    hidden = make_activity(centre, title="Teamsitzung", is_public=False)
    slot_at(hidden, WED + dt.timedelta(days=1), 9)
    page = client.get("/zentren/pusteblume/leichte-sprache")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = text_of(html)
    assert '<html lang="de"' in html
    assert (
        "In dieser Woche Donnerstag, 17. Dezember von 15:30 Uhr bis 16:30 Uhr Vorlesestunde" in text
    )
    assert "In der nächsten Woche Dienstag, 22. Dezember von 10 Uhr bis 11:30 Uhr" in text
    assert "Fällt aus." in text
    assert text.count("Vorlesestunde") == 2
    assert "Teamsitzung" not in text
    assert "Vorlesen" in text  # what the centre offers
    assert "03641 555 10" in text
    assert 'href="/zentren/pusteblume/kalender"' in html
    assert 'href="/zentren/pusteblume/wuensche"' in html


def test_an_empty_week_says_so(client, centre):
    text = text_of(client.get("/zentren/pusteblume/leichte-sprache").get_data(as_text=True))
    assert text.count("Es gibt keine Termine.") == 2
    assert "Im Moment gibt es hier keine Angebote." in text


def test_easy_pages_stay_german_whatever_language_was_chosen(client, centre):
    for path in ("/leichte-sprache?lang=uk", "/zentren/pusteblume/leichte-sprache?lang=ar"):
        html = client.get(path, headers={"Accept-Language": "ar"}).get_data(as_text=True)
        assert '<html lang="de" dir="ltr">' in html
    overview = client.get("/leichte-sprache").get_data(as_text=True)
    assert 'href="/zentren/pusteblume/leichte-sprache"' in overview
    for heading in ("Wann ist etwas los?", "Termine im eigenen Kalender", "Sie haben eine Idee?"):
        assert heading in overview


def test_unknown_centre_is_not_found(client, conn):
    assert client.get("/zentren/gibt-es-nicht/leichte-sprache").status_code == 404


def test_centre_page_query_count_does_not_grow_with_dates(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, WED + dt.timedelta(days=1), 15)
    with count_queries() as few:
        client.get("/zentren/pusteblume/leichte-sprache")
    for n in range(8):
        slot_at(reading, WED + dt.timedelta(days=n % 10), 9 + n % 8)
    with count_queries() as many:
        client.get("/zentren/pusteblume/leichte-sprache")
    assert many.count == few.count


@pytest.mark.parametrize("path", ["/zentren/pusteblume", "/leichte-sprache"])
def test_family_pages_link_to_easy_german(client, centre, path):
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'<a href="/leichte-sprache" lang="de">Leichte Sprache</a>', html)
    if path == "/zentren/pusteblume":
        assert 'href="/zentren/pusteblume/leichte-sprache" lang="de"' in html


@pytest.mark.parametrize("path", ["/datenschutz", "/impressum", "/barrierefreiheit"])
def test_legal_texts_have_an_easy_summary_beside_them(client, conn, path):
    html = client.get(path + "?lang=en").get_data(as_text=True)
    summary = re.search(r'<aside class="easy-summary" lang="de"[^>]*>(.*?)</aside>', html, re.S)
    assert summary, path
    assert "Kurz und leicht" in summary.group(1)
    assert '<html lang="en"' in html  # the legal text itself stays in standard language
