"""HTTP behaviour of the feeds: content type, ETag, Last-Modified, 304, HEAD, cache headers,
revisions moving on changes and deletions, tokens (revoked, unknown), errors never an empty 200."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.http import http_date

from tests.factories_feeds import (
    days_from_today,
    family_url,
    link_of,
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
    private_url,
)
from tests.ical_check import assert_valid
from volunteer_app.activities.models import Slot
from volunteer_app.db import utcnow
from volunteer_app.feeds.models import FeedCache

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def centre(conn):
    return make_centre(
        name="Familienzentrum Anger", slug="anger", street="Anger 1", postcode="99084"
    )


@pytest.fixture
def slots(centre):
    activity = make_activity(centre, title="Vorlesen am Nachmittag")
    return [make_slot(activity, days_from_today(7 * i + 2)) for i in range(3)]


def _get(client, url, **headers):
    return client.get(url, headers=headers)


def test_family_feed_headers_and_body(client, slots, centre):
    resp = _get(client, family_url(centre))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert resp.headers["Content-Disposition"] == 'inline; filename="anger.ics"'
    assert "public" in resp.headers["Cache-Control"]
    etag, weak = resp.get_etag()
    assert etag and not weak
    assert resp.headers["ETag"].startswith('"')
    assert resp.last_modified is not None
    events = assert_valid(resp.data)
    assert [e[0] for e in events] and len(events) == 3


def test_same_data_gives_same_bytes_and_etag(client, slots, centre):
    first = _get(client, family_url(centre))
    FeedCache.delete().execute()  # rendered anew from the same rows
    second = _get(client, family_url(centre))
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]


def test_304_on_if_none_match_and_if_modified_since(client, slots, centre):
    first = _get(client, family_url(centre))
    again = _get(client, family_url(centre), **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    since = _get(
        client, family_url(centre), **{"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304
    older = http_date(first.last_modified - dt.timedelta(seconds=5))
    assert _get(client, family_url(centre), **{"If-Modified-Since": older}).status_code == 200
    other = _get(client, family_url(centre), **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_head_answers_headers_without_body(client, slots, centre):
    get = _get(client, family_url(centre))
    head = client.head(family_url(centre))
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == "text/calendar; charset=utf-8"


def _moves(client, url, change) -> tuple:
    first = _get(client, url)
    change()
    second = _get(client, url, **{"If-None-Match": first.headers["ETag"]})
    return first, second


def test_deleting_a_slot_moves_etag_and_last_modified(client, slots, centre, monkeypatch):
    first = _get(client, family_url(centre))
    # Last-Modified has one-second resolution: the change happens a second later.
    later = utcnow() + dt.timedelta(seconds=2)
    monkeypatch.setattr("volunteer_app.feeds.cache.utcnow", lambda: later)
    Slot.delete().where(Slot.id == slots[1].id).execute()
    second = _get(client, family_url(centre), **{"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.last_modified > first.last_modified
    assert len(assert_valid(second.data)) == 2
    stale = _get(
        client, family_url(centre), **{"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert stale.status_code == 200


def test_cancelling_a_slot_moves_etag(client, slots, centre):
    first = _get(client, family_url(centre))
    Slot.update(status="cancelled", cancelled_at=utcnow(), sequence=Slot.sequence + 1).where(
        Slot.id == slots[0].id
    ).execute()
    second = _get(client, family_url(centre), **{"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert b"STATUS:CANCELLED" in second.data


def test_a_304_does_not_render(client, slots, centre, monkeypatch):
    first = _get(client, family_url(centre))

    def boom(*a, **k):
        raise AssertionError("rendered")

    monkeypatch.setattr("volunteer_app.feeds.content.build_calendar", boom)
    again = _get(client, family_url(centre), **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert _get(client, family_url(centre)).data == first.data  # served from the cache


def test_volunteer_and_staff_feeds(client, slots, centre):
    volunteer = make_user(name="Vera Freiwillig")
    make_signup(slots[0], volunteer)
    coordinator = make_coordinator(centre)
    _, vtoken = link_of(volunteer)
    _, stoken = link_of(coordinator, "staff", centre)
    v = _get(client, private_url(vtoken))
    assert v.status_code == 200
    assert v.headers["Cache-Control"] == "private, no-cache"
    assert len(assert_valid(v.data)) == 1
    s = _get(client, private_url(stoken))
    assert s.status_code == 200
    events = assert_valid(s.data, details=True)
    assert len(events) == 3
    assert b"Vera" in s.data and b"Freiwillig" not in s.data
