"""Forms of rooms and bookings (explicit field lists only)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.fields.choices import SelectChoice

from volunteer_app.activities.forms import ScheduleForm
from volunteer_app.common.forms import AppForm, ChoiceField, IdField, number_field, text_field

ROOM_FIELDS = ("name", "capacity", "accessible", "equipment", "is_active")


class RoomForm(AppForm):
    name = text_field(_l("Name of the room"), 100, required=True)
    capacity = number_field(_l("Places (people)"), 1, 1000, default=12)
    accessible = BooleanField(_l("Barrier-free (step-free access)"))
    equipment = text_field(_l("Equipment"), 1000, multiline=True)
    is_active = BooleanField(_l("In use (takes bookings)"), default=True)

    def room_data(self) -> dict:
        return {name: self[name].data for name in ROOM_FIELDS}


BOOKING_ENDS = [
    SelectChoice("count", _l("After a number of dates")),
    SelectChoice("until", _l("On a last day")),
]
BOOKING_FIELDS = ("room_id", "partner_id", "activity_id", "title", "is_public", "note")


class BookingForm(ScheduleForm):
    """A room booked once or recurring, in Berlin time (the activities' schedule fields)."""

    room_id = IdField(_l("Room"))
    partner_id = IdField(_l("For a partner"), default=0)
    activity_id = IdField(_l("For an activity"), default=0)
    title = text_field(_l("Title"), 120)
    is_public = BooleanField(_l("Public consultation hours: show in the family programme"))
    note = text_field(_l("Internal note"), 1000, multiline=True)
    ends = ChoiceField(_l("Ends"), choices=BOOKING_ENDS, default="count")

    def __init__(self, *args, rooms=(), partners=(), activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.room_id.choices = [SelectChoice(r.id, r.name) for r in rooms]
        none = SelectChoice(0, _l("– none –"))
        self.partner_id.choices = [none] + [SelectChoice(p.id, p.name) for p in partners]
        self.activity_id.choices = [none] + [SelectChoice(a.id, a.title) for a in activities]

    def booking_data(self) -> dict:
        data = self.schedule_data()
        data.update({name: self[name].data for name in BOOKING_FIELDS})
        data["partner_id"] = data["partner_id"] or None
        data["activity_id"] = data["activity_id"] or None
        return data

    def take_suggestion(self, value: str | None) -> bool:
        """Move the booking to an offered free time ("2025-12-09T11:00"), keeping its length."""
        try:
            start = dt.datetime.strptime(value or "", "%Y-%m-%dT%H:%M")
        except ValueError:
            return False
        if not (self.start_time.data and self.end_time.data and self.start_date.data):
            return False
        length = dt.datetime.combine(
            self.start_date.data, self.end_time.data
        ) - dt.datetime.combine(self.start_date.data, self.start_time.data)
        if length <= dt.timedelta(0) or (start + length).date() != start.date():
            return False
        self.start_date.data, self.start_time.data = start.date(), start.time()
        self.end_time.data = (start + length).time()
        return True


class CancelBookingForm(AppForm):
    scope = ChoiceField(
        _l("What do you want to cancel?"),
        choices=[
            SelectChoice("one", _l("Only this date")),
            SelectChoice("series", _l("This and all following dates of the series")),
        ],
        default="one",
    )
