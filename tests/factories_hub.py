"""Factories for the hub features: partners, rooms and bookings."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.factories_activities import next_weekday
from volunteer_app.activities.recurrence import berlin_to_utc
from volunteer_app.partners.models import Partner
from volunteer_app.rooms.models import Booking, Room


def make_partner(centre, **fields) -> Partner:
    data = {
        "centre": centre,
        "kind": "midwife",
        "name": "Hebammenpraxis Nordlicht",
        "offer": "Sprechstunde für junge Eltern",
        "contact_phone": "0361 55 40 12",
        "languages": "de,ar",
        "is_public": True,
        "internal_notes": "Vertrag bis 2027, Schlüssel bei Frau Sommer",
        "internal_contact": "Frau Sommer direkt: 0361 55 40 19",
    }
    data.update(fields)
    return Partner.create(**data)


def make_room(centre, **fields) -> Room:
    return Room.create(**{"centre": centre, "name": "Beratungszimmer", "capacity": 6, **fields})


def make_booking(
    room,
    day: dt.date | None = None,
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(11),
    **fields,
) -> Booking:
    """A booking on a Berlin ``day`` (default: a Tuesday at least a week ahead)."""
    day = day or next_weekday(1)
    data = {
        "room": room,
        "title": "Hebammensprechstunde",
        "starts_at": berlin_to_utc(day, start),
        "ends_at": berlin_to_utc(day, end),
    }
    data.update(fields)
    return Booking.create(**data)


def make_weekly(room, first: dt.date, weeks: int, start=dt.time(9), end=dt.time(11), **fields):
    """A weekly series of ``weeks`` bookings (holidays are not skipped: plain rows)."""
    key = uuid.uuid4().hex
    return [
        make_booking(room, first + dt.timedelta(weeks=n), start, end, series_key=key, **fields)
        for n in range(weeks)
    ]


def booking_form(room, day: dt.date, start="09:00", end="11:00", **extra) -> dict:
    """The booking form's fields for a one-off booking (strings, as a browser sends them)."""
    data = {
        "room_id": str(room.id),
        "partner_id": "0",
        "activity_id": "0",
        "title": "Elterncafé",
        "recurrence": "once",
        "start_date": day.isoformat(),
        "start_time": start,
        "end_time": end,
        "interval": "1",
        "nth": "1",
        "ends": "count",
        "count": "1",
        "action": "save",
    }
    data.update(extra)
    return data


def booking_data(room, day: dt.date, start=dt.time(9), end=dt.time(11), **extra) -> dict:
    """The service's data of a booking (what ``BookingForm.booking_data`` hands over)."""
    data = {
        "room_id": room.id,
        "partner_id": None,
        "activity_id": None,
        "title": "Elterncafé",
        "is_public": False,
        "note": "",
        "recurrence": "once",
        "start_date": day,
        "start_time": start,
        "end_time": end,
        "interval": 1,
        "nth": 1,
        "ends": "count",
        "until_date": None,
        "count": None,
    }
    data.update(extra)
    return data
