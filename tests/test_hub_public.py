"""Partners' public consultation hours reach families: the centre's programme and its feed."""

from __future__ import annotations

import datetime as dt

from tests.factories import builtin, make_coordinator
from tests.factories_feeds import days_from_today, family_url
from tests.factories_hub import make_booking, make_partner, make_room
from tests.factories_programme import programme_centre, reading_hour, slot_at
from tests.ical_check import assert_valid, icalendar_events
from volunteer_app.activities.recurrence import berlin_to_utc
from volunteer_app.rooms import services as room_services


def _hours(centre, day, **fields):
    partner = make_partner(centre, contact_name="Anna Hebamme", contact_phone="0361 99 88 77")
    room = make_room(centre)
    return make_booking(
        room, day, dt.time(9), dt.time(11), partner=partner, is_public=True, **fields
    )


def test_public_consultation_hours_are_in_the_programme_without_people(client, conn):
    centre = programme_centre()
    day = days_from_today(3)
    _hours(centre, day, title="Hebammensprechstunde")
    make_booking(make_room(centre, name="Büro"), day, title="Teamsitzung intern")

    page = client.get(f"/zentren/{centre.slug}").get_data(as_text=True)
    programme = page.split('class="centre-aside"')[0]

    assert "Hebammensprechstunde" in programme
    assert "Hebamme" in programme  # the partner's kind as the entry's category
    assert "Teamsitzung intern" not in page
    # The partner's contact is in the partners' own public section, not in the programme.
    assert "Anna Hebamme" not in programme and "0361 99 88 77" not in programme


def test_a_category_filter_leaves_consultation_hours_out(client, conn):
    centre = programme_centre()
    slot_at(reading_hour(centre), days_from_today(3), 15)
    _hours(centre, days_from_today(3), title="Hebammensprechstunde")
    url = f"/zentren/{centre.slug}?kategorie={builtin('reading').id}"
    programme = client.get(url).get_data(as_text=True).split('class="centre-aside"')[0]
    assert "Vorlese" in programme or "Reading" in programme
    assert "Hebammensprechstunde" not in programme


def test_family_feed_carries_consultation_hours_and_their_cancellation(client, conn):
    centre = programme_centre()
    day = days_from_today(4)
    booking = _hours(centre, day, title="Hebammensprechstunde")
    make_booking(make_room(centre, name="Büro"), day, title="Teamsitzung intern")

    first = client.get(family_url(centre))
    data = first.get_data()
    assert_valid(data)
    events = icalendar_events(data)
    assert [(e[1], e[2], e[3], e[4]) for e in events] == [
        (
            berlin_to_utc(day, dt.time(9)),
            berlin_to_utc(day, dt.time(11)),
            "Hebammensprechstunde",
            "CONFIRMED",
        )
    ]
    assert b"Anna Hebamme" not in data and b"0361 99 88 77" not in data

    coordinator = make_coordinator(centre)
    room_services.cancel_booking(centre, booking.id, "one", actor=coordinator)
    second = client.get(family_url(centre), headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200  # the revision moved with the cancellation
    data = second.get_data()
    assert_valid(data)
    [event] = icalendar_events(data)
    assert event[4] == "CANCELLED"
    assert event[3].endswith("Hebammensprechstunde")


def test_filtered_family_feed_has_no_consultation_hours(client, conn):
    centre = programme_centre()
    _hours(centre, days_from_today(4), title="Hebammensprechstunde")
    data = client.get(family_url(centre, builtin("reading").id)).get_data()
    assert_valid(data)
    assert b"Hebammensprechstunde" not in data
