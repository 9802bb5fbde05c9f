"""Activities (Angebote), their schedules (series) and slots (Termine)."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow

SIGNUP_MODES = ("open", "approval")
RECURRENCES = ("once", "weekly", "monthly")
SLOT_STATUSES = ("scheduled", "cancelled")


class Category(BaseModel):
    """What volunteers like to do. Built-ins have a ``key`` (translated); centres add their own."""

    key = pw.CharField(max_length=30, null=True, unique=True)
    name = pw.CharField(max_length=60)
    centre = pw.ForeignKeyField(
        Centre, null=True, backref="categories", on_delete="CASCADE", index=False
    )
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("centre", "name"), True),)


class Activity(BaseModel):
    centre = pw.ForeignKeyField(Centre, backref="activities", on_delete="CASCADE")
    title = pw.CharField(max_length=120)
    category = pw.ForeignKeyField(Category, backref="activities", on_delete="RESTRICT")
    description = pw.TextField(default="")
    place = pw.CharField(max_length=150, default="")
    # Supervision stays with staff: every activity names a responsible staff member.
    responsible = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    audience = pw.CharField(max_length=120, default="")
    is_public = pw.BooleanField(default=True)
    is_child_facing = pw.BooleanField(default=False)
    # Done at the volunteer's home (baking, sewing): the written plan marks it, because
    # accident insurance covers it only when the centre commissioned it (migration 0023).
    at_home = pw.BooleanField(default=False)
    # Families who volunteer together (migration 0025): volunteers may bring children
    # (counted for planning, never for places) and invite adults, who sign up themselves;
    # minors with their own account linked to a parent's from this age (14–17; None: adults).
    companion_children = pw.BooleanField(default=False)
    companion_adults = pw.BooleanField(default=False)
    minors_from_age = pw.IntegerField(null=True)
    signup_mode = pw.CharField(max_length=10, default="open")
    cancel_deadline_hours = pw.IntegerField(default=24)
    volunteers_needed = pw.IntegerField(default=2)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        constraints = [
            pw.SQL("CHECK (signup_mode IN ('open', 'approval'))"),
            pw.SQL("CHECK (volunteers_needed >= 1 AND volunteers_needed <= 50)"),
            pw.SQL("CHECK (cancel_deadline_hours >= 0)"),
        ]


class Series(BaseModel):
    """A schedule of an activity: once, weekly every n weeks, or monthly on the n-th weekday.

    Times are Berlin wall-clock times; slots are generated up to ``generated_until``.
    """

    activity = pw.ForeignKeyField(Activity, backref="series", on_delete="CASCADE")
    recurrence = pw.CharField(max_length=10, default="once")
    interval = pw.IntegerField(default=1)  # weeks for weekly
    weekday = pw.IntegerField(null=True)  # 0 = Monday
    nth = pw.IntegerField(null=True)  # monthly: 1..4, or -1 for the last
    start_date = pw.DateField()
    start_time = pw.TimeField()
    end_time = pw.TimeField()
    until_date = pw.DateField(null=True)
    count = pw.IntegerField(null=True)
    generated_until = pw.DateField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        constraints = [pw.SQL("CHECK (recurrence IN ('once', 'weekly', 'monthly'))")]


class Slot(BaseModel):
    """One occurrence that needs ``capacity`` volunteers; ``taken`` counts confirmed sign-ups."""

    # Kept beside (activity_id, starts_at): PostgreSQL's generic plan of the "fits me" list
    # walks a centre's activities to their slots through this smaller index, and without it
    # scans every upcoming slot instead (migration 0034).
    activity = pw.ForeignKeyField(Activity, backref="slots", on_delete="CASCADE")
    series = pw.ForeignKeyField(
        Series, null=True, backref="slots", on_delete="SET NULL", index=False
    )
    # The date the series generated this slot for (stable even if the slot is moved).
    original_date = pw.DateField(null=True)
    starts_at = pw.DateTimeField(index=True)  # naive UTC
    ends_at = pw.DateTimeField()
    capacity = pw.IntegerField()
    taken = pw.IntegerField(default=0)
    status = pw.CharField(max_length=10, default="scheduled")
    detached = pw.BooleanField(default=False)  # edited on its own: series edits leave it alone
    sequence = pw.IntegerField(default=0)  # iCalendar SEQUENCE: grows on time/status changes
    cancelled_at = pw.DateTimeField(null=True)
    # Why the centre cancelled it, as typed (closure or single date); shown to volunteers and
    # families (migration 0020).
    cancel_reason = pw.CharField(max_length=150, default="")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("series", "original_date"), True),
            # A centre's slots in a time window (dashboard, attendance, "fits me"): migration 0009.
            (("activity", "starts_at"), False),
        )
        constraints = [
            pw.SQL("CHECK (taken >= 0 AND taken <= capacity)"),
            pw.SQL("CHECK (capacity >= 0)"),
            pw.SQL("CHECK (ends_at > starts_at)"),
            pw.SQL("CHECK (status IN ('scheduled', 'cancelled'))"),
        ]

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


class ActivityText(BaseModel):
    """An activity's title and short description in another language than German (the
    original stays on ``Activity``), written by its coordinators: at most one per language.
    Family pages and the family feed show it to readers of that language (``texts.py``)."""

    activity = pw.ForeignKeyField(Activity, backref="texts", on_delete="CASCADE", index=False)
    language = pw.CharField(max_length=10)  # a code of LANGUAGES other than German: uk, fa_AF
    title = pw.CharField(max_length=120)
    description = pw.TextField(default="")

    class Meta:
        indexes = ((("activity", "language"), True),)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [Category, Activity, Series, Slot, ActivityText]
