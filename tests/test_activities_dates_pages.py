"""The coordinators' activity page lists its upcoming dates 50 at a time.

Every date appears on exactly one page, in order; the links between pages keep the
address's other arguments; the page runs the same number of queries for 10 dates as for
300; a page number past the end leads back to the first page.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_activity, make_centre, make_coordinator, make_slot
from tests.factories_centres import count_queries
from volunteer_app.activities.views import SLOTS_PER_PAGE
from volunteer_app.db import utcnow

ROSTER = re.compile(r'href="/termine/(\d+)/besetzung"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')
PREV = re.compile(r'rel="prev" href="([^"]+)"')
PAGE_QUERIES = 8


@pytest.fixture
def place(conn):
    centre = make_centre(name="Zentrum Seiten", slug="zentrum-seiten")
    coordinator = make_coordinator(centre, name="Clara Seiten")
    activity = make_activity(centre, title="Offener Treff", responsible=coordinator)
    return centre, coordinator, activity


def add_dates(activity, count: int, first: dt.datetime | None = None) -> list[int]:
    """``count`` dates half an hour apart from tomorrow on, every 7th cancelled; their ids
    in the order the page shows them."""
    first = first or utcnow().replace(second=0, microsecond=0) + dt.timedelta(days=1)
    ids = []
    for n in range(count):
        starts = first + dt.timedelta(minutes=30 * n)
        fields = {"status": "cancelled", "cancelled_at": utcnow()} if n % 7 == 3 else {}
        ids.append(make_slot(activity, starts_at=starts, hours=0.25, **fields).id)
    return ids


def page_url(centre, activity, query: str = "") -> str:
    return f"/zentren/{centre.slug}/angebote/{activity.id}{query}"


def walk(client, url: str) -> list[list[int]]:
    """The dates' ids page by page, following "Later dates" from ``url``."""
    pages, seen_urls = [], set()
    while url:
        assert url not in seen_urls
        seen_urls.add(url)
        html = client.get(url).get_data(as_text=True)
        # Each date links its roster once (cancelled ones too).
        pages.append([int(i) for i in dict.fromkeys(ROSTER.findall(html))])
        following = NEXT.search(html)
        url = following.group(1).replace("&amp;", "&") if following else None
    return pages


