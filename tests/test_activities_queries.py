"""The activities' list and detail pages use a fixed number of queries, whatever the rows."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_activities import builtin, make_activity, make_series
from tests.factories_centres import count_queries, english
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.queries import today
from volunteer_app.db import utcnow

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

ROW_LINK = re.compile(r'<a href="/zentren/zentrum-a/angebote/\d+">')


@pytest.fixture
def centre(conn):
    return make_centre(slug="zentrum-a")


def _add_activities(centre, n: int, staff) -> None:
    categories = [builtin(k) for k in ("gardening", "reading", "hiking")]
    categories.append(Category.get_or_create(centre=centre, name="Handwerk")[0])
    rows = [
        {
            "centre": centre.id,
            "title": f"Angebot {i:04d}",
            "category": categories[i % len(categories)].id,
            "place": "Garten",
            "responsible": staff[i % len(staff)].id if i % 5 else None,
            "volunteers_needed": 2,
        }
        for i in range(n)
    ]
    Activity.insert_many(rows).execute()
    start = utcnow() + dt.timedelta(days=2)
    slots = [
        {
            "activity": activity.id,
            "starts_at": start + dt.timedelta(hours=i),
            "ends_at": start + dt.timedelta(hours=i + 1),
            "capacity": 2,
            "taken": i % 3,
        }
        for i, activity in enumerate(Activity.select(Activity.id))
    ]
    Slot.insert_many(slots).execute()


def _add_slots(activity, n: int) -> None:
    series = make_series(activity, start_date=today())
    start = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(8))
    rows = [
        {
            "activity": activity.id,
            "series": series.id,
            "original_date": today() + dt.timedelta(days=1 + i),
            "starts_at": start + dt.timedelta(days=i),
            "ends_at": start + dt.timedelta(days=i, hours=2),
            "capacity": 3,
            "taken": i % 4,
            "status": "cancelled" if i % 7 == 0 else "scheduled",
            "cancelled_at": utcnow() if i % 7 == 0 else None,
        }
        for i in range(n)
    ]
    for chunk in range(0, n, 200):
        Slot.insert_many(rows[chunk : chunk + 200]).execute()


def _queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # warm up (translations, templates)
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


@pytest.mark.slow
def test_activity_list_queries_do_not_grow_with_rows(client, login_as, centre):
    staff = [make_coordinator(centre, name=f"Koordination {i}") for i in range(3)]
    english(login_as(staff[0]))
    _add_activities(centre, 10, staff)
    small, page = _queries(client, "/zentren/zentrum-a/angebote/")
    assert len(ROW_LINK.findall(page)) == 10
    _add_activities(centre, 490, staff)
    large, page = _queries(client, "/zentren/zentrum-a/angebote/")
    assert len(ROW_LINK.findall(page)) == 500
    assert "Handwerk" in page and "Koordination 2" in page
    assert small == large, f"{small} queries for 10 activities, {large} for 500"


@pytest.mark.slow
def test_activity_detail_queries_do_not_grow_with_slots(app, client, login_as, centre):
    app.config["SLOT_HORIZON_DAYS"] = 600
    coordinator = make_coordinator(centre)
    activity = make_activity(centre, responsible=coordinator)
    english(login_as(make_user(role="admin")))
    url = f"/zentren/zentrum-a/angebote/{activity.id}"
    _add_slots(activity, 10)
    small, page = _queries(client, url)
    # Every slot links to its roster; change and cancel only where it is not cancelled.
    assert page.count('/besetzung"') == 10
    assert (
        page.count('/bearbeiten"') - page.count("angebote/" + str(activity.id) + '/bearbeiten"')
        == 8
    )
    assert page.count('/absagen"') == 8
    Slot.delete().execute()
    _add_slots(activity, 500)
    large, page = _queries(client, url)
    # The dates come 50 to a page (tests/test_activities_dates_pages.py walks them all).
    assert page.count('/besetzung"') == 50
    assert page.count('<tr class="cancelled">') == len([i for i in range(50) if i % 7 == 0])
    assert small == large, f"{small} queries for 10 slots, {large} for 500"
    deep, page = _queries(client, url + "?seite=7")
    assert page.count('/besetzung"') == 50 and deep == small
