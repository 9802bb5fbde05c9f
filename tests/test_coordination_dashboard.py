"""The centre dashboard: the next 14 days, unfilled first, fill levels, fixed query count;
and ``unfilled_slots_for`` for the daily digest."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_centres import count_queries, english
from tests.factories_coordination import (
    berlin,
    make_activity,
    make_signup,
    make_slot,
    many_slots,
)
from volunteer_app.activities.models import Slot
from volunteer_app.centres.queries import today
from volunteer_app.coordination import queries
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def centre(conn):
    return make_centre(name="Zentrum A", slug="zentrum-a")


@pytest.fixture
def coordinator(centre):
    return make_coordinator(centre)


def _titles_in_order(body: str) -> list[str]:
    return re.findall(r'class="slot-title"><a href="/termine/\d+/besetzung">([^<]+)</a>', body)


def _section(body: str, heading_id: str) -> str:
    start = body.index(f'id="{heading_id}"')
    end = body.find("</section>", start)
    return body[start:end]


def test_unfilled_first_then_by_time_with_fill_levels(client, login_as, centre, coordinator):
    act = make_activity(centre, title="Gartentag", volunteers_needed=2)
    full_early = make_slot(make_activity(centre, title="Früh voll"), 1, capacity=1)
    make_signup(full_early)
    open_late = make_slot(make_activity(centre, title="Spät offen"), 9, capacity=3)
    make_signup(open_late)
    make_signup(open_late)
    make_slot(act, 5, capacity=2)  # Gartentag, empty
    cancelled = make_slot(make_activity(centre, title="Abgesagt"), 2, capacity=2)
    Slot.update(status="cancelled").where(Slot.id == cancelled.id).execute()
    make_signup(open_late, status="pending")
    make_signup(open_late, status="waitlisted")
    make_signup(open_late, status="waitlisted")

    english(login_as(coordinator))
    response = client.get("/zentren/zentrum-a/planung")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _titles_in_order(body) == ["Gartentag", "Spät offen", "Früh voll", "Abgesagt"]
    needs = _section(body, "open-heading")
    assert "Gartentag" in needs and "Spät offen" in needs
    assert "0 of 2 filled" in needs and "2 of 3 filled" in needs
    assert "1 awaits approval" in needs and "2 on the waiting list" in needs
    others = _section(body, "full-heading")
    assert "1 of 1 filled" in others
    assert "Cancelled" in others and "Cancelled" not in needs
    # The bar is a native meter named by the visible text.
    assert '<meter class="fill-bar" min="0" max="3" value="2"' in body
    assert f'aria-labelledby="fill-{open_late.id}"' in body
    # At a glance: 2 slots need people, 3 places open, 1 pending, 2 waiting.
    glance = body[body.index('class="desk-summary"') : body.index("open-heading")]
    assert re.search(r'<span class="num">2</span>\s*<span>slots need volunteers', glance)
    assert "3 places open" in glance
    assert re.search(
        r'<span class="num">1</span>\s*<a href="#approvals-heading">sign-up awaits', glance
    )
    assert re.search(r'<span class="num">2</span>\s*people on waiting lists', glance)


def test_only_this_centre_and_the_next_14_days(client, login_as, centre, coordinator):
    other = make_centre(slug="anderswo")
    make_slot(make_activity(other, title="Fremdes Angebot"), 2)
    make_slot(make_activity(centre, title="Gestern"), -1)
    make_slot(make_activity(centre, title="Heute früh"), 0, hour=0, minute=30)
    make_slot(make_activity(centre, title="Tag 13"), 13, hour=23)
    make_slot(make_activity(centre, title="Tag 14"), 14, hour=0, minute=5)
    english(login_as(coordinator))
    body = client.get("/zentren/zentrum-a/planung").get_data(as_text=True)
    assert set(_titles_in_order(body)) == {"Heute früh", "Tag 13"}


def test_times_are_berlin_time(client, login_as, centre, coordinator):
    # 2 hours of 15:00 Berlin: shown as 15:00 whatever UTC says.
    make_slot(make_activity(centre, title="Backen"), 3, hour=15)
    login_as(coordinator)  # German
    body = client.get("/zentren/zentrum-a/planung").get_data(as_text=True)
    assert "15:00–17:00" in body


def test_empty_dashboard_says_so_calmly(client, login_as, centre, coordinator):
    english(login_as(coordinator))
    body = client.get("/zentren/zentrum-a/planung").get_data(as_text=True)
    assert "Every slot of the next 14 days has all the volunteers it needs." in body


def test_links_lead_to_the_roster(client, login_as, centre, coordinator):
    slot = make_slot(make_activity(centre, title="Wandern"), 3)
    login_as(coordinator)
    body = client.get("/zentren/zentrum-a/planung").get_data(as_text=True)
    assert f'href="/termine/{slot.id}/besetzung"' in body


def _dashboard_queries(client, n_before: int, activity, n: int) -> int:
    many_slots(activity, n)
    with count_queries() as counter:
        response = client.get("/zentren/zentrum-a/planung")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    board = body[body.index('id="open-heading"') :]  # the 14 days, not the lists above them
    assert board.count('class="slot-line') == n_before + n
    return counter.count


def test_query_count_is_the_same_for_10_and_500_slots(client, login_as, centre, coordinator):
    activity = make_activity(centre, title="Viele Termine")
    # Some sign-ups so the pending/waitlist sub-selects have rows to count.
    first = make_slot(activity, 1, capacity=3)
    make_signup(first, status="pending")
    make_signup(first, status="waitlisted")
    login_as(coordinator)
    small = _dashboard_queries(client, 1, activity, 10)
    large = _dashboard_queries(client, 11, activity, 490)
    assert small == large
    # Login user, centre, membership check, slots with counts, slots awaiting attendance,
    # families' wishes awaiting approval, "can't come" notices, closing days in the 14 days,
    # upcoming sign-ups awaiting approval, open certificate requests.
    assert small == 10


def test_past_slots_without_attendance_are_listed_until_recorded(
    client, login_as, centre, coordinator
):
    activity = make_activity(centre, title="Lesepaten")
    past = make_slot(activity, -2, capacity=2)
    signup = make_signup(past, status="confirmed")
    old = make_slot(activity, -40, capacity=2)
    make_signup(old, status="confirmed")  # beyond the 30-day look-back
    english(login_as(coordinator))
    body = client.get("/zentren/zentrum-a/planung").get_data(as_text=True)
    assert "Attendance still to record" in body
    assert f'href="/termine/{past.id}/besetzung#confirmed"' in body
    assert f"/termine/{old.id}/besetzung" not in body
    assert "1 person without attendance" in body
    Signup.update(attendance="attended", hours=2).where(Signup.id == signup.id).execute()
    body = client.get("/zentren/zentrum-a/planung").get_data(as_text=True)
    assert "Attendance still to record" not in body


# --- unfilled_slots_for (the daily digest's query) ------------------------------------------


def test_unfilled_slots_for(conn, centre):
    other = make_centre(slug="b")
    third = make_centre(slug="c")
    act = make_activity(centre, title="A", volunteers_needed=2)
    open_slot = make_slot(act, 2)
    make_signup(open_slot)
    full = make_slot(act, 3, capacity=1)
    make_signup(full)
    cancelled = make_slot(act, 4)
    Slot.update(status="cancelled").where(Slot.id == cancelled.id).execute()
    outside = make_slot(act, 9)
    b_slot = make_slot(make_activity(other, title="B"), 1)
    make_slot(make_activity(third, title="C"), 1)  # centre not asked for

    start, end = berlin(0, 0), berlin(7, 0)
    found = queries.unfilled_slots_for([centre.id, other.id], start, end)
    # By centre name ("ThEKiZ Nummer …" before "Zentrum A"), then time.
    assert [s.id for s in found] == [b_slot.id, open_slot.id]
    assert outside.id not in {s.id for s in found}
    # Joined: reading activity, category and centre needs no further query.
    with count_queries() as counter:
        labels = [
            (s.activity.title, s.activity.category.key, s.activity.centre.slug) for s in found
        ]
    assert counter.count == 0
    assert ("A", "reading", centre.slug) in labels
    assert queries.unfilled_slots_for([], start, end) == []
    assert queries.unfilled_slots_for(set(), start, end) == []


def test_unfilled_slots_for_is_one_query(conn, centre):
    act = make_activity(centre)
    many_slots(act, 50, days=7)
    start, end = berlin(0, 0), berlin(7, 0)
    with count_queries() as counter:
        found = queries.unfilled_slots_for([centre.id], start, end)
        [s.activity.centre.name for s in found]
    assert counter.count == 1
    assert found and all(s.taken < s.capacity for s in found)
    assert all(start <= s.starts_at < end for s in found)


def test_dashboard_window_counts_whole_berlin_days(conn, centre):
    board = queries.dashboard(centre.id, today())
    assert board.first_day == today()
    assert board.last_day == today() + dt.timedelta(days=13)
    start, end = queries.berlin_days(dt.date(2026, 3, 29), 1)  # DST starts: 23 hours
    assert end - start == dt.timedelta(hours=23)
    start, end = queries.berlin_days(dt.date(2026, 10, 25), 1)  # DST ends: 25 hours
    assert end - start == dt.timedelta(hours=25)


def test_a_volunteer_sees_no_dashboard_link_data(client, login_as, centre):
    make_slot(make_activity(centre, title="Geheim"), 2)
    login_as(make_user())
    response = client.get("/zentren/zentrum-a/planung")
    assert response.status_code == 403
    assert "Geheim" not in response.get_data(as_text=True)
