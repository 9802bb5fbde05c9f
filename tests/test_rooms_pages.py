"""The rooms' pages: booking through the form (clash named, free time taken), the week
views (query counts pinned, phone list, other centres kept out), and the public queries."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_activities import next_weekday
from tests.factories_centres import count_queries
from tests.factories_hub import booking_form, make_booking, make_partner, make_room, make_weekly
from volunteer_app.activities.recurrence import berlin_to_utc
from volunteer_app.rooms import queries
from volunteer_app.rooms.models import Booking

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

SLUG = "zentrum-a"


@pytest.fixture
def hub(conn):
    operator = make_operator()
    centre = make_centre(name="Zentrum A", slug=SLUG, operator=operator)
    coordinator = make_coordinator(centre)
    room = make_room(centre)
    return centre, coordinator, room


def test_the_form_names_the_clash_and_books_an_offered_time(hub, client, login_as):
    _centre, coordinator, room = hub
    day = next_weekday(1)
    make_booking(room, day, dt.time(9), dt.time(11), title="Hebammensprechstunde")
    login_as(coordinator)
    url = f"/zentren/{SLUG}/raeume/buchen"
    response = client.post(url, data=booking_form(room, day, "10:00", "12:00"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kollidiert mit: Hebammensprechstunde" in body
    assert f'name="suggestion" value="{day.isoformat()}T11:00"' in body
    assert Booking.select().count() == 1
    response = client.post(
        url, data=booking_form(room, day, "10:00", "12:00", suggestion=f"{day}T11:00")
    )
    assert response.status_code == 302
    assert f"/raeume/{room.id}/woche?woche={day}" in response.headers["Location"]
    saved = Booking.get(Booking.title == "Elterncafé")
    assert saved.starts_at == berlin_to_utc(day, dt.time(11))
    assert saved.ends_at == berlin_to_utc(day, dt.time(13))
    week = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Elterncafé" in week and "11:00–13:00" in week


def test_preview_of_a_series_lists_every_date_and_writes_nothing(hub, client, login_as):
    _centre, coordinator, room = hub
    first = next_weekday(2)
    login_as(coordinator)
    data = booking_form(room, first, recurrence="weekly", count="5", action="preview")
    body = client.post(f"/zentren/{SLUG}/raeume/buchen", data=data).get_data(as_text=True)
    assert "Der Raum ist frei" in body
    assert body.count('class="free-note"') >= 4
    assert Booking.select().count() == 0


def test_bad_input_gets_clear_messages(hub, client, login_as):
    _centre, coordinator, room = hub
    login_as(coordinator)
    data = booking_form(room, next_weekday(1), "12:00", "11:00", title="\x1bx", room_id="99999")
    body = client.post(f"/zentren/{SLUG}/raeume/buchen", data=data).get_data(as_text=True)
    assert "Das Ende muss nach dem Anfang liegen." in body
    assert Booking.select().count() == 0


def _world_week(room, day, n):
    """``n`` bookings in the week of ``day`` (several per day, some public)."""
    partner = make_partner(room.centre)
    monday = queries.week_start(day)
    for i in range(n):
        when = monday + dt.timedelta(days=i % 5)
        start = dt.datetime.combine(when, dt.time(8)) + dt.timedelta(minutes=15 * (i // 5))
        make_booking(room, when, start.time(), (start + dt.timedelta(minutes=15)).time(),
                     title=f"Termin {i}", partner=partner if i % 2 else None, is_public=i % 3 == 0)  # fmt: skip


@pytest.mark.parametrize("endpoint", ["centre", "room"])
def test_week_views_need_the_same_queries_for_5_and_200_bookings(hub, client, login_as, endpoint):
    _centre, coordinator, room = hub
    login_as(coordinator)
    day = next_weekday(1, weeks=3)
    other_day = day + dt.timedelta(weeks=1)
    _world_week(room, day, 5)
    _world_week(room, other_day, 200)
    path = f"/zentren/{SLUG}/raeume/" + ("" if endpoint == "centre" else f"{room.id}/") + "woche"
    counts = []
    for week in (day, other_day):
        with count_queries() as counter:
            response = client.get(f"{path}?woche={week}")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert "Termin 199" in response.get_data(as_text=True)


def test_week_view_lays_out_blocks_and_marks_holidays(hub, client, login_as):
    centre, coordinator, room = hub
    cafe = make_room(centre, name="Familiencafé")
    day = next_weekday(1)
    make_booking(room, day, dt.time(9), dt.time(11), title="Sprechstunde")
    make_booking(cafe, day, dt.time(10), dt.time(12), title="Krabbelgruppe")
    make_booking(cafe, day, dt.time(19), dt.time(20, 30), title="Elternabend")
    week = queries.week_view(centre, queries.week_start(day))
    [tuesday] = [d for d in week.days if d.date == day]
    by_title = {b.booking.title: b for b in tuesday.blocks}
    assert (by_title["Sprechstunde"].lane, by_title["Sprechstunde"].lanes) == (1, 2)
    assert (by_title["Krabbelgruppe"].lane, by_title["Krabbelgruppe"].lanes) == (2, 2)
    assert by_title["Elternabend"].lanes == 1
    assert (week.first_hour, week.last_hour) == (8, 21)  # widened for the evening
    assert by_title["Sprechstunde"].row == 5 and by_title["Sprechstunde"].span == 8
    assert [d.date.weekday() for d in week.days] == [0, 1, 2, 3, 4]
    login_as(coordinator)
    body = client.get(f"/zentren/{SLUG}/raeume/woche?woche={day}").get_data(as_text=True)
    assert "lane-2-2" in body and "rows-52" in body
    # An unknown week argument shows this week rather than failing.
    assert client.get(f"/zentren/{SLUG}/raeume/woche?woche=kaputt").status_code == 200


def test_another_centres_coordinator_sees_no_bookings(hub, client, login_as):
    _centre, _coordinator, room = hub
    booking = make_booking(room, title="Geheime Besprechung", note="intern")
    stranger = make_coordinator(make_centre(slug="zentrum-b"))
    login_as(stranger)
    for url in (
        f"/zentren/{SLUG}/raeume/",
        f"/zentren/{SLUG}/raeume/woche",
        f"/zentren/{SLUG}/raeume/{room.id}/woche",
        f"/zentren/{SLUG}/buchungen/{booking.id}",
        f"/zentren/{SLUG}/raeume/buchen",
        f"/zentren/zentrum-b/buchungen/{booking.id}",
        f"/zentren/zentrum-b/raeume/{room.id}/woche",
    ):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "Geheime Besprechung" not in response.get_data(as_text=True)
    response = client.post(
        f"/zentren/zentrum-b/buchungen/{booking.id}/absagen", data={"scope": "one"}
    )
    assert response.status_code == 404
    assert Booking.get_by_id(booking.id).status == "booked"
    login_as(make_user())
    assert client.get(f"/zentren/{SLUG}/raeume/woche").status_code == 403


def test_public_consultations_show_only_public_bookings_of_the_centres(hub):
    centre, _coordinator, room = hub
    midwife = make_partner(centre, kind="midwife", name="Hebamme Anna Beispiel")
    day = next_weekday(1)
    public = make_booking(room, day, partner=midwife, is_public=True)
    make_booking(room, day, dt.time(12), dt.time(13), title="Teamsitzung")
    cancelled = make_booking(
        room, day, dt.time(14), dt.time(15), is_public=True, status="cancelled"
    )
    make_booking(make_room(make_centre()), day, is_public=True)
    start, end = berlin_to_utc(day, dt.time(0)), berlin_to_utc(day, dt.time(23))
    found = queries.public_consultations([centre.id], start, end)
    assert [(e.id, e.status, e.kind_label_key) for e in found] == [
        (public.id, "booked", "midwife"),
        (cancelled.id, "cancelled", "other"),
    ]
    entry = found[0]
    assert (entry.title, entry.place, entry.centre_id) == (
        "Hebammensprechstunde",
        room.name,
        centre.id,
    )
    assert "Anna" not in repr(entry)  # no partner names in public entries
    assert queries.public_consultations([], start, end) == []


def test_series_of_weekly_bookings_shows_in_consecutive_weeks(hub, client, login_as):
    _centre, coordinator, room = hub
    first = next_weekday(1)
    make_weekly(room, first, 3, title="Sprechstunde")
    login_as(coordinator)
    for n in range(3):
        week = first + dt.timedelta(weeks=n)
        body = client.get(f"/zentren/{SLUG}/raeume/{room.id}/woche?woche={week}").get_data(
            as_text=True
        )
        assert "Sprechstunde" in body


def test_booking_page_offers_cancelling_the_rest_of_the_series(hub, client, login_as):
    _centre, coordinator, room = hub
    rows = make_weekly(room, next_weekday(1), 3)
    login_as(coordinator)
    body = client.get(f"/zentren/{SLUG}/buchungen/{rows[0].id}").get_data(as_text=True)
    assert "Diesen und alle folgenden Termine der Reihe" in body
    response = client.post(
        f"/zentren/{SLUG}/buchungen/{rows[0].id}/absagen", data={"scope": "series"}
    )
    assert response.status_code == 302
    assert {b.status for b in Booking.select()} == {"cancelled"}
