"""A feed's query count does not grow with its events: pinned at 10 and 500 slots, for the
first (rendering) request, a cached 200 and a 304; and the my-calendars page per centre."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories_feeds import (
    count_queries,
    family_url,
    link_of,
    make_activity,
    make_centre,
    make_coordinator,
    make_user,
    private_url,
)
from volunteer_app.activities.models import ActivityText, Slot
from volunteer_app.activities.recurrence import berlin_to_utc
from volunteer_app.centres.queries import today
from volunteer_app.feeds.models import FeedCache
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def _world(n: int):
    centre = make_centre()
    activity = make_activity(centre, title="Treff")
    start = berlin_to_utc(today() + dt.timedelta(days=1), dt.time(9))
    Slot.insert_many(
        [
            {
                "activity": activity.id,
                "starts_at": start + dt.timedelta(hours=5 * i),
                "ends_at": start + dt.timedelta(hours=5 * i + 2),
                "capacity": 3,
                "taken": 1,
            }
            for i in range(n)
        ]
    ).execute()
    volunteer = make_user(name="Vera Freiwillig")
    Signup.insert_many(
        [
            {"slot": s.id, "volunteer": volunteer.id, "status": "confirmed"}
            for s in Slot.select(Slot.id)
        ]
    ).execute()
    coordinator = make_coordinator(centre)
    return centre, volunteer, coordinator


# The render lock on PostgreSQL: pg_try_advisory_lock and pg_advisory_unlock around a rendering.
LOCK = {"sqlite": 0, "postgres": 2}


def _counts(client, url) -> tuple[int, int, int]:
    FeedCache.delete().execute()
    with count_queries() as cold:
        first = client.get(url)
    with count_queries() as warm:
        again = client.get(url)
    with count_queries() as not_modified:
        resp = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code, resp.status_code) == (200, 200, 304)
    return cold.count, warm.count, not_modified.count


@pytest.mark.parametrize("kind", ["family", "staff", "volunteer"])
def test_feed_query_count_is_constant(client, conn, kind, backend):
    results = []
    for n in (10, 500):
        centre, volunteer, coordinator = _world(n)
        if kind == "family":
            url = family_url(centre)
        elif kind == "staff":
            url = private_url(link_of(coordinator, "staff", centre)[1])
        else:
            url = private_url(link_of(volunteer)[1])
        results.append(_counts(client, url))
    assert results[0] == results[1], results
    # 304: a family feed's one query (centre, its revision and the cache entry's head joined),
    # a private link's two (the link with its membership and revision; the cache entry's
    # head) — never a slot, never the body. A cached 200 adds the body; the first request
    # reads the cache entry again under the render lock, the centre (family), the rows
    # (staff: and the people) and stores the result.
    cold, warm, not_modified = {"family": (6, 2, 1), "staff": (6, 3, 2), "volunteer": (5, 3, 2)}[
        kind
    ]
    expected = (cold + LOCK[backend], warm, not_modified)
    assert results[0] == expected, results


def test_family_feed_in_another_language_reads_the_texts_once(client, conn, backend):
    """In Ukrainian the revision is the same one lookup and rendering reads the texts in one
    query, however many activities have one."""
    results = []
    for n in (10, 500):
        centre, _volunteer, _coordinator = _world(n)
        for i in range(n // 10):  # more activities with a text and a slot each
            activity = make_activity(centre, title=f"Treff {i}")
            ActivityText.create(activity=activity, language="uk", title=f"Зустріч {i}")
            Slot.create(
                activity=activity,
                starts_at=berlin_to_utc(today() + dt.timedelta(days=2), dt.time(9)),
                ends_at=berlin_to_utc(today() + dt.timedelta(days=2), dt.time(10)),
                capacity=2,
            )
        results.append(_counts(client, family_url(centre, lang="uk")))
        assert "Зустріч 0".encode() in client.get(family_url(centre, lang="uk")).data
    assert results[0] == results[1] == (7 + LOCK[backend], 2, 1), results


def test_my_calendars_page_query_count_does_not_grow_with_centres(client, login_as, conn):
    counts = []
    for n in (1, 8):
        coordinator = make_coordinator(*[make_centre() for _ in range(n)])
        for centre in coordinator.memberships:
            link_of(coordinator, "staff", centre.centre)
        link_of(coordinator)
        login_as(coordinator)
        with count_queries() as page:
            assert client.get("/konto/kalender").status_code == 200
        counts.append(page.count)
    assert counts[0] == counts[1], counts
