"""schema.org Event data (JSON-LD) on the centre page and the activity page: the shape search
engines expect (checked against a JSON Schema written here), the database's times with the
Berlin offset across the autumn clock change, cancellations, hostile titles, no extra queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import jsonschema_rs
import pytest

from tests.factories_centres import count_queries
from tests.factories_programme import (
    freeze_now,
    many_slots,
    programme_centre,
    reading_hour,
    slot_at,
)
from volunteer_app.activities.models import ActivityText, Slot
from volunteer_app.programme import jsonld

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

# Tuesday 20 October 2026, 11:00 in Berlin (summer time); the clocks go back on Sunday the 25th.
NOW = dt.datetime(2026, 10, 20, 9, 0)
FRIDAY = dt.date(2026, 10, 23)  # CEST, +02:00
NEXT_TUESDAY = dt.date(2026, 10, 27)  # CET, +01:00
HOSTILE = "</script><script>alert(1)</script>"
BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)

OFFSET_DATE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?[+-]\d{2}:\d{2}$"
URL = {"type": "string", "pattern": r"^https?://"}
# The part of schema.org's Event (https://schema.org/Event) that search engines read for an
# event at a place (Google's "Event" structured data): what must be there, and its form.
EVENT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": [
            "@context",
            "@type",
            "name",
            "startDate",
            "endDate",
            "eventStatus",
            "eventAttendanceMode",
            "location",
            "organizer",
            "url",
            "inLanguage",
        ],
        "properties": {
            "@context": {"const": "https://schema.org"},
            "@type": {"const": "Event"},
            "name": {"type": "string", "minLength": 1},
            "description": {"type": "string", "minLength": 1},
            "startDate": {"type": "string", "pattern": OFFSET_DATE},
            "endDate": {"type": "string", "pattern": OFFSET_DATE},
            "eventStatus": {
                "enum": [
                    "https://schema.org/EventScheduled",
                    "https://schema.org/EventCancelled",
                    "https://schema.org/EventPostponed",
                    "https://schema.org/EventRescheduled",
                    "https://schema.org/EventMovedOnline",
                ]
            },
            "eventAttendanceMode": {"const": "https://schema.org/OfflineEventAttendanceMode"},
            "location": {
                "type": "object",
                "required": ["@type", "name", "address"],
                "properties": {
                    "@type": {"const": "Place"},
                    "name": {"type": "string", "minLength": 1},
                    "address": {
                        "type": "object",
                        "required": ["@type", "addressLocality", "addressCountry"],
                        "properties": {
                            "@type": {"const": "PostalAddress"},
                            "streetAddress": {"type": "string", "minLength": 1},
                            "postalCode": {"type": "string", "pattern": r"^\d{5}$"},
                            "addressLocality": {"type": "string", "minLength": 1},
                            "addressCountry": {"const": "DE"},
                        },
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
            "organizer": {
                "type": "object",
                "required": ["@type", "name", "url"],
                "properties": {
                    "@type": {"const": "Organization"},
                    "name": {"type": "string", "minLength": 1},
                    "url": URL,
                },
            },
            "url": URL,
            "inLanguage": {"type": "string", "pattern": r"^[a-z]{2}(-[A-Z]{2})?$"},
            "isAccessibleForFree": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
}


@pytest.fixture
def centre(conn, monkeypatch):
    freeze_now(monkeypatch, NOW)
    return programme_centre()


@pytest.fixture
def reading(centre):
    activity = reading_hour(centre)
    slot_at(activity, FRIDAY, 15, 30)
    slot_at(activity, NEXT_TUESDAY, 15, 30, hours=2)
    slot_at(activity, NEXT_TUESDAY + dt.timedelta(days=1), 9, status="cancelled")
    return activity


def events_of(client, url: str) -> list[dict]:
    """The page's JSON-LD, checked against the Event schema."""
    response = client.get(url)
    assert response.status_code == 200, url
    blocks = BLOCK.findall(response.get_data(as_text=True))
    assert len(blocks) == 1, url
    data = json.loads(blocks[0])
    jsonschema_rs.validate(EVENT_SCHEMA, data)
    return data


