"""The feed rate limits and conditional requests: a request answered with 304 (it matches the
current ETag or date of a feed that exists) counts against neither ``RATELIMIT_FEED_URL`` nor
``RATELIMIT_FEEDS``; an unknown key, a stale ETag and every 200 still count, so guessing keys
stays as limited as before."""

from __future__ import annotations

import pytest
from werkzeug.http import http_date

from tests.factories_feeds import (
    count_queries,
    days_from_today,
    family_url,
    link_of,
    make_activity,
    make_centre,
    make_slot,
    make_user,
    private_url,
)
from volunteer_app.db import utcnow

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def centre(conn):
    centre = make_centre(name="Zentrum Limits", slug="limits")
    make_slot(make_activity(centre, title="Vorlesen"), days_from_today(3))
    return centre


def _codes(client, url, times: int, **headers) -> list[int]:
    return [client.get(url, headers=headers).status_code for _ in range(times)]


def test_a_matching_family_feed_request_is_not_counted(app, client, centre):
    app.config["RATELIMIT_FEED_URL"] = "2 per minute"
    url = family_url(centre)
    first = client.get(url)
    assert first.status_code == 200  # counted: 1
    etag = first.headers["ETag"]
    assert _codes(client, url, 8, **{"If-None-Match": etag}) == [304] * 8
    assert _codes(client, url, 5, **{"If-Modified-Since": http_date(utcnow())}) == [304] * 5
    # A stale ETag gets the feed, and counts; so does a plain request.
    assert _codes(client, url, 2, **{"If-None-Match": '"stale"'}) == [200, 429]
    # Still no 429 for the matching ones: they were never counted.
    assert _codes(client, url, 3, **{"If-None-Match": etag}) == [304] * 3


def test_a_matching_private_feed_request_is_not_counted(app, client, centre):
    app.config["RATELIMIT_FEED_URL"] = "2 per minute"
    _, token = link_of(make_user())
    url = private_url(token)
    etag = client.get(url).headers["ETag"]  # counted: 1
    assert _codes(client, url, 8, **{"If-None-Match": etag}) == [304] * 8
    assert _codes(client, url, 2) == [200, 429]


def test_matching_requests_leave_the_limit_over_all_feeds_alone(app, client, centre):
    app.config["RATELIMIT_FEEDS"] = "3 per minute"
    url = family_url(centre)
    etag = client.get(url).headers["ETag"]  # counted: 1
    assert _codes(client, url, 10, **{"If-None-Match": etag}) == [304] * 10
    assert _codes(client, url, 3) == [200, 200, 429]


def test_guessing_keys_with_a_condition_is_still_counted(app, client, centre):
    """An unknown token or centre is a 404 whatever the request sends, and counts: an ETag
    that matches some other feed, or ``*`` (which matches any feed that exists), gains
    the guesser nothing."""
    app.config["RATELIMIT_FEEDS"] = "5 per minute"
    _, token = link_of(make_user())
    assert client.get(private_url(token)).status_code == 200  # rendered and counted: 1
    cached = client.get(private_url(token), headers={"If-None-Match": "*"})
    assert cached.status_code == 304  # a real link, its feed cached: not counted
    real = client.get(family_url(centre)).headers["ETag"]  # counted: 2
    guesses = [
        client.get(private_url(f"{i:043d}"), headers={"If-None-Match": real}).status_code
        for i in range(3)
    ]
    assert guesses == [404] * 3  # counted: 5
    assert client.get(private_url("9" * 43), headers={"If-None-Match": "*"}).status_code == 429
    assert client.get("/zentren/gibt-es-nicht/kalender.ics").status_code == 429


def test_an_unknown_centre_with_a_condition_is_counted(app, client, centre):
    app.config["RATELIMIT_FEED_URL"] = "3 per minute"
    url = "/zentren/gibt-es-nicht/kalender.ics"
    assert _codes(client, url, 4, **{"If-None-Match": "*"}) == [404, 404, 404, 429]


def test_the_304_is_one_query_and_the_limits_read_nothing_again(app, client, centre):
    url = family_url(centre)
    etag = client.get(url).headers["ETag"]
    with count_queries() as counter:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert len(counter.queries) == 1, counter.queries
    with count_queries() as counter:
        assert client.get(url).status_code == 200  # the head, then the cached body
    assert len(counter.queries) == 2, counter.queries
