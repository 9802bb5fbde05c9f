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
    reload,
)
from tests.ical_check import assert_valid
from volunteer_app.activities import services
from volunteer_app.activities.models import ActivityText, Slot
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


def test_each_language_has_its_own_etag_and_moves_with_its_texts(client, slots, centre):
    activity = slots[0].activity
    urls = {code: family_url(centre, lang=code) for code in ("uk", "ar", "en")}
    urls["de"] = family_url(centre)
    first = {code: _get(client, url) for code, url in urls.items()}
    assert len({r.headers["ETag"] for r in first.values()}) == 4
    assert all(r.status_code == 200 for r in first.values())
    # The old parameter names the same feed as the new one: same bytes, same ETag.
    old = _get(client, family_url(centre, sprache="en"))
    assert old.headers["ETag"] == first["en"].headers["ETag"]

    def again(code):
        return _get(client, urls[code], **{"If-None-Match": first[code].headers["ETag"]})

    # A Ukrainian text appears: the Ukrainian feed changes, the others are still current.
    text = ActivityText.create(activity=activity, language="uk", title="Читання", description="")
    changed = again("uk")
    assert changed.status_code == 200 and "Читання".encode() in changed.data
    assert [again(code).status_code for code in ("de", "ar", "en")] == [304, 304, 304]
    # Its title changes through the service (which moves the activity's updated_at).
    coordinator = make_coordinator(centre)
    data = {
        "title": activity.title,
        "category_id": activity.category_id,
        "place": activity.place or "Raum 1",
        "responsible_id": coordinator.id,
        "is_public": True,
        "signup_mode": "open",
        "cancel_deadline_hours": 24,
        "volunteers_needed": 2,
        "texts": {"uk": {"title": "Читання вголос", "description": ""}},
    }
    services.update_activity(reload(activity), data, actor=coordinator)
    latest = _get(client, urls["uk"], **{"If-None-Match": changed.headers["ETag"]})
    assert latest.status_code == 200 and "Читання вголос".encode() in latest.data
    # Removed again: the German title in the Ukrainian feed.
    ActivityText.delete().where(ActivityText.id == text.id).execute()
    gone = _get(client, urls["uk"], **{"If-None-Match": latest.headers["ETag"]})
    assert gone.status_code == 200 and b"Vorlesen am Nachmittag" in gone.data


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