def expected_times(activity) -> list[tuple[str, str, str]]:
    """(start, end, status) of the activity's upcoming slots from the database, in Berlin
    time with the offset of that day, worked out here independently of the app."""
    out = []
    for slot in Slot.select().where(Slot.activity == activity.id).order_by(Slot.starts_at):
        offsets = []
        for moment in (slot.starts_at, slot.ends_at):
            # Central European Time: +02:00 from the last Sunday in March, 01:00 UTC, to the
            # last Sunday in October, 01:00 UTC; +01:00 otherwise.
            summer = dt.datetime(2026, 3, 29, 1) <= moment < dt.datetime(2026, 10, 25, 1)
            offset = dt.timedelta(hours=2 if summer else 1)
            local = (moment + offset).strftime("%Y-%m-%dT%H:%M:%S")
            offsets.append(local + ("+02:00" if summer else "+01:00"))
        status = "EventCancelled" if slot.status == "cancelled" else "EventScheduled"
        out.append((offsets[0], offsets[1], f"https://schema.org/{status}"))
    return out


@pytest.mark.parametrize("page", ["centre", "activity"])
def test_events_match_the_database_across_the_clock_change(client, reading, page):
    url = (
        "/zentren/pusteblume" if page == "centre" else f"/zentren/pusteblume/programm/{reading.id}"
    )
    events = events_of(client, url + "?lang=de")
    assert [(e["startDate"], e["endDate"], e["eventStatus"]) for e in events] == expected_times(
        reading
    )
    assert events[0]["startDate"] == "2026-10-23T15:30:00+02:00"  # summer time
    assert events[1]["startDate"] == "2026-10-27T15:30:00+01:00"  # winter time
    assert events[1]["endDate"] == "2026-10-27T17:30:00+01:00"
    assert events[2]["eventStatus"] == "https://schema.org/EventCancelled"
    for event in events:
        assert event["name"] == "Vorlesestunde"
        assert event["description"] == "Bilderbücher, vorgelesen. Danach Zeit zum Anschauen."
        assert event["url"] == f"http://localhost/zentren/pusteblume/programm/{reading.id}"
        assert event["inLanguage"] == "de"
        assert event["location"] == {
            "@type": "Place",
            "name": "ThEKiZ Pusteblume",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": "Lindenweg 5",
                "postalCode": "07743",
                "addressLocality": "Jena",
                "addressCountry": "DE",
            },
        }
        assert event["organizer"] == {
            "@type": "Organization",
            "name": "ThEKiZ Pusteblume",
            "url": "http://localhost/zentren/pusteblume",
        }


def test_language_of_the_texts(client, reading):
    # No Ukrainian text: the German title, said to be German.
    assert {e["inLanguage"] for e in events_of(client, "/zentren/pusteblume?lang=uk")} == {"de"}
    ActivityText.create(
        activity=reading, language="uk", title="Година читання", description="Книжки."
    )
    events = events_of(client, "/zentren/pusteblume?lang=uk")
    assert {(e["name"], e["description"], e["inLanguage"]) for e in events} == {
        ("Година читання", "Книжки.", "uk")
    }


@pytest.mark.parametrize("page", ["centre", "activity"])
def test_a_hostile_title_stays_inside_the_json(client, centre, page):
    activity = reading_hour(centre, title=HOSTILE, description="<!-- & -->")
    slot_at(activity, FRIDAY, 10)
    url = (
        "/zentren/pusteblume" if page == "centre" else f"/zentren/pusteblume/programm/{activity.id}"
    )
    body = client.get(url).get_data(as_text=True)
    block = BLOCK.search(body).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    (event,) = json.loads(block)
    assert event["name"] == HOSTILE and event["description"] == "<!-- & -->"
    assert "<script>alert(1)" not in body


def test_no_json_ld_without_dates(client, centre):
    activity = reading_hour(centre)
    assert BLOCK.findall(client.get("/zentren/pusteblume").get_data(as_text=True)) == []
    page = client.get(f"/zentren/pusteblume/programm/{activity.id}").get_data(as_text=True)
    assert BLOCK.findall(page) == []


