"""What matching uses: a volunteer's interests, time windows, reachable centres and limits."""

from __future__ import annotations

import peewee as pw

from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Category
from volunteer_app.centres.models import Centre
from volunteer_app.db import BaseModel, utcnow


class VolunteerProfile(BaseModel):
    user = pw.ForeignKeyField(User, backref="volunteer_profile", unique=True, on_delete="CASCADE")
    open_to_anything = pw.BooleanField(default=False)
    max_per_week = pw.IntegerField(default=2)
    max_per_month = pw.IntegerField(default=6)
    languages = pw.CharField(max_length=100, default="de")  # comma-separated ISO 639-1 codes
    reminder_hours = pw.IntegerField(default=24)  # 0 = no reminder
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        constraints = [
            pw.SQL("CHECK (max_per_week >= 0 AND max_per_week <= 21)"),
            pw.SQL("CHECK (max_per_month >= 0 AND max_per_month <= 60)"),
            pw.SQL("CHECK (reminder_hours >= 0 AND reminder_hours <= 168)"),
        ]


class Interest(BaseModel):
    user = pw.ForeignKeyField(User, backref="interests", on_delete="CASCADE", index=False)
    category = pw.ForeignKeyField(Category, backref="interested", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "category"), True),)


class AvailabilityWindow(BaseModel):
    """A weekly window in Berlin wall-clock time, e.g. Tuesday 14:00–18:00."""

    user = pw.ForeignKeyField(User, backref="availability", on_delete="CASCADE")
    weekday = pw.IntegerField()  # 0 = Monday
    start_time = pw.TimeField()
    end_time = pw.TimeField()

    class Meta:
        constraints = [pw.SQL("CHECK (weekday >= 0 AND weekday <= 6)")]


class ReachableCentre(BaseModel):
    user = pw.ForeignKeyField(User, backref="reachable_centres", on_delete="CASCADE", index=False)
    centre = pw.ForeignKeyField(Centre, backref="reachable_by", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "centre"), True),)


# Every model of this feature; volunteer_app/models.py collects them.
MODELS: list = [VolunteerProfile, Interest, AvailabilityWindow, ReachableCentre]
