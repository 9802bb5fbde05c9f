"""Models of rooms: a centre's rooms and their bookings."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow
from volunteer_app.partners.models import Partner

BOOKING_STATUSES = ("booked", "cancelled")


class Room(BaseModel):
    centre = pw.ForeignKeyField(Centre, backref="rooms", on_delete="CASCADE", index=False)
    name = pw.CharField(max_length=100)
    capacity = pw.IntegerField(default=10)
    accessible = pw.BooleanField(default=False)  # barrier-free access
    equipment = pw.TextField(default="")
    is_active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("centre", "name"), True),)
        constraints = [pw.SQL("CHECK (capacity >= 1 AND capacity <= 1000)")]


class Booking(BaseModel):
    """One booked time of a room (naive UTC). Recurring bookings share a ``series_key``.

    A booking is for a partner (consultation hours), an activity, or just its title.
    ``is_public`` bookings are consultation hours shown to families (title, time, place only).
    """

    room = pw.ForeignKeyField(Room, backref="bookings", on_delete="CASCADE", index=False)
    title = pw.CharField(max_length=120)
    partner = pw.ForeignKeyField(Partner, null=True, backref="bookings", on_delete="SET NULL")
    activity = pw.ForeignKeyField(Activity, null=True, backref="bookings", on_delete="SET NULL")
    series_key = pw.CharField(max_length=32, null=True, index=True)
    starts_at = pw.DateTimeField()  # naive UTC
    ends_at = pw.DateTimeField()  # naive UTC
    is_public = pw.BooleanField(default=False)
    status = pw.CharField(max_length=10, default="booked")
    note = pw.TextField(default="")  # internal, coordinators only
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    cancelled_at = pw.DateTimeField(null=True)
    sequence = pw.IntegerField(default=0)  # iCalendar SEQUENCE for the family feed
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("room", "starts_at"), False),)
        constraints = [
            pw.SQL("CHECK (ends_at > starts_at)"),
            pw.SQL("CHECK (status IN ('booked', 'cancelled'))"),
        ]

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [Room, Booking]