def count_with_and_without_json_ld(app, client, url: str) -> tuple[int, int]:
    """Queries of one request for ``url`` (after a warm-up request), with the JSON-LD and
    with the partial's helper switched off."""
    client.get(url)
    with count_queries() as with_ld:
        assert client.get(url).status_code == 200
    real = app.jinja_env.globals["schema_events"]
    app.jinja_env.globals["schema_events"] = lambda *args, **kwargs: ""
    try:
        with count_queries() as without:
            assert client.get(url).status_code == 200
    finally:
        app.jinja_env.globals["schema_events"] = real
    return with_ld.count, without.count


def test_centre_page_announces_the_next_twenty_and_no_extra_query(app, client, centre):
    reading = reading_hour(centre)
    many_slots(reading, FRIDAY, 4)
    url = "/zentren/pusteblume"
    assert len(events_of(client, url)) == 4
    few, few_without = count_with_and_without_json_ld(app, client, url)
    many_slots(reading, FRIDAY + dt.timedelta(days=4), 40)
    many_slots(reading_hour(centre, title="Singen"), FRIDAY, 40)
    events = events_of(client, url)
    assert len(events) == jsonld.PAGE_EVENTS == 20
    assert events[0]["startDate"] == "2026-10-23T10:00:00+02:00"
    many, many_without = count_with_and_without_json_ld(app, client, url)
    # The JSON-LD is built from the rows the page loads anyway, whatever their number.
    assert few == few_without == many == many_without


def test_activity_page_no_extra_query(app, client, reading):
    url = f"/zentren/pusteblume/programm/{reading.id}"
    assert len(events_of(client, url)) == 3
    counted, without = count_with_and_without_json_ld(app, client, url)
    assert counted == without
    many_slots(reading, FRIDAY, 30)
    assert count_with_and_without_json_ld(app, client, url) == (counted, counted)


def test_json_ld_passes_the_content_security_policy(client, reading):
    """A ``<script>`` of a data type is not run by browsers, so ``script-src`` does not govern
    it (tests/browser/test_embed_browser.py checks Chromium reports no violation)."""
    response = client.get("/zentren/pusteblume")
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
    assert scripts and all('type="application/ld+json"' in s or "src=" in s for s in scripts)


# --- The pure part --------------------------------------------------------------------------


def test_events_from_rows():
    host = jsonld.Host("Zentrum", "", "", "Gera", "https://example.org/zentren/z")
    rows = [
        jsonld.EventRow(
            "A",
            "  Eins\n\nzwei  ",
            dt.datetime(2026, 3, 29, 0, 30),  # 01:30 CET, before the spring change
            dt.datetime(2026, 3, 29, 1, 30),  # 03:30 CEST, after it
            False,
            "https://example.org/a",
            "fa-AF",
        ),
        jsonld.EventRow(
            "B", "x" * 900, dt.datetime(2026, 7, 1, 8), dt.datetime(2026, 7, 1, 9), True, "u", "de"
        ),
    ]
    first, second = jsonld.events(rows, host)
    assert first["startDate"] == "2026-03-29T01:30:00+01:00"
    assert first["endDate"] == "2026-03-29T03:30:00+02:00"
    assert first["description"] == "Eins zwei" and first["inLanguage"] == "fa-AF"
    assert first["location"]["address"] == {
        "@type": "PostalAddress",
        "addressLocality": "Gera",
        "addressCountry": "DE",
    }
    assert second["eventStatus"] == jsonld.CANCELLED
    assert len(second["description"]) == jsonld.DESCRIPTION_MAX
    assert second["description"].endswith("…")
    (blank,) = jsonld.events([dataclasses.replace(rows[0], description=" \n ")], host)
    assert "description" not in blank


def test_script_json_escapes_what_could_end_the_element():
    text = str(jsonld.script_json([{"name": "</script><!--&"}]))
    assert text == '[{"name":"\\u003c/script\\u003e\\u003c!--\\u0026"}]'
    assert json.loads(text) == [{"name": "</script><!--&"}]
