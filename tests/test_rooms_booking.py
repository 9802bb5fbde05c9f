"""Booking rooms: clashes (one-off and recurring, both ways; across daylight-saving changes;
adjacent bookings), free times offered, holidays and closing days skipped, all or nothing,
cancelling, and two coordinators racing for the same hour."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.factories import make_activity, make_centre, make_coordinator
from tests.factories_activities import last_sunday, next_dst_change, next_weekday
from tests.factories_centres import make_closing_day
from tests.factories_hub import booking_data, make_booking, make_partner, make_room, make_weekly
from volunteer_app.activities.recurrence import berlin_to_utc, is_holiday, utc_to_berlin
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError, NotAllowed
from volunteer_app.db import db
from volunteer_app.rooms import queries, services
from volunteer_app.rooms.models import Booking

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def hub(conn):
    centre = make_centre(name="Zentrum A", slug="zentrum-a")
    coordinator = make_coordinator(centre)
    room = make_room(centre)
    return centre, coordinator, room


def _book(centre, coordinator, room, day, start, end, **extra):
    return services.book_room(
        centre, booking_data(room, day, start, end, **extra), actor=coordinator
    )


def _weekly(first, weeks, start=dt.time(9), end=dt.time(11), **extra):
    return {"recurrence": "weekly", "interval": 1, "ends": "count", "count": weeks, **extra}


def _local(value):
    return utc_to_berlin(value)


# --- Clashes ---------------------------------------------------------------------------------


def test_a_clash_is_refused_and_named(hub):
    centre, coordinator, room = hub
    day = next_weekday(1)
    make_booking(room, day, dt.time(9), dt.time(11), title="Hebammensprechstunde")
    with pytest.raises(services.BookingConflict) as caught:
        _book(centre, coordinator, room, day, dt.time(10), dt.time(12))
    message = caught.value.message
    assert message.startswith("Kollidiert mit: Hebammensprechstunde, ")
    assert "09:00–11:00" in message
    assert Booking.select().count() == 1


def test_adjacent_bookings_do_not_clash(hub):
    centre, coordinator, room = hub
    day = next_weekday(1)
    make_booking(room, day, dt.time(9), dt.time(11))
    before = _book(centre, coordinator, room, day, dt.time(8), dt.time(9))
    after = _book(centre, coordinator, room, day, dt.time(11), dt.time(12))
    assert (before.created, after.created) == (1, 1)
    assert Booking.select().count() == 3


def test_another_room_or_a_cancelled_booking_does_not_clash(hub):
    centre, coordinator, room = hub
    day = next_weekday(1)
    other = make_room(centre, name="Familiencafé")
    make_booking(other, day, dt.time(9), dt.time(11))
    make_booking(room, day, dt.time(9), dt.time(11), status="cancelled")
    assert _book(centre, coordinator, room, day, dt.time(9), dt.time(11)).created == 1


def test_a_long_booking_behind_short_ones_is_found(hub):
    centre, coordinator, room = hub
    day = next_weekday(1)
    make_booking(room, day, dt.time(8), dt.time(17), title="Fortbildung")
    with pytest.raises(services.BookingConflict) as caught:
        _book(centre, coordinator, room, day, dt.time(15), dt.time(16))
    assert "Fortbildung" in caught.value.message


def test_recurring_booking_clashes_with_a_one_off_and_nothing_is_written(hub):
    centre, coordinator, room = hub
    first = next_weekday(1)
    third = first + dt.timedelta(weeks=2)
    while is_holiday(first + dt.timedelta(weeks=1)) or is_holiday(third):
        first += dt.timedelta(weeks=1)
        third = first + dt.timedelta(weeks=2)
    make_booking(room, third, dt.time(10), dt.time(10, 30), title="Elterngespräch")
    with pytest.raises(services.BookingConflict) as caught:
        _book(centre, coordinator, room, first, dt.time(9), dt.time(11), **_weekly(first, 6))
    plan = caught.value.plan
    assert [c.occurrence.original_date for c in plan.clashing] == [third]
    assert [b.title for b in plan.clashing[0].clashes] == ["Elterngespräch"]
    assert len(plan.checks) == 6
    assert "1 von 6 Terminen sind belegt" in caught.value.message
    assert Booking.select().count() == 1  # all or nothing


def test_one_off_booking_clashes_with_a_recurring_one(hub):
    centre, coordinator, room = hub
    first = next_weekday(1)
    _book(centre, coordinator, room, first, dt.time(9), dt.time(11), **_weekly(first, 4),
          title="Hebammensprechstunde")  # fmt: skip
    series = list(Booking.select().order_by(Booking.starts_at))
    day = _local(series[2].starts_at).date()
    with pytest.raises(services.BookingConflict) as caught:
        _book(centre, coordinator, room, day, dt.time(10, 45), dt.time(11, 15))
    assert "Hebammensprechstunde" in caught.value.message
    assert len({b.series_key for b in series}) == 1 and series[0].series_key


@pytest.mark.parametrize("month", [3, 10])
def test_weekly_booking_across_a_dst_change_stays_at_local_time_and_clashes(hub, month):
    centre, coordinator, room = hub
    change = next_dst_change(month)
    first = change - dt.timedelta(days=6)  # the Monday before the change
    while is_holiday(first):
        first -= dt.timedelta(weeks=1)
    result = _book(centre, coordinator, room, first, dt.time(9), dt.time(11), **_weekly(first, 3))
    assert result.created == 3  # (Easter Monday may be skipped: it does not count)
    rows = list(Booking.select().order_by(Booking.starts_at))
    assert [(_local(b.starts_at).time(), _local(b.ends_at).time()) for b in rows] == [
        (dt.time(9), dt.time(11))
    ] * 3
    assert rows[0].starts_at < berlin_to_utc(change, dt.time(12)) < rows[-1].starts_at
    # In UTC the hour moved: 8:00 then 7:00 UTC in March, 7:00 then 8:00 in October.
    assert rows[0].starts_at.hour != rows[-1].starts_at.hour
    assert rows[-1].ends_at - rows[-1].starts_at == dt.timedelta(hours=2)
    after = _local(rows[-1].starts_at).date()
    # 11:00–12:00 local after the change touches the end (no clash), 10:59 does clash.
    assert _book(centre, coordinator, room, after, dt.time(11), dt.time(12)).created == 1
    with pytest.raises(services.BookingConflict):
        _book(centre, coordinator, room, after, dt.time(8), dt.time(9, 1))
    assert _book(centre, coordinator, room, after, dt.time(8), dt.time(9)).created == 1


def test_a_time_in_the_spring_dst_gap_is_refused(hub):
    centre, coordinator, room = hub
    change = next_dst_change(3)
    with pytest.raises(DomainError) as caught:
        _book(centre, coordinator, room, change, dt.time(2, 30), dt.time(4))
    assert caught.value.field == "start_time"
    assert "2:00" in caught.value.message and "3:00" in caught.value.message
    assert Booking.select().count() == 0


def test_holidays_and_closing_days_are_skipped_by_recurring_bookings(hub):
    centre, coordinator, room = hub
    # A weekday holiday at least two weeks ahead, and a closing day a week after it.
    day = today() + dt.timedelta(days=15)
    while not (is_holiday(day) and day.weekday() < 5):
        day += dt.timedelta(days=1)
    first = day - dt.timedelta(weeks=1)
    closed = day + dt.timedelta(weeks=1)
    make_closing_day(centre, days_ahead=(closed - today()).days, reason="Teamtag")
    result = _book(centre, coordinator, room, first, dt.time(9), dt.time(10), **_weekly(first, 3))
    days = [_local(b.starts_at).date() for b in Booking.select().order_by(Booking.starts_at)]
    assert day not in days and closed not in days
    assert len(days) == 3  # skipped dates do not use up the count
    assert {s.day for s in result.plan.skipped} == {day, closed}


def test_a_one_off_booking_on_a_closing_day_is_refused(hub):
    centre, coordinator, room = hub
    closed = make_closing_day(centre, days_ahead=12, reason="Teamtag").day
    with pytest.raises(DomainError) as caught:
        _book(centre, coordinator, room, closed, dt.time(9), dt.time(10))
    assert caught.value.field == "start_date"


def test_recurring_bookings_need_an_end(hub):
    centre, coordinator, room = hub
    first = next_weekday(1)
    with pytest.raises(DomainError) as caught:
        _book(centre, coordinator, room, first, dt.time(9), dt.time(10),
              recurrence="weekly", ends="never")  # fmt: skip
    assert caught.value.field == "ends"


# --- Free times ------------------------------------------------------------------------------


def test_next_free_times_of_the_same_length(hub):
    centre, _coordinator, room = hub
    day = next_weekday(1)
    make_booking(room, day, dt.time(9), dt.time(11))
    make_booking(room, day, dt.time(11, 30), dt.time(13))
    plan = services.plan_booking(centre, booking_data(room, day, dt.time(10), dt.time(12)))
    assert not plan.ok
    starts = [(s.day, s.start, s.end) for s in plan.suggestions]
    assert starts == [
        (day, dt.time(13), dt.time(15)),
        (day, dt.time(13, 30), dt.time(15, 30)),
        (day, dt.time(14), dt.time(16)),
    ]


def test_free_times_stay_within_opening_hours_and_move_to_the_next_day(hub):
    centre, _coordinator, room = hub
    day = next_weekday(1)
    while is_holiday(day + dt.timedelta(days=1)):
        day += dt.timedelta(weeks=1)
    make_booking(room, day, dt.time(8), dt.time(18))
    make_booking(room, day + dt.timedelta(days=1), dt.time(8), dt.time(9))
    plan = services.plan_booking(centre, booking_data(room, day, dt.time(16), dt.time(18)))
    found = [(s.day, s.start) for s in plan.suggestions]
    wednesday = day + dt.timedelta(days=1)
    assert found == [(wednesday, dt.time(9)), (wednesday, dt.time(9, 30)), (wednesday, dt.time(10))]
    assert all(s.end <= dt.time(18) for s in plan.suggestions)


def test_free_times_of_a_series_are_free_on_every_date(hub):
    centre, _coordinator, room = hub
    first = next_weekday(1)
    make_weekly(room, first, 4, dt.time(9), dt.time(11))
    make_booking(room, first + dt.timedelta(weeks=3), dt.time(11), dt.time(12))
    plan = services.plan_booking(
        centre, booking_data(room, first, dt.time(10), dt.time(12), **_weekly(first, 4))
    )
    assert plan.suggestions[0].start == dt.time(12)  # 11:00 would clash in week four
    assert len(plan.clashing) == 4


def test_taking_an_offered_time_books_it(hub):
    centre, coordinator, room = hub
    day = next_weekday(1)
    make_booking(room, day, dt.time(9), dt.time(11))
    plan = services.plan_booking(centre, booking_data(room, day, dt.time(10), dt.time(11)))
    offer = plan.suggestions[0]
    result = _book(centre, coordinator, room, offer.day, offer.start, offer.end)
    assert result.first.starts_at == berlin_to_utc(day, dt.time(11))


# --- Fields, permissions, cancelling ---------------------------------------------------------


def test_partner_and_activity_give_the_title_and_must_belong_to_the_centre(hub):
    centre, coordinator, room = hub
    partner = make_partner(centre, name="Hebammenpraxis")
    other = make_partner(make_centre(), name="Fremd")
    activity = make_activity(centre, title="Vorlesestunde")
    day = next_weekday(1)
    result = _book(centre, coordinator, room, day, dt.time(9), dt.time(10), title="",
                   partner_id=partner.id)  # fmt: skip
    assert (result.first.title, result.first.partner_id) == ("Hebammenpraxis", partner.id)
    result = _book(centre, coordinator, room, day, dt.time(10), dt.time(11), title="",
                   activity_id=activity.id)  # fmt: skip
    assert result.first.title == "Vorlesestunde"
    with pytest.raises(DomainError) as caught:
        _book(centre, coordinator, room, day, dt.time(12), dt.time(13), partner_id=other.id)
    assert caught.value.field == "partner_id"


def test_another_centres_coordinator_may_not_book(hub):
    centre, _coordinator, room = hub
    stranger = make_coordinator(make_centre())
    with pytest.raises(NotAllowed):
        _book(centre, stranger, room, next_weekday(1), dt.time(9), dt.time(10))
    assert Booking.select().count() == 0


def test_an_inactive_room_takes_no_bookings(hub):
    centre, coordinator, room = hub
    room.is_active = False
    room.save()
    with pytest.raises(DomainError) as caught:
        _book(centre, coordinator, room, next_weekday(1), dt.time(9), dt.time(10))
    assert caught.value.field == "room_id"


def test_cancel_one_or_the_rest_of_a_series(hub):
    centre, coordinator, room = hub
    first = next_weekday(1)
    rows = make_weekly(room, first, 4)
    assert services.cancel_booking(centre, rows[1].id, "one", actor=coordinator) == 1
    assert services.cancel_booking(centre, rows[2].id, "series", actor=coordinator) == 2
    statuses = [b.status for b in Booking.select().order_by(Booking.starts_at)]
    assert statuses == ["booked", "cancelled", "cancelled", "cancelled"]
    assert Booking.get_by_id(rows[1].id).sequence == 1
    # The freed hour can be booked again.
    day = _local(rows[1].starts_at).date()
    assert _book(centre, coordinator, room, day, dt.time(9), dt.time(11)).created == 1


def test_cancelling_a_booking_of_another_centre_is_not_found(hub):
    centre, coordinator, _room = hub
    other = make_centre()
    booking = make_booking(make_room(other))
    with pytest.raises(DomainError):
        services.cancel_booking(centre, booking.id, "one", actor=coordinator)
    assert Booking.get_by_id(booking.id).status == "booked"


# --- Concurrency -----------------------------------------------------------------------------


def test_two_coordinators_racing_for_one_hour_get_one_booking(app, backend, conn):
    centre = make_centre(slug="zentrum-a")
    room = make_room(centre)
    people = [make_coordinator(centre) for _ in range(6)]
    day = next_weekday(1)
    barrier = threading.Barrier(len(people))
    outcomes: list = [None] * len(people)

    def run(i, person):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                with db.connection_context():
                    outcomes[i] = _book(centre, person, room, day, dt.time(9), dt.time(11))
            except Exception as exc:
                outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    booked = [o for o in outcomes if isinstance(o, services.BookingResult)]
    refused = [o for o in outcomes if isinstance(o, services.BookingConflict)]
    assert len(booked) == 1 and len(refused) == len(people) - 1, outcomes
    assert Booking.select().count() == 1


def test_room_use_and_clash_helpers(hub):
    centre, _coordinator, room = hub
    day = next_weekday(1)
    make_booking(room, day, dt.time(9), dt.time(11))
    make_booking(room, day, dt.time(13), dt.time(14), status="cancelled")
    start = berlin_to_utc(day, dt.time(10))
    end = berlin_to_utc(day + dt.timedelta(days=1), dt.time(0))
    [(found, hours, count)] = queries.room_use(centre, start, end)
    assert (found.id, hours, count) == (room.id, 1.0, 1)
    assert last_sunday(2026, 3) == dt.date(2026, 3, 29)
