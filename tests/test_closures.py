"""Closures after planning: a closing day or range entered when slots exist is previewed
(slots, people, room bookings), confirmed, and cancels through the normal services; removing
it brings nothing back; moving a single slot onto a holiday or closing day asks first;
cancelling one date carries a reason to volunteers and families."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_activities import (
    make_activity,
    make_series,
    make_signup,
    make_slot,
    next_dst_change,
    next_weekday,
    reload,
)
from tests.factories_centres import count_queries, english, make_closing_day
from tests.factories_feeds import family_url
from tests.factories_hub import make_booking, make_room
from volunteer_app.activities import schedules, slots
from volunteer_app.activities.models import Slot
from volunteer_app.activities.recurrence import berlin_to_utc, thuringian_holidays
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres import services
from volunteer_app.centres.models import ClosingDay
from volunteer_app.centres.queries import closure_ranges, today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.programme.weeks import group_by_week
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

REASON = "Weihnachtsschließzeit"


@pytest.fixture
def world(conn):
    """Centre A with a coordinator and a public activity, and centre B with its own."""
    centre = make_centre(name="Zentrum A", slug="zentrum-a", contact_email="info@a.example")
    other = make_centre(name="Zentrum B", slug="zentrum-b")
    return {
        "centre": centre,
        "coordinator": make_coordinator(centre),
        "activity": make_activity(centre, title="Vorlesestunde", volunteers_needed=3),
        "other": other,
        "other_coordinator": make_coordinator(other),
    }


def christmas() -> tuple[dt.date, dt.date]:
    """The next 22 December (today at the earliest) and the 2 January after it."""
    first = dt.date(today().year, 12, 22)
    if first < today():
        first = dt.date(today().year + 1, 12, 22)
    return first, dt.date(first.year + 1, 1, 2)


def mails_to(user) -> list[OutboxMessage]:
    return list(OutboxMessage.select().where(OutboxMessage.recipient == user.email))


def closure_form(first: dt.date, last: dt.date | None = None, reason=REASON, **extra) -> dict:
    data = {"day": first.strftime("%d.%m.%Y"), "reason": reason, **extra}
    if last:
        data["until"] = last.strftime("%d.%m.%Y")
    return data


# --- The Christmas closure across the year end, end to end ------------------------------------


def test_christmas_closure_is_previewed_then_cancels_through_the_services(client, login_as, world):
    first, last = christmas()
    activity, centre = world["activity"], world["centre"]
    inside = [
        make_slot(activity, day=first + dt.timedelta(days=1), start=dt.time(15), end=dt.time(17)),
        make_slot(activity, day=last, start=dt.time(10), end=dt.time(12)),  # the new year
    ]
    before = make_slot(activity, day=first - dt.timedelta(days=1))
    after = make_slot(activity, day=last + dt.timedelta(days=1))
    anna = make_user(name="Anna Acker", locale="de")
    bert = make_user(name="Bert Beet", locale="en")
    carla = make_user(name="Carla Kürbis", locale="de")
    gone = make_user(name="Dora Dahin")
    make_signup(inside[0], anna)
    make_signup(inside[0], bert, status="waitlisted")
    make_signup(inside[1], carla, status="pending")
    make_signup(inside[1], gone, status="cancelled")
    make_signup(after, make_user(name="Emil Erst"))
    room = make_room(centre, name="Saal")
    consultation = make_booking(
        room, first + dt.timedelta(days=7), title="Hebammensprechstunde", is_public=True
    )
    untouched = make_booking(room, last + dt.timedelta(days=1), title="Elterncafé")
    english(login_as(world["coordinator"]))

    # 1. The preview: what would be cancelled, nothing written yet.
    response = client.post("/zentren/zentrum-a/schliesstage", data=closure_form(first, last))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Close the centre?" in page
    assert "12 days are closed." in page
    assert "2 planned dates are cancelled." in page
    assert "3 people signed up are told by e-mail." in page
    assert "Anna Acker" in page and "Bert Beet" in page and "Carla Kürbis" in page
    assert "Dora Dahin" not in page and "Emil Erst" not in page
    assert "Hebammensprechstunde" in page and "Elterncafé" not in page
    assert "Close and cancel 2 dates" in page
    assert ClosingDay.select().count() == 0
    assert {reload(s).status for s in inside} == {"scheduled"}
    assert OutboxMessage.select().count() == 0

    # 2. Confirmed: closing days, cancelled slots (with the reason), people told, places free.
    response = client.post(
        "/zentren/zentrum-a/schliesstage",
        data=closure_form(first, last, confirm="1", cancel_bookings="y"),
    )
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "12 closing days have been added. 2 dates have been cancelled." in flashed
    assert "3 people signed up have been told. 1 room booking has been cancelled." in flashed
    days = list(ClosingDay.select().order_by(ClosingDay.day))
    assert [d.day for d in days] == [first + dt.timedelta(days=n) for n in range(12)]
    assert {d.reason for d in days} == {REASON}
    for slot in inside:
        fresh = reload(slot)
        assert (fresh.status, fresh.taken, fresh.cancel_reason) == ("cancelled", 0, REASON)
        assert fresh.sequence == slot.sequence + 1
    assert reload(before).status == reload(after).status == "scheduled"
    assert reload(after).taken == 1
    assert {s.volunteer.name: s.status for s in Signup.select() if s.slot_id != after.id} == {
        "Anna Acker": "cancelled",
        "Bert Beet": "cancelled",
        "Carla Kürbis": "cancelled",
        "Dora Dahin": "cancelled",
    }
    assert "Grund: Weihnachtsschließzeit" in mails_to(anna)[0].body_text
    assert "Grund: Weihnachtsschließzeit" in mails_to(anna)[0].body_html
    assert "Reason: Weihnachtsschließzeit" in mails_to(bert)[0].body_text
    assert len(mails_to(carla)) == 1 and mails_to(gone) == []
    assert reload(consultation).status == "cancelled"
    assert reload(untouched).status == "booked"
    assert AuditEntry.select().where(AuditEntry.action == "slot.cancelled").count() == 2

    # 3. Families see the closure and the cancelled dates with the reason, in German.
    programme = client.get(
        f"/zentren/zentrum-a?ab={first.isoformat()}&lang=de", follow_redirects=True
    ).get_data(as_text=True)
    assert "Fällt aus: Weihnachtsschließzeit" in programme
    assert "Das Zentrum ist geschlossen: Weihnachtsschließzeit" in programme
    feed = client.get(family_url(centre)).get_data(as_text=True)
    assert "Fällt aus: Weihnachtsschließzeit" in feed.replace("\r\n ", "")
    assert "STATUS:CANCELLED" in feed  # (the feed reaches a year ahead: not all of it)

    # 4. The coordinator's page shows the closure as one range.
    edit = english(client).get("/zentren/zentrum-a/bearbeiten").get_data(as_text=True)
    assert "(12 days)" in edit and "dates cancelled for the closure stay cancelled" in edit


def test_bookings_stay_when_the_box_is_unticked(conn, world):
    day = next_weekday(2)
    room = make_room(world["centre"])
    training = make_booking(room, day, title="Teamfortbildung")
    result = services.add_closure(
        world["centre"], actor=world["coordinator"], first=day, reason="Fortbildung", cancel=True
    )
    assert (result.days, result.slots, result.bookings) == (1, 0, 0)
    assert reload(training).status == "booked"


# --- Daylight saving: Berlin days, not UTC days --------------------------------------------


@pytest.mark.parametrize("month", [3, 10])
def test_closure_over_a_series_across_a_clock_change(conn, world, month):
    sunday = next_dst_change(month)  # the clocks change in the night to this Sunday
    saturday, monday = sunday - dt.timedelta(days=1), sunday + dt.timedelta(days=1)
    activity = world["activity"]
    series = make_series(
        activity,
        start_date=sunday - dt.timedelta(days=7),
        until_date=sunday + dt.timedelta(days=7),
        start_time=dt.time(10),
        end_time=dt.time(12),
    )
    weekly = [
        make_slot(activity, day=sunday + dt.timedelta(days=n), series=series) for n in (-7, 0, 7)
    ]
    # At the edges of the Berlin days, where UTC days differ from Berlin days.
    early_sat = make_slot(activity, day=saturday, start=dt.time(0, 30), end=dt.time(1, 30))
    late_sun = make_slot(activity, day=sunday, start=dt.time(23), end=dt.time(23, 45))
    early_mon = make_slot(activity, day=monday, start=dt.time(0, 30), end=dt.time(1, 30))
    late_fri = make_slot(
        activity, day=saturday - dt.timedelta(days=1), start=dt.time(23), end=dt.time(23, 45)
    )
    plan = services.plan_closure(
        world["centre"], actor=world["coordinator"], first=saturday, last=sunday
    )
    assert [line.slot.id for line in plan.impact.slots] == [early_sat.id, weekly[1].id, late_sun.id]

    result = services.add_closure(
        world["centre"],
        actor=world["coordinator"],
        first=saturday,
        last=sunday,
        reason="Umzug",
        cancel=True,
    )
    assert (result.days, result.slots) == (2, 3)
    status = {s.id: s.status for s in Slot.select()}
    assert [status[s.id] for s in weekly] == ["scheduled", "cancelled", "scheduled"]
    assert status[early_sat.id] == status[late_sun.id] == "cancelled"
    assert status[early_mon.id] == status[late_fri.id] == "scheduled"
    # The schedule does not bring the cancelled date back, nor the closed days.
    schedules.extend_slots()
    on_sunday = Slot.select().where((Slot.series == series.id) & (Slot.original_date == sunday))
    assert [s.status for s in on_sunday] == ["cancelled"]
    assert reload(weekly[1]).starts_at == berlin_to_utc(sunday, dt.time(10))


# --- What a closure refuses, and what removing one does -----------------------------------


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (5, 4, "The last day must not be before the first day."),
        (5, 5 + 92, "A closure can last at most 92 days."),
        (-1, 3, "This date has passed."),
        (5, 5 * 366 + 10, "within the next five years"),
    ],
)
def test_bad_ranges_are_refused(client, login_as, world, first, last, message):
    english(login_as(world["coordinator"]))
    day = today() + dt.timedelta(days=first)
    response = client.post(
        "/zentren/zentrum-a/schliesstage",
        data=closure_form(day, today() + dt.timedelta(days=last)),
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert ClosingDay.select().count() == 0


def test_days_closed_already_are_kept_and_said(client, login_as, world):
    first = today() + dt.timedelta(days=10)
    make_closing_day(world["centre"], days_ahead=11, reason="Putztag")
    make_slot(world["activity"], day=first + dt.timedelta(days=2))
    english(login_as(world["coordinator"]))
    page = client.post(
        "/zentren/zentrum-a/schliesstage",
        data=closure_form(first, first + dt.timedelta(days=2), reason="Umbau"),
    ).get_data(as_text=True)
    assert "2 days are closed." in page
    assert "1 of the days is closed already and stays as it is." in page
    client.post(
        "/zentren/zentrum-a/schliesstage",
        data=closure_form(first, first + dt.timedelta(days=2), reason="Umbau", confirm="1"),
    )
    reasons = {c.day: c.reason for c in ClosingDay.select()}
    assert reasons[first + dt.timedelta(days=1)] == "Putztag"
    assert reasons[first] == reasons[first + dt.timedelta(days=2)] == "Umbau"
    response = client.post(
        "/zentren/zentrum-a/schliesstage",
        data=closure_form(first, first + dt.timedelta(days=2)),
    )
    assert "These days are already marked as closed." in response.get_data(as_text=True)


def test_a_closure_without_slots_is_saved_at_once(client, login_as, world):
    first = today() + dt.timedelta(days=3)
    english(login_as(world["coordinator"]))
    response = client.post(
        "/zentren/zentrum-a/schliesstage",
        data=closure_form(first, first + dt.timedelta(days=4), reason=""),
    )
    assert response.status_code == 302
    assert ClosingDay.select().count() == 5


def test_saving_without_the_preview_refuses_when_slots_exist(conn, world):
    day = next_weekday(3)
    slot = make_slot(world["activity"], day=day)
    with pytest.raises(Conflict):
        services.add_closure(world["centre"], actor=world["coordinator"], first=day)
    assert ClosingDay.select().count() == 0 and reload(slot).status == "scheduled"


def test_removing_a_closure_brings_no_slot_back(client, login_as, world):
    first = today() + dt.timedelta(days=6)
    slot = make_slot(world["activity"], day=first + dt.timedelta(days=1))
    services.add_closure(
        world["centre"],
        actor=world["coordinator"],
        first=first,
        last=first + dt.timedelta(days=2),
        reason="Umbau",
        cancel=True,
    )
    make_closing_day(world["centre"], days_ahead=9, reason="Anderes")  # next to it, not in it
    english(login_as(world["coordinator"]))
    one = ClosingDay.get(ClosingDay.day == first + dt.timedelta(days=1))
    response = client.post(
        f"/zentren/zentrum-a/schliesstage/{one.id}/entfernen", data={"scope": "range"}
    )
    assert response.status_code == 302
    assert "3 closing days have been removed." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert [c.reason for c in ClosingDay.select()] == ["Anderes"]
    assert reload(slot).status == "cancelled"  # not resurrected
    assert schedules.extend_slots().slots == 0


def test_removing_single_days_of_a_range(conn, world):
    first = today() + dt.timedelta(days=6)
    services.add_closure(
        world["centre"], actor=world["coordinator"], first=first, last=first + dt.timedelta(2)
    )
    middle = ClosingDay.get(ClosingDay.day == first + dt.timedelta(days=1))
    assert services.remove_closing_day(world["centre"], middle.id, actor=world["coordinator"]) == 1
    ranges = closure_ranges(ClosingDay.select())
    assert [(r.first, r.last) for r in ranges] == [(first, first), (first + dt.timedelta(2),) * 2]


def test_another_centre_cannot_preview_confirm_or_remove(client, login_as, world):
    day = next_weekday(2)
    slot = make_slot(world["activity"], day=day)
    login_as(world["other_coordinator"])
    for extra in ({}, {"confirm": "1"}):
        response = client.post("/zentren/zentrum-a/schliesstage", data=closure_form(day, **extra))
        assert response.status_code == 403
    assert ClosingDay.select().count() == 0 and reload(slot).status == "scheduled"
    closing = make_closing_day(world["centre"], days_ahead=20)
    response = client.post(
        f"/zentren/zentrum-b/schliesstage/{closing.id}/entfernen", data={"scope": "range"}
    )
    assert response.status_code == 404
    with pytest.raises(NotAllowed):
        services.plan_closure(world["centre"], actor=world["other_coordinator"], first=day)
    with pytest.raises(NotAllowed):
        slots.cancel_slots(world["centre"], [slot.id], actor=world["other_coordinator"])
    assert ClosingDay.select().count() == 1


def test_the_preview_runs_a_fixed_number_of_queries(client, login_as, world):
    first = today() + dt.timedelta(days=4)
    english(login_as(world["coordinator"]))

    def preview() -> int:
        with count_queries() as counted:
            page = client.post(
                "/zentren/zentrum-a/schliesstage", data=closure_form(first, first + dt.timedelta(5))
            )
        assert page.status_code == 200
        return counted.count

    make_signup(make_slot(world["activity"], day=first), make_user())
    few = preview()
    for n in range(1, 6):
        slot = make_slot(world["activity"], day=first + dt.timedelta(days=n))
        for _ in range(2):
            make_signup(slot, make_user())
    assert preview() == few


# --- The week views ---------------------------------------------------------------------------


def test_the_dashboard_shows_closures_of_its_fourteen_days(client, login_as, world):
    make_closing_day(world["centre"], days_ahead=3, reason="Teamtag")
    make_closing_day(world["centre"], days_ahead=4, reason="Teamtag")
    make_closing_day(world["centre"], days_ahead=30, reason="Später")
    english(login_as(world["coordinator"]))
    page = client.get("/zentren/zentrum-a/planung").get_data(as_text=True)
    assert page.count("Teamtag") == 1 and "Später" not in page
    assert "Closing day" in page


def test_programme_weeks_show_closed_days_merged():
    monday = dt.date(2030, 12, 16)
    closed = {monday + dt.timedelta(days=n): "Ferien" for n in range(1, 14)}
    weeks = group_by_week([], monday, 2, today=monday, closed=closed)
    days = [(d.day, d.last, d.closed) for d in weeks[0].days]
    assert days == [(monday + dt.timedelta(1), monday + dt.timedelta(4), "Ferien")]
    assert [(d.day, d.last) for d in weeks[1].days] == [
        (monday + dt.timedelta(7), monday + dt.timedelta(11))
    ]
    assert weeks[0].count == 0  # closed days are no dates


# --- Moving one slot onto a holiday or closing day ----------------------------------------


def _slot_form(day: dt.date, **extra) -> dict:
    return {
        "date": day.isoformat(),
        "start_time": "10:00",
        "end_time": "12:00",
        "capacity": "3",
        **extra,
    }


def test_moving_onto_a_closing_day_asks_first(client, login_as, world):
    slot = make_slot(world["activity"], day=next_weekday(1))
    target = slot.original_date + dt.timedelta(days=2)
    ClosingDay.create(centre=world["centre"], day=target, reason="Putztag")
    english(login_as(world["coordinator"]))
    response = client.post(f"/termine/{slot.id}/bearbeiten", data=_slot_form(target))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Closing day: Putztag. Do you want to move the date there anyway?" in page
    assert "Move the date there anyway" in page
    assert f'value="{target.isoformat()}"' in page  # the confirmation rides along
    assert reload(slot).starts_at == slot.starts_at

    response = client.post(
        f"/termine/{slot.id}/bearbeiten", data=_slot_form(target, closed_ok=target.isoformat())
    )
    assert response.status_code == 302
    assert reload(slot).starts_at == berlin_to_utc(target, dt.time(10))
    # On that day already: a new capacity needs no confirmation.
    response = client.post(f"/termine/{slot.id}/bearbeiten", data=_slot_form(target, capacity="4"))
    assert response.status_code == 302 and reload(slot).capacity == 4


def test_moving_onto_a_public_holiday_asks_first(conn, world):
    holiday = min(
        d
        for year in (today().year, today().year + 1)
        for d in thuringian_holidays(year)
        if d > today() + dt.timedelta(days=1)
    )
    slot = make_slot(world["activity"], day=holiday - dt.timedelta(days=1))
    data = {"date": holiday, "start_time": dt.time(10), "end_time": dt.time(12), "capacity": 3}
    with pytest.raises(slots.ClosedDayWarning) as caught:
        slots.edit_slot(slot, data, actor=world["coordinator"])
    assert thuringian_holidays(holiday.year)[holiday] in caught.value.message
    assert caught.value.day == holiday
    # A confirmation of another day does not count.
    other = {**data, "closed_ok": (holiday + dt.timedelta(days=1)).isoformat()}
    with pytest.raises(slots.ClosedDayWarning):
        slots.edit_slot(slot, other, actor=world["coordinator"])
    change = slots.edit_slot(
        slot, {**data, "closed_ok": holiday.isoformat()}, actor=world["coordinator"]
    )
    assert change.moved


# --- Cancelling one date with a reason ------------------------------------------------------


def test_cancelling_a_date_carries_the_reason_to_volunteers_and_families(client, login_as, world):
    slot = make_slot(world["activity"], day=next_weekday(3))
    volunteer = make_user(name="Frieda Feld", locale="en")
    make_signup(slot, volunteer)
    english(login_as(world["coordinator"]))
    page = client.get(f"/termine/{slot.id}/absagen").get_data(as_text=True)
    assert "Reason (optional)" in page
    response = client.post(f"/termine/{slot.id}/absagen", data={"reason": "r" * 151})
    assert response.status_code == 200
    assert "150" in response.get_data(as_text=True)
    assert reload(slot).status == "scheduled"
    response = client.post(f"/termine/{slot.id}/absagen", data={"reason": "  Krankheit  "})
    assert response.status_code == 302
    assert (reload(slot).status, reload(slot).cancel_reason) == ("cancelled", "Krankheit")
    assert "Reason: Krankheit" in mails_to(volunteer)[0].body_text
    entry = AuditEntry.get(AuditEntry.action == "slot.cancelled")
    assert entry.detail.endswith(": Krankheit")
    activity_page = client.get(
        f"/zentren/zentrum-a/programm/{world['activity'].id}?lang=de", follow_redirects=True
    ).get_data(as_text=True)
    assert "Fällt aus: Krankheit" in activity_page


def test_cancel_reason_is_checked_by_the_service(conn, world):
    slot = make_slot(world["activity"], day=next_weekday(3))
    with pytest.raises(DomainError) as caught:
        slots.cancel_slot(slot, actor=world["coordinator"], reason="x" * 151)
    assert caught.value.field == "reason"
    assert reload(slot).status == "scheduled"