@pytest.mark.parametrize("count", [0, 1, SLOTS_PER_PAGE, SLOTS_PER_PAGE + 1, 3 * SLOTS_PER_PAGE])
def test_every_date_is_on_exactly_one_page_in_order(client, login_as, place, count):
    centre, coordinator, activity = place
    ids = add_dates(activity, count)
    login_as(coordinator)
    pages = walk(client, page_url(centre, activity))
    assert [i for page in pages for i in page] == ids  # no gaps, no repeats, by start
    assert len(pages) == max(1, -(-count // SLOTS_PER_PAGE))
    assert all(len(page) == SLOTS_PER_PAGE for page in pages[:-1])
    if count == 0:
        assert "Keine kommenden Termine." in client.get(page_url(centre, activity)).get_data(
            as_text=True
        )


def test_the_pager_is_a_labelled_navigation_back_and_forth(client, login_as, place):
    centre, coordinator, activity = place
    add_dates(activity, 2 * SLOTS_PER_PAGE + 5)
    login_as(coordinator)
    first = client.get(page_url(centre, activity)).get_data(as_text=True)
    assert '<nav class="pager" aria-label="Seiten">' in first
    assert not PREV.search(first) and "Spätere Termine" in first
    assert "(Seite 1)" in first
    second = client.get(page_url(centre, activity, "?seite=2")).get_data(as_text=True)
    assert "Frühere Termine" in second and "Spätere Termine" in second
    # Both links lead back to the list of dates, not to the top of the page.
    assert PREV.search(second).group(1).endswith("seite=1#slots-heading")
    assert NEXT.search(second).group(1).endswith("seite=3#slots-heading")
    last = client.get(page_url(centre, activity, "?seite=3")).get_data(as_text=True)
    assert PREV.search(last) and not NEXT.search(last)
    assert len(dict.fromkeys(ROSTER.findall(last))) == 5


def test_one_page_needs_no_pager(client, login_as, place):
    centre, coordinator, activity = place
    add_dates(activity, SLOTS_PER_PAGE)
    login_as(coordinator)
    html = client.get(page_url(centre, activity)).get_data(as_text=True)
    assert 'class="pager"' not in html and "(Seite" not in html


def test_page_links_keep_the_other_arguments(client, login_as, place):
    centre, coordinator, activity = place
    add_dates(activity, 2 * SLOTS_PER_PAGE + 1)
    login_as(coordinator)
    html = client.get(page_url(centre, activity, "?seite=2&lang=en&ansicht=kurz")).get_data(
        as_text=True
    )
    assert "Earlier dates" in html  # ?lang=en is kept for the page
    for link in (PREV.search(html).group(1), NEXT.search(html).group(1)):
        assert "lang=en" in link and "ansicht=kurz" in link
        assert link.count("seite=") == 1


def test_arguments_that_name_the_route_or_url_for_are_not_passed_on(client, login_as, place):
    centre, coordinator, activity = place
    add_dates(activity, SLOTS_PER_PAGE + 1)
    login_as(coordinator)
    query = "?slug=anders&activity_id=1&endpoint=x&_external=1&_anchor=oben&seite=1"
    response = client.get(page_url(centre, activity, query))
    assert response.status_code == 200
    link = NEXT.search(response.get_data(as_text=True)).group(1)
    assert link.startswith(page_url(centre, activity, "?"))
    assert "anders" not in link and "endpoint" not in link and "oben" not in link


@pytest.mark.parametrize("query", ["?seite=9", "?seite=10000000"])
def test_a_page_past_the_end_leads_to_the_first(client, login_as, place, query):
    centre, coordinator, activity = place
    add_dates(activity, 3)
    login_as(coordinator)
    response = client.get(page_url(centre, activity, query))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(page_url(centre, activity))


@pytest.mark.parametrize("query", ["?seite=0", "?seite=-3", "?seite=zwei"])
def test_a_bad_page_number_is_the_first_page(client, login_as, place, query):
    centre, coordinator, activity = place
    ids = add_dates(activity, SLOTS_PER_PAGE + 2)
    login_as(coordinator)
    response = client.get(page_url(centre, activity, query))
    assert response.status_code == 200
    shown = [int(i) for i in dict.fromkeys(ROSTER.findall(response.get_data(as_text=True)))]
    assert shown == ids[:SLOTS_PER_PAGE]


def test_past_dates_are_not_listed(client, login_as, place):
    centre, coordinator, activity = place
    past = add_dates(activity, 3, first=utcnow() - dt.timedelta(days=3))
    coming = add_dates(activity, 2)
    login_as(coordinator)
    (page,) = walk(client, page_url(centre, activity))
    assert page == coming and not set(past) & set(page)


def test_the_page_runs_as_many_queries_for_300_dates_as_for_10(client, login_as, place, conn):
    centre, coordinator, activity = place
    login_as(coordinator)
    add_dates(activity, 10)
    client.get(page_url(centre, activity))  # warm: the session's user, the language
    with count_queries() as few:
        assert client.get(page_url(centre, activity)).status_code == 200
    add_dates(activity, 290, first=utcnow() + dt.timedelta(days=20))
    counts = []
    for query in ("", "?seite=3", "?seite=6"):
        with count_queries() as many:
            assert client.get(page_url(centre, activity, query)).status_code == 200
        counts.append(many.count)
    assert counts == [few.count] * 3
    # The session's user, the centre, the membership, the activity, one page of dates, the
    # centre's closing days and the activity's schedules (skipped dates), its other texts.
    assert few.count == PAGE_QUERIES, few.queries
